"""2-D convolution on NHWC arrays: Numba im2col / col2im plus one BLAS GEMM per chunk.

Conventions (channels-last)
---------------------------
x: (N, H, W, C) activations, weights: (kh, kw, C, F), bias: (F,), y: (N, Ho, Wo, F).
The layer is a cross-correlation

    y[n, i, j, f] = b[f] + Σ_{p, q, c} x_pad[n, i·s + p, j·s + q, c] · w[p, q, c, f],

where x_pad is x with ``pad_top`` / ``pad_left`` zeros in front (and enough behind), as
:mod:`minisharp.kernels.geometry` decides.

im2col writes, for every output pixel (n, i, j), one row of length K = kh·kw·C that holds
the receptive field in (p, q, c) order -- the same order as ``w.reshape(K, F)``. Hence

    forward       y_rows  = cols @ w_mat                 (rows, K) @ (K, F)
    weight grad   dw_mat  = Σ_chunks cols_chunkᵀ @ g_rows     (K, rows) @ (rows, F)
    input grad    dx      = col2im(g_rows @ w_matᵀ)          col2im sums each row back

col2im is the adjoint of im2col: dx[n, h, w, c] = Σ over the (i, j, p, q) with
i·s + p − pad_top = h and j·s + q − pad_left = w of dcols[(n, i, j), (p, q, c)].
It is written as a *gather* per input row (n, h) rather than a scatter per sample, so the
parallel loop runs over N·H independent rows with no write conflicts, keeps both threads
busy even at batch 1, and needs no zeroing pass or ``np.add.at``.

Samples are processed in chunks so the im2col buffer never exceeds
``COLUMN_BUFFER_BYTES``; the buffer is a per-thread workspace reused between calls, which
avoids the page faults of a fresh multi-megabyte allocation on every call.

Every layer takes this path, the thin first layer (K = 25 for 5×5 on one channel) included:
there, im2col copies its tap rows of a few numbers element by element
(``ELEMENT_COPY_MAX_SPAN``), which Numba compiles into tight loops, and longer tap rows by
slice assignment (memcpy/memset). The timings behind these choices (an earlier direct-loop
path for thin layers, the buffer budget, the comparison with PyTorch) are in
``benchmarks/NOTES.md``, measured by ``benchmarks/conv_kernels.py``.
"""

import math
import threading

import numpy as np
from numba import njit, prange

from .geometry import window_geometry

#: im2col copies tap rows of at most this many numbers (kw·C) element by element.
ELEMENT_COPY_MAX_SPAN = 16
#: Upper bound on the im2col buffer (bytes); larger batches are processed in sample chunks.
COLUMN_BUFFER_BYTES = 16 * 2**20

_workspace = threading.local()


@njit(parallel=True, cache=True)
def im2col(x_rows, channels, kh, kw, stride, pad_top, pad_left, out_h, out_w, cols):
    """Fill cols[(n·out_h + i)·out_w + j, (p·kw + q)·C + c] = x_pad[n, i·s+p, j·s+q, c].

    ``x_rows`` is x viewed as (N, H, W·C), so each tap row p of a receptive field is one
    contiguous run of x. Positions in the padding are written as 0: ``cols`` needs no
    prior zeroing.
    """
    n_samples, height, row_len = x_rows.shape
    width = row_len // channels
    span = kw * channels
    for r in prange(n_samples * out_h):
        n = r // out_h
        i = r % out_h
        h0 = i * stride - pad_top
        for j in range(out_w):
            w0 = j * stride - pad_left
            lo = max(0, -w0) * channels
            hi = max(min(kw, width - w0) * channels, lo)
            src = w0 * channels
            out = cols[r * out_w + j]
            if span <= ELEMENT_COPY_MAX_SPAN:
                # a tap row of a few numbers: copying them one by one beats a memcpy call
                for p in range(kh):
                    h = h0 + p
                    base = p * span
                    inside = 0 <= h < height
                    for e in range(span):
                        out[base + e] = x_rows[n, h, src + e] if inside and lo <= e < hi else 0
                continue
            # long tap rows: slice copies compile to memcpy/memset
            for p in range(kh):
                h = h0 + p
                base = p * span
                if h < 0 or h >= height:
                    out[base:base + span] = 0
                    continue
                out[base:base + lo] = 0
                out[base + lo:base + hi] = x_rows[n, h, src + lo:src + hi]
                out[base + hi:base + span] = 0
    return cols


@njit(parallel=True, cache=True)
def col2im(cols, kh, kw, stride, pad_top, pad_left, out_h, out_w, dx):
    """Adjoint of :func:`im2col`: dx[n, h, w, c] = Σ cols[(n, i, j), (p, q, c)] over taps
    with i·s + p − pad_top = h and j·s + q − pad_left = w. Overwrites dx."""
    n_samples, height, width, channels = dx.shape
    for r in prange(n_samples * height):
        n = r // height
        h = r % height
        for w in range(width):
            for c in range(channels):
                dx[n, h, w, c] = 0
            for p in range(kh):
                t = h + pad_top - p
                if t < 0 or t % stride != 0:
                    continue
                i = t // stride
                if i >= out_h:
                    continue
                for q in range(kw):
                    u = w + pad_left - q
                    if u < 0 or u % stride != 0:
                        continue
                    j = u // stride
                    if j >= out_w:
                        continue
                    row = (n * out_h + i) * out_w + j
                    base = (p * kw + q) * channels
                    for c in range(channels):
                        dx[n, h, w, c] += cols[row, base + c]
    return dx


