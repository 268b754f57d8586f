"""Function-preserving rescalings (Dinh et al. 2017) and what they do to curvature, float64.

Bounds: predictions before and after equal to 1e-12 (relative; float64 rounding); the Hessian
identity H(S θ) = S⁻¹ H(θ) S⁻¹ checked on random vectors to 1e-9 relative; the largest
eigenvalue of the block of weights feeding batch norm scales by exactly 1/c², to 1e-9.
Batch norm's rescaling is exact only with eps = 0 (``exact_batch_norm``); with Keras's eps it
equals the unscaled network with eps/c², which is tested as such.
"""

import functools

import numpy as np
import pytest
from tiny_networks import CHUNK, problem

from minisharp import ops
from minisharp.curvature import hvp
from minisharp.landscape import filter_normalized_direction, plane
from minisharp.ops import norm
from minisharp.rescale import rescale, scale_into_batch_norm, scale_relu_pair
from minisharp.spectrum import lanczos

C = 7.0
# (network, rescaling, layer, needs eps = 0 for exactness)
CASES = [
    ("dense-bn", scale_into_batch_norm, "dense1", True),
    ("conv", scale_into_batch_norm, "conv2d1", True),
    ("dense-relu", scale_relu_pair, "dense1", False),
    ("dense-bn", scale_relu_pair, "batchnorm1", False),
    ("conv", scale_relu_pair, "batchnorm2", False),
]
IDS = [f"{name}-{rescaling.__name__}-{layer}" for name, rescaling, layer, _ in CASES]


@pytest.fixture
def exact_batch_norm(monkeypatch):
    """Batch norm with eps = 0, where scaling its input is an exact symmetry."""
    monkeypatch.setattr(ops, "batch_norm", functools.partial(norm.batch_norm, eps=0.0))


def logits(net, theta, X):
    return net.apply(theta, X, "batchstat")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_function_is_unchanged(case, exact_batch_norm):
    name, rescaling, layer, _ = case
    net, theta, X, y, _ = problem(name)
    scales = rescaling(net, layer, C)
    assert np.any(scales == C) and np.all(scales > 0)
    moved = rescale(theta, scales)
    np.testing.assert_allclose(logits(net, moved, X), logits(net, theta, X), rtol=1e-12,
                               atol=1e-12)


def test_batch_norm_rescaling_with_eps_is_the_network_with_eps_over_c_squared(monkeypatch):
    net, theta, X, _, _ = problem("dense-bn")
    moved = rescale(theta, scale_into_batch_norm(net, "dense1", C))
    scaled_logits = logits(net, moved, X)
    assert not np.allclose(scaled_logits, logits(net, theta, X), rtol=1e-9, atol=0)
    # only the first batch norm sees the scaled input; give it eps/c², the other one eps
    calls = iter([norm.EPS / C**2, norm.EPS])
    monkeypatch.setattr(ops, "batch_norm",
                        lambda *a, **k: norm.batch_norm(*a, **k, eps=next(calls)))
    np.testing.assert_allclose(scaled_logits, logits(net, theta, X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_hessian_transforms_as_theory_says(case, exact_batch_norm):
    """f(S θ) = f(θ) for all θ  ⇒  H(S θ) = S⁻¹ H(θ) S⁻¹."""
    name, rescaling, layer, _ = case
    net, theta, X, y, _ = problem(name, seed=1)
    scales = rescaling(net, layer, C)
    moved = rescale(theta, scales)
    for seed in range(2):
        v = np.random.default_rng(seed).standard_normal(net.num_params)
        after = hvp(net, moved, X, y, v, chunk=CHUNK)
        predicted = hvp(net, theta, X, y, v / scales, chunk=CHUNK) / scales
        assert np.linalg.norm(after - predicted) <= 1e-9 * np.linalg.norm(predicted)


def test_lambda_max_of_weights_feeding_batch_norm_scales_by_one_over_c_squared(
        exact_batch_norm):
    net, theta, X, y, _ = problem("dense-bn", seed=2)
    scales = scale_into_batch_norm(net, "dense1", C)
    block = scales == C

    def top(point):
        def block_hvp(v):
            return np.where(block, hvp(net, point, X, y, np.where(block, v, 0.0), chunk=CHUNK),
                            0.0)

        return lanczos(block_hvp, net.num_params, 1, iterations=int(block.sum()) + 1,
                       seed=0).eigenvalues[0]

    before, after = top(theta), top(rescale(theta, scales))
    assert before > 0
    assert abs(after * C**2 - before) <= 1e-9 * before


def test_filter_normalized_plane_is_unchanged_by_a_relu_pair_rescaling():
    """Directions scale with their filters, biases are not perturbed: the plane is the same."""
    net, theta, X, y, _ = problem("dense-relu", seed=3)
    moved = rescale(theta, scale_relu_pair(net, "dense1", C))
    planes = []
    for point in (theta, moved):
        d1 = filter_normalized_direction(net, point, seed=0)
        d2 = filter_normalized_direction(net, point, seed=1)
        planes.append(plane(net, point, d1, d2, {"train": (X, y)}, alphas=[-0.5, 0.0, 0.5],
                            chunk=CHUNK, progress=False)["metrics"]["train"]["loss"])
    np.testing.assert_allclose(planes[1], planes[0], rtol=1e-12)


def test_rescalings_refuse_layers_where_they_do_not_hold():
    net, _, _, _, _ = problem("dense-bn")
    with pytest.raises(ValueError, match="followed by batch norm"):
        scale_into_batch_norm(net, "dense3", 2.0)
    with pytest.raises(ValueError, match="use scale_into_batch_norm"):
        scale_relu_pair(net, "dense1", 2.0)
    with pytest.raises(ValueError, match="has no ReLU fused"):
        scale_relu_pair(net, "batchnorm2", 2.0)
    with pytest.raises(ValueError, match="no dense or conv layer follows"):
        scale_relu_pair(net, "dense3", 2.0)
    with pytest.raises(ValueError, match="c must be a positive number"):
        scale_relu_pair(net, "batchnorm1", -1.0)
    with pytest.raises(ValueError, match="layer must be one of"):
        scale_relu_pair(net, "nope", 2.0)
