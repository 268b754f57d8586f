import autograd.numpy as anp
import numpy as np
from autograd import grad

from minisharp.autodiff import value_and_grad


def test_matches_autograd_for_several_arrays():
    rng = np.random.default_rng(0)
    a, b, c = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(2)

    def f(args):
        a, b, c = args
        return anp.sum(anp.tanh(a @ b) ** 2) + anp.sum(b * b) * anp.sum(a)

    out = [np.empty_like(a), np.empty_like(b), np.full_like(c, 7.0)]
    value = value_and_grad(f, [a, b, c], out)
    assert np.isclose(value, f([a, b, c]))
    np.testing.assert_allclose(out[0], grad(lambda a: f([a, b, c]))(a), rtol=1e-12)
    np.testing.assert_allclose(out[1], grad(lambda b: f([a, b, c]))(b), rtol=1e-12)
    assert np.all(out[2] == 0), "an unused array must get a zero gradient"


def test_constant_function_gives_zero_gradient():
    a = np.ones(3)
    out = [np.full(3, 5.0)]
    assert value_and_grad(lambda args: 2.5, [a], out) == 2.5
    assert np.all(out[0] == 0)
