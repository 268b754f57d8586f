"""Conservative training: the proximal sub-problem on a quadratic (closed-form minimiser), the
paper's 3 Adam steps by hand, and the network step (first inner step = plain step)."""

import numpy as np
import pytest

from minisharp import optim, zoo
from minisharp.remedies import Conservative, proximal_steps
from minisharp.train import plain_step

A = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]])
B = np.array([1.0, -1.0, 2.0])


def quadratic(x, out, inner=0):
    """f(x) = ½ xᵀAx − bᵀx, ∇f = Ax − b."""
    out[...] = A @ x - B
    return float(0.5 * x @ A @ x - B @ x)


@pytest.mark.parametrize("lam", [1e-3, 0.5, 5.0])
def test_many_inner_steps_reach_the_closed_form_proximal_minimiser(lam):
    x_k = np.array([0.3, -0.7, 1.1])
    theta, grad = x_k.copy(), np.empty(3)
    # GD on f + λ/2‖x − x_k‖² converges for lr < 2/λ_max(A + λI)
    lr = 1.0 / (np.linalg.eigvalsh(A).max() + lam)
    loss = proximal_steps(quadratic, theta, grad, optim.SGD(lr=lr), lam, 2000)
    closed_form = np.linalg.solve(A + lam * np.eye(3), B + lam * x_k)
    np.testing.assert_allclose(theta, closed_form, rtol=1e-10, atol=1e-12)
    assert loss == pytest.approx(quadratic(x_k, np.empty(3)))  # f_B before the step
    # and the proximal term matters: without it GD goes to A⁻¹b instead
    assert np.linalg.norm(closed_form - np.linalg.solve(A, B)) > 1e-4


def test_three_adam_steps_by_hand():
    lam, x_k = 1e-3, np.array([0.3, -0.7, 1.1])
    theta, grad = x_k.copy(), np.empty(3)
    proximal_steps(quadratic, theta, grad, optim.Adam(), lam, 3)
    x, m, v = x_k.copy(), np.zeros(3), np.zeros(3)
    for t in (1, 2, 3):  # Keras-1 Adam, written out
        g = A @ x - B + lam * (x - x_k)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g**2
        x = x - 1e-3 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t) * m / (np.sqrt(v) + 1e-8)
    np.testing.assert_allclose(theta, x, rtol=1e-14)


def test_network_step_takes_inner_steps_and_counts_the_batch_once():
    net = zoo.build("F1-narrow", (1, 4, 4), 3)
    theta = net.init(0)
    rng = np.random.default_rng(0)
    X, y = rng.random((16, 1, 4, 4)).astype(np.float32), rng.integers(0, 3, 16)
    grad = np.empty_like(theta)
    state_plain, state_cons = net.init_state(), net.init_state()
    opt_plain, opt_cons = optim.Adam(), optim.Adam()
    theta_plain, theta_cons = theta.copy(), theta.copy()
    loss_plain = plain_step(net, theta_plain, grad, X, y, opt_plain, state=state_plain, rng=None)
    loss_cons = Conservative(1e-3, 3).step(net, theta_cons, grad, X, y, opt_cons,
                                           state=state_cons, rng=None)
    assert loss_cons == loss_plain and opt_cons.steps == 3
    for key in state_plain:
        np.testing.assert_array_equal(state_cons[key], state_plain[key])
    one = theta.copy()
    Conservative(1e-3, 1).step(net, one, grad, X, y, optim.Adam(), state=None, rng=None)
    np.testing.assert_array_equal(one, theta_plain)  # one inner step is a plain step


def test_bad_settings():
    with pytest.raises(ValueError, match="lam"):
        Conservative(lam=-1.0)
    with pytest.raises(ValueError, match="inner_steps"):
        Conservative(inner_steps=0)
    assert Conservative().config() == {"name": "conservative", "lam": 1e-3, "inner_steps": 3}
