"""Numba kernels for batch normalisation fused with ReLU, on (M, C) row-major arrays.

A dense layer's activations are (batch, units); a conv layer's NHWC activations are viewed
as (batch·height·width, channels). Either way the statistics are per column.

Every kernel makes one parallel pass over the rows; per-column sums are accumulated in
float64 per block of rows and combined at the end, so float32 inputs lose no accuracy in the
statistics and results do not depend on the thread count (the blocks depend only on the
number of rows, not on the threads).
"""

import numpy as np
from numba import njit, prange

ROW_BLOCKS = 64  # at most this many row blocks per reduction: enough parallelism
MIN_BLOCK_ROWS = 32  # small arrays get fewer blocks: thread start-up costs more than the rows


@njit(parallel=True, cache=True)
def column_moments(x):
    """Per-column mean and (biased) variance of x, shifted by the first row for stability.

    var = E[(x − K)²] − (E[x − K])² with K = x[0]; accumulated in float64.
    """
    M, C = x.shape
    nblocks = max(1, min(ROW_BLOCKS, M // MIN_BLOCK_ROWS))
    rows = (M + nblocks - 1) // nblocks
    shift = x[0].astype(np.float64)
    s1 = np.zeros((nblocks, C))
    s2 = np.zeros((nblocks, C))
    for b in prange(nblocks):
        for i in range(b * rows, min(M, (b + 1) * rows)):
            for c in range(C):
                d = x[i, c] - shift[c]
                s1[b, c] += d
                s2[b, c] += d * d
    m1 = s1.sum(axis=0) / M
    var = s2.sum(axis=0) / M - m1 * m1
    return shift + m1, np.maximum(var, 0.0)


@njit(parallel=True, cache=True)
def affine_relu(x, mean, scale, offset, relu, out):
    """out[i, c] = max((x[i, c] − mean[c])·scale[c] + offset[c], 0) (no max if relu is False).

    Centring before scaling keeps the result accurate when |x| ≫ |out|.
    """
    M, C = x.shape
    for i in prange(M):
        for c in range(C):
            v = (x[i, c] - mean[c]) * scale[c] + offset[c]
            if relu and v < 0:
                v = 0
            out[i, c] = v


@njit(parallel=True, cache=True)
def masked_column_sums(g, x, y, mean, inv_std, relu):
    """Σ_i g'[i, c] and Σ_i g'[i, c]·x̂[i, c], with g' = g·[y > 0] (or g) and x̂ = (x − μ)/σ."""
    M, C = x.shape
    nblocks = max(1, min(ROW_BLOCKS, M // MIN_BLOCK_ROWS))
    rows = (M + nblocks - 1) // nblocks
    s1 = np.zeros((nblocks, C))
    s2 = np.zeros((nblocks, C))
    for b in prange(nblocks):
        for i in range(b * rows, min(M, (b + 1) * rows)):
            for c in range(C):
                gi = g[i, c]
                if relu and y[i, c] <= 0:
                    gi = 0
                s1[b, c] += gi
                s2[b, c] += gi * ((x[i, c] - mean[c]) * inv_std[c])
    return s1.sum(axis=0), s2.sum(axis=0)


@njit(parallel=True, cache=True)
def bn_input_grad(g, x, y, mean, inv_std, a, b, c_, relu, out):
    """out = a·g' − b − c_·x̂ per column (the batch-norm input gradient, see ops.norm)."""
    M, C = x.shape
    for i in prange(M):
        for c in range(C):
            gi = g[i, c]
            if relu and y[i, c] <= 0:
                gi = 0
            out[i, c] = a[c] * gi - b[c] - c_[c] * ((x[i, c] - mean[c]) * inv_std[c])
