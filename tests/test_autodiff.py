import autograd.numpy as anp
import numpy as np
from autograd import grad, hessian

from minisharp.autodiff import gradients, value_and_grad


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


def test_gradients_match_autograd_and_differentiate_again():
    rng = np.random.default_rng(1)
    a, b, c = rng.standard_normal(3), rng.standard_normal(2), rng.standard_normal(2)

    def f(args):
        a, b, c = args
        return anp.sum(anp.sin(a) ** 2) * anp.sum(b ** 3) + anp.sum(a[:2] * b)

    first = gradients(f, [a, b, c])
    np.testing.assert_allclose(first[0], grad(lambda a: f([a, b, c]))(a), rtol=1e-12)
    np.testing.assert_allclose(first[1], grad(lambda b: f([a, b, c]))(b), rtol=1e-12)
    assert np.all(first[2] == 0)

    # second order: gradients of ⟨∇f, v⟩ is H v; compare with autograd's dense Hessian
    v = [rng.standard_normal(3), rng.standard_normal(2), rng.standard_normal(2)]
    hv = gradients(lambda xs: sum(anp.sum(g * w) for g, w in zip(gradients(f, xs), v)),
                   [a, b, c])
    packed = np.concatenate([a, b, c])
    H = hessian(lambda p: f([p[:3], p[3:5], p[5:]]))(packed)
    np.testing.assert_allclose(np.concatenate(hv), H @ np.concatenate(v), rtol=1e-10, atol=1e-12)

