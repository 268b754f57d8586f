"""Checkpoints: everything a training run needs to continue bit for bit, in one ``.npz`` file.

A checkpoint holds θ, the optimizer's step count and moment vectors, batch norm's running
statistics, the dropout generator's state, the number of completed epochs, the history so far
and the run's configuration (network name and layout, data, batch size, seed, optimizer,
stopping rule). Arrays are stored as arrays; the rest as JSON text. Nothing is pickled: the
file is written and read with ``allow_pickle=False``, so loading one cannot run code.

Layout of the archive::

    theta                 the flat parameter vector (float32 or float64)
    bn/<layer>.mean|var   batch norm running statistics (float64)
    optimizer/<slot>      optimizer moments (θ's dtype); optimizer/steps (int64 scalar)
    epoch                 completed epochs (int64 scalar)
    config, history, rng, stop_reason, format   JSON text (0-d unicode arrays)

Writes are atomic: the archive goes to a temporary file in the destination directory, is
flushed to disk, then ``os.replace``d over the old one, so a crash or Ctrl-C mid-write leaves
the previous checkpoint intact. Reading anything unexpected — a truncated or corrupted file
(zip CRCs are checked), a missing field, a θ whose layout does not match the network — raises
:class:`CheckpointError`, a ``ValueError`` whose message starts with the path.
"""

import json
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

from . import optim, zoo

FORMAT = "minisharp-checkpoint-1"
_JSON_FIELDS = ("config", "history", "rng", "stop_reason", "format")


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit the network; ``path`` says which."""

    def __init__(self, path, reason):
        self.path = str(path)
        super().__init__(f"{path}: {reason}")


def net_config(net):
    """The part of a run's config that identifies the network and its parameter layout."""
    return {
        "name": net.name,
        "input_shape": list(net.input_shape),
        "num_classes": net.num_classes,
        "num_params": net.num_params,
        "layout": [[name, list(spec.shape)] for name, spec, _ in net.specs],
    }


@dataclass
class Checkpoint:
    """A loaded checkpoint. ``net`` is rebuilt from the config (or the network passed in)."""

    path: str
    net: object
    theta: np.ndarray
    state: dict  # batch norm running statistics, as loss_and_grad(state=) names them
    optimizer_state: dict
    rng_state: dict
    epoch: int
    history: dict
    config: dict
    stop_reason: str | None = None

    def optimizer(self):
        """The run's optimizer, rebuilt from the config with its saved state loaded."""
        opt = optim.from_config(self.config["optimizer"])
        opt.load_state_dict(self.optimizer_state)
        return opt

    def rng(self):
        """The dropout generator, in the state it had when the checkpoint was written."""
        return generator_from_state(self.rng_state)


def generator_from_state(state):
    """A ``numpy.random.Generator`` whose bit generator is set to ``state`` (a dict)."""
    kind = state.get("bit_generator")
    bit_generator_type = getattr(np.random, str(kind), None)
    if not (isinstance(bit_generator_type, type)
            and issubclass(bit_generator_type, np.random.BitGenerator)):
        raise ValueError(f"unknown bit generator {kind!r}")
    bit_generator = bit_generator_type()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


