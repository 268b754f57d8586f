"""The training loop: epochs of fixed-size minibatches, per-epoch measurement, a stopping rule.

One epoch runs the minibatches of ``data.batches(n, batch_size, seed=seed, epoch=e)`` — a
fresh shuffle per (seed, epoch), fixed batch size, the partial last batch dropped — and takes
one optimizer step on each with ``loss_and_grad(mode="train")``: batch statistics, dropout on
(from a generator seeded by ``seed``), batch norm running statistics updated.

After every epoch f is *measured* with dropout off in ``measure_mode`` ("batchstat" by
default: each chunk of ``EVAL_CHUNK`` = 5000 samples normalised with its own statistics, as
the paper's Keras code did; "eval" uses the running statistics):

- train loss/accuracy on the first ``measure_samples`` (10,000) samples of the training set — a
  fixed subset, so that measuring costs a bounded time per epoch and is the same slice the
  sharpness experiments use;
- test loss/accuracy on the whole test set;
- ``batch_loss``: the mean of the epoch's minibatch losses (a by-product of training);
- ``seconds``: the wall time of the epoch, measurement included; ``step_seconds``: training
  steps alone.

Stopping rule ("trained until the loss stopped improving", the paper's only statement): stop
when the measured training loss has not gone below its best value by more than ``min_delta``
for ``patience`` consecutive epochs ("plateau"), or after ``max_epochs`` ("max_epochs"). Other
endings: a callback returned True ("callback"); the minibatch loss became NaN/Inf
("nonfinite"); the measured training loss rose above ``DIVERGENCE_FACTOR`` (10) × ln(classes),
the loss of predicting every class with equal probability — a network that confidently wrong
has diverged ("diverged"). After "nonfinite" and "diverged" the run is rolled back to the last
completed epoch, whose checkpoint is kept, and a :class:`TrainingStoppedWarning` is issued.

With ``checkpoint=path`` every completed epoch is saved (atomically) and ``resume=True``
continues from that file: data order, dropout masks, optimizer and batch norm state all carry
over, so an interrupted and resumed run ends bit-identical to an uninterrupted one. The run
holds the checkpoint's write lock (:func:`minisharp.checkpoint.exclusive`): a second run on the
same file fails at once. Ctrl-C raises :class:`Interrupted` and keeps only completed epochs:
the steps of the epoch in progress are discarded, and resuming repeats that epoch.

Training methods (``method=``, the remedies in ``minisharp.remedies``) change the loop through
a few optional hooks, each used only when the method object has it:

- ``step(net, theta, grad, X, y, optimizer, *, state, rng) -> loss``: the step rule, replacing
  :func:`plain_step` (one ``loss_and_grad`` in mode "train", then ``optimizer.step``);
- ``transform(X, y, rng, net, theta) -> (X, y)``: a batch transform applied before the step;
  ``rng`` is ``default_rng([seed, TRANSFORM_STREAM, epoch, step])`` (both 0-based), so
  resume is exact;
- ``batch_size(epoch) -> int``: the batch size of epoch ``epoch`` (0-based), overriding
  ``batch_size``;
- ``lr(step) -> float``: the optimizer's learning rate before update number ``step``
  (``optimizer.steps``, restored on resume); the configured rate is put back after each
  epoch, so the checkpoint keeps the optimizer's own settings;
- ``config() -> dict`` (required): JSON-ready settings, stored in the checkpoint's config as
  ``method``; resuming with a different method is refused.

``method=None`` is plain training.
"""

import dataclasses
import functools
import os
import sys
import time
import types
import warnings

import numpy as np
from tqdm.auto import tqdm

from . import checkpoint as ckpt
from . import data, optim
from .device import on_gpu, to_device, to_host
from .history import History, Run, format_epoch, stop_reason
from .objective import EVAL_CHUNK, check_device_for, evaluate, loss_and_grad

MEASURE_SAMPLES = 10_000
DIVERGENCE_FACTOR = 10.0  # "diverged": measured training loss above this × ln(num_classes)
DROPOUT_STREAM = 1  # the dropout generator is default_rng([seed, DROPOUT_STREAM])
TRANSFORM_STREAM = 2  # a method's batch transform draws from [seed, TRANSFORM_STREAM, epoch, step]
# Settings that must agree between a checkpoint and the run that resumes it.
RESUME_KEYS = ("batch_size", "seed", "optimizer", "measure_mode", "measure_samples", "chunk",
               "dtype", "data", "method")


class TrainingStoppedWarning(RuntimeWarning):
    """Training stopped early because it broke down; ``Run.message`` says how."""


class NonFiniteLossWarning(TrainingStoppedWarning):
    """The training loss became NaN or infinite; the run stopped."""


