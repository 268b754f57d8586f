"""SAM on a quadratic: ε̂ = ρ g/‖g‖ exactly, one step by hand; on a network the probe pass
leaves batch-norm running statistics alone."""

import numpy as np
import pytest

from minisharp import optim, zoo
from minisharp.objective import loss_and_grad
from minisharp.remedies import SAM, sam_perturbation, sam_step
from minisharp.train import plain_step

A = np.diag([1.0, 4.0, 9.0])


def quadratic(x, out, probe=False):
    """f(x) = ½ xᵀAx, ∇f = Ax."""
    out[...] = A @ x
    return 0.5 * float(x @ A @ x)


def test_perturbation_is_rho_times_the_unit_gradient():
    x = np.array([1.0, -2.0, 0.5])
    g = A @ x
    eps = sam_perturbation(g, 0.05)
    np.testing.assert_allclose(eps, 0.05 * g / np.sqrt(np.sum(g**2)), rtol=1e-15)
    assert np.isclose(np.linalg.norm(eps), 0.05, rtol=1e-15)
    np.testing.assert_array_equal(sam_perturbation(np.zeros(3), 0.05), np.zeros(3))
    assert sam_perturbation(g.astype(np.float32), 0.05).dtype == np.float32


def test_one_sam_step_matches_a_hand_computation():
    x = np.array([1.0, -2.0, 0.5])
    theta, grad = x.copy(), np.empty(3)
    lr, rho = 0.1, 0.2
    loss = sam_step(quadratic, theta, grad, optim.SGD(lr=lr), rho)
    g = np.array([1.0, -8.0, 4.5])                      # A x
    probe = x + rho * g / np.sqrt(1 + 64 + 20.25)       # x + ρ g/‖g‖
    expected = x - lr * np.array([1, 4, 9]) * probe     # x − lr A (x + ε̂)
    assert loss == pytest.approx(0.5 * (1 + 16 + 2.25))
    np.testing.assert_allclose(theta, expected, rtol=1e-14)


def test_sam_probe_keeps_running_statistics_and_first_pass_matches_plain():
    net = zoo.build("F1-narrow", (1, 4, 4), 3)
    theta = net.init(0)
    rng = np.random.default_rng(0)
    X, y = rng.random((16, 1, 4, 4)).astype(np.float32), rng.integers(0, 3, 16)
    state_plain, state_sam = net.init_state(), net.init_state()
    theta_plain, theta_sam = theta.copy(), theta.copy()
    grad = np.empty_like(theta)
    loss_plain = plain_step(net, theta_plain, grad, X, y, optim.Adam(), state=state_plain,
                            rng=np.random.default_rng(1))
    loss_sam = SAM(0.05).step(net, theta_sam, grad, X, y, optim.Adam(), state=state_sam,
                              rng=np.random.default_rng(1))
    assert loss_sam == loss_plain
    for key in state_plain:  # the running statistics saw the batch once, at θ
        np.testing.assert_array_equal(state_sam[key], state_plain[key])
    assert not np.array_equal(theta_sam, theta_plain)
    # the update used the gradient at θ + ε̂
    g = loss_and_grad(net, theta, X, y, mode="batchstat")[1]
    probe_grad = loss_and_grad(net, theta + sam_perturbation(g, 0.05), X, y, mode="batchstat")[1]
    expected = theta.copy()
    optim.Adam().step(expected, probe_grad)
    np.testing.assert_allclose(theta_sam, expected, rtol=1e-5, atol=1e-7)


def test_sam_uses_the_same_dropout_mask_in_both_passes():
    # C1-narrow has dropout. With a vanishing ρ the probe point is θ itself, so SAM's update
    # equals the plain update only if the probe pass draws the same dropout mask.
    net = zoo.build("C1-narrow", (1, 8, 8), 4)
    theta = net.init(0, dtype=np.float64)
    rng = np.random.default_rng(2)
    X, y = rng.random((6, 1, 8, 8)), rng.integers(0, 4, 6)
    grad = np.empty_like(theta)
    theta_plain, theta_sam = theta.copy(), theta.copy()
    rng_plain, rng_sam = np.random.default_rng(5), np.random.default_rng(5)
    plain_step(net, theta_plain, grad, X, y, optim.SGD(lr=0.1), state=None, rng=rng_plain)
    SAM(1e-12).step(net, theta_sam, grad, X, y, optim.SGD(lr=0.1), state=None, rng=rng_sam)
    # (a different mask would move coordinates by ~1e-2; the tiny ρ moves them by < 1e-9)
    np.testing.assert_allclose(theta_sam - theta, theta_plain - theta, rtol=1e-6, atol=1e-9)
    assert rng_sam.random() == rng_plain.random()  # the run's generator advanced once


def test_rho_must_be_positive():
    with pytest.raises(ValueError, match="rho"):
        SAM(0.0)
