"""The ``Dataset`` container that every loader returns (one split: images or frames, labels)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, eq=False)
class Dataset:
    """One split of a data set, ready for training.

    ``X`` is float32: N x C x H x W in [0, 1] for images, N x D for frame vectors.
    ``y`` is int64 class indices of shape (N,). ``source`` says where the data came
    from (a directory or file path, or ``"embedded"``), so results can record it.
    ``input_shape`` is the shape of one sample, ``X.shape[1:]``.
    """

    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    name: str
    split: str
    source: str
    num_classes: int
    input_shape: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.X.shape[0] != self.y.shape[0]:
            raise ValueError(f"{self.X.shape[0]} samples but {self.y.shape[0]} labels")
        if tuple(self.X.shape[1:]) != tuple(self.input_shape):
            raise ValueError(f"X has sample shape {self.X.shape[1:]}, not {self.input_shape}")

    def __len__(self) -> int:
        return int(self.y.shape[0])