class DivergedWarning(TrainingStoppedWarning):
    """The measured training loss rose far above chance level; the run stopped."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during training, caught and re-raised with the run attached.

    ``run.theta``, ``run.state`` and ``run.history`` are rolled back to the last completed
    epoch, the one in the checkpoint; the optimizer and dropout generator are not, so continue
    by resuming from the checkpoint rather than from ``run``.
    """

    def __init__(self, run):
        super().__init__(run.message)
        self.run = run


def measure(net, theta, train_set, test_set, *, mode="batchstat", state=None,
            samples=MEASURE_SAMPLES, chunk=EVAL_CHUNK):
    """{train_loss, train_accuracy, test_loss, test_accuracy} with dropout off, in ``mode``."""
    n = len(train_set.y) if samples is None else min(samples, len(train_set.y))
    train_loss, train_acc = evaluate(net, theta, train_set.X[:n], train_set.y[:n], mode,
                                     chunk=chunk, state=state)
    test_loss, test_acc = evaluate(net, theta, test_set.X, test_set.y, mode, chunk=chunk,
                                   state=state)
    return {"train_loss": train_loss, "train_accuracy": train_acc, "test_loss": test_loss,
            "test_accuracy": test_acc}


def _data_config(dataset, test_set):
    return {"name": getattr(dataset, "name", "unnamed"),
            "source": getattr(dataset, "source", "unknown"),
            "train_size": len(dataset.y), "test_size": len(test_set.y)}


def _show_progress(progress):
    return bool(progress) and sys.stderr.isatty()


def _restore(path, net, theta, optimizer, config):
    saved = ckpt.load(path, net=net)
    for key in RESUME_KEYS:
        if saved.config.get(key) != config[key]:
            raise ckpt.CheckpointError(path, f"cannot resume: {key} was {saved.config.get(key)!r}"
                                             f", this run has {config[key]!r}")
    try:
        history = History.from_dict(saved.history)
    except (KeyError, TypeError) as error:
        raise ckpt.CheckpointError(path, f"cannot resume: the history lacks {error}") from None
    theta[...] = saved.theta
    optimizer.load_state_dict(saved.optimizer_state)
    return saved.state, saved.rng(), history


def _holding_checkpoint_lock(function):
    """Run ``function`` holding the write lock of its ``checkpoint`` argument, if it has one
    (waiting while another process holds it: lessons running side by side share runs/)."""
    @functools.wraps(function)
    def locked(*args, checkpoint=None, **kwargs):
        if checkpoint is None:
            return function(*args, **kwargs)
        with ckpt.exclusive(checkpoint, wait=True):
            return function(*args, checkpoint=checkpoint, **kwargs)

    return locked


def _whole(name, value, minimum, *, optional=False):
    if optional and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        allowed = "None or a whole number" if optional else "a whole number"
        raise ValueError(f"{name} must be {allowed} ≥ {minimum}, got {value!r}")
    return int(value)


