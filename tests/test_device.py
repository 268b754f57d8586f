"""Devices. Tests marked ``gpu`` compute every primitive, a network gradient, a training run
and Metric 2.1 on device arrays against the CPU, twice: with a stand-in for CuPy made of NumPy
arrays (runs everywhere: it exercises every GPU branch of the code, not the GPU) and with CuPy
on a CUDA GPU (skipped, saying so, where there is none).

GPU bounds (float32 on both sides, different summation orders): forward values and VJPs
within rtol 1e-4 (atol 1e-5 for values near 0); a 2-epoch training run's measured losses
within 1e-3 relative; φ within 1e-2 relative (L-BFGS-B amplifies float32 rounding: 0.6 % on
the stand-in, whose array path sums in another order than the Numba kernels).
"""

import numpy as np
import pytest
from autograd.extend import VSpace
from autograd.numpy.numpy_boxes import ArrayBox
from autograd.numpy.numpy_vspaces import ArrayVSpace

from minisharp import device, nn, ops, zoo
from minisharp.autodiff import value_and_grad
from minisharp.data import Dataset
from minisharp.objective import check_device_for, loss_and_grad, network_objective
from minisharp.sharpness import sharpness
from minisharp.train import train


class StandInArray(np.ndarray):
    """A NumPy array that minisharp takes for a CuPy one (its type lives in a 'cupy…' module)."""

    def get(self):
        return np.array(self)


StandInArray.__module__ = "cupy_stand_in"
ArrayBox.register(StandInArray)            # what minisharp.device does for cupy.ndarray
VSpace.register(StandInArray, ArrayVSpace)


class StandInCupy:
    """Just enough of CuPy's module, made of NumPy, to run the GPU branches on the CPU."""

    float64, float32 = np.float64, np.float32

    def __getattr__(self, name):
        attribute = getattr(np, name)
        if not callable(attribute):
            return attribute

        def wrapped(*args, **kwargs):
            out = attribute(*args, **kwargs)
            return out.view(StandInArray) if isinstance(out, np.ndarray) else out
        return wrapped

    def asarray(self, a, dtype=None):
        return np.array(a, dtype=dtype, copy=True).view(StandInArray)

    def ascontiguousarray(self, a, dtype=None):
        return np.ascontiguousarray(a, dtype=dtype).view(StandInArray)


@pytest.fixture(params=["stand-in", "cupy"])
def gpu(request, monkeypatch):
    """Run a test with a stand-in CuPy on the CPU (always) and with CuPy on a GPU (if any)."""
    if request.param == "cupy":
        if not device.gpu_available():
            pytest.skip("needs CuPy and a CUDA GPU (none here; CI has none)")
    else:
        monkeypatch.setattr(device, "_cupy", StandInCupy())
    return request.param


def test_numpy_arrays_stay_where_they_are():
    a = np.arange(3.0)
    assert device.array_module(a) is np and device.device_of(a) == "cpu"
    assert device.to_device(a, "cpu") is a and device.to_host(a) is a


def test_unknown_device_is_refused():
    with pytest.raises(ValueError, match="device must be one of cpu, cuda"):
        device.check_device("tpu")


@pytest.mark.skipif(device.gpu_available(), reason="a GPU is present: nothing to refuse")
def test_cuda_without_a_gpu_says_why():
    with pytest.raises(device.DeviceUnavailable, match="CuPy|GPU"):
        device.check_device("cuda")
    net = zoo.build("F1-narrow", (1, 8, 8), 4)
    with pytest.raises(device.DeviceUnavailable):
        network_objective(net, np.zeros((2, 1, 8, 8), np.float32), np.zeros(2, int),
                          device="cuda")


def dense_data(seed=0, n=600, d=20, classes=4):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, d)) * 2
    y = rng.integers(0, classes, n)
    X = (centres[y] + rng.standard_normal((n, d))).astype(np.float32)
    return Dataset(X, y, "blobs", "train", "synthetic", classes, (d,))


def small_dense_net():
    return nn.Network("dense", [nn.Dense(32), nn.BatchNorm(), nn.ReLU(), nn.Dropout(0.2),
                                nn.Dense(16), nn.ReLU(), nn.Dense(4)], (20,), 4)


def gpu_and_cpu_value_and_grads(fun, arrays):
    """fun's value and gradients w.r.t. ``arrays``, on the host and on the GPU."""
    results = []
    for on_gpu in (False, True):
        inputs = [device.to_device(a, "cuda") if on_gpu else a for a in arrays]
        grads = [device.array_module(a).empty_like(a) for a in inputs]
        value = value_and_grad(fun, inputs, grads)
        results.append((value, [device.to_host(g) for g in grads]))
    return results


