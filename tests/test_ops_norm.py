"""Batch norm to second order: Hessian-vector products against central differences, float64.

Bound: ‖H v − D_h‖ / ‖H v‖ ≤ 1e-6 with D_h = (∇f(p + h v) − ∇f(p − h v)) / 2h, the smallest
over minisharp.gradcheck.STEPS, for a random direction v. H v comes from autograd's
reverse-over-reverse, i.e. through the VJP's traced (autograd.numpy) path; ∇f from the
first-order Numba kernels — so the check also ties the two paths together.
First-order tests of the op are in tests/test_ops.py.
"""

import autograd.numpy as anp
import numpy as np
from autograd import grad
from autograd.test_util import check_grads
from hypothesis import given, settings
from hypothesis import strategies as st

from minisharp import ops
from minisharp.gradcheck import hvp_check
from minisharp.ops import norm

BOUND = 1e-6


def bn_case(rows, channels, ndim, batch_stats, seed):
    rng = np.random.default_rng(seed)
    shape = (rows, channels) if ndim == 2 else (rows, 2, 3, channels)
    x = rng.standard_normal(shape) * 2 + 1
    gamma, beta = rng.standard_normal(channels), rng.standard_normal(channels)
    running = None if batch_stats else (rng.standard_normal(channels), rng.random(channels) + .2)
    return rng, x, gamma, beta, running


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 12), st.integers(1, 5), st.booleans(), st.booleans(),
       st.sampled_from([2, 4]), st.integers(0, 2**16))
def test_batch_norm_hvp_matches_central_differences(rows, channels, relu, batch_stats, ndim,
                                                    seed):
    """f(p) = Σ w·y + ½ Σ (s·y)², p = (x, γ, β): curvature of BN itself and through the head.

    batch_stats=True is modes "train"/"batchstat" (μ, σ depend on x); False is mode "eval".
    """
    rng, x, gamma, beta, running = bn_case(rows, channels, ndim, batch_stats, seed)
    w, s = rng.standard_normal(x.shape), rng.standard_normal(x.shape)
    sizes = np.cumsum([x.size, channels])

    def f(p):
        xp = anp.reshape(p[:sizes[0]], x.shape)
        y = ops.batch_norm(xp, p[sizes[0]:sizes[1]], p[sizes[1]:], running=running, relu=relu)[0]
        return anp.sum(w * y) + 0.5 * anp.sum((s * y) ** 2)

    p = np.concatenate([x.ravel(), gamma, beta])
    gradient = grad(f)

    def hvp(v):
        return grad(lambda q: anp.dot(gradient(q), v))(p)

    assert hvp_check(gradient, p, hvp, seed=seed) < BOUND


def test_batch_norm_third_order_by_autograd():
    """autograd's own check of first and second derivatives (order=2) of a BN network piece."""
    _, x, gamma, beta, _ = bn_case(6, 3, 4, True, 3)

    def f(x, gamma, beta):
        y = ops.batch_norm(x, gamma, beta, relu=True)[0]
        return anp.sum(anp.tanh(y))

    check_grads(f, modes=["rev"], order=2)(x, gamma, beta)


def test_traced_vjp_equals_kernel_vjp():
    """The two ways of running the VJP agree on plain arrays (rounding only)."""
    for batch_stats in (True, False):
        for relu in (True, False):
            rng, x, gamma, beta, running = bn_case(9, 4, 4, batch_stats, 5)
            y, stats = ops.batch_norm(x, gamma, beta, running=running, relu=relu)
            mean, var = stats if batch_stats else running
            mean, inv_std = np.asarray(mean), 1 / np.sqrt(np.asarray(var) + norm.EPS)
            g = rng.standard_normal(x.shape)
            args = (mean, inv_std, batch_stats, relu)
            kernel = norm._kernel_vjp((0, 1, 2), g, x, gamma, beta, y, *args)
            traced = norm._traced_vjp((0, 1, 2), g, x, gamma, y, *args, norm.EPS)
            for a, b in zip(kernel, traced):
                np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_relu_hvp_matches_central_differences():
    x = np.random.default_rng(2).standard_normal(30)

    def f(x):
        return anp.sum(ops.relu(x) ** 3) + anp.sum(anp.sin(ops.relu(x)))

    gradient = grad(f)
    assert hvp_check(gradient, x, lambda v: grad(lambda q: anp.dot(gradient(q), v))(x)) < BOUND


def test_second_order_stays_in_float32():
    """A float32 network's Hessian-vector product must not drift into float64 (a float64
    cotangent would make every matrix product of the outer pass run at double precision)."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((8, 5)).astype(np.float32)
    gamma, beta = np.ones(5, np.float32), np.zeros(5, np.float32)
    labels = rng.integers(0, 5, 8)

    def f(x):
        return ops.softmax_cross_entropy(ops.batch_norm(x, gamma, beta, relu=True)[0], labels)

    gradient = grad(f)
    v = rng.standard_normal(x.shape).astype(np.float32)
    assert grad(lambda z: anp.sum(gradient(z) * v))(x).dtype == np.float32


def test_ghost_batch_norm_is_twice_differentiable_too():
    """Ghost batch norm is batch norm on reshaped rows, so it inherits the second order."""
    from minisharp.ops.ghost_norm import ghost_batch_norm

    _, x, gamma, beta, _ = bn_case(8, 3, 2, True, 7)

    def f(x, gamma, beta):
        return anp.sum(anp.tanh(ghost_batch_norm(x, gamma, beta, 4, relu=True)[0]))

    check_grads(f, modes=["rev"], order=2)(x, gamma, beta)


@given(st.integers(1, 40), st.integers(1, 5), st.sampled_from([2, 4]), st.booleans(),
       st.booleans(), st.integers(0, 2**16))
@settings(max_examples=30, deadline=None)
def test_array_path_matches_the_numba_kernels(rows, channels, ndim, batch_stats, relu, seed):
    """The GPU's formulation (array operations, run here with NumPy) equals the kernels'."""
    rng, x, gamma, beta, _ = bn_case(rows, channels, ndim, batch_stats, seed)
    x = x.astype(np.float32)
    rows_view = x.reshape(-1, channels)
    for a, b in zip(norm.column_moments(rows_view), norm.ArrayKernels.column_moments(rows_view)):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-9)
    mean, var = norm.column_moments(rows_view)
    mean, inv_std = mean.astype(np.float32), (1 / np.sqrt(var + norm.EPS)).astype(np.float32)
    scale, offset = (gamma * inv_std).astype(np.float32), beta.astype(np.float32)
    y_kernel, y_arrays = np.empty_like(rows_view), np.empty_like(rows_view)
    norm.kernels.affine_relu(rows_view, mean, scale, offset, relu, y_kernel)
    norm.ArrayKernels.affine_relu(rows_view, mean, scale, offset, relu, y_arrays)
    np.testing.assert_allclose(y_arrays, y_kernel, rtol=1e-6, atol=1e-6)
    ans = y_kernel.reshape(x.shape)
    g = rng.standard_normal(x.shape).astype(np.float32)
    args = (g, x, gamma.astype(np.float32), ans, mean, inv_std, batch_stats, relu)
    kernel = norm._kernel_vjp((0, 1, 2), g, x, gamma.astype(np.float32),
                              beta.astype(np.float32), *args[3:])
    arrays = norm._kernel_vjp((0, 1, 2), g, x, gamma.astype(np.float32),
                              beta.astype(np.float32), *args[3:], norm.ArrayKernels)
    for a, b in zip(kernel, arrays):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-4)
