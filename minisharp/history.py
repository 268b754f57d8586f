"""What a training run records, and when it stops: the per-epoch history and the result.

:class:`History` holds one row of measurements per completed epoch (what the checkpoint
stores and a resumed run continues); :class:`Run` is what :func:`minisharp.train.train`
returns. The stopping rule reads the history: stop when the measured training loss has not
gone below its best value by more than ``min_delta`` for ``patience`` consecutive epochs
("plateau"), or after ``max_epochs`` ("max_epochs").
"""

from dataclasses import dataclass, fields

import numpy as np

from . import optim


@dataclass
class History:
    """Per-epoch measurements, as lists of Python floats (index i is epoch i + 1)."""

    epoch: list
    train_loss: list
    train_accuracy: list
    test_loss: list
    test_accuracy: list
    batch_loss: list
    seconds: list
    step_seconds: list

    TIMES = ("seconds", "step_seconds")

    @classmethod
    def empty(cls):
        return cls(*([] for _ in fields(cls)))

    @classmethod
    def from_dict(cls, values):
        return cls(**{f.name: list(values[f.name]) for f in fields(cls)})

    def to_dict(self):
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}

    def metrics(self):
        """Everything except wall times: what must repeat bit for bit under the same seed."""
        return {k: v for k, v in self.to_dict().items() if k not in self.TIMES}

    def append(self, **values):
        for f in fields(self):
            getattr(self, f.name).append(values[f.name])

    def truncate(self, epochs):
        for f in fields(self):
            del getattr(self, f.name)[epochs:]

    def __len__(self):
        return len(self.epoch)


@dataclass
class Run:
    """The outcome of :func:`train`: trained θ, running statistics, history and why it stopped.

    ``theta`` and ``state`` belong to the last completed epoch; ``config`` is what the
    checkpoint stores (network, data, batch size, seed, optimizer, stopping rule).
    """

    net: object
    theta: np.ndarray
    state: dict
    optimizer: optim.Optimizer
    history: History
    config: dict
    stop_reason: str
    message: str = ""

    @property
    def epochs(self):
        return len(self.history)

    def final(self):
        """The last epoch's measurements as a dict (empty before the first epoch)."""
        return {k: v[-1] for k, v in self.history.to_dict().items() if v}


def epochs_without_improvement(train_losses, min_delta):
    """Epochs since the training loss last fell below its running best by more than min_delta."""
    best, waited = np.inf, 0
    for loss in train_losses:
        if loss < best - min_delta:
            best, waited = loss, 0
        else:
            waited += 1
    return waited


def stop_reason(history, *, max_epochs, patience, min_delta):
    """"plateau", "max_epochs" or None (keep going), by the stopping rule in the module doc."""
    if patience and epochs_without_improvement(history.train_loss, min_delta) >= patience:
        return "plateau"
    if len(history) >= max_epochs:
        return "max_epochs"
    return None


def format_epoch(history, index=-1):
    """One line summarising an epoch of the history (the last by default)."""
    values = {k: v[index] for k, v in history.to_dict().items()}
    return (f"epoch {values['epoch']:3d}  train loss {values['train_loss']:.4f} "
            f"acc {values['train_accuracy']:.4f}  test loss {values['test_loss']:.4f} "
            f"acc {values['test_accuracy']:.4f}  batch loss {values['batch_loss']:.4f}  "
            f"{values['seconds']:.1f} s")