@pytest.mark.gpu
@pytest.mark.parametrize("op", ["dense", "relu", "xent", "batch_norm", "batch_norm_relu_eval"])
def test_each_primitive_and_its_vjp_match_the_cpu(gpu, op):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 12)).astype(np.float32)
    W = rng.standard_normal((12, 7)).astype(np.float32)
    b, labels = rng.standard_normal(7).astype(np.float32), rng.integers(0, 7, 64)
    gamma, beta = rng.random(12).astype(np.float32) + 0.5, rng.standard_normal(12).astype(
        np.float32)
    running = (rng.standard_normal(12), rng.random(12) + 0.5)

    def head(out, like):   # a scalar through minisharp's own cross-entropy and its VJP
        return ops.softmax_cross_entropy(
            out, device.to_device(labels % out.shape[1], device.device_of(like)))

    cases = {
        "dense": (lambda a: head(ops.dense(*a), a[0]), [x, W, b]),
        "relu": (lambda a: head(ops.relu(a[0]), a[0]), [x]),
        "xent": (lambda a: head(a[0], a[0]), [x]),
        "batch_norm": (lambda a: head(ops.batch_norm(*a)[0], a[0]), [x, gamma, beta]),
        "batch_norm_relu_eval": (lambda a: head(
            ops.batch_norm(*a, running=running, relu=True)[0], a[0]), [x, gamma, beta]),
    }
    fun, arrays = cases[op]
    (cpu_value, cpu_grads), (gpu_value, gpu_grads) = gpu_and_cpu_value_and_grads(fun, arrays)
    assert gpu_value == pytest.approx(cpu_value, rel=1e-4, abs=1e-5)
    for cpu_grad, gpu_grad in zip(cpu_grads, gpu_grads):
        np.testing.assert_allclose(gpu_grad, cpu_grad, rtol=1e-4, atol=1e-5)


@pytest.mark.gpu
def test_network_gradient_matches_the_cpu(gpu):
    data, net = dense_data(), small_dense_net()
    theta = net.init(0)
    cpu_value, cpu_grad = loss_and_grad(net, theta, data.X, data.y, chunk=250)
    gpu = device.to_device(theta, "cuda")
    gpu_value, gpu_grad = loss_and_grad(net, gpu, device.to_device(data.X, "cuda"),
                                        device.to_device(data.y, "cuda"), chunk=250)
    assert device.on_gpu(gpu_grad)
    assert gpu_value == pytest.approx(cpu_value, rel=1e-5)
    np.testing.assert_allclose(device.to_host(gpu_grad), cpu_grad, rtol=1e-4, atol=1e-6)


@pytest.mark.gpu
def test_a_short_training_run_matches_the_cpu(gpu, tmp_path):
    data, net = dense_data(), small_dense_net()
    runs = {d: train(net, net.init(0), data, dense_data(1, 200), batch_size=50, max_epochs=2,
                     patience=None, seed=0, progress=False, device=d,
                     checkpoint=tmp_path / f"{d}.npz") for d in ("cpu", "cuda")}
    assert isinstance(runs["cuda"].theta, np.ndarray)
    for key in ("train_loss", "test_loss", "batch_loss"):
        np.testing.assert_allclose(getattr(runs["cuda"].history, key),
                                   getattr(runs["cpu"].history, key), rtol=1e-3)
    resumed = train(net, net.init(0), data, dense_data(1, 200), batch_size=50, max_epochs=3,
                    patience=None, seed=0, progress=False, device="cuda", resume=True,
                    checkpoint=tmp_path / "cpu.npz")   # a CPU checkpoint continues on the GPU
    assert len(resumed.history) == 3


@pytest.mark.gpu
def test_the_same_seed_gives_the_same_run_twice(gpu):
    data, net = dense_data(), small_dense_net()
    runs = [train(net, net.init(0), data, dense_data(1, 200), batch_size=50, max_epochs=2,
                  patience=None, seed=0, progress=False, device="cuda") for _ in range(2)]
    np.testing.assert_array_equal(runs[0].theta, runs[1].theta)
    assert runs[0].history.metrics() == runs[1].history.metrics()


@pytest.mark.gpu
def test_metric_2_1_matches_the_cpu(gpu):
    data, net = dense_data(), small_dense_net()
    theta = net.init(0)
    phis = [sharpness(network_objective(net, data.X, data.y, device=d), theta, 1e-3).phi
            for d in ("cpu", "cuda")]
    assert phis[1] == pytest.approx(phis[0], rel=1e-2)  # L-BFGS-B amplifies rounding


@pytest.mark.gpu
def test_conv_nets_are_refused_on_the_gpu(gpu):
    with pytest.raises(device.DeviceUnavailable, match="no GPU path"):
        check_device_for(zoo.build("C1-narrow", (1, 28, 28), 10), "cuda")
