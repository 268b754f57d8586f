"""Augmentation as a batch transform: seeded, label-preserving, the paper's settings."""

import numpy as np
import pytest

from minisharp import data
from minisharp.remedies import Augment


def test_transform_is_the_seeded_augmentation_and_keeps_labels():
    rng = np.random.default_rng(0)
    X, y = rng.random((5, 1, 28, 28)).astype(np.float32), np.arange(5)
    X2, y2 = Augment().transform(X, y, np.random.default_rng(3), None, None)
    np.testing.assert_array_equal(X2, data.augment(X, np.random.default_rng(3)))
    assert y2 is y and X2.dtype == np.float32 and not np.array_equal(X2, X)
    assert Augment().config() == {"name": "augment", "translate": 0.2, "rotate": 10.0,
                                  "flip": True}


def test_nothing_to_do_leaves_images_alone_and_bad_input_is_refused():
    X = np.random.default_rng(1).random((3, 1, 8, 8))
    same, _ = Augment(0.0, 0.0, False).transform(X, np.zeros(3), np.random.default_rng(0),
                                                 None, None)
    np.testing.assert_array_equal(same, X)
    with pytest.raises(ValueError, match="N×C×H×W"):
        Augment().transform(X.reshape(3, 64), np.zeros(3), np.random.default_rng(0), None, None)
    with pytest.raises(ValueError, match="translate"):
        Augment(translate=1.5)
