"""Batch normalisation (optionally fused with the ReLU after it), differentiable to any order.

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

eps = 1e-3 is the Keras default the paper's code used.

One primitive, two ways to run its VJP. The forward runs in a fused kernel — Numba's
(``minisharp.kernels.norm``), or its CUDA twin (``minisharp.kernels.cuda``) on CuPy arrays —
with μ and σ computed outside the trace and passed in as constants; the VJP accounts for
their dependence on x. When the VJP is called on plain arrays (a first-order gradient: every
training step) it runs in two fused passes of the same kernels (:class:`ArrayKernels` holds
them in plain array operations, for other array modules). When any of its inputs is an
autograd box — the VJP is itself being differentiated, as in a Hessian-vector product by
reverse-over-reverse — the same formulas run in ``autograd.numpy``, with μ and σ recomputed
from x inside the trace, so autograd differentiates them exactly, batch statistics included,
to any order. The ReLU mask [y > 0] is a constant in both (its derivative is zero almost
everywhere). This keeps training on the fast kernels while second-order products see a
differentiable VJP.
"""

import autograd.numpy as anp
import numpy as np
from autograd.extend import defvjp_argnums, primitive
from autograd.tracer import getval, isbox

from ..device import array_module
from ..kernels import cuda as cuda_kernels
from ..kernels import norm as kernels

EPS = 1e-3


def _as_rows(a):
    return array_module(a).ascontiguousarray(a).reshape(-1, a.shape[-1])


class ArrayKernels:
    """The kernels of ``minisharp.kernels.norm`` in plain array operations, for array modules
    with neither Numba nor CUDA kernels (same arguments, same maths; the tests run them with
    NumPy against the Numba kernels)."""

    @staticmethod
    def column_moments(x):
        xp = array_module(x)
        return x.mean(axis=0, dtype=xp.float64), x.var(axis=0, dtype=xp.float64)

    @staticmethod
    def affine_relu(x, mean, scale, offset, relu, out):
        out[...] = (x - mean) * scale + offset
        if relu:
            array_module(x).maximum(out, 0, out=out)

    @staticmethod
    def masked_column_sums(g, x, y, mean, inv_std, relu):
        xp = array_module(x)
        if relu:
            g = g * (y > 0)
        return (g.sum(axis=0, dtype=xp.float64),
                (g * ((x - mean) * inv_std)).sum(axis=0, dtype=xp.float64))

    @staticmethod
    def bn_input_grad(g, x, y, mean, inv_std, a, b, c, relu, out):
        if relu:
            g = g * (y > 0)
        out[...] = a * g - b - c * ((x - mean) * inv_std)


def _kernels_for(a):
    """The fused kernels for ``a``: Numba's for NumPy, their CUDA twins for CuPy, else
    :class:`ArrayKernels`."""
    if array_module(a) is np:
        return kernels
    return cuda_kernels.for_array(a) or ArrayKernels


def column_moments(x_rows):
    """Per-column mean and biased variance of an (M, C) array, in float64 (Numba: one pass
    shifted by the first row; other arrays: the array module's own mean and variance)."""
    fused = _kernels_for(x_rows)
    return getattr(fused, "column_moments", ArrayKernels.column_moments)(x_rows)


@primitive
def _normalize(x, gamma, beta, mean, inv_std, batch_stats, relu, eps=EPS):
    """y = [relu](γ (x − mean)·inv_std + β) with mean, inv_std given (see batch_norm).

    ``batch_stats`` says whether mean and inv_std are this batch's statistics (then the VJP
    includes their dependence on x); ``eps`` is the one used to compute inv_std.
    """
    scale = (gamma * inv_std).astype(x.dtype)
    out = array_module(x).empty(x.shape, dtype=x.dtype)
    _kernels_for(x).affine_relu(_as_rows(x), mean, scale, beta.astype(x.dtype), relu,
                                out.reshape(-1, x.shape[-1]))
    return out


