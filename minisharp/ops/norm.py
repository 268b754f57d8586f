"""Batch normalisation (optionally fused with the ReLU that follows it).

Per column c of x viewed as (M, C) — units of a dense layer, or channels of an NHWC
activation with M = N·H·W:

    x̂ = (x − μ) / σ,   σ = sqrt(v + eps),   z = γ x̂ + β,   y = max(z, 0)  (or y = z)

Two sources of (μ, v):
- batch statistics (modes "train" and "batchstat"): μ, v are the mean and biased variance of
  this very batch, so they depend on x. With g' = g·[z > 0] the input gradient is
      ∂/∂x = γ/σ · (g' − mean(g') − x̂ · mean(g'·x̂))
  (the two mean terms are the dependence of μ and v on x — the classic bug is to drop them);
- fixed statistics (mode "eval"): running averages, constants; then ∂/∂x = γ/σ · g'.
In both cases ∂/∂γ = Σ g'·x̂ and ∂/∂β = Σ g'.

eps = 1e-3 is the Keras default the paper's code used. The forward and all three VJPs run
in Numba kernels (``minisharp.kernels.norm``); the VJP is not itself differentiable by
autograd, so this op is first-order only.
"""

import numpy as np
from autograd.extend import defvjp_argnums, primitive

from ..kernels import norm as kernels

EPS = 1e-3


def _as_rows(a):
    return np.ascontiguousarray(a).reshape(-1, a.shape[-1])


@primitive
def _normalize(x, gamma, beta, mean, inv_std, batch_stats, relu):
    """y = [relu](γ (x − mean)·inv_std + β) with mean, inv_std given (see batch_norm)."""
    scale = (gamma * inv_std).astype(x.dtype)
    out = np.empty(x.shape, dtype=x.dtype)
    kernels.affine_relu(
        _as_rows(x), mean, scale, beta.astype(x.dtype), relu, out.reshape(-1, x.shape[-1])
    )
    return out


def _normalize_vjp(argnums, ans, args, kwargs):
    """All requested gradients from one pass of column sums and one pass over x."""
    x, gamma, beta, mean, inv_std, batch_stats, relu = args
    C = x.shape[-1]
    M = x.size // C

    def vjp(g):
        g_rows, x_rows, y_rows = _as_rows(g), _as_rows(x), _as_rows(ans)
        s1, s2 = kernels.masked_column_sums(g_rows, x_rows, y_rows, mean, inv_std, relu)
        grads = {1: s2.astype(gamma.dtype), 2: s1.astype(beta.dtype)}
        if 0 in argnums:
            a = (gamma * inv_std).astype(x.dtype)
            if batch_stats:
                b = (a * s1 / M).astype(x.dtype)
                c = (a * s2 / M).astype(x.dtype)
            else:
                b = c = np.zeros(C, dtype=x.dtype)
            out = np.empty(x.shape, dtype=x.dtype)
            kernels.bn_input_grad(
                g_rows, x_rows, y_rows, mean, inv_std, a, b, c, relu, out.reshape(-1, C)
            )
            grads[0] = out
        return tuple(grads[i] for i in argnums)

    return vjp


defvjp_argnums(_normalize, _normalize_vjp)


def batch_norm(x, gamma, beta, *, running=None, relu=False, eps=EPS):
    """Batch-normalise the last axis of x, optionally followed by ReLU.

    running=None uses the statistics of this batch (and returns them); running=(mean, var)
    uses those fixed statistics. Returns (y, (batch_mean, batch_var) or None).
    """
    x_value = getattr(x, "_value", x)
    if running is None:
        mean, var = kernels.column_moments(_as_rows(x_value))
        stats = (mean, var)
    else:
        mean, var = (np.asarray(s, dtype=np.float64) for s in running)
        stats = None
    inv_std = 1.0 / np.sqrt(var + eps)
    mean = mean.astype(x_value.dtype)
    inv_std = inv_std.astype(x_value.dtype)
    return _normalize(x, gamma, beta, mean, inv_std, running is None, relu), stats
