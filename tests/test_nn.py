import numpy as np
import pytest

import minisharp
from minisharp import nn


def tiny_net(dropout=0.0):
    layers = [nn.Dense(6), nn.BatchNorm(), nn.ReLU(), nn.Dropout(dropout), nn.Dense(3)]
    return nn.Network("tiny", layers, (2, 2), 3)


def test_layout_views_are_slices_without_copies():
    net = tiny_net()
    theta = net.init(0)
    views = net.named_views(theta)
    assert list(views) == ["dense1.W", "dense1.b", "batchnorm1.gamma", "batchnorm1.beta",
                           "dense2.W", "dense2.b"]
    assert net.num_params == 4 * 6 + 6 + 6 + 6 + 6 * 3 + 3 == theta.size
    for v in views.values():
        assert np.shares_memory(v, theta)
    views["dense2.b"][...] = 7.0
    assert np.all(theta[-3:] == 7.0)


def test_bn_relu_are_fused_and_init_follows_keras_defaults():
    net = tiny_net()
    assert [type(layer).__name__ for layer in net.layers] == ["Dense", "BatchNorm", "Dropout",
                                                             "Dense"]
    assert net.layers[1].relu
    views = net.named_views(net.init(3, dtype=np.float64))
    limit = np.sqrt(6 / (4 + 6))
    assert np.all(np.abs(views["dense1.W"]) <= limit) and views["dense1.W"].std() > limit / 4
    assert np.all(views["dense1.b"] == 0) and np.all(views["batchnorm1.gamma"] == 1)


def test_init_is_seeded_and_dtype_consistent():
    net = tiny_net()
    np.testing.assert_array_equal(net.init(5), net.init(5))
    assert not np.array_equal(net.init(5), net.init(6))
    np.testing.assert_allclose(net.init(5, np.float64), net.init(5), rtol=1e-7)
    assert net.init(5).dtype == np.float32


def test_wrong_theta_or_input_shapes_are_clear_errors():
    net = tiny_net()
    with pytest.raises(ValueError, match="parameters"):
        net.apply(np.zeros(5, np.float32), np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="samples of shape"):
        net.apply(net.init(0), np.zeros((2, 5)))
    with pytest.raises(ValueError, match="mode"):
        net.apply(net.init(0), np.zeros((2, 4)), mode="inference")


def test_modes_dropout_and_statistics():
    net = tiny_net(dropout=0.5)
    theta = net.init(0, np.float64)
    X = np.random.default_rng(0).standard_normal((16, 2, 2))
    state = net.init_state()
    a = net.apply(theta, X, "batchstat")
    np.testing.assert_array_equal(a, net.apply(theta, X, "batchstat"))  # deterministic
    np.testing.assert_array_equal(net.apply(theta, X, "eval", state=state),
                                  net.apply(theta, X, "eval", state=state))
    t1 = net.apply(theta, X, "train", state=state, rng=np.random.default_rng(1))
    t2 = net.apply(theta, X, "train", state=state, rng=np.random.default_rng(2))
    assert not np.allclose(t1, t2), "dropout must act in train mode"
    assert not np.allclose(state["batchnorm1.mean"], 0), "train mode updates running stats"
    # eval: a sample's output does not depend on the rest of the batch
    full = net.apply(theta, X, "eval", state=state)
    np.testing.assert_allclose(net.apply(theta, X[:3], "eval", state=state), full[:3],
                               rtol=1e-12)
    # batchstat does depend on the batch (that is the paper's mode=2)
    assert not np.allclose(net.apply(theta, X[:3], "batchstat"), a[:3])
    with pytest.raises(ValueError, match="running statistics"):
        net.apply(theta, X, "eval")
    with pytest.raises(ValueError, match="rng"):
        net.apply(theta, X, "train")


def test_train_mode_running_average_formula():
    net = tiny_net()
    theta = net.init(0, np.float64)
    X = np.random.default_rng(1).standard_normal((32, 4))
    state = net.init_state()
    minisharp.loss_and_grad(net, theta, X, np.zeros(32, int), mode="train", state=state,
                            rng=np.random.default_rng(0))
    h = X @ net.named_views(theta)["dense1.W"]
    np.testing.assert_allclose(state["batchnorm1.mean"], (1 - nn.MOMENTUM) * h.mean(0))
    np.testing.assert_allclose(state["batchnorm1.var"],
                               nn.MOMENTUM + (1 - nn.MOMENTUM) * h.var(0))


def test_padding_and_network_output_checks():
    with pytest.raises(ValueError, match="padding"):
        nn.Network("bad", [nn.Conv2D(2, 3, 1, "full"), nn.Flatten(), nn.Dense(2)], (1, 4, 4), 2)
    with pytest.raises(ValueError, match="output shape"):
        nn.Network("bad", [nn.Dense(4)], (3,), 2)
