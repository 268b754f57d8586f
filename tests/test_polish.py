import numpy as np
import pytest

from minisharp.polish import polish


def quadratic(H, x_star):
    def fun(x):
        d = np.asarray(x, dtype=np.float64) - x_star
        return 0.5 * d @ H @ d, H @ d
    return fun


def test_polish_descends_to_the_minimiser_of_a_quadratic():
    rng = np.random.default_rng(0)
    Q = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    H = Q @ np.diag([0.5, 1, 2, 3, 4, 5]) @ Q.T
    x_star = rng.standard_normal(6)
    result = polish(quadratic(H, x_star), np.zeros(6), steps=200)
    assert result.f_after < 1e-10 < result.f_before
    assert result.grad_norm_after < 1e-4 * result.grad_norm_before
    np.testing.assert_allclose(result.x, x_star, atol=1e-5)


def test_polish_never_increases_f_and_keeps_the_dtype():
    H = np.diag([1.0, 100.0])
    fun = quadratic(H, np.zeros(2))
    x0 = np.array([1.0, 1.0], dtype=np.float32)
    result = polish(fun, x0, steps=3)
    assert result.x.dtype == np.float32 and result.steps == 3
    assert result.f_after <= result.f_before
    values = [fun(polish(fun, x0, steps=k).x)[0] for k in range(5)]
    assert all(b <= a for a, b in zip(values, values[1:]))


def test_polish_at_the_minimiser_takes_no_step():
    result = polish(quadratic(np.eye(3), np.ones(3)), np.ones(3), steps=5)
    assert result.steps == 0 and result.f_after == result.f_before == 0.0


def test_polish_rejects_bad_input():
    fun = quadratic(np.eye(2), np.zeros(2))
    with pytest.raises(ValueError, match="1-D float"):
        polish(fun, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="steps must be"):
        polish(fun, np.zeros(2), steps=-1)
