"""Data sets for minisharp: loading, batching and augmentation.

Typical use::

    from minisharp import data
    train, test = data.load_pair("fashion-mnist")
    for idx in data.batches(len(train), 256, seed=0, epoch=0):
        xb, yb = train.X[idx], train.y[idx]

See :func:`load` for where files are looked for and what happens when they are
missing (Fashion-MNIST falls back to a subset shipped inside the package).
"""

from .augment import augment
from .batching import batches, large_batch_size, num_batches, small_batch_size
from .cifar import read_cifar_tarball
from .container import Dataset
from .datasets import NAMES, SPLITS, load, load_pair
from .fetch import ChecksumError, DataNotFoundError, DownloadError
from .idx import read_idx, write_idx
from .preprocess import standardize
from .timit import load_frames

__all__ = [
    "NAMES",
    "SPLITS",
    "ChecksumError",
    "DataNotFoundError",
    "Dataset",
    "DownloadError",
    "augment",
    "batches",
    "large_batch_size",
    "load",
    "load_frames",
    "load_pair",
    "num_batches",
    "read_cifar_tarball",
    "read_idx",
    "small_batch_size",
    "standardize",
    "write_idx",
]
