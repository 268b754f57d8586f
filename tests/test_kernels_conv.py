"""Numba conv kernels against plain NumPy references, float64, hypothesis-drawn shapes."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

from minisharp.kernels import conv as K
from minisharp.kernels.geometry import window_geometry

SETTINGS = settings(max_examples=30, deadline=None)


@st.composite
def conv_cases(draw):
    """(x_shape, w_shape, stride, padding): odd sizes, batch 1, non-square, valid/same; up to
    8 channels, so that tap rows kw·C both short (copied by element) and long (memcpy) occur."""
    padding = draw(st.sampled_from(["same", "valid"]))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    stride = draw(st.integers(1, 3))
    lo_h, lo_w = (kh, kw) if padding == "valid" else (1, 1)
    h, w = draw(st.integers(lo_h, 9)), draw(st.integers(lo_w, 9))
    n, c, f = draw(st.integers(1, 3)), draw(st.integers(1, 8)), draw(st.integers(1, 4))
    return (n, h, w, c), (kh, kw, c, f), stride, padding


def _rng(*shapes):
    rng = np.random.default_rng(abs(hash(shapes)) % 2**32)
    return [rng.standard_normal(s) for s in shapes]


def reference_padded(x, kh, kw, stride, padding):
    """x zero-padded as the kernels pad it, plus (Ho, Wo)."""
    n, h, w, c = x.shape
    out_h, out_w, top, left = window_geometry(h, w, kh, kw, stride, padding)
    big_h = max(h + top, (out_h - 1) * stride + kh)
    big_w = max(w + left, (out_w - 1) * stride + kw)
    x_pad = np.zeros((n, big_h, big_w, c))
    x_pad[:, top:top + h, left:left + w] = x
    return x_pad, out_h, out_w, top, left


def reference_windows(x, kh, kw, stride, padding):
    """windows[n, i, j, p, q, c] = x_pad[n, i·s + p, j·s + q, c]."""
    x_pad, out_h, out_w, _, _ = reference_padded(x, kh, kw, stride, padding)
    win = sliding_window_view(x_pad, (kh, kw), axis=(1, 2))  # n, I, J, c, p, q
    win = win[:, ::stride, ::stride][:, :out_h, :out_w]
    return win.transpose(0, 1, 2, 4, 5, 3)


def reference_conv(x, w, b, stride, padding):
    win = reference_windows(x, w.shape[0], w.shape[1], stride, padding)
    return np.einsum("nijpqc,pqcf->nijf", win, w) + (0.0 if b is None else b)


def reference_grad_input(g, w, x_shape, stride, padding):
    """Scatter loop: dx_pad[n, i·s+p, j·s+q, c] += Σ_f g[n,i,j,f] w[p,q,c,f]."""
    kh, kw = w.shape[:2]
    x_pad, out_h, out_w, top, left = reference_padded(np.zeros(x_shape), kh, kw, stride,
                                                      padding)
    for i in range(out_h):
        for j in range(out_w):
            x_pad[:, i * stride:i * stride + kh, j * stride:j * stride + kw] += np.einsum(
                "nf,pqcf->npqc", g[:, i, j], w)
    return x_pad[:, top:top + x_shape[1], left:left + x_shape[2]]


@SETTINGS
@given(conv_cases())
@example(((1, 7, 5, 2), (5, 3, 2, 3), 2, "same"))    # kw·C = 6: copied by element
@example(((2, 7, 6, 6), (3, 4, 6, 2), 1, "same"))    # kw·C = 24: by memcpy
def test_im2col_matches_sliding_windows(case):
    x_shape, w_shape, stride, padding = case
    (x,) = _rng(x_shape)
    kh, kw = w_shape[:2]
    geo = K._Geometry(x_shape, w_shape, stride, padding, x.itemsize)
    cols = geo.im2col(x).copy()
    expected = reference_windows(x, kh, kw, stride, padding).reshape(cols.shape)
    np.testing.assert_array_equal(cols, expected)


@SETTINGS
@given(conv_cases())
@example(((2, 6, 9, 3), (4, 2, 3, 1), 3, "same"))
def test_col2im_is_the_adjoint_of_im2col(case):
    x_shape, w_shape, stride, padding = case
    geo = K._Geometry(x_shape, w_shape, stride, padding, 8)
    x, dcols = _rng(x_shape, (x_shape[0] * geo.rows_per_sample, geo.k))
    dx = np.empty(x_shape)
    K.col2im(dcols, geo.kh, geo.kw, geo.stride, geo.pad_top, geo.pad_left, geo.out_h,
             geo.out_w, dx)
    cols = geo.im2col(x)
    assert np.vdot(dx, x) == pytest.approx(np.vdot(dcols, cols), rel=1e-12, abs=1e-12)


@SETTINGS
@given(conv_cases(), st.booleans())
@example(((1, 9, 7, 3), (5, 5, 3, 2), 1, "same"), True)
@example(((2, 9, 7, 8), (5, 5, 8, 3), 1, "same"), False)
def test_conv_forward_matches_einsum(case, with_bias):
    x_shape, w_shape, stride, padding = case
    x, w, b = _rng(x_shape, w_shape, (w_shape[3],))
    b = b if with_bias else None
    y = K.conv2d_forward(x, w, b, stride, padding)
    np.testing.assert_allclose(y, reference_conv(x, w, b, stride, padding),
                               rtol=1e-12, atol=1e-12)


@SETTINGS
@given(conv_cases())
def test_conv_backward_input_matches_scatter_loop(case):
    x_shape, w_shape, stride, padding = case
    (w,) = _rng(w_shape)
    y_shape = reference_conv(np.zeros(x_shape), w, None, stride, padding).shape
    (g,) = _rng(y_shape)
    dx = K.conv2d_backward_input(g, w, x_shape, stride, padding)
    np.testing.assert_allclose(dx, reference_grad_input(g, w, x_shape, stride, padding),
                               rtol=1e-12, atol=1e-12)


@SETTINGS
@given(conv_cases())
def test_conv_backward_weight_matches_einsum(case):
    x_shape, w_shape, stride, padding = case
    (x,) = _rng(x_shape)
    win = reference_windows(x, w_shape[0], w_shape[1], stride, padding)
    (g,) = _rng(win.shape[:3] + (w_shape[3],))
    dw = K.conv2d_backward_weight(x, g, w_shape, stride, padding)
    np.testing.assert_allclose(dw, np.einsum("nijpqc,nijf->pqcf", win, g),
                               rtol=1e-12, atol=1e-12)


def test_chunked_paths_match_single_chunk(monkeypatch):
    """A tiny column budget forces one sample per chunk; results must not change."""
    x, w, b = _rng((5, 8, 7, 3), (3, 5, 3, 4), (4,))
    y_ref = reference_conv(x, w, b, 2, "same")
    g, = _rng(y_ref.shape)
    monkeypatch.setattr(K, "COLUMN_BUFFER_BYTES", 1)
    np.testing.assert_allclose(K.conv2d_forward(x, w, b, 2, "same"), y_ref, rtol=1e-12)
    np.testing.assert_allclose(K.conv2d_backward_input(g, w, x.shape, 2, "same"),
                               reference_grad_input(g, w, x.shape, 2, "same"), rtol=1e-12)
    win = reference_windows(x, 3, 5, 2, "same")
    np.testing.assert_allclose(K.conv2d_backward_weight(x, g, w.shape, 2, "same"),
                               np.einsum("nijpqc,nijf->pqcf", win, g), rtol=1e-12)


def test_mismatched_shapes_are_rejected():
    x, w = _rng((1, 5, 5, 2), (3, 3, 3, 1))
    with pytest.raises(ValueError):
        K.conv2d_forward(x, w)
    with pytest.raises(ValueError):
        K.conv2d_backward_weight(x, np.zeros((1, 4, 5, 1)), (3, 3, 2, 1))