@_holding_checkpoint_lock
def train(net, theta, train_set, test_set, *, batch_size, optimizer=None, max_epochs=100,
          patience=5, min_delta=1e-3, seed=0, measure_mode="batchstat",
          measure_samples=MEASURE_SAMPLES, chunk=EVAL_CHUNK, callbacks=(), checkpoint=None,
          resume=False, progress=True, method=None, device="cpu"):
    """Train ``net`` from ``theta`` (not modified: training works on a copy) and return a Run.

    ``train_set``/``test_set`` have ``.X`` and ``.y`` (``minisharp.data.Dataset``).
    ``optimizer``: a fresh :class:`minisharp.optim.Optimizer`, or a name ("adam", "sgd");
    None means Adam with Keras defaults. ``patience=None`` turns the plateau rule off.
    ``callbacks``: callables ``f(epoch, theta, history)`` run after each completed epoch
    (after its checkpoint is written); θ is the live vector, so copy it to keep it; a
    callback returning True stops the run. ``checkpoint``: a path written after every epoch;
    while another process is writing it, this call says so on stderr and waits for it to end.
    ``resume=True`` continues from ``checkpoint`` if that file exists (else starts fresh).
    ``progress``: a tqdm bar per epoch on stderr, replaced by a one-line summary
    (:func:`format_epoch`) when the epoch ends; only when stderr is a terminal.
    ``method``: a training method with the hooks in the module doc; None is plain training.
    ``device="cuda"``: θ, the optimizer's moments, the batch-norm statistics and both data sets
    live on the GPU for the whole run (copied there once); checkpoints, callbacks and the
    returned Run get host arrays, and a run can be resumed on either device.
    """
    optimizer = optim.make(optimizer) if isinstance(optimizer, str) else optimizer
    optimizer = optim.Adam() if optimizer is None else optimizer
    if optimizer.steps:
        raise ValueError("pass a fresh optimizer (this one has taken steps already)")
    n = len(train_set.y)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or not 0 < batch_size <= n:
        raise ValueError(f"batch_size must lie in [1, {n}], got {batch_size!r}")
    max_epochs, seed, chunk = (_whole("max_epochs", max_epochs, 1), _whole("seed", seed, 0),
                               _whole("chunk", chunk, 1))
    patience = _whole("patience", patience, 0, optional=True)
    measure_samples = _whole("measure_samples", measure_samples, 1, optional=True)
    if not (np.isfinite(float(min_delta)) and float(min_delta) >= 0):
        raise ValueError(f"min_delta must be a finite number ≥ 0, got {min_delta!r}")
    if measure_mode not in ("batchstat", "eval"):
        raise ValueError(f"measure_mode must be 'batchstat' or 'eval', got {measure_mode!r}")
    check_device_for(net, device)
    theta = np.array(to_host(theta), copy=True)
    config = {
        "batch_size": int(batch_size), "seed": int(seed), "optimizer": optimizer.config(),
        "max_epochs": int(max_epochs), "patience": patience, "min_delta": float(min_delta),
        "measure_mode": measure_mode, "measure_samples": measure_samples, "chunk": int(chunk),
        "dtype": theta.dtype.name, "data": _data_config(train_set, test_set),
        "method": None if method is None else method.config(),
    }
    if resume and checkpoint is not None and os.path.exists(checkpoint):
        bn_state, dropout_rng, history = _restore(checkpoint, net, theta, optimizer, config)
    else:
        bn_state = net.init_state()
        dropout_rng = np.random.default_rng([int(seed), DROPOUT_STREAM])
        history = History.empty()
    if device != "cpu":   # θ, the batch-norm statistics and the data live there from now on
        theta = to_device(theta, device)
        bn_state = {key: to_device(value, device) for key, value in bn_state.items()}
    train_set, test_set = _on_device(train_set, device), _on_device(test_set, device)

    def host_state():
        return {key: to_host(value) for key, value in bn_state.items()}

    def make_run(reason, message=""):
        return Run(net, to_host(theta), host_state(), optimizer, history, config, reason,
                   message)

    grad = np.empty_like(theta)
    rule = {"max_epochs": max_epochs, "patience": patience, "min_delta": min_delta}
    diverged_above = DIVERGENCE_FACTOR * np.log(max(net.num_classes, 2))
    reason = stop_reason(history, **rule)
    good = (len(history), theta.copy(), {k: v.copy() for k, v in bn_state.items()})
    in_progress = None  # (epoch, optimizer steps before it) while an epoch runs
    try:
        while reason is None:
            epoch = len(history) + 1
            in_progress = (epoch, optimizer.steps)
            started = time.perf_counter()
            size = method.batch_size(epoch - 1) if hasattr(method, "batch_size") else batch_size
            if not 0 < size <= n:
                raise ValueError(f"method.batch_size({epoch - 1}) must lie in [1, {n}], got {size}")
            with tqdm(total=data.num_batches(n, size), desc=f"epoch {epoch}", unit="step",
                      leave=False, disable=not _show_progress(progress)) as bar:
                batches = data.batches(n, size, seed=seed, epoch=epoch - 1)
                losses = _train_epoch(net, theta, grad, train_set, batches, optimizer, bn_state,
                                      dropout_rng, bar, epoch, method, seed)
                step_seconds = time.perf_counter() - started
                measured = measure(net, theta, train_set, test_set, mode=measure_mode,
                                   state=bn_state, samples=measure_samples, chunk=chunk)
                if not np.isfinite(measured["train_loss"]):
                    raise _NonFinite(f"the measured training loss became "
                                     f"{measured['train_loss']} after epoch {epoch}")
                if measured["train_loss"] > diverged_above:
                    raise _Diverged(
                        f"the measured training loss {measured['train_loss']:.4g} after epoch "
                        f"{epoch} is over {DIVERGENCE_FACTOR:g} × the chance level "
                        f"ln({net.num_classes}) = {np.log(net.num_classes):.3g}: training "
                        "diverged (is the learning rate too large?)")
            history.append(epoch=epoch, batch_loss=float(np.mean(losses)),
                           seconds=time.perf_counter() - started, step_seconds=step_seconds,
                           **measured)
            if _show_progress(progress):
                tqdm.write(format_epoch(history), file=sys.stderr)
            reason = stop_reason(history, **rule)
            if checkpoint is not None:
                ckpt.save(checkpoint, net=net, theta=to_host(theta), state=host_state(),
                          optimizer=optimizer, rng=dropout_rng, epoch=epoch,
                          history=history.to_dict(), config=config, stop_reason=reason)
            good = (epoch, theta.copy(), {k: v.copy() for k, v in bn_state.items()})
            in_progress = None
            seen = theta if device == "cpu" else to_host(theta)
            if any([bool(callback(epoch, seen, history)) for callback in callbacks]):
                reason = reason or "callback"
    except _NonFinite as error:
        _roll_back(good, theta, bn_state, history)
        kept = f"; the checkpoint {checkpoint} holds it" if checkpoint and good[0] else ""
        message = f"{error}: stopped, rolled back to epoch {good[0]}{kept}"
        diverged = isinstance(error, _Diverged)
        warnings.warn(message, DivergedWarning if diverged else NonFiniteLossWarning,
                      stacklevel=3)
        return make_run("diverged" if diverged else "nonfinite", message)
    except KeyboardInterrupt:
        _roll_back(good, theta, bn_state, history)
        raise Interrupted(make_run("interrupted", _interrupted_message(
            in_progress, optimizer.steps, good[0], checkpoint))) from None
    return make_run(reason, _summary(reason, history))


