"""Trajectory storage: round trip, float32, atomic writes, resume appends, reruns reuse."""

import numpy as np
import pytest

from minisharp import train as training
from minisharp import trajectory, zoo
from minisharp.data import Dataset
from minisharp.trajectory import Trajectory, TrajectoryError

SHAPE, CLASSES = (1, 6, 6), 3


def blobs(n, seed, split):
    centres = np.random.default_rng(99).normal(size=(CLASSES, *SHAPE))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, CLASSES, n)
    X = (centres[y] + rng.normal(size=(n, *SHAPE))).astype(np.float32)
    return Dataset(X, y.astype(np.int64), "blobs", split, "test", CLASSES, SHAPE)


TRAIN, TEST = blobs(192, 1, "train"), blobs(64, 2, "test")
NET = zoo.build("F1-narrow", SHAPE, CLASSES)


def fit(checkpoint, iterates, *, epochs, resume):
    return training.train(NET, NET.init(0), TRAIN, TEST, batch_size=32, max_epochs=epochs,
                          patience=None, seed=0, progress=False, checkpoint=checkpoint,
                          resume=resume, callbacks=[iterates.callback])


def test_round_trip_stores_float32_rows_in_epoch_order(tmp_path):
    rng = np.random.default_rng(0)
    thetas = [rng.normal(size=50) for _ in range(3)]  # float64 in, float32 out
    path = trajectory.save(tmp_path / "t.traj.npz", [1, 2, 5], thetas)
    epochs, stored = trajectory.load(path)
    assert epochs.dtype == np.int64 and epochs.tolist() == [1, 2, 5]
    assert stored.dtype == np.float32 and stored.shape == (3, 50)
    np.testing.assert_array_equal(stored, np.asarray(thetas, dtype=np.float32))
    again = Trajectory(path)
    np.testing.assert_array_equal(again.theta(5), stored[2])
    assert 2 in again and 3 not in again
    with pytest.raises(KeyError, match="epoch 3"):
        again.theta(3)


def test_record_replaces_later_epochs_and_keep_filters(tmp_path):
    iterates = Trajectory(tmp_path / "a.traj.npz", keep={1, 3})
    for epoch in (1, 2, 3):
        iterates.record(epoch, np.full(4, epoch, np.float64))
    assert iterates.epochs.tolist() == [1, 3]
    iterates.record(1, np.full(4, 10.0))  # a run redone from epoch 1 drops epoch 3
    assert iterates.epochs.tolist() == [1]
    assert trajectory.load(iterates.path)[1].tolist() == [[10.0] * 4]
    with pytest.raises(ValueError, match="entries"):
        iterates.record(2, np.zeros(5))


def test_write_is_atomic_a_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "run.traj.npz"
    iterates = Trajectory(path)
    iterates.record(1, np.arange(6.0))
    before = path.read_bytes()

    def crash(handle, **members):
        handle.write(b"PK\x03\x04 half an archive")
        raise KeyboardInterrupt

    monkeypatch.setattr(trajectory.np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        iterates.record(2, np.arange(6.0) + 1)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["run.traj.npz"]  # no temporary left


def test_unreadable_files_raise_with_the_path(tmp_path):
    bad = tmp_path / "bad.traj.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(TrajectoryError, match="bad.traj.npz"):
        trajectory.load(bad)
    with pytest.raises(TrajectoryError, match="no such"):
        trajectory.load(tmp_path / "missing.npz")
    np.save(tmp_path / "single.npy", np.zeros(3))
    with pytest.raises(TrajectoryError, match="single array"):
        trajectory.load(tmp_path / "single.npy")
    with pytest.raises(ValueError, match="increasing"):
        trajectory.save(tmp_path / "x.npz", [2, 1], [np.zeros(2)] * 2)


def test_path_sits_beside_the_checkpoint(tmp_path):
    assert trajectory.trajectory_path(tmp_path / "b256.npz") == tmp_path / "b256.traj.npz"
    assert Trajectory.beside(tmp_path / "b6000-warm.npz").path.name == "b6000-warm.traj.npz"


def test_trajectory_of_a_run_matches_its_iterates_and_final_theta(tmp_path):
    checkpoint = tmp_path / "run.npz"
    iterates = Trajectory.beside(checkpoint)
    seen = []
    run = training.train(NET, NET.init(0), TRAIN, TEST, batch_size=32, max_epochs=3,
                         patience=None, seed=0, progress=False, checkpoint=checkpoint,
                         callbacks=[iterates.callback,
                                    lambda e, theta, h: seen.append(theta.copy())])
    epochs, thetas = trajectory.load(iterates.path)
    assert epochs.tolist() == [1, 2, 3]
    np.testing.assert_array_equal(thetas, np.asarray(seen))
    np.testing.assert_array_equal(thetas[-1], run.theta)
    assert iterates.covers(checkpoint)


def test_resumed_run_appends_and_equals_an_uninterrupted_one(tmp_path):
    whole = Trajectory(tmp_path / "whole.traj.npz")
    fit(tmp_path / "whole.npz", whole, epochs=4, resume=False)

    checkpoint = tmp_path / "split.npz"
    first = Trajectory.beside(checkpoint)
    fit(checkpoint, first, epochs=2, resume=False)            # stops after 2 of 4 epochs
    resumed = Trajectory.beside(checkpoint)                    # a fresh process reads the file
    assert resumed.covers(checkpoint) and resumed.epochs.tolist() == [1, 2]
    fit(checkpoint, resumed, epochs=4, resume=resumed.covers(checkpoint))
    epochs, thetas = trajectory.load(resumed.path)
    assert epochs.tolist() == [1, 2, 3, 4]
    np.testing.assert_array_equal(thetas, whole.thetas)


def test_rerun_of_a_finished_run_reuses_it_without_writing(tmp_path):
    checkpoint = tmp_path / "run.npz"
    iterates = Trajectory.beside(checkpoint)
    fit(checkpoint, iterates, epochs=2, resume=False)
    stamps = (checkpoint.stat().st_mtime_ns, iterates.path.stat().st_mtime_ns)
    again = Trajectory.beside(checkpoint)
    assert again.covers(checkpoint)
    run = fit(checkpoint, again, epochs=2, resume=True)
    assert run.epochs == 2
    assert (checkpoint.stat().st_mtime_ns, again.path.stat().st_mtime_ns) == stamps


def test_checkpoint_without_trajectory_is_not_covered_and_retraining_rebuilds_it(tmp_path):
    checkpoint = tmp_path / "other.npz"
    plain = training.train(NET, NET.init(0), TRAIN, TEST, batch_size=32, max_epochs=3,
                           patience=None, seed=0, progress=False, checkpoint=checkpoint)
    iterates = Trajectory.beside(checkpoint)
    assert not iterates.covers(checkpoint)
    rerun = fit(checkpoint, iterates, epochs=3, resume=iterates.covers(checkpoint))
    np.testing.assert_array_equal(rerun.theta, plain.theta)  # deterministic retraining
    assert iterates.covers(checkpoint) and iterates.epochs.tolist() == [1, 2, 3]


def test_a_trajectory_from_another_run_is_not_covered(tmp_path):
    checkpoint = tmp_path / "run.npz"
    fit(checkpoint, Trajectory(tmp_path / "elsewhere.traj.npz"), epochs=2, resume=False)
    stale = Trajectory.beside(checkpoint)
    stale.record(1, np.zeros(NET.num_params))
    stale.record(2, np.zeros(NET.num_params))
    assert not stale.covers(checkpoint)
