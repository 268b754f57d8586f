import numpy as np
import pytest

import minisharp
from minisharp import zoo
from minisharp.gradcheck import directional_check
from minisharp.objective import network_objective
from minisharp.sharpness import sharpness


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    net = zoo.build("F1-narrow", (1, 5, 5), 4)
    X, y = rng.random((30, 1, 5, 5)), rng.integers(0, 4, 30)
    return net, net.init(1, np.float64), X, y


def test_chunked_value_and_gradient_are_weighted_means_of_chunks(problem):
    net, theta, X, y = problem
    value, grad = minisharp.loss_and_grad(net, theta, X, y, chunk=12)
    parts = [slice(0, 12), slice(12, 24), slice(24, 30)]
    pieces = [minisharp.loss_and_grad(net, theta, X[s], y[s], chunk=12) for s in parts]
    weights = [12 / 30, 12 / 30, 6 / 30]
    assert np.isclose(value, sum(w * v for w, (v, _) in zip(weights, pieces)), rtol=1e-13)
    np.testing.assert_allclose(grad, sum(w * g for w, (_, g) in zip(weights, pieces)),
                               rtol=1e-10, atol=1e-14)
    assert directional_check(
        lambda t: minisharp.loss_and_grad(net, t, X, y, chunk=12)[0], theta, grad) < 1e-6


def test_evaluate_matches_loss_and_accuracy(problem):
    net, theta, X, y = problem
    loss, acc = minisharp.evaluate(net, theta, X, y, chunk=7)
    assert np.isclose(loss, minisharp.loss_and_grad(net, theta, X, y, chunk=7)[0], rtol=1e-12)
    logits = np.concatenate([net.apply(theta, X[i:i + 7]) for i in range(0, 30, 7)])
    assert acc == minisharp.accuracy(net, theta, X, y, chunk=7) == np.mean(logits.argmax(1) == y)


def test_float32_in_gives_float32_out(problem):
    net, theta, X, y = problem
    value, grad = minisharp.loss_and_grad(net, theta.astype(np.float32), X, y)
    assert grad.dtype == np.float32 and isinstance(value, float)


def test_bad_labels_are_clear_errors(problem):
    net, theta, X, y = problem
    with pytest.raises(ValueError, match="one label per sample"):
        minisharp.loss_and_grad(net, theta, X, y[:5])
    with pytest.raises(ValueError, match="labels must lie"):
        minisharp.loss_and_grad(net, theta, X, y + 4)
    with pytest.raises(ValueError, match="measures"):
        minisharp.evaluate(net, theta, X, y, mode="train")


@pytest.mark.parametrize("kind", [np.float16, np.int64, np.complex128, bool])
def test_theta_of_another_dtype_is_refused(problem, kind):
    net, theta, X, y = problem
    for function in (minisharp.loss_and_grad, minisharp.evaluate):
        with pytest.raises(ValueError, match=f"theta must be float32 or float64, got "
                                             f"{np.dtype(kind).name}"):
            function(net, theta.astype(kind), X, y)


def test_theta_of_another_shape_is_refused(problem):
    net, theta, X, y = problem
    for bad in (theta[:-1], theta.reshape(1, -1), np.float64(1.0)):
        with pytest.raises(ValueError, match=f"theta must be a vector of {net.num_params}"):
            minisharp.loss_and_grad(net, bad, X, y)
    with pytest.raises(ValueError, match="out must be"):
        minisharp.loss_and_grad(net, theta, X, y, out=np.empty(theta.size, np.float32))


@pytest.mark.parametrize("labels", [np.array([0.0, 1.5, 2.0]), np.array([True, False, True]),
                                    np.array(["0", "1", "2"])])
def test_labels_that_are_not_integers_are_refused(problem, labels):
    net, theta, X, _ = problem
    for function in (minisharp.loss_and_grad, minisharp.evaluate):
        with pytest.raises(ValueError, match="labels must be integers"):
            function(net, theta, X[:3], labels)


def tiny_network():
    """F1-narrow on 6 inputs and 3 classes, float64, with 10 samples in chunks of 4, 4, 2."""
    net = zoo.build("F1-narrow", (6,), 3)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 6))
    y = rng.integers(0, 3, 10)
    theta = net.init(seed=1, dtype=np.float64)
    theta += 0.05 * rng.standard_normal(theta.size)  # move γ, β and biases off their inits
    return net, X, y, theta


def test_network_objective_gradient_matches_central_differences():
    net, X, y, theta = tiny_network()
    fun = network_objective(net, X, y, mode="batchstat", chunk=4)
    value, gradient = fun(theta)
    assert isinstance(value, float) and gradient.dtype == np.float64
    assert gradient.shape == (net.num_params,)
    direction = np.random.default_rng(5).standard_normal(theta.size)
    direction /= np.linalg.norm(direction)
    h = 1e-5
    difference = (fun(theta + h * direction)[0] - fun(theta - h * direction)[0]) / (2 * h)
    # central differences in float64: truncation O(h²) + rounding O(1e-16/h) ≈ 1e-10
    assert difference == pytest.approx(float(gradient @ direction), rel=1e-6)
    assert fun.evaluations == 3


def test_network_objective_is_deterministic_and_feeds_sharpness():
    net, X, y, theta = tiny_network()
    fun = network_objective(net, X, y, chunk=4)
    first, second = fun(theta), fun(theta)
    assert first[0] == second[0]
    np.testing.assert_array_equal(first[1], second[1])
    result = sharpness(fun, theta.astype(np.float32), 1e-3, maxiter=3)
    assert result.phi > 0
    assert result.nfev == fun.evaluations - 2
    with pytest.raises(ValueError, match="mode 'train' has dropout on"):
        network_objective(net, X, y, mode="train")
    with pytest.raises(ValueError, match="state="):
        network_objective(net, X, y, mode="eval")
