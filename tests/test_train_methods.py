"""The training loop's method hooks: plain training unchanged, each hook takes effect, the
method's config is in the checkpoint, resume with another method is refused, and every remedy
resumes bit for bit."""

import numpy as np
import pytest

from minisharp import checkpoint, data, optim, zoo
from minisharp import train as training
from minisharp.data import Dataset
from minisharp.remedies import (
    SAM,
    Adversarial,
    Augment,
    Conservative,
    DynamicSampling,
    GhostBatchNorm,
    LinearScalingWarmup,
    TrainLonger,
)

SHAPE, CLASSES = (1, 8, 8), 4


def synthetic(n, seed, split="train"):
    """Four Gaussian blobs of 1×8×8 images in [0, 1]."""
    centres = np.random.default_rng(1234).random((CLASSES, *SHAPE))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, CLASSES, n)
    X = np.clip(centres[y] + 0.3 * rng.normal(size=(n, *SHAPE)), 0, 1).astype(np.float32)
    return Dataset(X, y.astype(np.int64), "synthetic", split, "test", CLASSES, SHAPE)


TRAIN, TEST = synthetic(192, 1), synthetic(64, 2, "test")


def run(name="F1-narrow", *, epochs=2, batch_size=32, **settings):
    net = zoo.build(name, SHAPE, CLASSES)
    return training.train(net, net.init(0), TRAIN, TEST, batch_size=batch_size,
                          max_epochs=epochs, seed=0, patience=None, progress=False, **settings)


class ConfigOnly:
    def config(self):
        return {"name": "config-only"}


def test_a_method_without_hooks_trains_exactly_like_plain_training(tmp_path):
    plain = run()
    hookless = run(method=ConfigOnly(), checkpoint=tmp_path / "run.npz")
    np.testing.assert_array_equal(plain.theta, hookless.theta)
    assert plain.history.metrics() == hookless.history.metrics()
    assert plain.config["method"] is None
    assert checkpoint.load(tmp_path / "run.npz").config["method"] == {"name": "config-only"}


def test_resume_refuses_another_method_and_plain_training(tmp_path):
    path = tmp_path / "run.npz"
    run(epochs=1, checkpoint=path, method=SAM(0.05))
    assert checkpoint.load(path).config["method"] == {"name": "sam", "rho": 0.05}
    with pytest.raises(checkpoint.CheckpointError, match="method"):
        run(checkpoint=path, resume=True, method=SAM(0.1))
    with pytest.raises(checkpoint.CheckpointError, match="method"):
        run(checkpoint=path, resume=True, method=Conservative())
    with pytest.raises(checkpoint.CheckpointError, match="method"):
        run(checkpoint=path, resume=True)
    plain_path = tmp_path / "plain.npz"
    run(epochs=1, checkpoint=plain_path)
    with pytest.raises(checkpoint.CheckpointError, match="method"):
        run(checkpoint=plain_path, resume=True, method=SAM(0.05))


def test_batch_size_and_lr_hooks_take_effect(monkeypatch):
    schedule = DynamicSampling(16, 64, 2.0)
    result = run(epochs=3, method=schedule)
    steps = sum(data.num_batches(len(TRAIN.y), schedule.batch_size(e)) for e in range(3))
    assert steps == 12 + 6 + 3 and result.optimizer.steps == steps
    warmup = LinearScalingWarmup(1e-3, 32, 16, warmup_steps=100)
    rates = []
    original_step = optim.Adam.step

    def recording_step(self, theta, grad):
        rates.append(self.lr)
        original_step(self, theta, grad)

    monkeypatch.setattr(optim.Adam, "step", recording_step)
    result = run(epochs=2, method=warmup)
    assert rates == [warmup.lr(t) for t in range(12)]
    assert result.optimizer.lr == 1e-3 == result.config["optimizer"]["lr"]  # put back


class Recorder:
    """A transform that records what the loop hands it."""

    def __init__(self):
        self.calls = []

    def config(self):
        return {"name": "recorder"}

    def transform(self, X, y, rng, net, theta):
        self.calls.append((len(X), rng.integers(1 << 30)))
        return X, y


def test_transform_gets_a_generator_per_epoch_and_step():
    recorder = Recorder()
    run(epochs=2, method=recorder)
    assert len(recorder.calls) == 12
    draws = [draw for _, draw in recorder.calls]
    assert len(set(draws)) == 12
    expected = np.random.default_rng([0, training.TRANSFORM_STREAM, 1, 2]).integers(1 << 30)
    assert draws[6 + 2] == expected


METHODS = {
    "augment": Augment(),
    "conservative": Conservative(),
    "adversarial": Adversarial(0.1),
    "warmup": LinearScalingWarmup(1e-3, 32, 16, warmup_steps=8),
    "longer": TrainLonger(2.0),
    "dynamic": DynamicSampling(16, 64, 2.0),
    "ghost": GhostBatchNorm(8),
    "sam": SAM(0.05),
}


@pytest.mark.parametrize("label", sorted(METHODS))
def test_every_method_trains_and_resumes_bit_for_bit(tmp_path, label):
    method = METHODS[label]
    name = "C1-narrow" if label in ("sam", "conservative") else "F1-narrow"  # with dropout
    whole = run(name, epochs=3, method=method)
    assert np.all(np.isfinite(whole.theta))
    assert whole.history.train_loss[-1] < whole.history.train_loss[0] or label == "adversarial"
    path = tmp_path / "run.npz"

    def stop_after_one(epoch, theta, history):
        if epoch == 1:
            raise KeyboardInterrupt

    with pytest.raises(training.Interrupted):
        run(name, epochs=3, method=method, checkpoint=path, callbacks=(stop_after_one,))
    resumed = run(name, epochs=3, method=method, checkpoint=path, resume=True)
    np.testing.assert_array_equal(whole.theta, resumed.theta)
    assert whole.history.metrics() == resumed.history.metrics()
    for key in whole.state:
        np.testing.assert_array_equal(whole.state[key], resumed.state[key])


class TooLarge:
    def config(self):
        return {"name": "too-large"}

    def batch_size(self, epoch):
        return 10_000


def test_a_batch_size_schedule_beyond_the_data_is_refused():
    with pytest.raises(ValueError, match=r"method.batch_size\(0\) must lie in \[1, 192\]"):
        run(method=TooLarge())
