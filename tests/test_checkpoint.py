"""Checkpoints: round trip, atomic writes, and clear refusals of damaged or mismatched files."""

import contextlib
import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

from minisharp import checkpoint, optim, zoo

SHAPE, CLASSES = (1, 8, 8), 4


def write(path, name="F1-narrow", steps=2):
    """Save a checkpoint of a network after a few Adam steps on random gradients."""
    net = zoo.build(name, SHAPE, CLASSES)
    theta = net.init(0)
    opt = optim.Adam(lr=3e-3)
    rng = np.random.default_rng(5)
    for _ in range(steps):
        opt.step(theta, rng.normal(size=theta.size).astype(np.float32))
    state = net.init_state()
    for value in state.values():
        value += rng.random(value.shape)
    history = {"epoch": [1, 2], "train_loss": [0.5, float("nan")]}
    config = {"batch_size": 32, "seed": 3, "data": {"name": "synthetic", "source": "test"}}
    checkpoint.save(path, net=net, theta=theta, state=state, optimizer=opt, rng=rng, epoch=2,
                    history=history, config=config, stop_reason="plateau")
    return net, theta, state, opt, rng


def test_round_trip(tmp_path):
    path = tmp_path / "sub" / "run.npz"
    net, theta, state, opt, rng = write(path)
    saved = checkpoint.load(path)
    assert saved.net.name == net.name and saved.net.num_params == net.num_params
    np.testing.assert_array_equal(saved.theta, theta)
    assert saved.theta.dtype == np.float32
    assert saved.state.keys() == state.keys()
    for key in state:
        np.testing.assert_array_equal(saved.state[key], state[key])
    restored = saved.optimizer()
    assert restored.config() == opt.config() and restored.steps == 2
    for key in opt.moments:
        np.testing.assert_array_equal(restored.moments[key], opt.moments[key])
    np.testing.assert_array_equal(saved.rng().random(5), rng.random(5))
    assert saved.epoch == 2 and saved.stop_reason == "plateau"
    assert saved.history["epoch"] == [1, 2] and np.isnan(saved.history["train_loss"][1])
    assert saved.config["seed"] == 3 and saved.config["net"]["input_shape"] == list(SHAPE)
    assert saved.config["optimizer"]["name"] == "adam"


def test_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "run.npz"
    _, theta, *_ = write(path)
    assert os.listdir(tmp_path) == ["run.npz"]

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        write(path, steps=5)
    assert os.listdir(tmp_path) == ["run.npz"]  # no temporary file left behind
    np.testing.assert_array_equal(checkpoint.load(path).theta, theta)  # old file intact


@pytest.mark.parametrize("keep", [0.3, 0.9, 0.999])
def test_truncated_file_is_refused_with_its_path(tmp_path, keep):
    path = tmp_path / "run.npz"
    write(path)
    content = path.read_bytes()
    path.write_bytes(content[:int(len(content) * keep)])
    with pytest.raises(checkpoint.CheckpointError, match="truncated or corrupted") as error:
        checkpoint.load(path)
    assert str(path) in str(error.value)
    assert isinstance(error.value, ValueError)


