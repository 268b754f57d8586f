"""The Fashion-MNIST subset shipped inside the package, and the rule that picks it.

The full Fashion-MNIST (60,000 + 10,000 images) is 30 MB compressed, too large to
ship; this balanced subset (1,600 training and 200 test images per class, about
7.9 MB as gzipped IDX) lets every experiment run with no data installed.
``scripts/make_embedded.py`` rebuilds the files byte for byte from the full set.

Selection rule: within each class, training (test) indices are ranked by
SHA-256 of ``"<seed>:<split>:<index>"`` and the first 1,600 (200) are kept, then
the kept indices are put back in their original order. A hash ranking rather than
a numpy RNG keeps the choice independent of numpy versions.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

EMBEDDED_DIR = Path(__file__).resolve().parent / "embedded"
PER_CLASS = {"train": 1600, "test": 200}
SELECTION_SEED = 20170101
IMAGE_FILES = {"train": "train-images-idx3-ubyte.gz", "test": "t10k-images-idx3-ubyte.gz"}
LABEL_FILES = {"train": "train-labels-idx1-ubyte.gz", "test": "t10k-labels-idx1-ubyte.gz"}


def select_balanced(labels: np.ndarray, per_class: int, split: str, seed: int = SELECTION_SEED):
    """Indices (int64, ascending) of ``per_class`` samples of every class, by the hash rule."""
    keys = np.array(
        [hashlib.sha256(f"{seed}:{split}:{i}".encode()).digest()[:8] for i in range(len(labels))],
        dtype="S8",
    )
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < per_class:
            raise ValueError(f"class {label} has {len(members)} samples, fewer than {per_class}")
        ranked = members[np.argsort(keys[members], kind="stable")]
        chosen.append(ranked[:per_class])
    return np.sort(np.concatenate(chosen)).astype(np.int64)
