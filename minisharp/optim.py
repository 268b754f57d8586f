"""Hand-written optimizers on the flat parameter vector θ: SGD (with momentum), Adam, Adagrad.

An optimizer holds its hyperparameters, a step count and a few vectors shaped like θ (the
moments). ``step(theta, grad)`` updates θ IN PLACE with one fused Numba pass
(``minisharp.kernels.optim``; on a CuPy θ, the GPU, the same update in array expressions); θ
keeps its dtype, so a float32 model stays float32 and the moments are float32 too. The moment
vectors are created at the first step, in θ's dtype.

``state_dict()`` returns everything a checkpoint needs to continue bit for bit (the step count
and the moment arrays); ``config()`` the hyperparameters as JSON-ready values, from which
:func:`from_config` rebuilds a fresh optimizer.

Conventions
-----------
SGD (momentum μ, Sutskever et al. 2013 in the form Keras uses)::

    v ← μ v − lr g;   θ ← θ + v                 (classical)
    v ← μ v − lr g;   θ ← θ + μ v − lr g        (nesterov=True)

With μ = 0 this is θ ← θ − lr g and no velocity is kept.

Adam (Kingma & Ba 2015) in the form of Keras 1 — the optimizer the paper's code used with its
defaults lr = 1e-3, β₁ = 0.9, β₂ = 0.999, ε = 1e-8 — where the bias correction is folded into
the step size and ε is added to √v of the *uncorrected* v::

    t ← t + 1
    m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²
    θ ← θ − lr_t · m / (√v + ε),   lr_t = lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ)

This equals the textbook θ ← θ − lr · m̂ / (√v̂ + ε̂) with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ) and
ε̂ = ε / √(1 − β₂ᵗ), so the difference from the textbook placement matters only while √v̂ is
comparable to ε. At t = 1, m = (1 − β₁) g and v = (1 − β₂) g², so every coordinate moves by
lr · g / (|g| + ε/√(1 − β₂)) ≈ lr · sign(g).

Adagrad (Duchi et al. 2011, diagonal form) as Keras 1 has it — one of the optimizers the paper
says gave similar large-batch results — with its defaults lr = 0.01, ε = 1e-8 and the sum of
squared gradients starting at ``initial_accumulator`` = 0 (TensorFlow's Keras starts at 0.1)::

    a ← a + g²;   θ ← θ − lr · g / (√a + ε)

Each coordinate's step shrinks as its squared gradients add up; at t = 1 with a₀ = 0 it is
lr · g / (|g| + ε) ≈ lr · sign(g), like Adam's first step.
"""

import numpy as np

from .device import device_of, on_gpu, to_device, to_host
from .kernels import cuda as cuda_kernels
from .kernels import optim as kernels

_FLOAT_TYPES = (np.float32, np.float64)


def _check_vectors(theta, grad):
    if not (isinstance(theta, np.ndarray) or on_gpu(theta)) or theta.ndim != 1:
        raise ValueError("theta must be a 1-D NumPy or CuPy array (the flat parameter vector)")
    if theta.dtype.type not in _FLOAT_TYPES:
        raise ValueError(f"theta must be float32 or float64, got {theta.dtype}")
    if not theta.flags.c_contiguous or not getattr(theta.flags, "writeable", True):  # CuPy: always
        raise ValueError("theta must be a contiguous, writeable array (it is updated in place)")
    if type(grad) is not type(theta) or grad.shape != theta.shape or grad.dtype != theta.dtype:
        raise ValueError(
            f"grad must match theta: theta {theta.dtype}{theta.shape}, "
            f"grad {grad.dtype}{grad.shape}"
        )


def _kernel(theta, name):
    """The Numba kernel ``name`` for a NumPy θ; for a CuPy θ its CUDA twin where there is one
    (``minisharp.kernels.cuda``), else its array-expression twin."""
    if not on_gpu(theta):
        return getattr(kernels, name)
    return getattr(cuda_kernels.for_array(theta), name, None) or getattr(kernels,
                                                                       f"{name}_arrays")


def _positive(name, value, allow_zero=False):
    value = float(value)
    if not (value >= 0 if allow_zero else value > 0) or not np.isfinite(value):
        raise ValueError(f"{name} must be {'non-negative' if allow_zero else 'positive'}, "
                         f"got {value}")
    return value


