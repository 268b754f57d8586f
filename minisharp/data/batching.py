"""Mini-batch index streams and the paper's batch sizes."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def batches(n: int, batch_size: int, *, seed: int, epoch: int) -> Iterator[np.ndarray]:
    """Yield int64 index arrays of exactly ``batch_size`` for one epoch over ``n`` samples.

    The order is a fresh permutation drawn from ``(seed, epoch)``, so a run can be
    replayed or resumed at any epoch, and different epochs see different orders.
    Every index appears at most once per epoch. The last ``n % batch_size`` samples
    of the permutation are dropped so that all steps use the same batch size, which
    matters when comparing small- and large-batch runs; they differ from epoch to
    epoch, so no sample is left out systematically. Only indices are produced:
    index the data with them, nothing is copied here.
    """
    if n < 1 or batch_size < 1:
        raise ValueError(f"need n >= 1 and batch_size >= 1, got n={n}, batch_size={batch_size}")
    if batch_size > n:
        raise ValueError(f"batch_size {batch_size} exceeds the {n} samples available")
    if seed < 0 or epoch < 0:
        raise ValueError(f"seed and epoch must be non-negative, got {seed} and {epoch}")
    order = np.random.default_rng([seed, epoch]).permutation(n).astype(np.int64, copy=False)
    for start in range(0, n - batch_size + 1, batch_size):
        yield order[start : start + batch_size]


def num_batches(n: int, batch_size: int) -> int:
    """Steps per epoch from :func:`batches` (the partial last batch is dropped)."""
    return n // batch_size


# The paper's small batch is 256 on 60,000 training images: about 234 samples per batch.
SAMPLES_PER_SMALL_BATCH = 234
SMALL_BATCH_CAP = 256


def small_batch_size(n_train: int) -> int:
    """The paper's small batch, scaled to the training set: the largest power of two ≤ n/234,
    at most 256, at least 1 (256 on 60,000 images, 64 on 16,000).

    The gradient noise of SGD/Adam grows with N/B, the number of steps per epoch; the paper's
    60,000/256 ≈ 234 is kept on a subset by shrinking B with N, so a small-batch run on 16,000
    images is as noisy per epoch as the paper's on 60,000. Powers of two as the paper used.
    """
    n_train = int(n_train)
    if n_train < 1:
        raise ValueError(f"n_train must be at least 1, got {n_train}")
    ratio = n_train // SAMPLES_PER_SMALL_BATCH
    if ratio < 1:
        return 1
    return min(SMALL_BATCH_CAP, 1 << (ratio.bit_length() - 1))


def large_batch_size(n_train: int) -> int:
    """The paper's large batch: 10 % of the training set, rounded down (at least 1)."""
    n_train = int(n_train)
    if n_train < 1:
        raise ValueError(f"n_train must be at least 1, got {n_train}")
    return max(1, n_train // 10)
