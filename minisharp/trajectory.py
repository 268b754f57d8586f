"""The iterates of a training run: θ after each epoch, float32, one ``.npz`` beside its checkpoint.

The paper's Figures 5 and 6 need the path a run took, not only where it ended: Figure 5 starts
large-batch runs from the small-batch iterate after k epochs, Figure 6 measures sharpness along
the way. A :class:`Trajectory` is a training callback that keeps those iterates::

    iterates = Trajectory.beside(checkpoint_path)
    run = train(net, theta0, ..., checkpoint=checkpoint_path,
                resume=iterates.covers(checkpoint_path), callbacks=[iterates.callback])
    epochs, thetas = iterates.epochs, iterates.thetas      # or trajectory.load(path)

``covers`` is what makes reruns cheap and safe. A finished run whose trajectory is complete
is returned by ``train`` at once (nothing is retrained, nothing rewritten); an interrupted run
resumes and the callback appends the epochs that follow. A checkpoint written without this
callback (another lesson trained the same run) has no trajectory: ``covers`` is False, the run
is trained again from θ₀ — deterministically, so it ends bit-identical to the checkpoint it
overwrites — and the iterates are recorded on the way.

File layout (``<checkpoint stem>.traj.npz``, written with ``allow_pickle=False`` in mind)::

    epochs          int64 (k,)     the completed epoch of each stored iterate, increasing
    theta/<epoch>   float32 (n,)   θ after that epoch, one member per epoch
    format          "minisharp-trajectory-1"

Float32 halves a float64 model's size and is what the models train in anyway; an F1 iterate
(1.46 M parameters) is 5.9 MB, so a 30-epoch run is 175 MB. ``keep`` stores only chosen epochs.
Batch-norm running statistics are not stored: the callback interface passes θ only, and every
measurement in the lessons normalises with batch statistics (the paper's Keras mode=2).

Every write is atomic (a temporary file in the same directory, flushed, then ``os.replace``d),
so Ctrl-C or a crash leaves the previous complete file. The whole file is rewritten each epoch
from the iterates held in memory — O(epochs²) bytes in all, about 3 GB (a few seconds) for a
30-epoch F1 run, which buys the single-file, always-consistent layout.
"""

import zipfile
import zlib
from pathlib import Path

import numpy as np

from .atomic import save_npz

FORMAT = "minisharp-trajectory-1"
SUFFIX = ".traj.npz"


class TrajectoryError(ValueError):
    """A trajectory file that cannot be read; the message starts with its path."""

    def __init__(self, path, reason):
        self.path = str(path)
        super().__init__(f"{path}: {reason}")


def trajectory_path(checkpoint):
    """Where the trajectory of the run checkpointed at ``checkpoint`` lives: ``<stem>.traj.npz``."""
    checkpoint = Path(checkpoint)
    stem = checkpoint.name[:-4] if checkpoint.name.endswith(".npz") else checkpoint.name
    return checkpoint.with_name(stem + SUFFIX)


def save(path, epochs, thetas):
    """Write iterates atomically: ``epochs`` increasing ints, ``thetas`` one vector per epoch."""
    epochs = [int(e) for e in epochs]
    if len(epochs) != len(thetas):
        raise ValueError(f"got {len(epochs)} epochs but {len(thetas)} iterates")
    if any(b <= a for a, b in zip(epochs, epochs[1:])) or any(e < 0 for e in epochs):
        raise ValueError(f"epochs must be non-negative and increasing, got {epochs}")
    members = {"epochs": np.asarray(epochs, dtype=np.int64), "format": np.array(FORMAT)}
    for epoch, theta in zip(epochs, thetas):
        members[f"theta/{epoch}"] = np.asarray(theta, dtype=np.float32)
    return save_npz(Path(path), members)


def load(path):
    """(epochs, thetas): an int64 vector and a float32 (k, n) array, one row per epoch."""
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise TrajectoryError(path, "a single array, not a trajectory archive")
        with archive:
            if "epochs" not in archive.files or "format" not in archive.files:
                raise TrajectoryError(path, "not a trajectory archive (no 'epochs')")
            if str(archive["format"]) != FORMAT:
                raise TrajectoryError(path, f"unknown format {archive['format']!s}")
            epochs = archive["epochs"].astype(np.int64)
            rows = [archive[f"theta/{e}"] for e in epochs]
    except FileNotFoundError:
        raise TrajectoryError(path, "no such trajectory file") from None
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as error:
        if isinstance(error, TrajectoryError):
            raise
        raise TrajectoryError(path, f"unreadable ({type(error).__name__}: {error})") from None
    thetas = np.stack(rows) if rows else np.empty((0, 0), np.float32)
    return epochs, thetas


