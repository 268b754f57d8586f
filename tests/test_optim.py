"""Optimizers: first steps against hand-computed values, dtype, state round trip, kernels."""

import numpy as np
import pytest

from minisharp import optim
from minisharp.kernels import optim as kernels


def test_sgd_plain_step_by_hand():
    theta = np.array([1.0, -2.0, 0.5])
    grad = np.array([0.5, -1.0, 0.0])
    optim.SGD(lr=0.1).step(theta, grad)
    np.testing.assert_allclose(theta, [0.95, -1.9, 0.5])


def test_sgd_momentum_two_steps_by_hand():
    theta = np.array([1.0, -1.0])
    opt = optim.SGD(lr=0.1, momentum=0.9)
    opt.step(theta, np.array([1.0, 2.0]))
    # v1 = -0.1 g1 = [-0.1, -0.2]; θ1 = θ0 + v1
    np.testing.assert_allclose(theta, [0.9, -1.2])
    opt.step(theta, np.array([-1.0, 0.5]))
    # v2 = 0.9 v1 - 0.1 g2 = [-0.09 + 0.1, -0.18 - 0.05] = [0.01, -0.23]
    np.testing.assert_allclose(theta, [0.91, -1.43])
    np.testing.assert_allclose(opt.moments["velocity"], [0.01, -0.23])
    assert opt.steps == 2


def test_sgd_nesterov_two_steps_by_hand():
    theta = np.array([0.0])
    opt = optim.SGD(lr=0.1, momentum=0.5, nesterov=True)
    opt.step(theta, np.array([1.0]))
    # v1 = -0.1; θ1 = 0 + 0.5·(-0.1) - 0.1 = -0.15
    np.testing.assert_allclose(theta, [-0.15])
    opt.step(theta, np.array([2.0]))
    # v2 = 0.5·(-0.1) - 0.2 = -0.25; θ2 = -0.15 + 0.5·(-0.25) - 0.2 = -0.475
    np.testing.assert_allclose(theta, [-0.475])


def test_adam_two_steps_by_hand():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    theta = np.array([1.0, -3.0])
    g1, g2 = np.array([0.2, -4.0]), np.array([-0.1, 1.0])
    opt = optim.Adam(lr=lr, beta1=b1, beta2=b2, eps=eps)
    expected = theta.copy()
    m, v = np.zeros(2), np.zeros(2)
    for t, g in ((1, g1), (2, g2)):
        opt.step(theta, g)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        expected -= lr_t * m / (np.sqrt(v) + eps)
        np.testing.assert_allclose(theta, expected, rtol=1e-13)
    np.testing.assert_allclose(opt.moments["m"], m, rtol=1e-13)
    np.testing.assert_allclose(opt.moments["v"], v, rtol=1e-13)


def test_adam_first_step_moves_by_lr_times_sign():
    # At t = 1 the move is lr·g/(|g| + ε/√(1 − β₂)): lr·sign(g) to within 3.2e-7/|g|.
    rng = np.random.default_rng(0)
    grad = rng.choice([-1.0, 1.0], size=1000) * np.logspace(-2, 3, 1000)
    theta = np.zeros(1000)
    optim.Adam(lr=1e-3).step(theta, grad)
    np.testing.assert_allclose(theta, -1e-3 * np.sign(grad), rtol=4e-5)


def test_float32_stays_float32():
    for opt in (optim.Adam(), optim.SGD(momentum=0.9), optim.SGD()):
        theta = np.ones(10, np.float32)
        opt.step(theta, np.full(10, 0.5, np.float32))
        assert theta.dtype == np.float32
        assert all(m.dtype == np.float32 for m in opt.moments.values())
        assert np.all(theta < 1)


