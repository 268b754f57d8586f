"""Training loop: learning, determinism, bit-identical resume, stopping rules, faults, pairs."""

import subprocess
import sys
import threading

import numpy as np
import pytest

from minisharp import checkpoint, evaluate, optim, zoo
from minisharp import train as training
from minisharp.data import Dataset

SHAPE, CLASSES = (1, 8, 8), 4


def synthetic(n, seed, split="train"):
    """Four Gaussian blobs of 1×8×8 images: learnable in a few epochs by a tiny network."""
    centres = np.random.default_rng(1234).normal(size=(CLASSES, *SHAPE))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, CLASSES, n)
    X = (centres[y] + 0.9 * rng.normal(size=(n, *SHAPE))).astype(np.float32)
    return Dataset(X, y.astype(np.int64), "synthetic", split, "test", CLASSES, SHAPE)


TRAIN, TEST = synthetic(256, 1), synthetic(128, 2, "test")


def run(name="F1-narrow", *, seed=0, epochs=3, batch_size=64, **settings):
    net = zoo.build(name, SHAPE, CLASSES)
    settings.setdefault("patience", None)
    settings.setdefault("progress", False)
    return training.train(net, net.init(seed), TRAIN, TEST, batch_size=batch_size,
                          max_epochs=epochs, seed=seed, **settings)


def assert_same_run(a, b):
    np.testing.assert_array_equal(a.theta, b.theta)
    assert a.history.metrics() == b.history.metrics()
    for key in a.state:
        np.testing.assert_array_equal(a.state[key], b.state[key])
    assert a.optimizer.steps == b.optimizer.steps
    for key in a.optimizer.moments:
        np.testing.assert_array_equal(a.optimizer.moments[key], b.optimizer.moments[key])


def test_training_drives_the_loss_down():
    net = zoo.build("F1-narrow", SHAPE, CLASSES)
    theta0 = net.init(0)
    initial_loss, _ = evaluate(net, theta0, TRAIN.X, TRAIN.y)
    result = training.train(net, theta0, TRAIN, TEST, batch_size=32, max_epochs=5, seed=0,
                            patience=None, progress=False)
    assert initial_loss > 1.0
    assert result.history.train_loss[-1] < 0.15
    assert result.history.train_accuracy[-1] > 0.97
    assert result.history.test_accuracy[-1] > 0.9
    assert result.stop_reason == "max_epochs" and result.epochs == 5
    assert result.theta.dtype == np.float32
    np.testing.assert_array_equal(theta0, net.init(0))  # the caller's θ₀ is left alone
    assert all(s > 0 for s in result.history.step_seconds)


def test_same_seed_same_history_different_seed_differs():
    first, second = run("C1-narrow", epochs=2), run("C1-narrow", epochs=2)
    assert_same_run(first, second)
    other = run("C1-narrow", seed=1, epochs=2)
    assert other.history.train_loss != first.history.train_loss


class StopAt:
    """A callback that presses Ctrl-C after a given epoch."""

    def __init__(self, epoch):
        self.epoch = epoch

    def __call__(self, epoch, theta, history):
        if epoch == self.epoch:
            raise KeyboardInterrupt


@pytest.mark.parametrize("name", ["F1-narrow", "C1-narrow"])
def test_interrupt_and_resume_is_bit_identical(tmp_path, name):
    whole = run(name, epochs=3)
    path = tmp_path / "run.npz"
    with pytest.raises(training.Interrupted) as interrupted:
        run(name, epochs=3, checkpoint=path, callbacks=(StopAt(1),))
    assert interrupted.value.run.epochs == 1
    assert checkpoint.load(path).epoch == 1
    resumed = run(name, epochs=3, checkpoint=path, resume=True)
    assert_same_run(whole, resumed)
    assert checkpoint.load(path).epoch == 3


def test_raising_max_epochs_then_resuming_matches(tmp_path):
    whole = run(epochs=3)
    path = tmp_path / "run.npz"
    short = run(epochs=2, checkpoint=path)
    assert short.stop_reason == "max_epochs"
    assert_same_run(whole, run(epochs=3, checkpoint=path, resume=True))


def test_resume_refuses_a_different_setting(tmp_path):
    path = tmp_path / "run.npz"
    run(epochs=1, checkpoint=path)
    with pytest.raises(checkpoint.CheckpointError, match="batch_size"):
        run(epochs=2, checkpoint=path, resume=True, batch_size=32)
    with pytest.raises(checkpoint.CheckpointError, match="does not match"):
        run("C1-narrow", epochs=2, checkpoint=path, resume=True)


def test_nonfinite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    path = tmp_path / "run.npz"

    def poison(epoch, theta, history):
        if epoch == 2:
            theta[:10] = np.nan

    with pytest.warns(training.NonFiniteLossWarning, match="epoch 3"):
        result = run(epochs=5, checkpoint=path, callbacks=(poison,))
    assert result.stop_reason == "nonfinite"
    assert "rolled back to epoch 2" in result.message
    assert result.epochs == 2 and np.all(np.isfinite(result.theta))
    saved = checkpoint.load(path)
    assert saved.epoch == 2
    np.testing.assert_array_equal(saved.theta, result.theta)


