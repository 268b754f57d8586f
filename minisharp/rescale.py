"""Reparametrisations that leave a network's function unchanged (Dinh et al. 2017).

Dinh et al. ("Sharp minima can generalize for deep nets") point out that a ReLU network has
exact symmetries: other parameters θ' with the same function, θ' = S θ for a positive
diagonal S, along which curvature-based sharpness can be made as large or small as one likes.
Two such maps, each returned as the diagonal ``scales`` (θ' = scales ⊙ θ):

- :func:`scale_into_batch_norm` — multiply the weights and bias of a dense or conv layer that
  feeds a batch-norm layer by c > 0. Its output becomes c·x; batch statistics become c·μ and
  c²·v, so x̂ = (c x − c μ)/sqrt(c² v + eps) = (x − μ)/sqrt(v + eps/c²): the function is
  unchanged exactly when eps = 0, and up to the change of eps to eps/c² otherwise (Keras's
  eps = 1e-3 against activation variances of order 1: a small, measurable change). Only with
  batch statistics (modes "train", "batchstat"); with fixed running statistics (mode "eval")
  the running mean and variance would have to be scaled by c and c² too.
- :func:`scale_relu_pair` — multiply a layer's output by c > 0 (weights and bias of a dense or
  conv layer, or γ and β of a batch norm whose ReLU is fused) and the weights of the next
  dense or conv layer by 1/c. Between the two only positively homogeneous layers may sit
  (ReLU, max-pooling, flatten, dropout): relu(c z) = c relu(z). Exact in every mode.

How curvature changes. If f(S θ) = f(θ) for all θ, differentiating twice gives
H(S θ) = S⁻¹ H(θ) S⁻¹. For :func:`scale_into_batch_norm` (eps = 0) the Hessian block of the
scaled weights is divided by c², so its largest eigenvalue is too; for a ReLU pair the two
blocks are divided by c² and multiplied by c². The loss, the accuracy and every prediction do
not change; λ_max, the trace and Metric 2.1 (whose box ε(|x_i| + 1) is not scale-invariant)
do. :func:`minisharp.adaptive.adaptive_sharpness` does not.
"""

import numpy as np

from .nn import BatchNorm, Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU

_WEIGHTED = (Dense, Conv2D)
_HOMOGENEOUS = (ReLU, MaxPool2D, Flatten, Dropout)


def _layer(net, name):
    for index, layer in enumerate(net.layers):
        if layer.name == name:
            return index, layer
    names = ", ".join(layer.name for layer in net.layers if layer.slots)
    raise ValueError(f"layer must be one of {names}; got {name!r}")


def _check_factor(c):
    c = float(c)
    if not (np.isfinite(c) and c > 0):
        raise ValueError(f"c must be a positive number, got {c}")
    return c


def _scale_layer(net, scales, layer, factor, names=None):
    for slot in layer.slots:
        param, spec, offset = net.specs[slot]
        if names is None or param.split(".")[-1] in names:
            scales[offset:offset + spec.size] *= factor


def scale_into_batch_norm(net, layer, c):
    """Scales for θ' = scales ⊙ θ: the weights and bias of ``layer`` (a dense or conv layer
    directly followed by batch norm) times c. Function unchanged with batch statistics up to
    eps → eps/c² (module docs)."""
    c = _check_factor(c)
    index, found = _layer(net, layer)
    following = net.layers[index + 1] if index + 1 < len(net.layers) else None
    if not isinstance(found, _WEIGHTED) or not isinstance(following, BatchNorm):
        raise ValueError(f"layer {layer!r} must be a dense or conv layer followed by batch norm")
    scales = np.ones(net.num_params)
    _scale_layer(net, scales, found, c)
    return scales


def scale_relu_pair(net, layer, c):
    """Scales for θ' = scales ⊙ θ: ``layer``'s output times c (dense/conv W and b, or batch
    norm γ and β with its ReLU fused), the next dense/conv layer's weights times 1/c. Exact."""
    c = _check_factor(c)
    index, found = _layer(net, layer)
    if isinstance(found, BatchNorm) and not found.relu:
        raise ValueError(f"batch norm {layer!r} has no ReLU fused; its output is not followed "
                         "by a homogeneous layer")
    if not isinstance(found, (*_WEIGHTED, BatchNorm)):
        raise ValueError(f"layer {layer!r} must be a dense, conv or batch-norm layer")
    for following in net.layers[index + 1:]:
        if isinstance(following, _WEIGHTED):
            break
        if not isinstance(following, _HOMOGENEOUS):
            raise ValueError(f"{following.name} follows {layer!r}: only ReLU, pooling, flatten "
                             "and dropout keep c·output = output·c (use scale_into_batch_norm "
                             "for a layer that feeds batch norm)")
    else:
        raise ValueError(f"no dense or conv layer follows {layer!r}")
    scales = np.ones(net.num_params)
    _scale_layer(net, scales, found, c)
    _scale_layer(net, scales, following, 1.0 / c, names=("W",))
    return scales


def rescale(theta, scales):
    """scales ⊙ θ in θ's dtype."""
    theta = np.asarray(theta)
    if np.shape(scales) != theta.shape:
        raise ValueError(f"scales must have θ's shape {theta.shape}, got {np.shape(scales)}")
    return (theta.astype(np.float64) * scales).astype(theta.dtype)
