"""Parametric interpolation between two minimisers (the paper's Fig. 3 and Fig. 7)."""

import json

import numpy as np
import pytest

import minisharp
from minisharp import zoo
from minisharp.landscape import interpolate, path_coefficients, point_on_path


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
    with pytest.raises(ValueError):
        interpolate(net, theta_s, theta_l, datasets, mode="eval", progress=False)
    result = interpolate(net, theta_s, theta_l, datasets, alphas=[0.0, 1.0, 3.0], mode="eval",
                         state_s=state_s, state_l=state_l, progress=False)
    X, y = datasets["test"]
    loss_l, _ = minisharp.evaluate(net, theta_l, X, y, mode="eval", state=state_l)
    assert result["metrics"]["test"]["loss"][1] == loss_l
    assert np.all(np.isfinite(result["metrics"]["test"]["loss"]))
