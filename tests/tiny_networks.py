"""Tiny networks of every layer type with float64 data, and their dense Hessians by stock
autograd — shared by the curvature, spectrum and rescaling tests."""

import numpy as np
from autograd import hessian

from minisharp import nn
from minisharp.nn import Context
from minisharp.objective import _chunks
from minisharp.ops import softmax_cross_entropy

N, CHUNK = 10, 4  # chunks of 4, 4 and 2 samples: unequal weights


def dense_relu():
    """Dense and ReLU without batch norm (the layers Dinh et al. rescale)."""
    return nn.Network("dense-relu", [nn.Dense(5), nn.ReLU(), nn.Dense(4), nn.ReLU(),
                                     nn.Dense(3)], (4,), 3)


def dense_bn():
    return nn.Network("dense-bn", [nn.Dense(6), nn.BatchNorm(), nn.ReLU(), nn.Dense(5),
                                   nn.BatchNorm(), nn.Dense(3)], (4,), 3)


def conv_bn_pool():
    """Conv, BN, ReLU, max-pool, flatten, dense, BN, dropout (inactive when measuring)."""
    return nn.Network("conv", [nn.Conv2D(2, 3), nn.BatchNorm(), nn.ReLU(), nn.MaxPool2D(2),
                               nn.Flatten(), nn.Dense(4), nn.BatchNorm(), nn.ReLU(),
                               nn.Dropout(0.5), nn.Dense(3)], (1, 5, 5), 3)


NETWORKS = {"dense-relu": dense_relu, "dense-bn": dense_bn, "conv": conv_bn_pool}


def problem(name, seed=0):
    net = NETWORKS[name]()
    rng = np.random.default_rng(seed)
    theta = net.init(seed, np.float64) + 0.1 * rng.standard_normal(net.num_params)
    X, y = rng.standard_normal((N, *net.input_shape)), rng.integers(0, 3, N)
    state = {key: value + (0.5 * rng.random(value.shape) if key.endswith(".var")
                           else 0.3 * rng.standard_normal(value.shape))
             for key, value in net.init_state().items()}
    return net, theta, X, y, state


def dense_hessian(net, theta, X, y, mode, state):
    """Σ_c (n_c/N) ∇²f_c(θ) with stock autograd.hessian on the flat θ."""
    total = 0.0
    for part in _chunks(len(y), mode, CHUNK):
        x = net.prepare_input(X[part], np.float64)

        def f(t, x=x, labels=y[part]):
            return softmax_cross_entropy(net.forward(net.views(t), x, Context(mode, None, state)),
                                         labels)

        total = total + hessian(f)(theta) * (part.stop - part.start) / len(y)
    return total
