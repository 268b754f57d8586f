"""The training objective f(θ) = mean cross-entropy, its gradient, and accuracy.

Every measured number in minisharp goes through these functions, so the way samples are
grouped is explicit. In modes "batchstat" and "eval" the samples are processed in fixed
consecutive chunks (``EVAL_CHUNK`` = 5000 by default, the batch size the paper's code used to
evaluate): with "batchstat" each chunk is normalised with its own statistics (the paper's Keras
mode=2), so f is a deterministic function of θ for a fixed data set and chunk size. The mean
over all samples is Σ_chunks (n_chunk / N) · mean_over_chunk. In mode "train" the samples given
form one batch (chunk is ignored) — a training step. :func:`network_objective` wraps the loss of
a network on a fixed data set as the ``fun(θ) -> (value, gradient)`` that Metric 2.1
(:mod:`minisharp.sharpness`) and the interpolation paths (:mod:`minisharp.landscape`) take.

θ may be a CuPy array (:mod:`minisharp.device`): the computation then runs on the GPU, and data
given on the host are moved to θ's device first (keep them there to avoid a copy per call).
"""

import time

import numpy as np

from .autodiff import value_and_grad
from .device import (
    DeviceUnavailable,
    array_module,
    check_device,
    device_of,
    to_device,
    to_host,
)
from .nn import Context
from .ops import softmax_cross_entropy

EVAL_CHUNK = 5000


def _chunks(n, mode, chunk):
    if mode == "train":
        return [slice(0, n)]
    size = int(chunk or EVAL_CHUNK)
    if size <= 0:
        raise ValueError(f"chunk must be positive, got {chunk}")
    return [slice(i, min(n, i + size)) for i in range(0, n, size)]


def _check_labels(net, X, y):
    y = array_module(y).asarray(y)
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"need one label per sample: X has {len(X)}, y has shape {y.shape}")
    if len(y) == 0:
        raise ValueError("empty batch")
    if y.dtype.kind not in "iu":  # a float or bool label would be truncated to a class
        raise ValueError(f"labels must be integers (class indices), got {y.dtype}")
    if y.min() < 0 or y.max() >= net.num_classes:
        raise ValueError(f"labels must lie in [0, {net.num_classes}), got [{y.min()}, {y.max()}]")
    return y.astype(np.intp, copy=False)


def _on_device_of(theta, X, y):
    """X and y moved to θ's device (a no-op when they are there: data should live there)."""
    device = device_of(theta)
    return to_device(X, device), to_device(y, device)


def check_device_for(net, device):
    """``device`` if ``net`` can run there: conv and pooling layers have no GPU path yet."""
    check_device(device)
    if device == "cuda" and net.is_conv:
        raise DeviceUnavailable(f"{net.name} has convolution layers, which have no GPU path "
                                "yet (dense networks do); use device 'cpu'")
    return device


def _check_theta(net, theta, out=None):
    """θ as the kernels need it: a float32/float64 vector of the network's size (and ``out``)."""
    if not hasattr(theta, "dtype") or theta.shape != (net.num_params,):
        raise ValueError(f"theta must be a vector of {net.num_params} parameters for "
                         f"{net.name}, got shape {np.shape(theta)}")
    if theta.dtype.type not in (np.float32, np.float64):
        raise ValueError(f"theta must be float32 or float64, got {theta.dtype}")
    if out is not None and (type(out) is not type(theta) or out.shape != theta.shape
                            or out.dtype != theta.dtype or not out.flags.c_contiguous):
        raise ValueError(f"out must be a contiguous {theta.dtype} vector like theta, got "
                         f"{getattr(out, 'dtype', type(out).__name__)}{np.shape(out)}")


def loss_and_grad(net, theta, X, y, mode="batchstat", *, chunk=None, state=None, rng=None,
                  out=None):
    """Mean cross-entropy over the samples given, and its gradient with respect to θ.

    Returns (float, gradient) with the gradient a 1-D array of θ's dtype (written into
    ``out`` when given, which saves an allocation per training step). float64 θ gives a
    float64 computation end to end.
    """
    _check_theta(net, theta, out)
    X, y = _on_device_of(theta, X, y)
    y = _check_labels(net, X, y)
    grad = np.empty_like(theta) if out is None else out
    ctx = Context(mode, rng, state)
    parts = _chunks(len(y), mode, chunk)
    scratch = grad if len(parts) == 1 else np.empty_like(theta)
    if len(parts) > 1:
        grad[...] = 0
    total = 0.0
    for part in parts:
        x = net.prepare_input(X[part], theta.dtype)
        labels = y[part]

        def objective(views, x=x, labels=labels):
            return softmax_cross_entropy(net.forward(views, x, ctx), labels)

        value = value_and_grad(objective, net.views(theta), net.views(scratch))
        weight = (part.stop - part.start) / len(y)
        total += weight * value
        if len(parts) > 1:
            grad += theta.dtype.type(weight) * scratch
    return total, grad