class _NonFinite(Exception):
    pass


class _Diverged(_NonFinite):
    pass


def _interrupted_message(in_progress, steps, kept_epochs, checkpoint):
    """What Ctrl-C kept: completed epochs only (the checkpoint's), never part of an epoch."""
    if in_progress is None:
        kept = f"; {checkpoint} holds it (resume to continue)" if checkpoint else ""
        return f"interrupted after epoch {kept_epochs}{kept}"
    epoch, steps_before = in_progress
    done = steps - steps_before
    lost = f"its {done} completed step{'' if done == 1 else 's'} {'is' if done == 1 else 'are'}"
    if not checkpoint:
        kept = f"the run is back at epoch {kept_epochs}"
    elif kept_epochs:
        kept = f"{checkpoint} holds epoch {kept_epochs} (resume to repeat epoch {epoch})"
    else:
        kept = f"no checkpoint was written ({checkpoint} needs one completed epoch)"
    return f"interrupted during epoch {epoch}: {lost} discarded; {kept}"


def plain_step(net, theta, grad, X, y, optimizer, *, state, rng):
    """Plain training's step rule: gradient of the batch loss in mode "train", one update.

    θ is left alone when the loss is not finite. Returns the batch loss.
    """
    loss, _ = loss_and_grad(net, theta, X, y, mode="train", state=state, rng=rng, out=grad)
    if np.isfinite(loss):
        optimizer.step(theta, grad)
    return loss


def _train_epoch(net, theta, grad, train_set, batches, optimizer, bn_state, dropout_rng, bar,
                 epoch, method=None, seed=0):
    """One step of the step rule per minibatch; returns the minibatch losses."""
    step_rule = getattr(method, "step", plain_step)
    base_lr = getattr(optimizer, "lr", None)  # an lr schedule acts during steps only
    losses, total = [], 0.0
    on_device = on_gpu(train_set.X)
    for step, index in enumerate(batches):
        if on_device:
            index = to_device(index, "cuda")
        X, y = train_set.X[index], train_set.y[index]
        if hasattr(method, "transform"):
            rng = np.random.default_rng([int(seed), TRANSFORM_STREAM, epoch - 1, step])
            X, y = method.transform(X, y, rng, net, theta)
        if hasattr(method, "lr"):
            optimizer.lr = float(method.lr(optimizer.steps))
        loss = step_rule(net, theta, grad, X, y, optimizer, state=bn_state, rng=dropout_rng)
        if not np.isfinite(loss):
            raise _NonFinite(f"the training loss became {loss} at epoch {epoch}, step {step + 1}")
        losses.append(loss)
        total += loss
        bar.update()
        bar.set_postfix_str(f"loss {total / len(losses):.4f}", refresh=False)
    if hasattr(method, "lr"):
        optimizer.lr = base_lr
    return losses


def _on_device(dataset, device):
    """``dataset`` with its X and y on ``device`` (the same object on the CPU)."""
    if device == "cpu":
        return dataset
    arrays = {"X": to_device(np.asarray(dataset.X), device),
              "y": to_device(np.asarray(dataset.y), device)}
    if dataclasses.is_dataclass(dataset):
        return dataclasses.replace(dataset, **arrays)
    return types.SimpleNamespace(**{**vars(dataset), **arrays})


def _roll_back(good, theta, bn_state, history):
    epochs, good_theta, good_state = good
    theta[...] = good_theta
    for key, value in good_state.items():
        bn_state[key][...] = value
    history.truncate(epochs)


def _summary(reason, history):
    if not len(history):
        return f"stopped ({reason}) before the first epoch"
    return (f"stopped ({reason}) after {len(history)} epochs: train loss "
            f"{history.train_loss[-1]:.4f}, train accuracy {history.train_accuracy[-1]:.4f}, "
            f"test accuracy {history.test_accuracy[-1]:.4f}")
