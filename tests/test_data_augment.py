"""Flip / rotate / translate augmentation (paper App. E.1)."""

import numpy as np
import pytest

from minisharp import data
from minisharp.data.augment import transform


@pytest.fixture
def batch():
    return np.random.default_rng(0).random((16, 3, 32, 32), dtype=np.float32)


def test_shape_dtype_and_input_untouched(batch):
    original = batch.copy()
    out = data.augment(batch, np.random.default_rng(1))
    assert out.shape == batch.shape and out.dtype == batch.dtype
    np.testing.assert_array_equal(batch, original)
    assert data.augment(batch.astype(np.float64), np.random.default_rng(1)).dtype == np.float64


def test_seeded_determinism(batch):
    first = data.augment(batch, np.random.default_rng(42))
    np.testing.assert_array_equal(first, data.augment(batch, np.random.default_rng(42)))
    assert not np.array_equal(first, data.augment(batch, np.random.default_rng(43)))


@pytest.mark.parametrize(("dy", "dx"), [(3, 0), (0, -4), (2, 5), (-6, -1)])
def test_translation_by_k_pixels_moves_content_by_k(dy, dx):
    image = np.zeros((1, 1, 28, 28), np.float32)
    image[0, 0, 10:14, 12:15] = np.arange(12, dtype=np.float32).reshape(4, 3) + 1
    out = transform(image, [[dy, dx]], [0.0], [False])
    np.testing.assert_array_equal(
        out[0, 0, 10 + dy : 14 + dy, 12 + dx : 15 + dx], image[0, 0, 10:14, 12:15]
    )
    assert out.sum() == image.sum()


def test_translation_fills_with_zeros():
    out = transform(np.ones((1, 2, 8, 8), np.float32), [[0, 3]], [0.0], [False])
    assert (out[:, :, :, :3] == 0).all() and (out[:, :, :, 3:] == 1).all()


def test_random_shifts_stay_within_bounds_and_are_integral():
    image = np.zeros((64, 1, 28, 28), np.float32)
    image[:, 0, 14, 14] = 1.0
    out = data.augment(image, np.random.default_rng(3), rotate=0.0, flip=False)
    positions = np.argwhere(out[:, 0] == 1.0)
    assert len(positions) == 64  # every bright pixel survives a pure shift
    assert np.abs(positions[:, 1:] - 14).max() <= int(0.2 * 28)
    assert len(np.unique(positions[:, 1])) > 3  # shifts vary from image to image


def test_flip_and_rotation():
    image = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(transform(image, [[0, 0]], [0.0], [True]), image[..., ::-1])
    np.testing.assert_array_equal(
        transform(image, [[0, 0]], [90.0], [False])[0, 0], np.rot90(image[0, 0])
    )


def test_flip_off_with_no_motion_is_identity(batch):
    out = data.augment(batch, np.random.default_rng(5), translate=0.0, rotate=0.0, flip=False)
    np.testing.assert_array_equal(out, batch)


def test_flip_on_mirrors_about_half(batch):
    images = np.repeat(batch[:1], 400, axis=0)
    out = data.augment(images, np.random.default_rng(6), translate=0.0, rotate=0.0)
    flipped = np.all(out == images[..., ::-1], axis=(1, 2, 3)).sum()
    assert 150 < flipped < 250