def json_value(value):
    """``json.dumps(default=json_value)``: NumPy arrays become lists, NumPy scalars numbers."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in JSON")


def _text(value):
    return np.array(json.dumps(value, default=json_value))


def save(path, *, net, theta, state, optimizer, rng, epoch, history, config,
         stop_reason=None):
    """Write a checkpoint atomically to ``path`` (its directory is created if needed).

    ``optimizer`` is an :class:`minisharp.optim.Optimizer`; its ``config()`` is stored under
    ``config["optimizer"]`` and the network's identity under ``config["net"]``. ``history`` is
    a JSON-ready dict of lists and ``rng`` the dropout ``numpy.random.Generator``.
    """
    path = os.fspath(path)
    if theta.shape != (net.num_params,):
        raise ValueError(f"theta has shape {theta.shape}, {net.name} has {net.num_params} "
                         "parameters")
    config = {**config, "net": net_config(net), "optimizer": optimizer.config()}
    opt_state = optimizer.state_dict()
    arrays = {
        "theta": theta,
        "epoch": np.int64(epoch),
        "optimizer/steps": np.int64(opt_state.pop("steps")),
        **{f"optimizer/{k}": v for k, v in opt_state.items()},
        **{f"bn/{k}": v for k, v in state.items()},
        "config": _text(config),
        "history": _text(history),
        "rng": _text(rng.bit_generator.state),
        "stop_reason": _text(stop_reason),
        "format": _text(FORMAT),
    }
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".checkpoint-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _read_arrays(path):
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ValueError("a single .npy array, not a checkpoint archive")
            return {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise CheckpointError(path, "no such checkpoint file") from None
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as error:
        raise CheckpointError(
            path, f"not a readable minisharp checkpoint (truncated or corrupted?): {error}"
        ) from None


def load(path, net=None):
    """Read a checkpoint written by :func:`save` and check it against its network.

    Without ``net`` the network is rebuilt from the stored config with ``zoo.build``; pass
    ``net`` for a network built some other way (its layout must match the stored one).
    Raises :class:`CheckpointError` for an unreadable file or a layout mismatch.
    """
    path = os.fspath(path)
    arrays = _read_arrays(path)
    missing = [k for k in ("theta", "epoch", "optimizer/steps", *_JSON_FIELDS) if k not in arrays]
    if missing:
        raise CheckpointError(path, f"not a minisharp checkpoint (missing {', '.join(missing)})")
    try:
        fields = {k: json.loads(str(arrays[k][()])) for k in _JSON_FIELDS}
    except (ValueError, IndexError) as error:
        raise CheckpointError(path, f"unreadable JSON field: {error}") from None
    if fields["format"] != FORMAT:
        raise CheckpointError(path, f"unknown format {fields['format']!r}, expected {FORMAT!r}")
    config = fields["config"]
    try:
        stored = config["net"]
        if net is None:
            net = zoo.build(stored["name"], tuple(stored["input_shape"]), stored["num_classes"])
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(path, f"cannot rebuild the network from the config: {error}") \
            from None
    theta = arrays["theta"]
    bn_state = {k[3:]: v for k, v in arrays.items() if k.startswith("bn/")}
    optimizer_state = {k[10:]: v for k, v in arrays.items() if k.startswith("optimizer/")}
    optimizer_state["steps"] = int(optimizer_state["steps"])
    _check_layout(path, net, stored, theta, bn_state, optimizer_state)
    return Checkpoint(
        path=path, net=net, theta=theta, state=bn_state, optimizer_state=optimizer_state,
        rng_state=fields["rng"], epoch=int(arrays["epoch"]), history=fields["history"],
        config=config, stop_reason=fields["stop_reason"],
    )


def _check_layout(path, net, stored, theta, bn_state, optimizer_state):
    def refuse(reason):
        raise CheckpointError(path, f"does not match network {net.name}: {reason}")

    if theta.ndim != 1 or theta.dtype.type not in (np.float32, np.float64):
        refuse(f"theta is {theta.dtype}{theta.shape}, expected a float vector")
    if theta.size != net.num_params:
        refuse(f"theta has {theta.size} parameters, the network has {net.num_params}")
    if stored.get("layout") != net_config(net)["layout"]:
        refuse("the stored parameter layout (names and shapes) differs")
    expected = net.init_state()
    if set(bn_state) != set(expected):
        refuse(f"batch norm statistics {sorted(bn_state)} != {sorted(expected)}")
    for key, value in bn_state.items():
        if value.shape != expected[key].shape:
            refuse(f"batch norm statistic {key} has shape {value.shape}")
    for key, value in optimizer_state.items():
        if key != "steps" and (value.shape != theta.shape or value.dtype != theta.dtype):
            refuse(f"optimizer state {key} is {value.dtype}{value.shape}")
