"""Pixel scaling and optional per-channel standardisation."""

from __future__ import annotations

import numpy as np

_MIN_STD = 1e-6  # constant channels (e.g. always-black borders) are left unscaled


def to_unit_float(images: np.ndarray) -> np.ndarray:
    """uint8 pixels -> float32 in [0, 1] (divide by 255), the paper's only preprocessing."""
    if images.dtype != np.uint8:
        raise TypeError(f"expected uint8 pixels, got {images.dtype}")
    # Convert first, then divide in place: much faster than a mixed uint8/float32 divide.
    unit = images.astype(np.float32)
    unit /= np.float32(255.0)
    return unit


def standardize(train_X: np.ndarray, test_X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Subtract the mean and divide by the standard deviation of each channel.

    Channels are axis 1 (C of N x C x H x W, or each feature of N x D). The
    statistics come from ``train_X`` only, so nothing about the test set leaks into
    training. Returns new float32 arrays; the inputs are not modified.
    """
    if train_X.ndim < 2 or test_X.shape[1:] != train_X.shape[1:]:
        raise ValueError(f"incompatible shapes {train_X.shape} and {test_X.shape}")
    axes = (0, *range(2, train_X.ndim))
    mean = train_X.mean(axis=axes, dtype=np.float64, keepdims=True)
    std = train_X.std(axis=axes, dtype=np.float64, keepdims=True)
    std = np.where(std < _MIN_STD, 1.0, std)
    mean, std = mean[0].astype(np.float32), std[0].astype(np.float32)
    return ((train_X - mean) / std).astype(np.float32), ((test_X - mean) / std).astype(np.float32)
