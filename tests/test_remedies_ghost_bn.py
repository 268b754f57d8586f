"""Ghost batch norm: one ghost is batch norm, each ghost is batch norm of its own samples, the
VJP passes float64 central differences (relative error ≤ 1e-6), and the training method."""

import numpy as np
import pytest
from autograd import make_vjp

from minisharp import ops, zoo
from minisharp.gradcheck import vjp_check
from minisharp.objective import loss_and_grad
from minisharp.ops.ghost_norm import ghost_batch_norm
from minisharp.remedies import GhostBatchNorm, ghost_batches, ghost_size_for

BOUND = 1e-6


def inputs(shape, seed=0):
    rng = np.random.default_rng(seed)
    channels = shape[-1]
    return (rng.standard_normal(shape) * 2 + 1, rng.standard_normal(channels),
            rng.standard_normal(channels))


@pytest.mark.parametrize("shape", [(12, 5), (8, 3, 3, 4)])
@pytest.mark.parametrize("relu", [False, True])
def test_one_ghost_is_batch_norm(shape, relu):
    x, gamma, beta = inputs(shape)
    y, (mean, var) = ghost_batch_norm(x, gamma, beta, shape[0], relu=relu)
    y_ref, (mean_ref, var_ref) = ops.batch_norm(x, gamma, beta, relu=relu)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(mean, mean_ref)
    np.testing.assert_array_equal(var, var_ref)


@pytest.mark.parametrize("shape", [(12, 5), (8, 3, 3, 4)])
def test_each_ghost_is_normalised_with_its_own_statistics(shape):
    x, gamma, beta = inputs(shape, seed=1)
    ghost = shape[0] // 4
    y, (mean, var) = ghost_batch_norm(x, gamma, beta, ghost, relu=True)
    ghost_means, ghost_vars = [], []
    for j in range(4):
        part = slice(j * ghost, (j + 1) * ghost)
        y_part, (m, v) = ops.batch_norm(x[part], gamma, beta, relu=True)
        np.testing.assert_allclose(y[part], y_part, rtol=1e-12, atol=1e-12)
        ghost_means.append(m)
        ghost_vars.append(v)
    np.testing.assert_allclose(mean, np.mean(ghost_means, axis=0), rtol=1e-12)
    np.testing.assert_allclose(var, np.mean(ghost_vars, axis=0), rtol=1e-12)


@pytest.mark.parametrize("shape", [(12, 5), (8, 3, 3, 4)])
@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ghost_batch_norm_vjp(shape, relu, seed):
    args = list(inputs(shape, seed))
    for argnum in range(3):
        def F(a, argnum=argnum):
            call = args[:argnum] + [a] + args[argnum + 1:]
            return ghost_batch_norm(*call, shape[0] // 4, relu=relu)[0]

        vjp = make_vjp(F)(args[argnum])[0]
        assert vjp_check(F, args[argnum], vjp, seed=seed) < BOUND


def test_ghost_size_must_divide_the_batch():
    x, gamma, beta = inputs((10, 3))
    with pytest.raises(ValueError, match="ghost_size"):
        ghost_batch_norm(x, gamma, beta, 4)
    with pytest.raises(ValueError, match="ghost_size"):
        GhostBatchNorm(0)


def test_ghost_size_for():
    assert ghost_size_for(6000, 256) == 250
    assert ghost_size_for(1600, 64) == 64
    assert ghost_size_for(100, 4) == 4
    assert ghost_size_for(97, 10) == 1


def test_ghosts_change_only_training_and_are_restored():
    net = zoo.build("F1-narrow", (1, 4, 4), 3)
    theta = net.init(0, dtype=np.float64)
    rng = np.random.default_rng(0)
    X, y = rng.random((12, 1, 4, 4)), rng.integers(0, 3, 12)
    plain = loss_and_grad(net, theta, X, y, mode="train")
    one_ghost = None
    with ghost_batches(net, 12):
        one_ghost = loss_and_grad(net, theta, X, y, mode="train")
    with ghost_batches(net, 4):
        ghosted = loss_and_grad(net, theta, X, y, mode="train")
        batchstat = loss_and_grad(net, theta, X, y, mode="batchstat")
    assert one_ghost[0] == plain[0]
    np.testing.assert_array_equal(one_ghost[1], plain[1])
    assert ghosted[0] != plain[0]
    assert batchstat[0] == loss_and_grad(net, theta, X, y, mode="batchstat")[0]
    assert all(layer.ghost_size is None for layer in net.batch_norms)
    with pytest.raises(ValueError), ghost_batches(net, 5):
        loss_and_grad(net, theta, X, y, mode="train")
    assert all(layer.ghost_size is None for layer in net.batch_norms)


@pytest.mark.parametrize("name", ["F1-narrow", "C1-narrow"])
def test_network_gradient_with_ghosts_passes_finite_differences(name):
    net = zoo.build(name, (1, 8, 8), 4)
    theta = net.init(3, dtype=np.float64)
    rng = np.random.default_rng(3)
    X, y = rng.random((8, 1, 8, 8)), rng.integers(0, 4, 8)
    from minisharp.gradcheck import directional_check
    with ghost_batches(net, 4):
        def f(t):
            return loss_and_grad(net, t, X, y, mode="train", rng=np.random.default_rng(0))[0]

        _, grad = loss_and_grad(net, theta, X, y, mode="train", rng=np.random.default_rng(0))
        assert directional_check(f, theta, grad) < BOUND
