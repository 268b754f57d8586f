"""The loss's gradient with respect to the input against float64 central differences
(relative error ≤ 1e-6, random directions; F1-narrow and C1-narrow, all three modes), and
FGSM: the perturbation is ε times the sign of that gradient, clipped to the pixel range."""

import numpy as np
import pytest

from minisharp import zoo
from minisharp.gradcheck import directional_check
from minisharp.objective import loss_and_input_grad
from minisharp.remedies import Adversarial, fgsm

BOUND = 1e-6


def batch(seed, n=6, shape=(1, 8, 8), classes=4):
    rng = np.random.default_rng(seed)
    return rng.random((n, *shape)), rng.integers(0, classes, n)


@pytest.mark.parametrize("name", ["F1-narrow", "C1-narrow"])
@pytest.mark.parametrize("mode", ["batchstat", "eval", "train"])
@pytest.mark.parametrize("seed", [0, 1])
def test_input_gradient_against_central_differences(name, mode, seed):
    net = zoo.build(name, (1, 8, 8), 4)
    theta = net.init(seed, dtype=np.float64)
    X, y = batch(seed)
    state = None
    if mode == "eval":
        rng = np.random.default_rng(seed + 10)
        state = {k: v + rng.random(v.shape) for k, v in net.init_state().items()}

    def f(Z):  # a fresh generator per call: the same dropout mask every time
        return loss_and_input_grad(net, theta, Z, y, mode, state=state,
                                   rng=np.random.default_rng(seed))[0]

    loss, grad_x = loss_and_input_grad(net, theta, X, y, mode, state=state,
                                       rng=np.random.default_rng(seed))
    assert grad_x.shape == X.shape and grad_x.dtype == np.float64
    assert loss == f(X)
    assert directional_check(f, X, grad_x, seed=seed) < BOUND


def test_input_gradient_of_flat_input_keeps_its_shape():
    net = zoo.build("F1-narrow", (64,), 4)
    theta = net.init(0, dtype=np.float64)
    X, y = batch(0, shape=(64,))
    _, grad_x = loss_and_input_grad(net, theta, X, y)
    assert grad_x.shape == X.shape
    assert directional_check(lambda Z: loss_and_input_grad(net, theta, Z, y)[0], X,
                             grad_x) < BOUND


def test_fgsm_moves_each_pixel_by_eps_along_the_gradient_sign():
    net = zoo.build("C1-narrow", (1, 8, 8), 4)
    theta = net.init(0, dtype=np.float64)
    X, y = batch(2)
    X = 0.2 + 0.6 * X  # away from the bounds: no clipping
    _, grad_x = loss_and_input_grad(net, theta, X, y)
    adversarial = fgsm(net, theta, X, y, 0.1)
    np.testing.assert_allclose(adversarial - X, 0.1 * np.sign(grad_x), rtol=1e-12, atol=1e-15)
    assert np.all(grad_x != 0)
    # the first-order worst case: the loss goes up
    assert loss_and_input_grad(net, theta, adversarial, y)[0] > loss_and_input_grad(
        net, theta, X, y)[0]


def test_fgsm_clips_to_the_pixel_range_and_keeps_the_dtype():
    net = zoo.build("F1-narrow", (1, 8, 8), 4)
    theta = net.init(0)
    X, y = batch(3)
    X = X.astype(np.float32)
    adversarial = fgsm(net, theta, X, y, 0.5)
    assert adversarial.dtype == np.float32
    assert adversarial.min() >= 0.0 and adversarial.max() <= 1.0
    assert np.any(adversarial == 0.0) and np.any(adversarial == 1.0)


def test_adversarial_transform_doubles_the_batch():
    net = zoo.build("F1-narrow", (1, 8, 8), 4)
    theta = net.init(0)
    X, y = batch(4)
    X = X.astype(np.float32)
    X2, y2 = Adversarial(0.1).transform(X, y, None, net, theta)
    assert X2.shape == (12, 1, 8, 8) and y2.tolist() == y.tolist() * 2
    np.testing.assert_array_equal(X2[:6], X)
    np.testing.assert_array_equal(X2[6:], fgsm(net, theta, X, y, 0.1))
    with pytest.raises(ValueError, match="eps"):
        Adversarial(0.0)
