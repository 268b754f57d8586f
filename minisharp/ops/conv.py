"""conv2d as autograd primitives, differentiable to any order.

Layout is NHWC: x (N, H, W, C), W (kh, kw, C, F), b (F,), y (N, Ho, Wo, F), and

    y[n, i, j, f] = b[f] + Σ_{p, q, c} x_pad[n, i·s + p, j·s + q, c] · W[p, q, c, f]

(cross-correlation; "same" padding in the TensorFlow/Keras sense, "valid" without padding;
see :mod:`minisharp.kernels.geometry`).

The map (x, W) ↦ y − b is bilinear, so both parts of its VJP are again bilinear maps of the
same family. Writing conv(x, W) for the bias-free output and ⟨·,·⟩ for the sum of products:

    conv2d_grad_input(g, W)  = the x-gradient of ⟨g, conv(x, W)⟩  (a transposed conv),
    conv2d_grad_weight(x, g) = the W-gradient of ⟨g, conv(x, W)⟩  (a correlation of x with g),

and the b-gradient is Σ_{n,i,j} g. Each of the three is a primitive whose VJPs are
expressed with the other two, using the identity ⟨g, conv(x, W)⟩ = ⟨grad_input(g, W), x⟩
= ⟨grad_weight(x, g), W⟩:

    grad_input(g, W),  cotangent u (shaped like x):  ∂/∂g = conv(u, W),
                                                      ∂/∂W = grad_weight(u, g)
    grad_weight(x, g), cotangent V (shaped like W):  ∂/∂x = grad_input(g, V),
                                                      ∂/∂g = conv(x, V)

All three are therefore differentiable any number of times, which gives exact
Hessian-vector products through convolutions. The bias gradient uses ``anp.sum`` and is
differentiable too.

Dtypes: float32 stays float32 and float64 stays float64; W and b are cast to x's dtype;
other input dtypes are computed in float64. Inputs need not be contiguous (they are copied
if they are not).
"""

import autograd.numpy as anp
import numpy as np
from autograd.extend import defvjp, primitive

from minisharp.kernels import conv as conv_kernels

__all__ = ["conv2d", "conv2d_grad_input", "conv2d_grad_weight"]


def _float_array(a, dtype=None):
    """a as a C-contiguous float32/float64 array (``dtype`` if given)."""
    a = np.asarray(a)
    if dtype is None:
        dtype = a.dtype if a.dtype in (np.float32, np.float64) else np.float64
    return np.ascontiguousarray(a, dtype=dtype)


@primitive
def conv2d(x, W, b=None, stride=1, padding="same"):
    """NHWC 2-D cross-correlation plus bias; returns (N, Ho, Wo, F) in x's dtype.

    y[n, i, j, f] = b[f] + Σ_{p,q,c} x_pad[n, i·s+p, j·s+q, c] · W[p, q, c, f].
    ``b`` may be None (no bias). Differentiable in x, W and b to any order (module docs).
    """
    x = _float_array(x)
    W = _float_array(W, x.dtype)
    if b is not None:
        b = _float_array(b, x.dtype)
    return conv_kernels.conv2d_forward(x, W, b, int(stride), padding)


@primitive
def conv2d_grad_input(g, W, x_shape, stride=1, padding="same"):
    """Transposed convolution: the x-gradient of ⟨g, conv(x, W)⟩, of shape ``x_shape``.

    dx[n, h, w, c] = Σ g[n, i, j, f] · W[p, q, c, f] over i·s + p − pad_top = h,
    j·s + q − pad_left = w. Linear in g and in W; differentiable to any order.
    """
    g = _float_array(g)
    W = _float_array(W, g.dtype)
    return conv_kernels.conv2d_backward_input(g, W, tuple(x_shape), int(stride), padding)


@primitive
def conv2d_grad_weight(x, g, W_shape, stride=1, padding="same"):
    """The W-gradient of ⟨g, conv(x, W)⟩, of shape ``W_shape``.

    dW[p, q, c, f] = Σ_{n,i,j} x_pad[n, i·s+p, j·s+q, c] · g[n, i, j, f].
    Linear in x and in g; differentiable to any order.
    """
    x = _float_array(x)
    g = _float_array(g, x.dtype)
    return conv_kernels.conv2d_backward_weight(x, g, tuple(W_shape), int(stride), padding)


def _conv2d_vjp_x(ans, x, W, b=None, stride=1, padding="same"):
    return lambda g: conv2d_grad_input(g, W, anp.shape(x), stride, padding)


def _conv2d_vjp_W(ans, x, W, b=None, stride=1, padding="same"):
    return lambda g: conv2d_grad_weight(x, g, anp.shape(W), stride, padding)


def _conv2d_vjp_b(ans, x, W, b=None, stride=1, padding="same"):
    return lambda g: anp.sum(g, axis=(0, 1, 2))


defvjp(conv2d, _conv2d_vjp_x, _conv2d_vjp_W, _conv2d_vjp_b)


def _grad_input_vjp_g(ans, g, W, x_shape, stride=1, padding="same"):
    return lambda u: conv2d(u, W, None, stride, padding)


def _grad_input_vjp_W(ans, g, W, x_shape, stride=1, padding="same"):
    return lambda u: conv2d_grad_weight(u, g, anp.shape(W), stride, padding)


defvjp(conv2d_grad_input, _grad_input_vjp_g, _grad_input_vjp_W)


def _grad_weight_vjp_x(ans, x, g, W_shape, stride=1, padding="same"):
    return lambda V: conv2d_grad_input(g, V, anp.shape(x), stride, padding)


def _grad_weight_vjp_g(ans, x, g, W_shape, stride=1, padding="same"):
    return lambda V: conv2d(x, V, None, stride, padding)


defvjp(conv2d_grad_weight, _grad_weight_vjp_x, _grad_weight_vjp_g)
