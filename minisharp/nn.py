"""Layers, the flat parameter layout, and networks as pure functions of θ.

A network is an ordered list of layers. Building it walks the per-sample shapes from the
input to the logits and lays every trainable array out in ONE flat vector θ ∈ Rⁿ:

    θ = [ W₁.ravel(), b₁, γ₁, β₁, W₂.ravel(), … ]

Layers receive *views* of θ (reshaped slices, no copies), so an optimizer step on θ, the
point x + A y of Metric 2.1 or an interpolation α θ_l + (1 − α) θ_s is simply arithmetic on
one vector. What is not trained — batch norm's running statistics — lives outside θ in a
``state`` dict of arrays.

Modes (how batch norm and dropout behave):
- "train": batch statistics, dropout on (needs ``rng``); running statistics in ``state`` are
  updated, outside θ, as running = MOMENTUM·running + (1 − MOMENTUM)·batch.
- "batchstat": batch statistics of the samples given, dropout off — the paper's Keras
  BatchNormalization(mode=2). Deterministic for a fixed batch.
- "eval": running statistics from ``state``, dropout off; each sample's output depends only
  on that sample.

Image tensors enter in N×C×H×W (the data layout) and are turned into N×H×W×C once at the
input: inside the network convolution, pooling and batch norm all work channels-last.
"""

from dataclasses import dataclass
from math import prod

import autograd.numpy as anp
import numpy as np

from . import ops
from .device import array_module, device_of, to_device
from .kernels.geometry import window_geometry
from .ops.conv import conv2d
from .ops.ghost_norm import ghost_batch_norm
from .ops.pool import max_pool2d

MODES = ("train", "batchstat", "eval")
MOMENTUM = 0.9


@dataclass(frozen=True)
class ParamSpec:
    """One trainable array of a layer: its name, shape and initialisation."""

    name: str
    shape: tuple
    init: str  # "glorot", "zeros" or "ones"
    fan_in: int = 0
    fan_out: int = 0

    @property
    def size(self):
        return prod(self.shape)


@dataclass
class Context:
    """What one forward pass needs beyond θ and the input."""

    mode: str
    rng: np.random.Generator | None = None
    state: dict | None = None


class Layer:
    """Base class: a layer maps a per-sample input shape to an output shape."""

    params: tuple = ()
    name = ""

    def build(self, in_shape):
        """Return the per-sample output shape, and set ``self.params`` (ParamSpecs)."""
        return in_shape

    def forward(self, params, x, ctx):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}({self.name})"


class Dense(Layer):
    """y = x W + b (Glorot-uniform W, zero b: the Keras defaults)."""

    def __init__(self, units):
        self.units = units

    def build(self, in_shape):
        if len(in_shape) != 1:
            raise ValueError(f"Dense needs a flat input, got per-sample shape {in_shape}")
        d = in_shape[0]
        self.params = (
            ParamSpec("W", (d, self.units), "glorot", d, self.units),
            ParamSpec("b", (self.units,), "zeros"),
        )
        return (self.units,)

    def forward(self, params, x, ctx):
        W, b = params
        return ops.dense(x, W, b)


class Conv2D(Layer):
    """2-D cross-correlation, NHWC, kernel (kh, kw, C_in, F), 'same' or 'valid' padding."""

    def __init__(self, filters, kernel, stride=1, padding="same"):
        self.filters, self.kernel, self.stride, self.padding = filters, kernel, stride, padding

    def build(self, in_shape):
        if len(in_shape) != 3:
            raise ValueError(f"Conv2D needs H×W×C input, got per-sample shape {in_shape}")
        h, w, c = in_shape
        k, s = self.kernel, self.stride
        self.params = (
            ParamSpec("W", (k, k, c, self.filters), "glorot", k * k * c, k * k * self.filters),
            ParamSpec("b", (self.filters,), "zeros"),
        )
        out_h, out_w, _, _ = window_geometry(h, w, k, k, s, self.padding)
        return (out_h, out_w, self.filters)

    def forward(self, params, x, ctx):
        W, b = params
        return conv2d(x, W, b, stride=self.stride, padding=self.padding)