def _kernel_vjp(argnums, g, x, gamma, beta, ans, mean, inv_std, batch_stats, relu,
                fused=kernels):
    """All requested gradients from one pass of column sums and one pass over x (``fused``:
    the Numba kernels, or their CUDA twins for CuPy arrays)."""
    xp = array_module(x)
    C = x.shape[-1]
    M = x.size // C
    g_rows, x_rows, y_rows = _as_rows(g), _as_rows(x), _as_rows(ans)
    s1, s2 = fused.masked_column_sums(g_rows, x_rows, y_rows, mean, inv_std, relu)
    grads = {1: s2.astype(gamma.dtype), 2: s1.astype(beta.dtype)}
    if 0 in argnums:
        if hasattr(fused, "bn_coefficients"):   # the GPU: one launch instead of eight
            a, b, c = fused.bn_coefficients(gamma, inv_std, s1, s2, 1.0 / M if batch_stats
                                            else 0.0)
        else:
            a = (gamma * inv_std).astype(x.dtype)
            if batch_stats:
                b = (a * s1 / M).astype(x.dtype)
                c = (a * s2 / M).astype(x.dtype)
            else:
                b = c = xp.zeros(C, dtype=x.dtype)
        out = xp.empty(x.shape, dtype=x.dtype)
        fused.bn_input_grad(
            g_rows, x_rows, y_rows, mean, inv_std, a, b, c, relu, out.reshape(-1, C)
        )
        grads[0] = out
    return tuple(grads[i] for i in argnums)


def _traced_vjp(argnums, g, x, gamma, ans, mean, inv_std, batch_stats, relu, eps):
    """The same gradients in autograd.numpy, differentiable in g, x and γ (module docs)."""
    C = x.shape[-1]
    x_rows = anp.reshape(x, (-1, C))
    g_rows = anp.reshape(g, (-1, C))
    if relu:
        g_rows = g_rows * (_as_rows(getval(ans)) > 0)
    per_row = 1.0 / x_rows.shape[0]  # a Python float: anp.mean's VJP would divide float32
    if batch_stats:                   # cotangents by a NumPy integer, making them float64
        centred = x_rows - anp.sum(x_rows, axis=0) * per_row
        inv_std = 1.0 / anp.sqrt(anp.sum(centred * centred, axis=0) * per_row + eps)
    else:
        centred = x_rows - mean
    x_hat = centred * inv_std
    grads = {1: anp.sum(g_rows * x_hat, axis=0), 2: anp.sum(g_rows, axis=0)}
    if 0 in argnums:
        dx = g_rows
        if batch_stats:
            dx = dx - (grads[2] + x_hat * grads[1]) * per_row
        grads[0] = anp.reshape(gamma * inv_std * dx, anp.shape(x))
    return tuple(grads[i] for i in argnums)


def _normalize_vjp(argnums, ans, args, kwargs):
    x, gamma, beta, mean, inv_std, batch_stats, relu, *rest = args
    eps = kwargs.get("eps", rest[0] if rest else EPS)

    def vjp(g):
        if isbox(g) or isbox(x) or isbox(gamma) or isbox(ans):
            return _traced_vjp(argnums, g, x, gamma, ans, mean, inv_std, batch_stats, relu, eps)
        return _kernel_vjp(argnums, g, x, gamma, beta, ans, mean, inv_std, batch_stats, relu,
                           _kernels_for(x))

    return vjp


defvjp_argnums(_normalize, _normalize_vjp)


def batch_norm(x, gamma, beta, *, running=None, relu=False, eps=EPS):
    """Batch-normalise the last axis of x, optionally followed by ReLU.

    running=None uses the statistics of this batch (and returns them); running=(mean, var)
    uses those fixed statistics. Returns (y, (batch_mean, batch_var) or None).
    Differentiable to any order in x, γ and β (module docs).
    """
    x_value = getval(x)
    xp = array_module(x_value)
    if running is None:
        mean, var = column_moments(_as_rows(x_value))
        stats = (mean, var)
    else:
        mean, var = (xp.asarray(s, dtype=np.float64) for s in running)
        stats = None
    inv_std = 1.0 / xp.sqrt(var + eps)
    mean = mean.astype(x_value.dtype)
    inv_std = inv_std.astype(x_value.dtype)
    return _normalize(x, gamma, beta, mean, inv_std, running is None, relu, eps), stats