def evaluate(net, theta, X, y, mode="batchstat", *, chunk=None, state=None):
    """(mean cross-entropy, accuracy in [0, 1]) over the samples given, forward only."""
    if mode == "train":
        raise ValueError("evaluate measures; use mode 'batchstat' or 'eval'")
    _check_theta(net, theta)
    X, y = _on_device_of(theta, X, y)
    y = _check_labels(net, X, y)
    ctx = Context(mode, None, state)
    loss, correct = 0.0, 0
    for part in _chunks(len(y), mode, chunk):
        x = net.prepare_input(X[part], theta.dtype)
        logits = net.forward(net.views(theta), x, ctx)
        loss += float(softmax_cross_entropy(logits, y[part])) * (part.stop - part.start)
        correct += int((logits.argmax(axis=1) == y[part]).sum())
    return loss / len(y), correct / len(y)


def accuracy(net, theta, X, y, mode="batchstat", *, chunk=None, state=None):
    """Fraction of samples whose largest logit is the true class."""
    return evaluate(net, theta, X, y, mode, chunk=chunk, state=state)[1]


def loss_and_input_grad(net, theta, X, y, mode="batchstat", *, state=None, rng=None):
    """Mean cross-entropy over the batch X and its gradient with respect to X itself.

    Returns (float, ∂loss/∂X) with the gradient shaped like X (the data layout) in θ's dtype.
    The samples form one batch (no chunks), so in modes "batchstat" and "train" the gradient
    includes each sample's influence through the batch-norm statistics. This is what the
    fast gradient sign method needs (X + ε·sign(∂loss/∂X), Goodfellow et al. 2014); it reuses
    the network's reverse pass with X as the only root instead of θ's views.
    """
    X, y = _on_device_of(theta, X, y)
    y = _check_labels(net, X, y)
    x = net.prepare_input(X, theta.dtype)
    views, ctx = net.views(theta), Context(mode, rng, state)
    grad_x = np.empty_like(x)

    def objective(roots):
        return softmax_cross_entropy(net.forward(views, roots[0], ctx), y)

    value = value_and_grad(objective, [x], [grad_x])
    if net.is_conv:  # prepare_input turned N×C×H×W into N×H×W×C; turn the gradient back
        grad_x = grad_x.transpose(0, 3, 1, 2)
    return value, array_module(grad_x).ascontiguousarray(grad_x).reshape(X.shape)


class NetworkObjective:
    """f(θ) = mean cross-entropy of ``net`` over a fixed training set, and ∇f(θ) in float64.

    Calls :func:`loss_and_grad` with ``mode`` and ``chunk``: the samples are taken in their
    given order in fixed consecutive chunks of ``chunk`` (no shuffling, no augmentation, dropout
    off), so f is a deterministic function of θ. Batch norm: ``"batchstat"`` normalises each
    chunk with its own statistics (the paper's Keras mode=2); ``"eval"`` uses the running
    statistics in ``state``.

    ``evaluations`` counts calls and ``seconds`` the time spent in them. ``device="cuda"``
    keeps a copy of the data on the GPU and computes there: θ goes in and (f, ∇f) come out
    on the host, as L-BFGS-B (SciPy) needs them; ``X`` and ``y`` stay the host arrays given.
    """

    def __init__(self, net, X, y, *, mode="batchstat", chunk=EVAL_CHUNK, state=None,
                 device="cpu"):
        if mode == "train":
            raise ValueError("mode 'train' has dropout on and updates statistics: "
                             "measure with 'batchstat' or 'eval'")
        if mode == "eval" and state is None:
            raise ValueError("mode 'eval' needs the batch-norm running statistics (state=)")
        self.net, self.X, self.y = net, X, y
        self.mode, self.chunk, self.state = mode, int(chunk), state
        self.device = check_device_for(net, device)
        self._data = (X, y) if device == "cpu" else tuple(to_device(np.asarray(a), device)
                                                          for a in (X, y))
        self.evaluations = 0
        self.seconds = 0.0

    def __call__(self, theta):
        t = time.perf_counter()
        value, gradient = loss_and_grad(self.net, to_device(theta, self.device), *self._data,
                                        mode=self.mode, chunk=self.chunk, state=self.state)
        self.evaluations += 1
        self.seconds += time.perf_counter() - t
        return float(value), np.asarray(to_host(gradient), dtype=np.float64)


def network_objective(net, X, y, *, mode="batchstat", chunk=EVAL_CHUNK, state=None,
                      device="cpu"):
    """The training objective of ``net`` on (X, y) as ``fun(θ) -> (float, float64 gradient)``.

    Returns a :class:`NetworkObjective`; its ``evaluations`` attribute counts the calls.
    """
    return NetworkObjective(net, X, y, mode=mode, chunk=chunk, state=state, device=device)