class MaxPool2D(Layer):
    """Max over size×size windows with a stride, NHWC."""

    def __init__(self, size, stride=None, padding="same"):
        self.size, self.stride, self.padding = size, stride or size, padding

    def build(self, in_shape):
        h, w, c = in_shape
        size, stride = self.size, self.stride
        out_h, out_w, _, _ = window_geometry(h, w, size, size, stride, self.padding)
        return (out_h, out_w, c)

    def forward(self, params, x, ctx):
        return max_pool2d(x, size=self.size, stride=self.stride, padding=self.padding)


class BatchNorm(Layer):
    """Batch norm over the last axis (units, or channels of NHWC), γ = 1, β = 0 at start.

    ``relu=True`` fuses the ReLU that follows (the network does this automatically).
    ``ghost_size=G``: in mode "train" only, statistics over ghost batches of G consecutive
    samples (:mod:`minisharp.ops.ghost_norm`; set by ``minisharp.remedies.ghost_bn``).
    """

    def __init__(self, relu=False, ghost_size=None):
        self.relu = relu
        self.ghost_size = ghost_size

    def build(self, in_shape):
        c = in_shape[-1]
        self.params = (ParamSpec("gamma", (c,), "ones"), ParamSpec("beta", (c,), "zeros"))
        self.channels = c
        return in_shape

    def forward(self, params, x, ctx):
        gamma, beta = params
        if ctx.mode == "eval":
            if ctx.state is None:
                raise ValueError("mode 'eval' needs the batch-norm running statistics (state=)")
            running = (ctx.state[f"{self.name}.mean"], ctx.state[f"{self.name}.var"])
            y, _ = ops.batch_norm(x, gamma, beta, running=running, relu=self.relu)
            return y
        if ctx.mode == "train" and self.ghost_size:
            y, (mean, var) = ghost_batch_norm(x, gamma, beta, self.ghost_size, relu=self.relu)
        else:
            y, (mean, var) = ops.batch_norm(x, gamma, beta, relu=self.relu)
        if ctx.mode == "train" and ctx.state is not None:
            for key, value in ((f"{self.name}.mean", mean), (f"{self.name}.var", var)):
                ctx.state[key] *= MOMENTUM
                ctx.state[key] += (1 - MOMENTUM) * to_device(value, device_of(ctx.state[key]))
        return y


class ReLU(Layer):
    """y = max(x, 0)."""

    def forward(self, params, x, ctx):
        return ops.relu(x)


class Dropout(Layer):
    """Inverted dropout with the given drop rate, active only in mode 'train'."""

    def __init__(self, rate):
        self.rate = rate

    def forward(self, params, x, ctx):
        if ctx.mode != "train" or self.rate == 0:
            return x
        if ctx.rng is None:
            raise ValueError("mode 'train' with dropout needs a seeded rng (rng=)")
        value = getattr(x, "_value", x)
        return ops.dropout(x, ops.dropout_mask(value.shape, self.rate, ctx.rng, value.dtype,
                                               device_of(value)))


class Flatten(Layer):
    """(H, W, C) → (H·W·C,)."""

    def build(self, in_shape):
        return (prod(in_shape),)

    def forward(self, params, x, ctx):
        return anp.reshape(x, (x.shape[0], -1))


def _fuse_bn_relu(layers):
    fused = []
    for layer in layers:
        if isinstance(layer, ReLU) and fused and isinstance(fused[-1], BatchNorm):
            if not fused[-1].relu:
                fused[-1].relu = True
                continue
        fused.append(layer)
    return fused