class Optimizer:
    """Base class: a step count, named moment arrays, and hyperparameters."""

    name = ""
    slots = ()  # names of the moment arrays, each shaped like θ

    def __init__(self):
        self.steps = 0
        self.moments = {}

    def config(self):
        """The hyperparameters as a JSON-ready dict, including ``name``."""
        raise NotImplementedError

    def step(self, theta, grad):
        """Update θ in place from the gradient ``grad`` (same shape and dtype as θ)."""
        raise NotImplementedError

    def _moments_for(self, theta):
        if not self.moments:
            self.moments = {slot: np.zeros_like(theta) for slot in self.slots}
        device = device_of(theta)
        for slot, array in self.moments.items():
            if device_of(array) != device:   # restored from a checkpoint: follow θ once
                self.moments[slot] = array = to_device(array, device)
            if array.shape != theta.shape or array.dtype != theta.dtype:
                raise ValueError(
                    f"{self.name} state '{slot}' is {array.dtype}{array.shape}, "
                    f"but theta is {theta.dtype}{theta.shape}"
                )
        return [self.moments[slot] for slot in self.slots]

    def state_dict(self):
        """{"steps": int, <slot>: array, …}: what a checkpoint stores to resume exactly (host
        copies of the moments, wherever θ lives)."""
        return {"steps": self.steps,
                **{k: np.array(to_host(v), copy=True) for k, v in self.moments.items()}}

    def load_state_dict(self, state):
        """Restore the step count and moment arrays saved by :meth:`state_dict`."""
        arrays = {k: v for k, v in state.items() if k != "steps"}
        if arrays and set(arrays) != set(self.slots):
            raise ValueError(f"{self.name} state needs arrays {sorted(self.slots)}, "
                             f"got {sorted(arrays)}")
        self.steps = int(state["steps"])
        self.moments = {k: np.array(v, copy=True) for k, v in arrays.items()}

    def __repr__(self):
        settings = ", ".join(f"{k}={v}" for k, v in self.config().items() if k != "name")
        return f"{type(self).__name__}({settings})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum. See the module doc."""

    name = "sgd"

    def __init__(self, lr=0.01, momentum=0.0, nesterov=False):
        super().__init__()
        self.lr = _positive("lr", lr)
        self.momentum = float(momentum)
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must lie in [0, 1), got {momentum}")
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs a momentum > 0")
        self.slots = ("velocity",) if self.momentum > 0 else ()

    def config(self):
        return {"name": self.name, "lr": self.lr, "momentum": self.momentum,
                "nesterov": self.nesterov}

    def step(self, theta, grad):
        _check_vectors(theta, grad)
        cast = theta.dtype.type
        if self.momentum > 0:
            (velocity,) = self._moments_for(theta)
            update = _kernel(theta, "momentum_update")
            update(theta, grad, velocity, cast(self.lr), cast(self.momentum), self.nesterov)
        else:
            _kernel(theta, "sgd_update")(theta, grad, cast(self.lr))
        self.steps += 1


class Adam(Optimizer):
    """Adam with Keras defaults and Keras 1's ε placement. See the module doc for the maths."""

    name = "adam"
    slots = ("m", "v")

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__()
        self.lr = _positive("lr", lr)
        self.beta1, self.beta2 = float(beta1), float(beta2)
        for label, beta in (("beta1", self.beta1), ("beta2", self.beta2)):
            if not 0 <= beta < 1:
                raise ValueError(f"{label} must lie in [0, 1), got {beta}")
        self.eps = _positive("eps", eps, allow_zero=True)

    def config(self):
        return {"name": self.name, "lr": self.lr, "beta1": self.beta1, "beta2": self.beta2,
                "eps": self.eps}

    def step_size(self, t):
        """lr_t = lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ), the bias-corrected step of step number t ≥ 1."""
        return self.lr * np.sqrt(1.0 - self.beta2**t) / (1.0 - self.beta1**t)

    def step(self, theta, grad):
        _check_vectors(theta, grad)
        m, v = self._moments_for(theta)
        cast = theta.dtype.type
        t = self.steps + 1
        update = _kernel(theta, "adam_update")
        update(theta, grad, m, v, cast(self.step_size(t)), cast(self.beta1),
               cast(1.0 - self.beta1), cast(self.beta2), cast(1.0 - self.beta2), cast(self.eps))
        self.steps = t


class Adagrad(Optimizer):
    """Adagrad with Keras 1 defaults (lr 0.01, ε 1e-8). See the module doc for the maths."""

    name = "adagrad"
    slots = ("accumulator",)

    def __init__(self, lr=0.01, eps=1e-8, initial_accumulator=0.0):
        super().__init__()
        self.lr = _positive("lr", lr)
        self.eps = _positive("eps", eps, allow_zero=True)
        self.initial_accumulator = _positive("initial_accumulator", initial_accumulator,
                                             allow_zero=True)
        if self.eps == 0 and self.initial_accumulator == 0:
            raise ValueError("eps must be positive when initial_accumulator is 0 "
                             "(the first step would divide 0 by 0 where g = 0)")

    def config(self):
        return {"name": self.name, "lr": self.lr, "eps": self.eps,
                "initial_accumulator": self.initial_accumulator}

    def step(self, theta, grad):
        _check_vectors(theta, grad)
        fresh = not self.moments
        (accumulator,) = self._moments_for(theta)
        if fresh:
            accumulator.fill(self.initial_accumulator)
        cast = theta.dtype.type
        update = _kernel(theta, "adagrad_update")
        update(theta, grad, accumulator, cast(self.lr), cast(self.eps))
        self.steps += 1


OPTIMIZERS = {"adam": Adam, "sgd": SGD, "adagrad": Adagrad}


def from_config(config):
    """A fresh optimizer from ``config()`` output (or any dict with ``name`` + settings)."""
    settings = dict(config)
    name = settings.pop("name", None)
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name](**settings)


def make(name="adam", **settings):
    """A fresh optimizer by name: ``make("adam", lr=1e-3)``, ``make("sgd", momentum=0.9)``."""
    return from_config({"name": name, **settings})