def test_adam_kernel_matches_numpy_reference_float32():
    rng = np.random.default_rng(1)
    n = 10_001
    theta = rng.normal(size=n).astype(np.float32)
    m = rng.normal(size=n).astype(np.float32) * 0.01
    v = rng.random(n).astype(np.float32) * 1e-4
    grad = rng.normal(size=n).astype(np.float32)
    f = np.float32
    step, b1, b2, eps = f(3e-3), f(0.9), f(0.999), f(1e-8)
    m_ref = b1 * m + (f(1) - b1) * grad
    v_ref = b2 * v + (f(1) - b2) * grad * grad
    theta_ref = theta - step * m_ref / (np.sqrt(v_ref) + eps)
    kernels.adam_update(theta, grad, m, v, step, b1, f(1) - b1, b2, f(1) - b2, eps)
    for got, ref in ((m, m_ref), (v, v_ref), (theta, theta_ref)):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-7)


def test_momentum_kernel_matches_numpy_reference():
    rng = np.random.default_rng(2)
    theta, velocity, grad = (rng.normal(size=5000) for _ in range(3))
    for nesterov in (False, True):
        t, vel = theta.copy(), velocity.copy()
        kernels.momentum_update(t, grad, vel, 0.05, 0.9, nesterov)
        v_ref = 0.9 * velocity - 0.05 * grad
        t_ref = theta + (0.9 * v_ref - 0.05 * grad if nesterov else v_ref)
        np.testing.assert_allclose(vel, v_ref, rtol=1e-15)
        np.testing.assert_allclose(t, t_ref, rtol=1e-15)


def test_state_dict_round_trip_continues_identically():
    rng = np.random.default_rng(3)
    grads = rng.normal(size=(4, 50)).astype(np.float32)
    theta_a = np.zeros(50, np.float32)
    a = optim.Adam()
    for g in grads[:2]:
        a.step(theta_a, g)
    theta_b = theta_a.copy()
    b = optim.from_config(a.config())
    b.load_state_dict(a.state_dict())
    for g in grads[2:]:
        a.step(theta_a, g)
        b.step(theta_b, g)
    assert b.steps == 4
    np.testing.assert_array_equal(theta_a, theta_b)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="lr"):
        optim.Adam(lr=-1)
    with pytest.raises(ValueError, match="momentum"):
        optim.SGD(momentum=1.0)
    with pytest.raises(ValueError, match="unknown optimizer"):
        optim.make("rmsprop")
    with pytest.raises(ValueError, match="grad must match"):
        optim.Adam().step(np.zeros(3, np.float32), np.zeros(3))
    with pytest.raises(ValueError, match="needs arrays"):
        optim.Adam().load_state_dict({"steps": 1, "velocity": np.zeros(3)})


def test_adagrad_three_steps_against_numpy_reference():
    lr, eps = 0.05, 1e-8
    rng = np.random.default_rng(4)
    theta = rng.normal(size=7)
    grads = rng.normal(size=(3, 7))
    grads[0, 2] = 0.0  # a zero gradient on a fresh accumulator must not move θ (0 / ε)
    opt = optim.Adagrad(lr=lr, eps=eps)
    expected, accumulator = theta.copy(), np.zeros(7)
    for g in grads:
        opt.step(theta, g)
        accumulator = accumulator + g * g
        expected = expected - lr * g / (np.sqrt(accumulator) + eps)
        np.testing.assert_allclose(theta, expected, rtol=1e-14)
    np.testing.assert_allclose(opt.moments["accumulator"], accumulator, rtol=1e-14)
    assert opt.steps == 3


def test_adagrad_initial_accumulator_enters_the_first_step():
    theta = np.array([0.0, 0.0])
    optim.Adagrad(lr=0.1, eps=0.0, initial_accumulator=0.75).step(theta, np.array([0.5, -1.0]))
    # a = 0.75 + g² = [1.0, 1.75]; θ = −0.1 g / √a
    np.testing.assert_allclose(theta, [-0.05, 0.1 / np.sqrt(1.75)], rtol=1e-15)


