"""The Dataset container: one label per sample, the declared sample shape, its length."""

import numpy as np
import pytest

from minisharp.data import Dataset


def make(X, y, input_shape=(1, 2, 2)):
    return Dataset(X, y, "synthetic", "train", "test", 3, input_shape)


def test_length_and_fields():
    X, y = np.zeros((5, 1, 2, 2), np.float32), np.arange(5) % 3
    dataset = make(X, y)
    assert len(dataset) == 5 and dataset.input_shape == (1, 2, 2)
    assert dataset.X is X and dataset.y is y


def test_mismatches_are_clear_errors():
    with pytest.raises(ValueError, match="5 samples but 4 labels"):
        make(np.zeros((5, 1, 2, 2)), np.zeros(4, np.int64))
    with pytest.raises(ValueError, match="sample shape"):
        make(np.zeros((5, 1, 2, 2)), np.zeros(5, np.int64), input_shape=(4,))
