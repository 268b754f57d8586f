"""Exact Hessian-vector products of the training objective, H(θ) v, by reverse-over-reverse.

The objective is the one :func:`minisharp.objective.loss_and_grad` differentiates: with the
N samples taken in fixed consecutive chunks c of ``chunk`` samples (mode "batchstat": each
chunk normalised with its own batch statistics; mode "eval": running statistics),

    f(θ) = Σ_c (n_c / N) · f_c(θ),     f_c = mean cross-entropy over chunk c,

so H v = Σ_c (n_c / N) · ∇²f_c(θ) v — chunks are *averaged*, weighted by their size, never
summed (a sum would multiply every eigenvalue by the number of chunks). Dropout is off in both
modes; mode "train" is refused, as for every measurement.

Each chunk's product is ∇_θ ⟨∇_θ f_c(θ), v⟩: a reverse pass (the gradient, as a function of θ)
differentiated by a second reverse pass — no finite difference. Every op on the path has a
VJP that autograd can differentiate again (dense, conv, pooling, batch norm with batch
statistics, ReLU, loss: see each op's docstring), so the product is exact to rounding. It
costs a few gradients (``benchmarks/hvp.py`` measures the ratio); memory is that of one chunk's
two traces, whatever N is.

``hessian_vector_product(f)`` is the same for any scalar function f that autograd can
differentiate, for tests and small problems with known Hessians.
"""

import time

import autograd.numpy as anp
import numpy as np
from autograd import grad

from .autodiff import gradients
from .nn import Context
from .objective import EVAL_CHUNK, _check_labels, _chunks
from .ops import softmax_cross_entropy

MODES = ("batchstat", "eval")


class NetworkHessian:
    """The linear map v ↦ H(θ) v of the training objective of ``net`` on (X, y) at θ.

    ``n`` is the dimension; calling it with a vector of n entries returns H v in float64
    (computed in θ's dtype, accumulated over chunks in float64). ``products`` counts the calls
    and ``seconds`` their time — the cost a spectrum estimate reports.
    """

    def __init__(self, net, theta, X, y, *, mode="batchstat", chunk=EVAL_CHUNK, state=None):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES} (dropout off, no statistics "
                             f"updated), got {mode!r}")
        if mode == "eval" and state is None:
            raise ValueError("mode 'eval' needs the batch-norm running statistics (state=)")
        theta = np.asarray(theta)
        if theta.ndim != 1 or not np.issubdtype(theta.dtype, np.floating):
            raise ValueError(f"theta must be a 1-D float vector, got {theta.dtype} "
                             f"of shape {theta.shape}")
        self.net, self.theta = net, theta
        self.y = _check_labels(net, X, y)
        self.X = X
        self.context = Context(mode, None, state)
        self.parts = _chunks(len(self.y), mode, chunk)
        self.n = int(net.num_params)
        self.products = 0
        self.seconds = 0.0

    def __call__(self, v):
        start = time.perf_counter()
        v = np.asarray(v)
        if v.shape != (self.n,):
            raise ValueError(f"v must have shape ({self.n},), got {v.shape}")
        v_views = self.net.views(v.astype(self.theta.dtype, copy=False))
        views = self.net.views(self.theta)
        total = np.zeros(self.n)
        out_views = self.net.views(total)
        for part in self.parts:
            x = self.net.prepare_input(self.X[part], self.theta.dtype)
            labels = self.y[part]

            def loss(params, x=x, labels=labels):
                return softmax_cross_entropy(self.net.forward(params, x, self.context), labels)

            def directional(params, loss=loss):
                return sum(anp.sum(g * w) for g, w in zip(gradients(loss, params), v_views))

            weight = (part.stop - part.start) / len(self.y)
            for out, hv in zip(out_views, gradients(directional, views)):
                out += weight * hv
        self.products += 1
        self.seconds += time.perf_counter() - start
        return total


def hvp(net, theta, X, y, v, mode="batchstat", *, chunk=EVAL_CHUNK, state=None):
    """H(θ) v for f(θ) = mean cross-entropy of ``net`` on (X, y), as ``loss_and_grad`` defines
    it (fixed chunks, each weighted by its size; module docs). Returns a float64 vector."""
    return NetworkHessian(net, theta, X, y, mode=mode, chunk=chunk, state=state)(v)


def hessian_vector_product(f):
    """(x, v) ↦ ∇²f(x) v for a scalar function f of one array that autograd differentiates."""
    gradient = grad(f)

    def product(x, v):
        return grad(lambda z: anp.sum(gradient(z) * v))(x)

    return product
