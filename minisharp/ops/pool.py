"""max_pool2d as autograd primitives, differentiable to any order (piecewise linear).

For x (N, H, W, C) the layer is y[n, i, j, c] = max over the size × size window at
(i·s − pad_top, j·s − pad_left) of x[n, ·, ·, c]; "same" pads with −inf (TensorFlow
semantics), "valid" does not pad.

Away from ties the max selects one input per output, so locally pooling *is* a linear
selection with fixed indices: y = gather(x, idx), where idx are the arg-max positions
(first maximum in row-major window order on ties). ``max_pool2d`` computes y and idx in one
Numba pass and returns ``window_gather(x, idx)`` with y supplied as the known result, so the
forward pass costs one kernel while autograd still sees a gather with constant indices:

    window_gather(x, idx):        VJP  g ↦ window_scatter(g, idx, x.shape)
    window_scatter(g, idx, shape): VJP  u ↦ window_gather(u, idx)

Both maps are linear in their array argument and adjoint to each other, so every
derivative order is exact; the second derivative of max pooling is 0 almost everywhere,
which is what these rules give (the indices are treated as constants).
"""

import numpy as np
from autograd.extend import defvjp, primitive
from autograd.tracer import getval

from minisharp.kernels import pool as pool_kernels

__all__ = ["max_pool2d", "window_gather", "window_scatter"]


def _float_array(a):
    a = np.asarray(a)
    dtype = a.dtype if a.dtype in (np.float32, np.float64) else np.float64
    return np.ascontiguousarray(a, dtype=dtype)


def max_pool2d(x, size=3, stride=2, padding="same"):
    """Max pooling over size × size windows with the given stride; (N, Ho, Wo, C).

    Ho = ceil(H / stride) for "same", floor((H − size) / stride) + 1 for "valid".
    The gradient routes g to the first arg-max of each window; twice (any order)
    differentiable as a gather with constant indices (module docs).
    """
    values, argmax = pool_kernels.max_pool_with_argmax(
        _float_array(getval(x)), int(size), int(stride), padding)
    return window_gather(x, argmax, values)


@primitive
def window_gather(x, argmax, known_result=None):
    """y[n, i, j, c] = x[n, h, w, c] with h·W + w = argmax[n, i, j, c].

    ``known_result``, when given, must equal that gather (``max_pool2d`` passes the values
    its forward kernel already computed); it is returned as is. Linear in x.
    """
    if known_result is not None:
        return known_result
    return pool_kernels.gather_windows(_float_array(x), argmax)


@primitive
def window_scatter(g, argmax, x_shape):
    """Adjoint of :func:`window_gather`: dx[n, k, c] = Σ g over the outputs whose
    argmax is k, reshaped to ``x_shape``. Linear in g."""
    return pool_kernels.scatter_windows(_float_array(g), np.ascontiguousarray(argmax),
                                        tuple(x_shape))


defvjp(window_gather,
       lambda ans, x, argmax, known_result=None:
       lambda g: window_scatter(g, argmax, np.shape(x)))
defvjp(window_scatter,
       lambda ans, g, argmax, x_shape: lambda u: window_gather(u, argmax))
