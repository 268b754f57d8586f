"""Data augmentation of the paper's Appendix E.1, per batch and vectorised.

Each image independently gets a horizontal reflection (probability 1/2, if
enabled), a rotation by an angle uniform in [-rotate, +rotate] degrees about the
image centre, and a translation by a whole number of pixels uniform in
[-m, +m] per axis, m = floor(translate x size). All three are folded into one
inverse coordinate map sampled with nearest-neighbour lookup; pixels that map
from outside the image are zero. Nearest-neighbour keeps translations exact
(a shift by k pixels moves the content by exactly k) and costs one gather.
"""

from __future__ import annotations

import numpy as np


def transform(
    X: np.ndarray, shifts: np.ndarray, angles_deg: np.ndarray, flips: np.ndarray
) -> np.ndarray:
    """Apply given per-image transforms to ``X`` (N x C x H x W); returns a new array.

    ``shifts`` is N x 2 integer (rows down, columns right), ``angles_deg`` N
    (counter-clockwise), ``flips`` N booleans (mirror left-right first). The
    output pixel (i, j) takes the input pixel that the flip, then rotation, then
    shift would carry onto it.
    """
    n, _, height, width = X.shape
    shifts = np.asarray(shifts).reshape(n, 2)
    theta = np.deg2rad(np.asarray(angles_deg, dtype=np.float64)).reshape(n, 1, 1)
    flips = np.asarray(flips, dtype=bool).reshape(n, 1, 1)
    rows = np.arange(height, dtype=np.float64).reshape(1, height, 1)
    cols = np.arange(width, dtype=np.float64).reshape(1, 1, width)
    center_r, center_c = (height - 1) / 2.0, (width - 1) / 2.0
    # Undo the shift, then the rotation (about the centre), then the flip.
    dr = rows - shifts[:, 0].reshape(n, 1, 1) - center_r
    dc = cols - shifts[:, 1].reshape(n, 1, 1) - center_c
    cos, sin = np.cos(theta), np.sin(theta)
    # Inverse of a counter-clockwise (on screen, rows growing downwards) rotation.
    src_r = cos * dr + sin * dc + center_r
    src_c = cos * dc - sin * dr + center_c
    src_c = np.where(flips, width - 1 - src_c, src_c)
    src_r = np.rint(src_r).astype(np.intp)
    src_c = np.rint(src_c).astype(np.intp)
    inside = (src_r >= 0) & (src_r < height) & (src_c >= 0) & (src_c < width)
    src_r = np.where(inside, src_r, 0)
    src_c = np.where(inside, src_c, 0)
    image_index = np.arange(n).reshape(n, 1, 1)
    # Advanced indices on axes 0, 2, 3 around a slice put the channel axis last: N x H x W x C.
    gathered = X[image_index, :, src_r, src_c]
    gathered = np.where(inside[..., None], gathered, np.zeros((), dtype=X.dtype))
    return np.ascontiguousarray(np.moveaxis(gathered, -1, 1))


def augment(
    X: np.ndarray,
    rng: np.random.Generator,
    *,
    translate: float = 0.2,
    rotate: float = 10.0,
    flip: bool = True,
) -> np.ndarray:
    """Randomly flip, rotate and translate a batch ``X`` (N x C x H x W).

    ``translate`` is the largest shift as a fraction of the image size, ``rotate``
    the largest angle in degrees, ``flip`` whether to mirror half the images
    left-right (turn it off for digit-like data where mirroring changes meaning).
    All randomness comes from ``rng``, so a seeded Generator gives the same batch.
    Returns a new array of the same shape and dtype.
    """
    if X.ndim != 4:
        raise ValueError(f"augment expects N x C x H x W images, got shape {X.shape}")
    n, _, height, width = X.shape
    max_shift = np.array([int(translate * height), int(translate * width)])
    shifts = rng.integers(-max_shift, max_shift + 1, size=(n, 2))
    angles = rng.uniform(-rotate, rotate, size=n) if rotate > 0 else np.zeros(n)
    flips = rng.random(n) < 0.5 if flip else np.zeros(n, dtype=bool)
    return transform(X, shifts, angles, flips)