def test_corrupted_bytes_are_refused(tmp_path):
    path = tmp_path / "run.npz"
    write(path)
    content = bytearray(path.read_bytes())
    content[len(content) // 3] ^= 0xFF  # inside θ: caught by the zip CRC
    path.write_bytes(bytes(content))
    with pytest.raises(checkpoint.CheckpointError, match=str(path)):
        checkpoint.load(path)


def test_other_files_are_refused(tmp_path):
    with pytest.raises(checkpoint.CheckpointError, match="no such checkpoint"):
        checkpoint.load(tmp_path / "missing.npz")
    garbage = tmp_path / "garbage.npz"
    garbage.write_text("not a checkpoint")
    with pytest.raises(checkpoint.CheckpointError, match="garbage.npz"):
        checkpoint.load(garbage)
    other = tmp_path / "other.npz"
    np.savez(other, theta=np.zeros(3))
    with pytest.raises(checkpoint.CheckpointError, match="missing"):
        checkpoint.load(other)


def test_wrong_layout_is_refused(tmp_path):
    path = tmp_path / "run.npz"
    write(path)
    for net in (zoo.build("F1-narrow", SHAPE, CLASSES + 1), zoo.build("C1-narrow", SHAPE, 4),
                zoo.build("F2-narrow", SHAPE, CLASSES)):
        with pytest.raises(checkpoint.CheckpointError, match="does not match") as error:
            checkpoint.load(path, net=net)
        assert str(path) in str(error.value)


def test_same_size_but_different_layout_is_refused(tmp_path):
    from minisharp.nn import Dense, Network

    two_layers = Network("A", [Dense(2), Dense(4)], (5,), 4)  # 5·2 + 2 + 2·4 + 4 = 24
    one_layer = Network("B", [Dense(4)], (5,), 4)  # 5·4 + 4 = 24
    assert two_layers.num_params == one_layer.num_params
    path = tmp_path / "run.npz"
    checkpoint.save(path, net=two_layers, theta=two_layers.init(0), state={},
                    optimizer=optim.SGD(), rng=np.random.default_rng(0), epoch=0, history={},
                    config={})
    assert checkpoint.load(path, net=two_layers).epoch == 0
    with pytest.raises(checkpoint.CheckpointError, match="layout"):
        checkpoint.load(path, net=one_layer)
    with pytest.raises(checkpoint.CheckpointError, match="cannot rebuild"):
        checkpoint.load(path)  # "A" is not a zoo name


def test_a_single_array_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "theta.npy"
    np.save(path, np.zeros(3))
    with pytest.raises(checkpoint.CheckpointError, match=r"single NumPy array \(\.npy\)"):
        checkpoint.load(path)


@pytest.mark.parametrize("content", [b"", b"not a checkpoint" * 4, b"\x80\x04K\x01."])
def test_garbage_is_refused_without_advice_to_unpickle(tmp_path, content):
    path = tmp_path / "garbage.npz"
    path.write_bytes(content)
    with pytest.raises(checkpoint.CheckpointError, match="not a minisharp checkpoint") as error:
        checkpoint.load(path)
    assert "pickle" not in str(error.value) and "\n" not in str(error.value)


def test_pickled_member_is_refused_by_name(tmp_path):
    path = tmp_path / "run.npz"
    write(path)
    arrays = dict(np.load(path))
    arrays["history"] = np.array([{"epoch": [1]}], dtype=object)
    np.savez(path, **arrays)
    with pytest.raises(checkpoint.CheckpointError, match="Python objects") as error:
        checkpoint.load(path)
    assert "allow_pickle" not in str(error.value)


def test_non_finite_theta_is_refused(tmp_path):
    path = tmp_path / "run.npz"
    write(path)
    arrays = dict(np.load(path))
    arrays["theta"][[3, 7]] = [np.nan, np.inf]
    np.savez(path, **arrays)
    with pytest.raises(checkpoint.CheckpointError, match="2 non-finite"):
        checkpoint.load(path)


HOLD_LOCK = """
import sys
import threading
from minisharp import checkpoint
with checkpoint.exclusive(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.read()
"""


@contextlib.contextmanager
def lock_held_elsewhere(path):
    """Another process holding the write lock of ``path`` until the block ends."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder.pid
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)


def test_a_second_writer_is_refused_at_once(tmp_path):
    path = tmp_path / "run.npz"
    with lock_held_elsewhere(path) as pid:
        with pytest.raises(checkpoint.CheckpointBusy, match=f"another run \\(process {pid}\\)"):
            with checkpoint.exclusive(path):
                pass
    with checkpoint.exclusive(path):  # released when the holder ends
        write(path)
    assert os.listdir(tmp_path) == ["run.npz"]  # the lock file goes with the lock


KILLED_WRITE = """
import os, signal, sys
import numpy as np
from minisharp import checkpoint, optim, zoo
net = zoo.build("F1-narrow", (1, 8, 8), 4)
os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)  # die mid-write
checkpoint.save(sys.argv[1], net=net, theta=net.init(0), state=net.init_state(),
                optimizer=optim.SGD(), rng=np.random.default_rng(0), epoch=0, history={},
                config={})
"""


def test_leftovers_of_a_killed_write_are_removed(tmp_path):
    path = tmp_path / "run.npz"
    write(path)
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITE, str(path)], timeout=120)
    assert killed.returncode == -signal.SIGKILL
    assert len(os.listdir(tmp_path)) == 2  # run.npz and the killed write's temporary file
    with checkpoint.exclusive(path):
        assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")] == []
    assert os.listdir(tmp_path) == ["run.npz"]
    assert checkpoint.load(path).epoch == 2  # the previous checkpoint is intact


def test_unusable_directory_is_refused_with_its_path(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(checkpoint.CheckpointError, match="not a directory") as error:
        with checkpoint.exclusive(blocker / "run.npz"):
            pass
    assert str(blocker) in str(error.value)


def test_a_waiting_writer_gets_the_lock_when_the_holder_ends(tmp_path, capfd):
    path = tmp_path / "run.npz"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdout.readline().strip() == "held"
    release = threading.Timer(0.5, holder.stdin.close)
    release.start()
    try:
        with checkpoint.exclusive(path, wait=True):
            assert holder.poll() is not None or holder.wait(timeout=60) == 0  # it has ended
            write(path)
    finally:
        release.join()
        holder.wait(timeout=60)
    assert f"another run (process {holder.pid}) is writing this checkpoint; waiting" \
        in capfd.readouterr().err
    assert os.listdir(tmp_path) == ["run.npz"]