def checkpoint_epoch_and_theta(checkpoint):
    """(completed epochs, θ) read from a checkpoint without loading the rest of it."""
    with np.load(checkpoint, allow_pickle=False) as archive:
        return int(archive["epoch"]), archive["theta"]


class Trajectory:
    """A training callback that records θ (as float32) after each completed epoch.

    ``path``: the ``.npz`` file (read if it exists). ``keep``: None (every epoch) or a
    collection of epochs to store. Recording epoch e drops any stored epoch ≥ e first, so a run
    retrained from the start, or resumed after a rollback, replaces what it redoes.
    """

    def __init__(self, path, *, keep=None):
        self.path = Path(path)
        self.keep = None if keep is None else frozenset(int(e) for e in keep)
        if self.path.exists():
            epochs, thetas = load(self.path)
            self._epochs, self._thetas = [int(e) for e in epochs], list(thetas)
        else:
            self._epochs, self._thetas = [], []

    @classmethod
    def beside(cls, checkpoint, *, keep=None):
        """The trajectory stored next to ``checkpoint`` (see :func:`trajectory_path`)."""
        return cls(trajectory_path(checkpoint), keep=keep)

    @property
    def epochs(self):
        """The stored epochs, an int64 vector."""
        return np.asarray(self._epochs, dtype=np.int64)

    @property
    def thetas(self):
        """The stored iterates, a float32 (k, n) array (a copy)."""
        return np.stack(self._thetas) if self._thetas else np.empty((0, 0), np.float32)

    def theta(self, epoch):
        """θ after ``epoch`` (float32); KeyError if that epoch is not stored."""
        try:
            return self._thetas[self._epochs.index(int(epoch))]
        except ValueError:
            raise KeyError(f"epoch {epoch} is not in {self.path} "
                           f"(stored: {self._epochs})") from None

    def __len__(self):
        return len(self._epochs)

    def __contains__(self, epoch):
        return int(epoch) in self._epochs

    def wanted(self, epoch):
        return self.keep is None or int(epoch) in self.keep

    def record(self, epoch, theta):
        """Store θ after ``epoch`` (replacing it and dropping later epochs) and save the file."""
        epoch = int(epoch)
        if epoch < 0:
            raise ValueError(f"epoch must be non-negative, got {epoch}")
        theta = np.asarray(theta)
        if theta.ndim != 1:
            raise ValueError(f"theta must be a flat vector, got shape {theta.shape}")
        if self._thetas and theta.shape != self._thetas[0].shape:
            raise ValueError(f"theta has {theta.size} entries, {self.path} holds iterates of "
                             f"{self._thetas[0].size}")
        kept = [i for i, e in enumerate(self._epochs) if e < epoch]
        self._epochs = [self._epochs[i] for i in kept]
        self._thetas = [self._thetas[i] for i in kept]
        if self.wanted(epoch):
            self._epochs.append(epoch)
            self._thetas.append(theta.astype(np.float32, copy=True))
        save(self.path, self._epochs, self._thetas)

    def callback(self, epoch, theta, history=None):
        """For ``train(callbacks=[...])``: record θ after ``epoch``; never stops the run."""
        self.record(epoch, theta)
        return False

    def covers(self, checkpoint):
        """Whether resuming ``checkpoint`` with this callback yields a complete trajectory.

        True when there is no checkpoint (training starts afresh), or when every wanted epoch
        up to the checkpoint's is stored and the stored iterate of its last epoch, if kept,
        equals the checkpoint's θ in float32 (so the file belongs to this run).
        """
        if not Path(checkpoint).exists():
            return True
        epoch, theta = checkpoint_epoch_and_theta(checkpoint)
        if any(self.wanted(e) and e not in self for e in range(1, epoch + 1)):
            return False
        if epoch in self:
            return bool(np.array_equal(self.theta(epoch), theta.astype(np.float32)))
        return True

    def __repr__(self):
        return f"Trajectory({str(self.path)!r}, epochs {self._epochs})"
