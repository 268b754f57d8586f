"""Remedies for large-batch training, one method per module, each a plug-in for ``train``.

A method is a small object passed as ``minisharp.train.train(..., method=...)``. It provides
``config()`` (recorded in the checkpoint, so resuming with another method is refused) and any
of the hooks the training loop knows (see :mod:`minisharp.train`): a step rule ``step``, a
batch transform ``transform``, a batch-size schedule ``batch_size(epoch)`` or a learning-rate
schedule ``lr(step)``.

The paper's own attempts (Keskar et al. 2017, Sec. 4 and App. E):

- :mod:`.augment` — data augmentation (a batch transform);
- :mod:`.conservative` — conservative training, a proximal step per batch (a step rule);
- :mod:`.adversarial` — fast-gradient-sign examples mixed into each batch (a batch transform).

What came after:

- :mod:`.schedules` — linear learning-rate scaling with warm-up (a learning-rate schedule),
  training longer (a longer budget) and dynamic sampling (a batch-size schedule);
- :mod:`.ghost_bn` — ghost batch normalisation (a step rule);
- :mod:`.sam` — sharpness-aware minimisation (a step rule).
"""

from .adversarial import Adversarial, fgsm
from .augment import Augment
from .conservative import Conservative, proximal_steps
from .ghost_bn import GhostBatchNorm, ghost_batches, ghost_size_for
from .sam import SAM, sam_perturbation, sam_step
from .schedules import DynamicSampling, LinearScalingWarmup, TrainLonger

__all__ = [
    "SAM",
    "Adversarial",
    "Augment",
    "Conservative",
    "DynamicSampling",
    "GhostBatchNorm",
    "LinearScalingWarmup",
    "TrainLonger",
    "fgsm",
    "ghost_batches",
    "ghost_size_for",
    "proximal_steps",
    "sam_perturbation",
    "sam_step",
]
