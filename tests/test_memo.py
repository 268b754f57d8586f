"""Memo: results keyed by every input, read back exactly, never served for other inputs."""

import json

import numpy as np
import pytest

from minisharp import memo as memo_module
from minisharp import zoo
from minisharp.landscape import interpolate
from minisharp.memo import Memo, digest
from minisharp.objective import network_objective
from minisharp.subspace import RandomSubspace


@pytest.fixture
def problem():
    net = zoo.build("F1-narrow", (1, 4, 4), 3)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 1, 4, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=40)
    return net, X, y, net.init(1)


def test_digest_changes_with_every_input(problem):
    net, X, y, theta = problem
    fun = network_objective(net, X, y)
    base = digest("sharpness", {"fun": fun, "x": theta, "eps": 1e-3})
    assert base == digest("sharpness", {"fun": network_objective(net, X.copy(), y.copy()),
                                         "x": theta.copy(), "eps": 1e-3})
    nudged = theta.copy()
    nudged[7] = np.nextafter(nudged[7], np.float32(np.inf))
    X2 = X.copy()
    X2[3, 0, 1, 1] += 1
    variants = [
        {"fun": fun, "x": nudged, "eps": 1e-3},
        {"fun": fun, "x": theta.astype(np.float64), "eps": 1e-3},
        {"fun": fun, "x": theta, "eps": 5e-4},
        {"fun": network_objective(net, X2, y), "x": theta, "eps": 1e-3},
        {"fun": network_objective(net, X, (y + 1) % 3), "x": theta, "eps": 1e-3},
        {"fun": network_objective(net, X, y, chunk=20), "x": theta, "eps": 1e-3},
        {"fun": network_objective(zoo.build("F1", (1, 4, 4), 3), X, y), "x": theta,
         "eps": 1e-3},
        {"fun": fun, "x": theta, "eps": 1e-3, "A": RandomSubspace(theta.size, 5, seed=0)},
    ]
    digests = {digest("sharpness", inputs) for inputs in variants}
    assert base not in digests and len(digests) == len(variants)
    assert digest("sharpness", {"A": RandomSubspace(theta.size, 5, seed=0)}) != \
        digest("sharpness", {"A": RandomSubspace(theta.size, 5, seed=1)})
    with pytest.raises(TypeError, match="cannot key"):
        digest(object())


def test_sharpness_is_read_back_exactly(problem, tmp_path):
    net, X, y, theta = problem
    memo = Memo(tmp_path)
    fresh = memo.sharpness(network_objective(net, X, y), theta, 1e-3, maxiter=3)
    assert fresh.y is not None and not fresh.cached and (memo.hits, memo.misses) == (0, 1)
    again = Memo(tmp_path).sharpness(network_objective(net, X, y), theta, 1e-3, maxiter=3)
    assert again.cached and again.y is None
    for name in memo_module.SCALAR_FIELDS:
        assert getattr(again, name) == getattr(fresh, name), name
    assert fresh.phi > 0
    # another ε, another iterate: measured, not served
    other = Memo(tmp_path)
    assert not other.sharpness(network_objective(net, X, y), theta, 2e-3, maxiter=3).cached
    assert not other.sharpness(network_objective(net, X, y), net.init(2), 1e-3,
                               maxiter=3).cached
    assert other.misses == 2 and len(list(tmp_path.glob("*.json"))) == 3


def test_subspace_result_is_kept(problem, tmp_path):
    net, X, y, theta = problem
    A = RandomSubspace(theta.size, 4, seed=3)
    fresh = Memo(tmp_path).sharpness(network_objective(net, X, y), theta, 1e-3, A, maxiter=2)
    again = Memo(tmp_path).sharpness(network_objective(net, X, y), theta, 1e-3, A, maxiter=2)
    assert fresh.p == again.p == 4 and again.cached and again.phi == fresh.phi


def test_interpolation_is_kept_per_path_and_end_points(problem, tmp_path):
    net, X, y, theta = problem
    other = net.init(2)
    sets = {"train": (X, y)}
    alphas = np.linspace(-1, 2, 4)
    fresh = Memo(tmp_path).interpolate(net, theta, other, sets, alphas=alphas, progress=False)
    expected = interpolate(net, theta, other, sets, alphas=alphas, progress=False)
    assert fresh == expected
    again = Memo(tmp_path)
    assert again.interpolate(net, theta, other, sets, alphas=alphas, progress=False) == fresh
    assert (again.hits, again.misses) == (1, 0)
    sincos = again.interpolate(net, theta, other, sets, alphas=alphas, path="sincos",
                               progress=False)
    swapped = again.interpolate(net, other, theta, sets, alphas=alphas, progress=False)
    assert again.misses == 2 and sincos["path"] == "sincos"
    # θ(α) from `other` to `theta` is θ(1 − α) the other way: measured anew, the same losses
    np.testing.assert_allclose(swapped["metrics"]["train"]["loss"],
                               expected["metrics"]["train"]["loss"][::-1], rtol=1e-5)


def test_refresh_none_corrupt_and_old_format(problem, tmp_path, monkeypatch):
    net, X, y, theta = problem
    calls = []

    def compute():
        calls.append(1)
        return {"value": len(calls)}

    inputs = {"x": theta}
    assert Memo(None).measure("k", inputs, compute) == {"value": 1}
    assert Memo(None).measure("k", inputs, compute) == {"value": 2}
    assert not tmp_path.exists() or not any(tmp_path.iterdir())
    assert Memo(tmp_path).measure("k", inputs, compute) == {"value": 3}
    assert Memo(tmp_path).measure("k", inputs, compute) == {"value": 3}
    assert Memo(tmp_path, refresh=True).measure("k", inputs, compute) == {"value": 4}
    assert Memo(tmp_path).measure("k", inputs, compute) == {"value": 4}
    (path,) = tmp_path.glob("*.json")
    path.write_text("{ half a fi")
    assert Memo(tmp_path).measure("k", inputs, compute) == {"value": 5}
    record = json.loads(path.read_text())
    assert record["result"] == {"value": 5}
    record["format"] = memo_module.FORMAT - 1
    path.write_text(json.dumps(record))
    assert Memo(tmp_path).measure("k", inputs, compute) == {"value": 6}
    # another kind with the same inputs is another measurement
    assert Memo(tmp_path).measure("other", inputs, compute) == {"value": 7}
    assert not list(tmp_path.glob(".*.tmp"))


def test_bad_arguments(problem, tmp_path):
    net, X, y, theta = problem
    memo = Memo(tmp_path)
    with pytest.raises(TypeError, match="NetworkObjective"):
        memo.sharpness(lambda t: (0.0, np.zeros_like(t)), theta, 1e-3)
    with pytest.raises(TypeError, match="RandomSubspace"):
        memo.sharpness(network_objective(net, X, y), theta, 1e-3, np.ones((theta.size, 2)))
    with pytest.raises(TypeError, match="JSON"):
        memo.measure("k", {"x": 1}, lambda: {"v": object()})
