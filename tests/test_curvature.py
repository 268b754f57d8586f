"""Hessian-vector products of network objectives, float64, on tiny networks of every layer type.

Bounds:
- against central differences of the gradient (``loss_and_grad``, same chunks and mode):
  ‖H v − D_h‖ / ‖H v‖ ≤ 1e-6 (best of minisharp.gradcheck.STEPS; measured ~1e-10);
- against the dense Hessian from ``autograd.hessian`` of each chunk's loss (stock autograd,
  weighted by chunk size): the matrix [H e_1 … H e_n] built from our products agrees to
  max |ΔH| ≤ 1e-10 · max |H| (measured ~1e-15), and is symmetric to the same bound.
"""

import numpy as np
import pytest
from tiny_networks import CHUNK, NETWORKS, N, dense_hessian, problem

from minisharp.curvature import NetworkHessian, hessian_vector_product, hvp
from minisharp.gradcheck import hvp_check
from minisharp.objective import loss_and_grad

FD_BOUND = 1e-6
DENSE_BOUND = 1e-10

CASES = [(name, mode) for name in NETWORKS for mode in ("batchstat", "eval")
         if not (name == "dense-relu" and mode == "eval")]


@pytest.mark.parametrize("name,mode", CASES)
def test_hvp_matches_central_differences_of_the_gradient(name, mode):
    net, theta, X, y, state = problem(name)

    def gradient(t):
        return loss_and_grad(net, t, X, y, mode, chunk=CHUNK, state=state)[1]

    for seed in range(3):
        error = hvp_check(gradient, theta,
                          lambda v: hvp(net, theta, X, y, v, mode, chunk=CHUNK, state=state),
                          seed=seed)
        assert error < FD_BOUND


@pytest.mark.parametrize("name,mode", CASES)
def test_hvp_matches_the_dense_hessian(name, mode):
    net, theta, X, y, state = problem(name, seed=1)
    H = dense_hessian(net, theta, X, y, mode, state)
    op = NetworkHessian(net, theta, X, y, mode=mode, chunk=CHUNK, state=state)
    built = np.stack([op(e) for e in np.eye(net.num_params)], axis=1)
    scale = np.abs(H).max()
    assert scale > 0
    assert np.abs(built - H).max() <= DENSE_BOUND * scale
    assert np.abs(built - built.T).max() <= DENSE_BOUND * scale
    assert op.products == net.num_params and op.seconds > 0


def test_chunks_are_averaged_not_summed():
    """Eval mode: each sample's loss is independent, so the set twice over has the same f and
    the same H v, whatever the chunking (a sum over chunks would double it)."""
    net, theta, X, y, state = problem("dense-bn", seed=2)
    v = np.random.default_rng(0).standard_normal(net.num_params)
    once = hvp(net, theta, X, y, v, "eval", chunk=N, state=state)
    twice = hvp(net, theta, np.concatenate([X, X]), np.concatenate([y, y]), v, "eval",
                chunk=3, state=state)
    np.testing.assert_allclose(twice, once, rtol=1e-12, atol=1e-14)


def test_float32_theta_gives_a_close_product_in_float64():
    net, theta, X, y, state = problem("conv", seed=3)
    v = np.random.default_rng(1).standard_normal(net.num_params)
    exact = hvp(net, theta, X, y, v, chunk=CHUNK)
    single = hvp(net, theta.astype(np.float32), X, y, v, chunk=CHUNK)
    assert single.dtype == np.float64
    assert np.linalg.norm(single - exact) <= 1e-4 * np.linalg.norm(exact)


def test_bad_arguments_are_clear_errors():
    net, theta, X, y, state = problem("dense-bn")
    with pytest.raises(ValueError, match="mode must be one of"):
        NetworkHessian(net, theta, X, y, mode="train")
    with pytest.raises(ValueError, match="needs the batch-norm running statistics"):
        NetworkHessian(net, theta, X, y, mode="eval")
    with pytest.raises(ValueError, match="v must have shape"):
        hvp(net, theta, X, y, np.ones(3))


def test_hessian_vector_product_of_a_function_with_a_known_hessian():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((5, 5))
    A = A + A.T
    x, v = rng.standard_normal(5), rng.standard_normal(5)
    product = hessian_vector_product(lambda z: 0.5 * z @ A @ z + np.sum(z ** 4))
    np.testing.assert_allclose(product(x, v), A @ v + 12 * x ** 2 * v, rtol=1e-12)
