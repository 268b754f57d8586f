"""2-D max pooling on NHWC arrays: forward with arg-max indices, gather and scatter.

For x of shape (N, H, W, C), a window ``size`` × ``size`` and a stride s,

    y[n, i, j, c] = max_{0 ≤ p, q < size} x_pad[n, i·s + p, j·s + q, c],

where "same" padding (TensorFlow semantics, the output size and offsets of
:mod:`minisharp.kernels.geometry`) pads with −inf, so padding never
wins, and "valid" does not pad. Every "same" window holds at least one real element.

The forward kernel also records, for each output element, the flat spatial index
h·W + w of the element that won (the first maximum in row-major window order, so ties go to
the smaller p, then the smaller q). With those indices fixed, pooling is the linear map

    gather:   y[n, i, j, c]  = x[n, idx[n, i, j, c], c]            (x viewed as (N, H·W, C))
    scatter:  dx[n, k, c]    = Σ_{(i, j): idx[n, i, j, c] = k} g[n, i, j, c]

and scatter is the adjoint (transpose) of gather. Windows overlap when size > stride, so
several outputs may route to one input: the scatter runs one sample per parallel iteration
(one sample owns its dx slice, so there are no write conflicts).
"""

import numpy as np
from numba import njit, prange

from .geometry import window_geometry


@njit(parallel=True, cache=True)
def max_pool_forward(x, size, stride, pad_top, pad_left, out_h, out_w, y, argmax):
    """Fill y with window maxima and argmax with the flat index h·W + w of each maximum."""
    n_samples, height, width, channels = x.shape
    for r in prange(n_samples * out_h):
        n = r // out_h
        i = r % out_h
        h_lo = max(i * stride - pad_top, 0)
        h_hi = min(i * stride - pad_top + size, height)
        for j in range(out_w):
            w_lo = max(j * stride - pad_left, 0)
            w_hi = min(j * stride - pad_left + size, width)
            for c in range(channels):
                y[n, i, j, c] = x[n, h_lo, w_lo, c]
                argmax[n, i, j, c] = h_lo * width + w_lo
            for h in range(h_lo, h_hi):
                for w in range(w_lo, w_hi):
                    for c in range(channels):
                        v = x[n, h, w, c]
                        if v > y[n, i, j, c]:
                            y[n, i, j, c] = v
                            argmax[n, i, j, c] = h * width + w
    return y, argmax


@njit(parallel=True, cache=True)
def gather_at(x_flat, argmax, out):
    """out[n, i, j, c] = x_flat[n, argmax[n, i, j, c], c] with x_flat of shape (N, H·W, C)."""
    n_samples, out_h, out_w, channels = argmax.shape
    for r in prange(n_samples * out_h):
        n = r // out_h
        i = r % out_h
        for j in range(out_w):
            for c in range(channels):
                out[n, i, j, c] = x_flat[n, argmax[n, i, j, c], c]
    return out


@njit(parallel=True, cache=True)
def scatter_add_at(g, argmax, dx_flat):
    """dx_flat[n, k, c] = Σ g[n, i, j, c] over argmax[n, i, j, c] = k; overwrites dx_flat."""
    n_samples, out_h, out_w, channels = argmax.shape
    for n in prange(n_samples):
        dx_flat[n] = 0
        for i in range(out_h):
            for j in range(out_w):
                for c in range(channels):
                    dx_flat[n, argmax[n, i, j, c], c] += g[n, i, j, c]
    return dx_flat


def max_pool_with_argmax(x, size=3, stride=2, padding="same"):
    """Return (y, argmax) for a contiguous float array x of shape (N, H, W, C)."""
    out_h, out_w, pad_top, pad_left = window_geometry(x.shape[1], x.shape[2], size, size, stride,
                                                      padding)
    shape = (x.shape[0], out_h, out_w, x.shape[3])
    y = np.empty(shape, dtype=x.dtype)
    argmax = np.empty(shape, dtype=np.int32)
    max_pool_forward(x, int(size), int(stride), pad_top, pad_left, out_h, out_w, y, argmax)
    return y, argmax


def gather_windows(x, argmax):
    """y = x at the recorded arg-max positions; x (N, H, W, C) → y of argmax's shape."""
    n, h, w, c = x.shape
    out = np.empty(argmax.shape, dtype=x.dtype)
    return gather_at(x.reshape(n, h * w, c), argmax, out)


def scatter_windows(g, argmax, x_shape):
    """Adjoint of :func:`gather_windows`: route each g element back to its arg-max position."""
    n, h, w, c = x_shape
    dx = np.empty((n, h * w, c), dtype=g.dtype)
    scatter_add_at(g, argmax, dx)
    return dx.reshape(x_shape)