def test_adagrad_kernel_matches_numpy_reference_float32():
    rng = np.random.default_rng(5)
    n = 10_001
    theta = rng.normal(size=n).astype(np.float32)
    accumulator = rng.random(n).astype(np.float32)
    grad = rng.normal(size=n).astype(np.float32)
    lr, eps = np.float32(0.01), np.float32(1e-8)
    a_ref = accumulator + grad * grad
    theta_ref = theta - lr * grad / (np.sqrt(a_ref) + eps)
    kernels.adagrad_update(theta, grad, accumulator, lr, eps)
    for got, ref in ((accumulator, a_ref), (theta, theta_ref)):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-7)


def test_adagrad_float32_stays_float32():
    theta = np.ones(10, np.float32)
    opt = optim.make("adagrad")
    opt.step(theta, np.full(10, 0.5, np.float32))
    assert theta.dtype == np.float32 and opt.moments["accumulator"].dtype == np.float32
    # first step with a₀ = 0: lr·g/(|g| + ε) = 0.01 to float32 precision
    np.testing.assert_allclose(theta, 0.99, rtol=1e-6)


def test_adagrad_state_and_config_round_trip_continue_identically():
    rng = np.random.default_rng(6)
    grads = rng.normal(size=(5, 40)).astype(np.float32)
    theta_a = rng.normal(size=40).astype(np.float32)
    a = optim.Adagrad(lr=0.02, eps=1e-7, initial_accumulator=0.1)
    for g in grads[:2]:
        a.step(theta_a, g)
    config = a.config()
    assert config == {"name": "adagrad", "lr": 0.02, "eps": 1e-7, "initial_accumulator": 0.1}
    b = optim.from_config(config)
    b.load_state_dict(a.state_dict())
    theta_b = theta_a.copy()
    for g in grads[2:]:
        a.step(theta_a, g)
        b.step(theta_b, g)
    assert b.steps == 5
    np.testing.assert_array_equal(theta_a, theta_b)
    np.testing.assert_array_equal(a.moments["accumulator"], b.moments["accumulator"])


def test_adagrad_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="lr"):
        optim.Adagrad(lr=0)
    with pytest.raises(ValueError, match="eps"):
        optim.Adagrad(eps=-1e-8)
    with pytest.raises(ValueError, match="initial_accumulator"):
        optim.Adagrad(initial_accumulator=-0.1)
    with pytest.raises(ValueError, match="eps must be positive when initial_accumulator"):
        optim.Adagrad(eps=0.0)
    with pytest.raises(ValueError, match="grad must match"):
        optim.Adagrad().step(np.zeros(3, np.float32), np.zeros(3))
    with pytest.raises(ValueError, match="needs arrays"):
        optim.Adagrad().load_state_dict({"steps": 1, "m": np.zeros(3)})


@pytest.mark.parametrize("name", ["adam_update", "adagrad_update", "momentum_update",
                                  "sgd_update"])
def test_array_expression_twins_match_the_numba_kernels(name):
    """The GPU's update (array expressions, run here with NumPy) equals the Numba kernel's."""
    from minisharp.kernels import optim as kernels

    rng = np.random.default_rng(3)
    f = np.float32
    args = {"adam_update": (f(1e-3), f(0.9), f(0.1), f(0.999), f(0.001), f(1e-8)),
            "adagrad_update": (f(0.01), f(1e-8)), "momentum_update": (f(0.1), f(0.9), True),
            "sgd_update": (f(0.1),)}[name]
    slots = {"adam_update": 2, "adagrad_update": 1, "momentum_update": 1, "sgd_update": 0}[name]
    theta, grad = rng.standard_normal((2, 1001)).astype(f)
    moments = [rng.random(1001).astype(f) for _ in range(slots)]
    results = []
    for update in (getattr(kernels, name), getattr(kernels, f"{name}_arrays")):
        t, m = theta.copy(), [a.copy() for a in moments]
        for _ in range(3):
            update(t, grad, *m, *args)
        results.append([t, *m])
    for numba_array, twin_array in zip(*results):
        assert twin_array.dtype == np.float32
        np.testing.assert_allclose(twin_array, numba_array, rtol=2e-6, atol=1e-7)
