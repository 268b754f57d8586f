"""Numba kernel for the ReLU derivative: ∂max(x, 0)/∂x applied to an upstream gradient.

With y = max(x, 0), the VJP is g·[y > 0] (0 at the kink x = 0, as every framework takes
it). Reading y rather than x lets the VJP use the forward output it already holds; one
parallel pass writes into a given buffer, with no temporary boolean mask.
"""

from numba import njit, prange


@njit(parallel=True, cache=True)
def relu_grad(g, y, out):
    """out = g·[y > 0], elementwise on 1-D arrays."""
    for i in prange(g.shape[0]):
        out[i] = g[i] if y[i] > 0 else 0
