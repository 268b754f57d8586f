"""max_pool2d primitives: VJPs against central differences, second order, float32 path.

First-order bound: relative error ≤ 1e-6 between gᵀ (f(x + h u) − f(x − h u)) / (2h) and
⟨VJP(g), u⟩ in float64, h = 1e-6. Inputs are a shuffled grid of values 1e-2 apart, so no
window changes its arg-max within ±h·|u|.
"""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, make_vjp
from autograd.test_util import check_grads
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import pool_geometry

from minisharp.gradcheck import relative_error
from minisharp.kernels.pool import max_pool_with_argmax
from minisharp.ops.conv import conv2d
from minisharp.ops.pool import max_pool2d, window_gather, window_scatter

FD_STEP = 1e-6
FD_REL_TOL = 1e-6
SETTINGS = settings(max_examples=20, deadline=None)


@st.composite
def pool_cases(draw):
    geometry = draw(pool_geometry(max_side=8, max_batch=2))
    return (*geometry, np.random.default_rng(draw(st.integers(0, 999))))


def separated_input(shape, rng):
    """Distinct values 1e-2 apart in random order (no ties, no arg-max flips under FD)."""
    return rng.permutation(np.prod(shape)).reshape(shape) * 1e-2


@SETTINGS
@given(pool_cases())
def test_max_pool_vjp_matches_central_differences(case):
    x_shape, size, stride, padding, rng = case
    x = separated_input(x_shape, rng)

    def pool(x):
        return max_pool2d(x, size, stride, padding)

    g, u = rng.standard_normal(pool(x).shape), rng.standard_normal(x_shape)
    fd = np.vdot(g, pool(x + FD_STEP * u) - pool(x - FD_STEP * u)) / (2 * FD_STEP)
    vjp, _ = make_vjp(pool)(x)
    assert relative_error(fd, np.vdot(vjp(g), u)) <= FD_REL_TOL


@SETTINGS
@given(pool_cases())
def test_scatter_vjp_is_the_gather(case):
    """window_scatter is linear in g: its VJP must match central differences exactly."""
    x_shape, size, stride, padding, rng = case
    x = separated_input(x_shape, rng)
    argmax = max_pool_with_argmax(x, size, stride, padding)[1]
    g = rng.standard_normal(argmax.shape)

    def scatter(g):
        return window_scatter(g, argmax, x_shape)

    u, w = rng.standard_normal(argmax.shape), rng.standard_normal(x_shape)
    fd = np.vdot(w, scatter(g + FD_STEP * u) - scatter(g - FD_STEP * u)) / (2 * FD_STEP)
    vjp, _ = make_vjp(scatter)(g)
    assert relative_error(fd, np.vdot(vjp(w), u)) <= FD_REL_TOL
    np.testing.assert_array_equal(vjp(w), window_gather(w, argmax))


@pytest.mark.parametrize("size,stride,padding", [(3, 2, "same"), (2, 2, "valid"),
                                                 (3, 1, "same")])
def test_second_order_through_pool_and_conv(size, stride, padding):
    rng = np.random.default_rng(size + stride)
    x = separated_input((2, 7, 6, 2), rng)
    w = rng.standard_normal((3, 3, 2, 2)) * 0.3

    def loss(x, w):
        pooled = max_pool2d(conv2d(x, w, None, 1, "same"), size, stride, padding)
        return anp.sum(anp.tanh(pooled) ** 2)

    check_grads(loss, modes=["rev"], order=2)(x, w)


def test_ties_route_gradient_to_first_maximum():
    x = np.zeros((1, 4, 4, 1))
    dx = grad(lambda x: anp.sum(max_pool2d(x, 2, 2, "valid")))(x)
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1.0
    np.testing.assert_array_equal(dx[0, :, :, 0], expected)


def test_float32_stays_float32_and_matches_float64():
    rng = np.random.default_rng(5)
    x = separated_input((2, 9, 7, 3), rng)

    def loss(x):
        return anp.sum(anp.sin(max_pool2d(x, 3, 2, "same")))

    y32 = max_pool2d(x.astype(np.float32))
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32, max_pool2d(x), rtol=1e-6)
    g32, g64 = grad(loss)(x.astype(np.float32)), grad(loss)(x)
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-4)
