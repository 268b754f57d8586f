"""conv2d primitives: VJPs against central differences, second order, float32 path.

First-order bound: for random input directions u and cotangents g, the relative error
between gᵀ (f(x + h u) − f(x − h u)) / (2h) and ⟨VJP(g), u⟩ is ≤ 1e-6 in float64
(h = 1e-5; the maps are linear in each argument, so only rounding separates them).
"""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, make_vjp
from autograd.test_util import check_grads
from hypothesis import given, settings
from hypothesis import strategies as st

from minisharp.gradcheck import relative_error
from minisharp.ops.conv import conv2d, conv2d_grad_input, conv2d_grad_weight

FD_STEP = 1e-5
FD_REL_TOL = 1e-6
SETTINGS = settings(max_examples=15, deadline=None)


@st.composite
def conv_cases(draw):
    padding = draw(st.sampled_from(["same", "valid"]))
    kh, kw, stride = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 2))
    lo_h, lo_w = (kh, kw) if padding == "valid" else (1, 1)
    h, w = draw(st.integers(lo_h, 7)), draw(st.integers(lo_w, 7))
    n, c, f = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    return (n, h, w, c), (kh, kw, c, f), stride, padding, np.random.default_rng(seed)


def directional_fd_error(fun, args, rng):
    """max over arguments of the relative error between gᵀ·(central difference along u)
    and ⟨VJP_i(g), u⟩ for random u (shaped like argument i) and g (shaped like the output)."""
    out = fun(*args)
    g = rng.standard_normal(np.shape(out))
    errors = []
    for i, arg in enumerate(args):
        u = rng.standard_normal(np.shape(arg))

        def along(t, i=i, u=u):
            moved = list(args)
            moved[i] = args[i] + t * u
            return fun(*moved)

        fd = np.vdot(g, along(FD_STEP) - along(-FD_STEP)) / (2 * FD_STEP)
        vjp, _ = make_vjp(fun, argnum=i)(*args)
        errors.append(relative_error(fd, np.vdot(vjp(g), u)))
    return max(errors)


@SETTINGS
@given(conv_cases())
def test_conv2d_vjp_matches_central_differences(case):
    x_shape, w_shape, stride, padding, rng = case
    x, w, b = (rng.standard_normal(s) for s in (x_shape, w_shape, w_shape[3:]))

    def fun(x, w, b):
        return conv2d(x, w, b, stride=stride, padding=padding)

    assert directional_fd_error(fun, (x, w, b), rng) <= FD_REL_TOL


@SETTINGS
@given(conv_cases())
def test_grad_input_and_grad_weight_vjps_match_central_differences(case):
    x_shape, w_shape, stride, padding, rng = case
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    g = rng.standard_normal(conv2d(x, w, None, stride, padding).shape)

    def grad_input(g, w):
        return conv2d_grad_input(g, w, x_shape, stride, padding)

    def grad_weight(x, g):
        return conv2d_grad_weight(x, g, w_shape, stride, padding)

    assert directional_fd_error(grad_input, (g, w), rng) <= FD_REL_TOL
    assert directional_fd_error(grad_weight, (x, g), rng) <= FD_REL_TOL


@pytest.mark.parametrize("stride,padding", [(1, "same"), (2, "same"), (2, "valid")])
def test_second_order_through_conv(stride, padding):
    """check_grads to order 2 runs the VJP of every VJP primitive (grad_input, grad_weight
    and conv2d itself inside them) against finite differences."""
    rng = np.random.default_rng(stride)
    x, w, b = rng.standard_normal((2, 6, 5, 2)), rng.standard_normal((3, 2, 2, 3)), \
        rng.standard_normal(3)

    def loss(x, w, b):
        return anp.sum(anp.tanh(conv2d(x, w, b, stride, padding)) ** 2)

    check_grads(loss, modes=["rev"], order=2)(x, w, b)
    y_shape = conv2d(x, w, b, stride, padding).shape
    g = rng.standard_normal(y_shape)
    check_grads(lambda g, w: conv2d_grad_input(g, w, x.shape, stride, padding),
                modes=["rev"], order=2)(g, w)
    check_grads(lambda x, g: conv2d_grad_weight(x, g, w.shape, stride, padding),
                modes=["rev"], order=2)(x, g)


def test_hessian_vector_product_matches_gradient_differences():
    """H v by differentiating the gradient equals (∇L(w + h v) − ∇L(w − h v)) / 2h."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 5, 5, 2))
    w, v = rng.standard_normal((3, 3, 2, 2)), rng.standard_normal((3, 3, 2, 2))

    def loss(w):
        hidden = anp.tanh(conv2d(x, w, None, 1, "same"))
        return anp.sum(conv2d(hidden, w, None, 2, "same") ** 2)

    hvp = grad(lambda w: anp.sum(grad(loss)(w) * v))(w)
    fd = (grad(loss)(w + FD_STEP * v) - grad(loss)(w - FD_STEP * v)) / (2 * FD_STEP)
    np.testing.assert_allclose(hvp, fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())


def test_float32_stays_float32_and_matches_float64():
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((3, 9, 8, 4)), rng.standard_normal((5, 5, 4, 6)), \
        rng.standard_normal(6)

    def loss(x, w, b):
        return anp.sum(anp.sin(conv2d(x, w, b, 2, "same")))

    y64 = conv2d(x, w, b, 2, "same")
    y32 = conv2d(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), 2, "same")
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32, y64, rtol=1e-4, atol=1e-4 * np.abs(y64).max())
    grads64 = grad(loss, (0, 1, 2))(x, w, b)
    grads32 = grad(loss, (0, 1, 2))(*(a.astype(np.float32) for a in (x, w, b)))
    for g32, g64 in zip(grads32, grads64):
        assert g32.dtype == np.float32
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-4 * np.abs(g64).max())


def test_bias_is_optional_and_non_contiguous_inputs_work():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 5, 6, 3)).transpose(0, 2, 1, 3)  # non-contiguous view
    w = rng.standard_normal((3, 3, 3, 2))
    y = conv2d(x, w)
    assert y.shape == (2, 6, 5, 2)
    np.testing.assert_allclose(y + 1.5, conv2d(x, w, np.full(2, 1.5)), rtol=1e-12)
