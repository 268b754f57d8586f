"""Mean softmax cross-entropy over a batch, numerically stable.

    f(Z, y) = (1/N) Σ_n [ log Σ_k exp(Z_nk) − Z_n,y_n ]
            = (1/N) Σ_n [ m_n + log Σ_k exp(Z_nk − m_n) − Z_n,y_n ],   m_n = max_k Z_nk
    ∂f/∂Z = (softmax(Z) − onehot(y)) / N

The VJP is written with autograd.numpy, so the loss is twice differentiable.
"""

import autograd.numpy as anp
import numpy as np
from autograd.extend import defvjp, primitive
from autograd.tracer import getval

from ..device import array_module


@primitive
def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of integer labels under softmax(logits); a 0-d array of logits' dtype."""
    xp = array_module(logits)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_norm = xp.log(xp.exp(shifted).sum(axis=1))
    picked = shifted[xp.arange(len(labels)), labels]
    return xp.asarray((log_norm - picked).mean(), dtype=logits.dtype)


def softmax(logits):
    """Row-wise softmax in autograd.numpy (differentiable to any order).

    The row maximum subtracted for stability is taken as a constant: softmax(z − c) =
    softmax(z) for any c, so every derivative is the same, and the max's own VJP (which
    divides by an integer count and turns float32 cotangents into float64) stays out of
    Hessian-vector products.
    """
    shifted = logits - np.max(getval(logits), axis=1, keepdims=True)
    e = anp.exp(shifted)
    return e / anp.sum(e, axis=1, keepdims=True)


def _onehot(labels, num_classes, dtype):
    xp = array_module(labels)
    out = xp.zeros((len(labels), num_classes), dtype=dtype)
    out[xp.arange(len(labels)), labels] = 1
    return out


def _xent_vjp(ans, logits, labels):
    n, k = logits.shape
    onehot = _onehot(labels, k, ans.dtype)
    return lambda g: g * (softmax(logits) - onehot) / n


defvjp(softmax_cross_entropy, _xent_vjp)
