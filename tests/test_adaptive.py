"""Adaptive sharpness ψ against closed forms, and its invariance under rescalings, float64.

Closed form: for a linear f(x) = gᵀx the maximum over |δ_i| ≤ ε|x_i| is ε Σ|g_i||x_i| (L-BFGS-B
reaches the box corner in its first step), so ψ = 100 ε Σ|g_i x_i| / (1 + f(x)) to 1e-9.
Invariance: ψ at S θ equals ψ at θ to 1e-9 relative (the solver sees the same function of y;
only rounding differs), while Metric 2.1 changes by more than 5 %.
"""

import functools

import numpy as np
import pytest
from tiny_networks import CHUNK, problem

from minisharp import ops
from minisharp.adaptive import adaptive_sharpness
from minisharp.objective import network_objective
from minisharp.ops import norm
from minisharp.rescale import rescale, scale_into_batch_norm, scale_relu_pair
from minisharp.sharpness import sharpness

EPS = 1e-3


def test_linear_function_closed_form():
    rng = np.random.default_rng(0)
    g, x = rng.standard_normal(50), rng.standard_normal(50)
    x[3] = 0.0  # a zero parameter is not perturbed: it adds nothing to the closed form

    def fun(z):
        return float(g @ z) + 10.0, g  # + 10 keeps 1 + f > 0

    result = adaptive_sharpness(fun, x, EPS, maxiter=3)
    f0 = float(g @ x) + 10.0
    expected = 100 * EPS * np.sum(np.abs(g * x)) / (1 + f0)
    assert abs(result.phi - expected) <= 1e-9 * expected
    assert result.f0 == f0 and result.nfev >= 2


def test_quadratic_bowl_value():
    """f = ½ Σ a_i x_i² at x: the maximiser is the corner δ_i = ε|x_i| sign(x_i)."""
    a = np.array([1.0, 4.0, 0.5])
    x = np.array([0.3, -0.2, 2.0])

    def fun(z):
        return 0.5 * float(a @ z**2), a * z

    result = adaptive_sharpness(fun, x, 0.1, maxiter=20)
    f0 = 0.5 * a @ x**2
    fmax = 0.5 * a @ (x * 1.1) ** 2
    assert abs(result.phi - 100 * (fmax - f0) / (1 + f0)) < 1e-9


@pytest.fixture
def exact_batch_norm(monkeypatch):
    monkeypatch.setattr(ops, "batch_norm", functools.partial(norm.batch_norm, eps=0.0))


@pytest.mark.parametrize("name,rescaling,layer,c", [
    ("dense-bn", scale_into_batch_norm, "dense1", 10.0),
    ("dense-relu", scale_relu_pair, "dense1", 10.0),
    ("dense-bn", scale_relu_pair, "batchnorm1", 0.1),
])
def test_adaptive_sharpness_is_invariant_while_metric_2_1_is_not(name, rescaling, layer, c,
                                                                 exact_batch_norm):
    net, theta, X, y, _ = problem(name, seed=4)
    fun = network_objective(net, X, y, chunk=CHUNK)
    moved = rescale(theta, rescaling(net, layer, c))
    psi = [adaptive_sharpness(fun, point, EPS).phi for point in (theta, moved)]
    phi = [sharpness(fun, point, EPS).phi for point in (theta, moved)]
    assert psi[0] > 0
    assert abs(psi[1] - psi[0]) <= 1e-9 * psi[0]  # measured ~1e-13
    assert abs(phi[1] - phi[0]) > 0.05 * phi[0]


def test_bad_point_is_a_clear_error():
    with pytest.raises(ValueError, match="x must be a 1-D float vector"):
        adaptive_sharpness(lambda z: (0.0, z), np.ones((2, 2)), EPS)
