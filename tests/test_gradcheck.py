import numpy as np

from minisharp.gradcheck import directional_check, hvp_check, relative_error, vjp_check


def test_directional_check_accepts_true_and_rejects_wrong_gradient():
    x = np.linspace(-1, 1, 5)
    f = lambda x: np.sum(np.sin(x) * x)  # noqa: E731
    true = np.cos(x) * x + np.sin(x)
    assert directional_check(f, x, true) < 1e-8
    assert directional_check(f, x, true * 1.01) > 1e-3


def test_vjp_check_on_a_linear_map():
    M = np.random.default_rng(1).standard_normal((3, 4))
    assert vjp_check(lambda x: M @ x, np.ones(4), lambda u: M.T @ u) < 1e-7
    assert vjp_check(lambda x: M @ x, np.ones(4), lambda u: M.T @ u + 0.1) > 1e-4


def test_relative_error_is_symmetric_and_safe_at_zero():
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(1.0, 2.0) == relative_error(2.0, 1.0) == 0.5


def test_hvp_check_accepts_true_and_rejects_wrong_hessian():
    x = np.linspace(-1, 1, 5)
    grad = lambda x: np.cos(x) * x + np.sin(x)  # noqa: E731  (f = Σ x sin x)
    diagonal = 2 * np.cos(x) - x * np.sin(x)
    assert hvp_check(grad, x, lambda v: diagonal * v) < 1e-8
    assert hvp_check(grad, x, lambda v: 1.01 * diagonal * v) > 1e-3

