"""autograd primitives with their VJPs: the building blocks of every network."""

from .activation import dropout, dropout_mask, relu
from .dense import dense
from .loss import softmax, softmax_cross_entropy
from .norm import batch_norm

__all__ = [
    "batch_norm",
    "dense",
    "dropout",
    "dropout_mask",
    "relu",
    "softmax",
    "softmax_cross_entropy",
]
