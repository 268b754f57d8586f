"""Bookkeeping the lessons share: which data, where a run's checkpoint lives, first-n views.

The experiment itself — which runs, from which θ₀, with which batch sizes — stays visible in
each lesson. This module only answers "which Fashion-MNIST is this?" and "where is this run
kept?", so that lessons reuse each other's finished runs.

A run is cached by the training loop's own checkpoint/resume: ``train(..., checkpoint=path,
resume=True)`` returns a finished run from ``path`` at once and continues a partial one. The
path names everything that makes two runs different in data or set-up —
``runs/<data>-<n_train>/<network>/seed<k>/b<batch>[-<tag>].npz`` — and the training loop
refuses a checkpoint whose optimizer, batch size, seed or data disagree with the call.
"""

import sys
from dataclasses import replace
from pathlib import Path

from . import data


def load_fashion_mnist(choice=None, *, quiet=False):
    """(train, test) and a sentence saying which data this is and what that means.

    choice: None (the full set when found, else the embedded subset), "full" or "embedded".
    """
    train, test = data.load_pair("fashion-mnist", subset=choice)
    if train.source == "embedded":
        note = (f"the embedded Fashion-MNIST subset ({len(train.y):,} training / "
                f"{len(test.y):,} test images): batches scaled to keep N/B near the paper's; "
                "expect a weaker effect than on the full set")
    else:
        note = (f"the full Fashion-MNIST ({len(train.y):,} training / {len(test.y):,} test "
                f"images) from {train.source}")
    if not quiet:
        print(f"Data: {note}.", file=sys.stderr)
    return train, test, note


def first(dataset, n):
    """The first n samples of a Dataset (a view, no copy); the dataset itself if n is None."""
    if n is None or n >= len(dataset.y):
        return dataset
    return replace(dataset, X=dataset.X[:n], y=dataset.y[:n])


def run_path(runs_dir, train_set, net_name, seed, batch_size, tag=""):
    """Where a training run is checkpointed (parent directories created). See the module doc."""
    where = "embedded" if train_set.source == "embedded" else "full"
    directory = Path(runs_dir) / f"{where}-{len(train_set.y)}" / net_name / f"seed{seed}"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / (f"b{batch_size}" + (f"-{tag}" if tag else "") + ".npz")
