"""ReLU and dropout.

ReLU: y = max(x, 0), ∂/∂x = g·[y > 0]. On plain NumPy arrays (every training step) the VJP
is a Numba kernel (on CuPy arrays its CUDA twin); when its cotangent is an autograd box (the VJP
is being differentiated, as in a Hessian-vector product) it is the product g·[y > 0] in array
operations with the mask a constant, so ReLU is differentiable to any order (its second
derivative is 0 almost everywhere).
Dropout (inverted): y = x·m, m_i = [u_i < keep]/keep with u_i ~ U[0, 1) drawn from the
caller's seeded Generator; ∂/∂x = g·m. Written with autograd's own multiply, so it is
twice differentiable. Dropout only acts in mode "train"; the network skips it otherwise.
"""

import autograd.numpy as anp
import numpy as np
from autograd.extend import defvjp, primitive
from autograd.tracer import getval, isbox

from ..device import array_module, on_gpu, to_device
from ..kernels import cuda as cuda_kernels
from ..kernels.activation import relu_grad


@primitive
def relu(x):
    """y = max(x, 0)."""
    return np.maximum(x, 0)


def _relu_vjp(ans, x):
    def vjp(g):
        if isbox(g) or isbox(ans):
            return g * (getval(ans) > 0)
        if on_gpu(g):
            cuda = cuda_kernels.for_array(g)
            if cuda is None:
                return g * (ans > 0)
            out = array_module(g).empty_like(g)
            cuda.relu_grad(g, ans, out)
            return out
        out = np.empty_like(g)
        relu_grad(np.ascontiguousarray(g).ravel(), ans.ravel(), out.ravel())
        return out

    return vjp


defvjp(relu, _relu_vjp)


def dropout_mask(shape, rate, rng, dtype, device="cpu"):
    """The inverted-dropout mask: 1/keep with probability keep = 1 − rate, else 0.

    Drawn on the host from ``rng`` (so a run's masks are the same on every device), then
    moved to ``device``.
    """
    keep = 1.0 - rate
    mask = (rng.random(shape, dtype=np.float32) < keep).astype(dtype) * dtype.type(1.0 / keep)
    return to_device(mask, device)


def dropout(x, mask):
    """y = x·mask."""
    return anp.multiply(x, mask)