def test_plateau_rule_stops_the_loop():
    # The first epoch improves on +inf; epochs 2 and 3 cannot beat it by 10: stop after 3.
    result = run(epochs=10, patience=2, min_delta=10.0)
    assert result.stop_reason == "plateau" and result.epochs == 3


def test_a_callback_can_stop_the_run():
    seen = []

    def keep_and_stop(epoch, theta, history):
        seen.append((epoch, theta.copy(), len(history)))
        return epoch == 2

    result = run(epochs=5, callbacks=(keep_and_stop,))
    assert result.stop_reason == "callback" and result.epochs == 2
    assert [(e, n) for e, _, n in seen] == [(1, 1), (2, 2)]
    np.testing.assert_array_equal(seen[-1][1], result.theta)


def test_used_optimizer_and_bad_settings_are_refused():
    opt = optim.Adam()
    opt.step(np.zeros(3, np.float32), np.ones(3, np.float32))
    with pytest.raises(ValueError, match="fresh optimizer"):
        run(optimizer=opt)
    with pytest.raises(ValueError, match="batch_size"):
        run(batch_size=10_000)


def test_no_progress_output_when_stderr_is_not_a_terminal(capsys):
    run(epochs=1, progress=True)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


@pytest.mark.parametrize("setting, match", [
    ({"patience": -1}, "patience must be None or a whole number ≥ 0, got -1"),
    ({"patience": 2.5}, "patience must be None or a whole number"),
    ({"min_delta": float("nan")}, "min_delta must be a finite number ≥ 0, got nan"),
    ({"min_delta": -1e-3}, "min_delta must be a finite number ≥ 0"),
    ({"epochs": 0}, "max_epochs must be a whole number ≥ 1, got 0"),
    ({"epochs": 2.0}, "max_epochs must be a whole number ≥ 1, got 2.0"),
    ({"measure_samples": 0}, "measure_samples must be None or a whole number ≥ 1"),
    ({"chunk": 0}, "chunk must be a whole number ≥ 1"),
])
def test_bad_stopping_and_measuring_settings_are_refused(setting, match):
    with pytest.raises(ValueError, match=match):
        run(**setting)


def test_a_negative_seed_is_named():
    net = zoo.build("F1-narrow", SHAPE, CLASSES)
    with pytest.raises(ValueError, match="seed must be a whole number ≥ 0, got -1"):
        training.train(net, net.init(0), TRAIN, TEST, batch_size=64, seed=-1)


def test_divergence_stops_the_run_and_keeps_the_last_good_epoch(tmp_path):
    path = tmp_path / "run.npz"
    adam = optim.Adam()

    def raise_lr(epoch, theta, history):
        adam.lr = 1e3  # from epoch 2 on: the loss jumps to ~1e4–1e6 (chance level is ln 4)

    with pytest.warns(training.DivergedWarning, match="diverged"):
        result = run(epochs=4, optimizer=adam, checkpoint=path, callbacks=(raise_lr,))
    assert result.stop_reason == "diverged" and result.epochs == 1
    assert "after epoch 2" in result.message and "rolled back to epoch 1" in result.message
    loss = float(result.message.split("training loss ")[1].split()[0])
    assert loss > training.DIVERGENCE_FACTOR * np.log(CLASSES)
    saved = checkpoint.load(path)
    assert saved.epoch == 1
    np.testing.assert_array_equal(saved.theta, result.theta)


def test_ctrl_c_mid_epoch_says_what_is_kept(tmp_path, monkeypatch):
    path = tmp_path / "run.npz"
    calls = []

    def step_then_interrupt(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4 + 2:  # epoch 2 (4 steps per epoch), step 2
            raise KeyboardInterrupt
        return training.plain_step(*args, **kwargs)

    method = type("Interrupting", (), {"step": staticmethod(step_then_interrupt),
                                       "config": staticmethod(lambda: {"name": "interrupting"})})
    with pytest.raises(training.Interrupted) as interrupted:
        run(epochs=3, checkpoint=path, method=method())
    message = interrupted.value.run.message
    assert message == (f"interrupted during epoch 2: its 1 completed step is discarded; "
                       f"{path} holds epoch 1 (resume to repeat epoch 2)")
    assert checkpoint.load(path).epoch == 1 and interrupted.value.run.epochs == 1


def test_a_run_waits_for_another_process_writing_its_checkpoint(tmp_path, capfd):
    from test_checkpoint import HOLD_LOCK

    path = tmp_path / "run.npz"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdout.readline().strip() == "held"
    release = threading.Timer(1.0, holder.stdin.close)   # the holder ends after a second
    release.start()
    try:
        result = run(epochs=1, checkpoint=path)
    finally:
        release.join()
        holder.wait(timeout=60)
    assert (f"another run (process {holder.pid}) is writing this checkpoint; waiting"
            in capfd.readouterr().err)
    assert result.epochs == 1 and checkpoint.load(path).epoch == 1


def test_resuming_a_checkpoint_without_a_full_history_is_a_checkpoint_error(tmp_path):
    path = tmp_path / "run.npz"
    run(epochs=1, checkpoint=path)
    arrays = dict(np.load(path))
    arrays["history"] = np.array('{"epoch": [1]}')
    np.savez(path, **arrays)
    with pytest.raises(checkpoint.CheckpointError, match="history"):
        run(epochs=2, checkpoint=path, resume=True)