def _column_buffer(rows, width, dtype):
    """A (rows, width) view into a per-thread workspace of at least that many elements."""
    need = rows * width * np.dtype(dtype).itemsize
    store = getattr(_workspace, "buffer", None)
    if store is None or store.nbytes < need:
        store = np.empty(max(need, 1), dtype=np.uint8)
        _workspace.buffer = store
    return store[:need].view(dtype).reshape(rows, width)


class _Geometry:
    """Output size, padding and chunking for one (input shape, kernel, stride, padding)."""

    def __init__(self, x_shape, kernel_shape, stride, padding, itemsize):
        n, h, w, c = x_shape
        kh, kw, c_w, f = kernel_shape
        if c != c_w:
            raise ValueError(f"input has {c} channels, weights expect {c_w}")
        self.kh, self.kw, self.stride = kh, kw, int(stride)
        self.out_h, self.out_w, self.pad_top, self.pad_left = window_geometry(
            h, w, kh, kw, self.stride, padding)
        self.k = kh * kw * c
        self.n, self.f = n, f
        rows_per_sample = self.out_h * self.out_w
        per_sample = rows_per_sample * self.k * itemsize
        self.chunk = max(1, min(n, COLUMN_BUFFER_BYTES // max(per_sample, 1)))
        # balance the chunks so the last one is not tiny
        n_chunks = math.ceil(n / self.chunk) if n else 0
        self.chunk = math.ceil(n / n_chunks) if n_chunks else 1
        self.rows_per_sample = rows_per_sample

    def chunks(self):
        for start in range(0, self.n, self.chunk):
            yield start, min(self.n, start + self.chunk)

    @staticmethod
    def rows(x):
        """x (N, H, W, C) viewed as (N, H, W·C)."""
        return x.reshape(x.shape[0], x.shape[1], -1)

    def im2col(self, x_chunk):
        cols = _column_buffer(x_chunk.shape[0] * self.rows_per_sample, self.k, x_chunk.dtype)
        return im2col(self.rows(x_chunk), x_chunk.shape[3], self.kh, self.kw, self.stride,
                      self.pad_top, self.pad_left, self.out_h, self.out_w, cols)


def conv2d_forward(x, w, b=None, stride=1, padding="same"):
    """y = conv(x, w) + b on contiguous float arrays of one dtype; returns (N, Ho, Wo, F)."""
    geo = _Geometry(x.shape, w.shape, stride, padding, x.itemsize)
    w_mat = w.reshape(geo.k, geo.f)
    y = np.empty((geo.n, geo.out_h, geo.out_w, geo.f), dtype=x.dtype)
    for start, stop in geo.chunks():
        cols = geo.im2col(x[start:stop])
        y_rows = y[start:stop].reshape(-1, geo.f)
        np.matmul(cols, w_mat, out=y_rows)
        if b is not None:
            y_rows += b
    return y


def conv2d_backward_input(g, w, x_shape, stride=1, padding="same"):
    """dx = col2im(g_rows @ w_matᵀ): the adjoint of x ↦ conv(x, w), shape ``x_shape``."""
    geo = _Geometry(x_shape, w.shape, stride, padding, g.itemsize)
    if g.shape != (geo.n, geo.out_h, geo.out_w, geo.f):
        raise ValueError(f"cotangent shape {g.shape} does not match the conv output")
    w_mat_t = w.reshape(geo.k, geo.f).T
    dx = np.empty(x_shape, dtype=g.dtype)
    for start, stop in geo.chunks():
        g_rows = g[start:stop].reshape(-1, geo.f)
        dcols = _column_buffer(g_rows.shape[0], geo.k, g.dtype)
        np.matmul(g_rows, w_mat_t, out=dcols)
        col2im(dcols, geo.kh, geo.kw, geo.stride, geo.pad_top, geo.pad_left,
               geo.out_h, geo.out_w, dx[start:stop])
    return dx


def conv2d_backward_weight(x, g, w_shape, stride=1, padding="same"):
    """dw = Σ_chunks im2col(x_chunk)ᵀ @ g_chunk: the adjoint of w ↦ conv(x, w)."""
    geo = _Geometry(x.shape, w_shape, stride, padding, x.itemsize)
    if g.shape != (geo.n, geo.out_h, geo.out_w, geo.f):
        raise ValueError(f"cotangent shape {g.shape} does not match the conv output")
    dw = np.zeros((geo.k, geo.f), dtype=x.dtype)
    partial = np.empty_like(dw)
    for start, stop in geo.chunks():
        cols = geo.im2col(x[start:stop])
        np.matmul(cols.T, g[start:stop].reshape(-1, geo.f), out=partial)
        dw += partial
    return dw.reshape(w_shape)