class Network:
    """A sequence of layers with a flat parameter layout; ``apply(θ, X, mode)`` gives logits.

    input_shape is the per-sample shape of the data as given: (C, H, W) for images,
    (D,) for vectors. A network with no convolution flattens images at its input.
    """

    def __init__(self, name, layers, input_shape, num_classes):
        self.name = name
        self.input_shape = tuple(int(d) for d in input_shape)
        self.num_classes = int(num_classes)
        self.layers = _fuse_bn_relu(list(layers))
        self.is_conv = any(isinstance(layer, Conv2D) for layer in self.layers)
        if self.is_conv and len(self.input_shape) != 3:
            raise ValueError(f"{name} is convolutional: input_shape must be (C, H, W)")
        c_h_w = self.input_shape
        shape = (c_h_w[1], c_h_w[2], c_h_w[0]) if self.is_conv else (prod(c_h_w),)
        self.specs, offset = [], 0
        counts = {}
        for layer in self.layers:
            kind = type(layer).__name__.lower()
            counts[kind] = counts.get(kind, 0) + 1
            layer.name = f"{kind}{counts[kind]}"
            shape = layer.build(shape)
            layer.slots = []
            for spec in layer.params:
                layer.slots.append(len(self.specs))
                self.specs.append((f"{layer.name}.{spec.name}", spec, offset))
                offset += spec.size
        if shape != (self.num_classes,):
            raise ValueError(f"{name}: output shape {shape}, expected ({self.num_classes},)")
        self.num_params = offset
        self.batch_norms = [layer for layer in self.layers if isinstance(layer, BatchNorm)]

    # ----- parameters -------------------------------------------------------------------
    def init(self, seed, dtype=np.float32):
        """A fresh θ: Glorot-uniform weights, zero biases, γ = 1, β = 0 (drawn in float64)."""
        rng = np.random.default_rng(seed)
        theta = np.empty(self.num_params, dtype=np.float64)
        for view, (_, spec, _) in zip(self.views(theta), self.specs):
            if spec.init == "glorot":
                limit = np.sqrt(6.0 / (spec.fan_in + spec.fan_out))
                view[...] = rng.uniform(-limit, limit, size=spec.shape)
            else:
                view[...] = 1.0 if spec.init == "ones" else 0.0
        return theta.astype(dtype)

    def views(self, theta):
        """The list of per-parameter views of θ (reshaped slices, no copies)."""
        if theta.ndim != 1 or theta.shape[0] != self.num_params:
            raise ValueError(
                f"{self.name} has {self.num_params} parameters, got theta of shape {theta.shape}"
            )
        return [theta[o:o + s.size].reshape(s.shape) for _, s, o in self.specs]

    def named_views(self, theta):
        """{"dense1.W": view, …}."""
        return {name: v for (name, _, _), v in zip(self.specs, self.views(theta))}

    def init_state(self):
        """Batch norm running statistics: mean 0 and variance 1 per unit/channel (float64)."""
        state = {}
        for bn in self.batch_norms:
            state[f"{bn.name}.mean"] = np.zeros(bn.channels)
            state[f"{bn.name}.var"] = np.ones(bn.channels)
        return state

    # ----- forward ----------------------------------------------------------------------
    def prepare_input(self, X, dtype):
        """Check X's per-sample shape and return it in the network's internal layout."""
        xp = array_module(X)
        X = xp.asarray(X)
        if X.ndim < 2 or prod(X.shape[1:]) != prod(self.input_shape):
            raise ValueError(
                f"{self.name} expects samples of shape {self.input_shape}, got {X.shape[1:]}"
            )
        if self.is_conv:
            if X.shape[1:] != self.input_shape:
                X = X.reshape((X.shape[0], *self.input_shape))
            return xp.ascontiguousarray(X.transpose(0, 2, 3, 1), dtype=dtype)
        return xp.ascontiguousarray(X.reshape(X.shape[0], -1), dtype=dtype)

    def forward(self, views, x, ctx):
        """Logits from parameter views (arrays or autograd boxes) and a prepared input."""
        if ctx.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {ctx.mode!r}")
        for layer in self.layers:
            x = layer.forward([views[i] for i in layer.slots], x, ctx)
        return x

    def apply(self, theta, X, mode="batchstat", *, state=None, rng=None):
        """logits = f(θ, X) for a batch X in the data layout (N×C×H×W or N×D)."""
        x = self.prepare_input(X, theta.dtype)
        return self.forward(self.views(theta), x, Context(mode, rng, state))

    def __repr__(self):
        return f"Network({self.name}, input {self.input_shape}, {self.num_params:,} parameters)"
