"""Numba max-pool kernels against plain NumPy references, float64, hypothesis shapes."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view
from strategies import pool_geometry

from minisharp.kernels import pool as P
from minisharp.kernels.geometry import window_geometry

SETTINGS = settings(max_examples=30, deadline=None)


@st.composite
def pool_cases(draw):
    """(x_shape, size, stride, padding, ties): odd sizes, batch 1, non-square."""
    return (*draw(pool_geometry()), draw(st.booleans()))


def _input(shape, ties):
    rng = np.random.default_rng(abs(hash((shape, ties))) % 2**32)
    if ties:  # few distinct values: many windows with several maxima
        return rng.integers(0, 3, size=shape).astype(np.float64)
    return rng.standard_normal(shape)


def reference_pool(x, size, stride, padding):
    """(y, argmax) by sliding windows over a −inf padded copy; np.argmax takes the first
    maximum in row-major (p, q) order."""
    n, h, w, c = x.shape
    out_h, out_w, top, left = window_geometry(h, w, size, size, stride, padding)
    big_h = max(h + top, (out_h - 1) * stride + size)
    big_w = max(w + left, (out_w - 1) * stride + size)
    x_pad = np.full((n, big_h, big_w, c), -np.inf)
    x_pad[:, top:top + h, left:left + w] = x
    win = sliding_window_view(x_pad, (size, size), axis=(1, 2))[:, ::stride, ::stride]
    win = win[:, :out_h, :out_w].reshape(n, out_h, out_w, c, size * size)
    k = win.argmax(axis=-1)
    p, q = np.divmod(k, size)
    rows = np.arange(out_h)[None, :, None, None] * stride - top + p
    cols = np.arange(out_w)[None, None, :, None] * stride - left + q
    return win.max(axis=-1), rows * w + cols


@SETTINGS
@given(pool_cases())
@example(((1, 7, 5, 2), 3, 2, "same", True))
@example(((2, 28, 28, 1), 3, 2, "same", False))
def test_forward_values_and_first_argmax(case):
    x_shape, size, stride, padding, ties = case
    x = _input(x_shape, ties)
    y, argmax = P.max_pool_with_argmax(x, size, stride, padding)
    y_ref, argmax_ref = reference_pool(x, size, stride, padding)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(argmax, argmax_ref)
    assert argmax.dtype == np.int32


@SETTINGS
@given(pool_cases())
def test_gather_reproduces_forward_and_scatter_matches_add_at(case):
    x_shape, size, stride, padding, ties = case
    x = _input(x_shape, ties)
    y, argmax = P.max_pool_with_argmax(x, size, stride, padding)
    np.testing.assert_array_equal(P.gather_windows(x, argmax), y)

    n, h, w, c = x_shape
    g = np.random.default_rng(1).standard_normal(y.shape)
    expected = np.zeros((n, h * w, c))
    idx_n = np.arange(n)[:, None, None, None]
    idx_c = np.arange(c)[None, None, None, :]
    np.add.at(expected, (np.broadcast_to(idx_n, g.shape), argmax,
                         np.broadcast_to(idx_c, g.shape)), g)
    dx = P.scatter_windows(g, argmax, x_shape)
    np.testing.assert_allclose(dx, expected.reshape(x_shape), rtol=1e-14, atol=1e-14)
    # adjointness: <scatter(g), u> = <g, gather(u)>
    u = np.random.default_rng(2).standard_normal(x_shape)
    assert np.vdot(dx, u) == pytest.approx(np.vdot(g, P.gather_windows(u, argmax)), rel=1e-12)


def test_same_padding_never_selects_padding():
    x = -np.ones((1, 4, 4, 1)) * 1e300
    y, argmax = P.max_pool_with_argmax(x, 3, 2, "same")
    assert np.all(np.isfinite(y))
    assert np.all((argmax >= 0) & (argmax < 16))
