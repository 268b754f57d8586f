"""The loss landscape: paths between two minimisers (the paper's Fig. 3 and 7), 2-D planes."""

import json

import numpy as np
import pytest

import minisharp
from minisharp import zoo
from minisharp.landscape import (
    filter_normalized_direction,
    filter_norms,
    interpolate,
    path_coefficients,
    plane,
    point_on_path,
)


@pytest.fixture(scope="module")
def pair():
    net = zoo.build("F1-narrow", (6,), 3)
    rng = np.random.default_rng(0)
    datasets = {
        "train": (rng.standard_normal((12, 6)), rng.integers(0, 3, 12)),
        "test": (rng.standard_normal((7, 6)), rng.integers(0, 3, 7)),
    }
    theta_s = net.init(seed=1)
    theta_l = net.init(seed=2)
    return net, theta_s, theta_l, datasets


@pytest.mark.parametrize("path", ["linear", "sincos"])
def test_coefficients_are_exact_at_the_two_minimisers(path):
    c_l, c_s = path_coefficients([-1.0, 0.0, 0.5, 1.0, 2.0], path)
    assert (c_l[1], c_s[1]) == (0.0, 1.0)
    assert (c_l[3], c_s[3]) == (1.0, 0.0)
    if path == "linear":
        np.testing.assert_array_equal(c_l + c_s, 1.0)
    else:
        np.testing.assert_allclose(c_l**2 + c_s**2, 1.0, rtol=1e-15)
        assert (c_l[0], c_s[0]) == (-1.0, 0.0) and (c_l[4], c_s[4]) == (0.0, -1.0)


def test_point_on_path_keeps_dtype_and_mixes():
    theta_s = np.array([1.0, 2.0], dtype=np.float32)
    theta_l = np.array([3.0, -2.0], dtype=np.float32)
    mid = point_on_path(theta_s, theta_l, 0.5, 0.5)
    assert mid.dtype == np.float32
    np.testing.assert_array_equal(mid, [2.0, 0.0])


@pytest.mark.parametrize("path", ["linear", "sincos"])
def test_endpoints_equal_direct_evaluation(pair, path):
    net, theta_s, theta_l, datasets = pair
    result = interpolate(net, theta_s, theta_l, datasets, alphas=[0.0, 0.5, 1.0], path=path,
                         chunk=5, progress=False)
    for name, (X, y) in datasets.items():
        metrics = result["metrics"][name]
        for index, theta in ((0, theta_s), (2, theta_l)):
            loss, accuracy = minisharp.evaluate(net, theta, X, y, mode="batchstat", chunk=5)
            assert metrics["loss"][index] == loss
            assert metrics["accuracy"][index] == accuracy
    assert result["sets"] == ["train", "test"]
    assert result["path"] == path and result["alphas"] == [0.0, 0.5, 1.0]
    json.dumps(result)


def test_eval_mode_interpolates_running_statistics(pair):
    net, theta_s, theta_l, datasets = pair
    state_s = net.init_state()
    # at α = 3 the variances extrapolate to 3·0.2 − 2·1 < 0 and must be clipped at 0
    state_l = {key: (0.2 * value if key.endswith(".var") else value + 0.5)
               for key, value in net.init_state().items()}
    with pytest.raises(ValueError, match="mode 'eval' needs the running statistics of both"):
        interpolate(net, theta_s, theta_l, datasets, mode="eval", progress=False)
    result = interpolate(net, theta_s, theta_l, datasets, alphas=[0.0, 1.0, 3.0], mode="eval",
                         state_s=state_s, state_l=state_l, progress=False)
    X, y = datasets["test"]
    loss_l, _ = minisharp.evaluate(net, theta_l, X, y, mode="eval", state=state_l)
    assert result["metrics"]["test"]["loss"][1] == loss_l
    assert np.all(np.isfinite(result["metrics"]["test"]["loss"]))


@pytest.fixture(scope="module")
def conv_net():
    net = zoo.build("C1-narrow", (1, 8, 8), 3)
    rng = np.random.default_rng(3)
    theta = net.init(seed=4) + 0.05 * rng.standard_normal(net.num_params).astype(np.float32)
    data = {"train": (rng.random((9, 1, 8, 8)), rng.integers(0, 3, 9))}
    return net, theta, data


def test_filter_normalized_direction_has_the_weights_filter_norms(conv_net):
    net, theta, _ = conv_net
    d = filter_normalized_direction(net, theta, seed=0)
    weights, direction = filter_norms(net, theta), filter_norms(net, d)
    assert any(name.startswith("conv") for name in weights) and "dense1.W" in weights
    for name, norms in weights.items():
        np.testing.assert_allclose(direction[name], norms, rtol=1e-12)
    for (name, spec, _), view in zip(net.specs, net.views(d)):
        if len(spec.shape) == 1:  # biases, γ, β: not perturbed (Li et al.'s ignore='biasbn')
            assert not view.any(), name
    np.testing.assert_array_equal(d, filter_normalized_direction(net, theta, seed=0))
    assert not np.allclose(d, filter_normalized_direction(net, theta, seed=1))


def test_plane_centre_is_f_theta_and_points_are_theta_plus_steps(conv_net):
    net, theta, data = conv_net
    d1 = filter_normalized_direction(net, theta, seed=0)
    d2 = filter_normalized_direction(net, theta, seed=1)
    result = plane(net, theta, d1, d2, data, alphas=[-0.5, 0.0, 0.25], betas=[0.0, 0.5],
                   chunk=4, progress=False)
    X, y = data["train"]
    loss = result["metrics"]["train"]["loss"]
    assert np.shape(loss) == (2, 3)  # rows: betas, columns: alphas
    assert loss[0][1] == minisharp.evaluate(net, theta, X, y, chunk=4)[0]
    moved = (theta.astype(np.float64) - 0.5 * d1 + 0.5 * d2).astype(np.float32)
    assert loss[1][0] == minisharp.evaluate(net, moved, X, y, chunk=4)[0]
    assert loss[1][0] != loss[0][1]
    json.dumps(result)


def test_plane_checks_its_arguments(conv_net):
    net, theta, data = conv_net
    d = filter_normalized_direction(net, theta)
    with pytest.raises(ValueError, match="needs θ's batch-norm running statistics"):
        plane(net, theta, d, d, data, mode="eval", progress=False)
    with pytest.raises(ValueError, match="directions must have θ's shape"):
        plane(net, theta, d[:5], d, data, progress=False)

