"""Each primitive's VJP against central finite differences in float64, random directions.

Bound: relative error ≤ 1e-6 between ⟨VJP(u), v⟩ and ⟨u, (F(x+hv) − F(x−hv))/2h⟩
(best of the steps in minisharp.gradcheck.STEPS).
"""

import numpy as np
import pytest
from autograd import make_vjp
from autograd.test_util import check_grads
from hypothesis import given, settings
from hypothesis import strategies as st

from minisharp import ops
from minisharp.gradcheck import vjp_check

BOUND = 1e-6


def vjp_of(fun, args, argnum):
    def F(x):
        return fun(*args[:argnum], x, *args[argnum + 1:])

    return F, make_vjp(F)(args[argnum])[0]


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 9), st.integers(1, 8), st.integers(1, 7), st.integers(0, 2**16))
def test_dense_vjp(n, d, u, seed):
    rng = np.random.default_rng(seed)
    args = [rng.standard_normal((n, d)), rng.standard_normal((d, u)), rng.standard_normal(u)]
    for argnum in range(3):
        F, vjp = vjp_of(ops.dense, args, argnum)
        assert vjp_check(F, args[argnum], vjp, seed=seed) < BOUND


def test_dense_and_loss_are_twice_differentiable():
    rng = np.random.default_rng(0)
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    labels = np.array([0, 4, 2, 2])
    check_grads(lambda W: ops.softmax_cross_entropy(ops.dense(x, W, b), labels),
                modes=["rev"], order=2)(W)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 12), st.integers(1, 6), st.booleans(), st.booleans(),
       st.sampled_from([2, 4]), st.integers(0, 2**16))
def test_batch_norm_vjp_all_modes(rows, channels, relu, batch_stats, ndim, seed):
    """Batch statistics: the gradient must include how mean and variance depend on x."""
    rng = np.random.default_rng(seed)
    shape = (rows, channels) if ndim == 2 else (rows, 2, 3, channels)
    x = rng.standard_normal(shape) * 2 + 1
    gamma, beta = rng.standard_normal(channels), rng.standard_normal(channels)
    running = None if batch_stats else (rng.standard_normal(channels), rng.random(channels) + .2)

    def bn(x, gamma, beta):
        return ops.batch_norm(x, gamma, beta, running=running, relu=relu)[0]

    args = [x, gamma, beta]
    for argnum in range(3):
        F, vjp = vjp_of(bn, args, argnum)
        assert vjp_check(F, args[argnum], vjp, seed=seed) < BOUND


def test_batch_norm_returns_batch_statistics_and_normalises():
    x = np.random.default_rng(0).standard_normal((50, 3)) * 4 + 2
    y, (mean, var) = ops.batch_norm(x, np.ones(3), np.zeros(3), eps=0.0)
    np.testing.assert_allclose(mean, x.mean(0))
    np.testing.assert_allclose(var, x.var(0))
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(y.std(0), 1, rtol=1e-10)


def test_batch_norm_keeps_float32():
    x = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    y, _ = ops.batch_norm(x, np.ones(3, np.float32), np.zeros(3, np.float32), relu=True)
    assert y.dtype == np.float32


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 10), st.integers(2, 7), st.integers(0, 2**16))
def test_softmax_cross_entropy_vjp_and_value(n, k, seed):
    rng = np.random.default_rng(seed)
    logits, labels = rng.standard_normal((n, k)) * 3, rng.integers(0, k, n)
    F, vjp = vjp_of(lambda z: ops.softmax_cross_entropy(z, labels), [logits], 0)
    assert vjp_check(F, logits, vjp, seed=seed) < BOUND
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert np.isclose(float(F(logits)), -np.log(p[np.arange(n), labels]).mean(), rtol=1e-12)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0], [0.0, -1000.0]], dtype=np.float32)
    value = ops.softmax_cross_entropy(logits, np.array([1, 0]))
    assert value.dtype == np.float32 and np.isclose(float(value), 500.0)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 40), st.integers(0, 2**16))
def test_relu_vjp(n, seed):
    x = np.random.default_rng(seed).standard_normal((n, 3))
    F, vjp = vjp_of(ops.relu, [x], 0)
    assert vjp_check(F, x, vjp, seed=seed) < BOUND


def test_dropout_mask_rate_scale_and_seed():
    mask = ops.dropout_mask((200, 50), 0.3, np.random.default_rng(1), np.dtype(np.float32))
    assert mask.dtype == np.float32
    assert set(np.unique(mask)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((mask == 0).mean() - 0.3) < 0.02
    again = ops.dropout_mask((200, 50), 0.3, np.random.default_rng(1), np.dtype(np.float32))
    np.testing.assert_array_equal(mask, again)


@pytest.mark.parametrize("seed", [0, 1])
def test_dropout_vjp(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((6, 4))
    mask = ops.dropout_mask(x.shape, 0.5, rng, x.dtype)
    F, vjp = vjp_of(lambda x: ops.dropout(x, mask), [x], 0)
    assert vjp_check(F, x, vjp, seed=seed) < BOUND
