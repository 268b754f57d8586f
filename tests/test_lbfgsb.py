import numpy as np
import pytest

from minisharp import lbfgsb


def objective(seed=0, n=40):
    rng = np.random.default_rng(seed)
    h, c = rng.random(n) + 0.1, rng.standard_normal(n)

    def fun(y):
        value = float(np.sum(np.cos(3 * y + c) - 0.5 * h * y**2))
        return value, -3 * np.sin(3 * y + c) - h * y

    bound = 0.5 * (rng.random(n) + 0.5)
    return fun, -bound, bound


@pytest.mark.parametrize("maxiter", [1, 3, 10])
def test_direct_driver_matches_scipy_minimize_exactly(maxiter):
    fun, lower, upper = objective()
    fast = lbfgsb.minimize_box(fun, lower, upper, maxiter=maxiter)
    slow = lbfgsb.minimize_box(fun, lower, upper, maxiter=maxiter, fast=False)
    np.testing.assert_array_equal(fast[0], slow[0])
    assert fast[1] == slow[1] and fast[2] == slow[2] <= maxiter
    assert np.all(fast[0] >= lower) and np.all(fast[0] <= upper)
    assert fast[1] < fun(np.zeros_like(lower))[0]


def test_falls_back_when_scipy_changes_its_private_core(monkeypatch):
    fun, lower, upper = objective(1)
    expected = lbfgsb.minimize_box(fun, lower, upper, maxiter=5, fast=False)

    class Changed:
        @staticmethod
        def setulb(*args):
            raise TypeError("setulb() takes 16 positional arguments")

    monkeypatch.setattr(lbfgsb, "_lbfgsb", Changed)
    got = lbfgsb.minimize_box(fun, lower, upper, maxiter=5)
    np.testing.assert_array_equal(got[0], expected[0])


def test_errors_inside_the_objective_propagate():
    def broken(y):
        raise TypeError("a bug in the objective")

    with pytest.raises(TypeError, match="a bug in the objective"):
        lbfgsb.minimize_box(broken, -np.ones(3), np.ones(3), maxiter=3)
