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

Writes are atomic: the archive goes to a temporary file ``.<name>.<random>.tmp`` in the
destination directory, is flushed to disk, then ``os.replace``d over the old one, so a crash or
Ctrl-C mid-write leaves the previous checkpoint intact. One run writes one checkpoint:
:func:`exclusive` holds a lock on it for the run (training takes it), refuses a second writer
at once, and removes the temporary files that killed writes left behind.

Reading anything unexpected — a truncated or corrupted file (zip CRCs are checked), a missing
field or one of the wrong type, a θ whose layout does not match the network or that is not
finite — raises :class:`CheckpointError`, a ``ValueError`` whose one-line message starts with
the path.
"""

import contextlib
import glob
import json
import os
import struct
import sys
import tokenize
import warnings
import zipfile
import zlib
from dataclasses import dataclass

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock is taken
    fcntl = None

import numpy as np

from . import optim, zoo
from .atomic import save_npz

FORMAT = "minisharp-checkpoint-1"
_JSON_FIELDS = ("config", "history", "rng", "stop_reason", "format")


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit the network; ``path`` says which."""

    def __init__(self, path, reason):
        self.path = str(path)
        super().__init__(f"{path}: {' '.join(str(reason).split())}")  # always one line


class CheckpointBusy(CheckpointError):
    """Another process holds the write lock of this checkpoint (see :func:`exclusive`)."""


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
    save_npz(path, arrays)


def exclusive(path, *, wait=False):
    """Hold the write lock of checkpoint ``path`` for a ``with`` block (one writer per file).

    The lock is an advisory ``flock`` on ``.<name>.lock`` beside the checkpoint, so the system
    releases it when its process dies: a killed run never leaves a stale lock. A second process
    asking for it gets :class:`CheckpointBusy` at once (naming the holder's process id)
    instead of silently interleaving its epochs with the first run's — or, with ``wait=True``,
    says on stderr whom it waits for and blocks until the holder is done. On entry the temporary
    files of killed writes of this checkpoint are removed (no one else can be writing them).
    Re-entrant within one process; POSIX only (elsewhere no lock is taken). A directory that
    cannot hold the checkpoint raises :class:`CheckpointError` here, before any work is done.
    """
    return _Lock(os.path.abspath(os.fspath(path)), wait=wait)


class _Lock(contextlib.AbstractContextManager):
    held = {}  # absolute checkpoint path -> [lock file descriptor, depth], this process

    def __init__(self, path, *, wait=False):
        self.path, self.wait = path, wait
        directory, name = os.path.split(path)
        self.lock_path = os.path.join(directory, f".{name}.lock")

    def __enter__(self):
        if self.path in self.held:
            self.held[self.path][1] += 1
            return self
        directory = os.path.dirname(self.path)
        try:
            os.makedirs(directory, exist_ok=True)
            fd = self._acquire() if fcntl is not None else None
        except CheckpointBusy:
            raise
        except OSError as error:
            where = error.filename or directory
            reason = ("not a directory" if isinstance(error, (FileExistsError, NotADirectoryError))
                      else error.strerror or str(error))
            raise CheckpointError(self.path, f"cannot write a checkpoint here ({where}: "
                                             f"{reason})") from None
        self.held[self.path] = [fd, 1]
        prefix = glob.escape(os.path.join(directory, "." + os.path.basename(self.path)))
        for leftover in glob.glob(prefix + ".*.tmp"):
            with contextlib.suppress(OSError):
                os.unlink(leftover)
        return self

    def _acquire(self):
        while True:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = os.read(fd, 32).decode(errors="replace").strip()
                who = f"another run (process {owner})" if owner.isdigit() else "another run"
                if not self.wait:
                    os.close(fd)
                    raise CheckpointBusy(self.path, f"{who} is writing this checkpoint; wait "
                                                    "for it to end or write elsewhere") from None
                print(f"{self.path}: {who} is writing this checkpoint; waiting for it to "
                      "end", file=sys.stderr, flush=True)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except BaseException:
                    os.close(fd)
                    raise
            try:  # the previous holder may have removed the file between our open and flock
                current = os.path.samestat(os.fstat(fd), os.stat(self.lock_path))
            except FileNotFoundError:
                current = False
            if current:
                os.ftruncate(fd, 0)
                os.write(fd, str(os.getpid()).encode())
                return fd
            os.close(fd)

    def __exit__(self, *exc_info):
        entry = self.held[self.path]
        entry[1] -= 1
        if entry[1] == 0:
            del self.held[self.path]
            if entry[0] is not None:
                with contextlib.suppress(OSError):
                    os.unlink(self.lock_path)  # while still locked: no one can have it yet
                os.close(entry[0])
        return False


_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"
# What reading a damaged archive can raise, from zipfile, zlib and numpy's .npy header parser.
_DAMAGED = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error,
            struct.error, NotImplementedError, RuntimeError, OverflowError, MemoryError,
            SyntaxError, tokenize.TokenError)


def _read_arrays(path):
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise CheckpointError(path, "no such checkpoint file") from None
    except IsADirectoryError:
        raise CheckpointError(path, "a directory, not a checkpoint file") from None
    except OSError as error:
        raise CheckpointError(path, f"cannot read it ({error.strerror or error})") from None
    with handle:  # ours, not np.load's: np.load leaks the file when the zip is damaged
        return _read_archive(path, handle)


def _read_archive(path, handle):
    magic = handle.read(len(_NPY_MAGIC))
    if magic.startswith(_NPY_MAGIC):
        raise CheckpointError(path, "a single NumPy array (.npy), not a checkpoint (an .npz "
                                    "archive written by minisharp)")
    if not magic.startswith(_ZIP_MAGIC):
        what = "an empty file" if not magic else "not an .npz archive"
        raise CheckpointError(path, f"not a minisharp checkpoint ({what})")
    handle.seek(0)
    try:
        with np.load(handle, allow_pickle=False) as archive, warnings.catch_warnings():
            # a damaged .npy header can make NumPy's header parser warn before it fails
            warnings.simplefilter("ignore", (DeprecationWarning, SyntaxWarning))
            arrays = {name: archive[name] for name in archive.files}
    except _DAMAGED as error:
        if isinstance(error, ValueError) and "pickle" in str(error):
            raise CheckpointError(path, "holds pickled Python objects, which minisharp "
                                        "checkpoints never contain; not loaded") from None
        raise CheckpointError(
            path, f"not a readable minisharp checkpoint (truncated or corrupted?): {error}"
        ) from None
    for name, value in arrays.items():
        if not isinstance(value, np.ndarray):
            raise CheckpointError(path, f"not a minisharp checkpoint ({name} is not an array)")
    return arrays


def _json_fields(path, arrays):
    fields = {}
    for key in _JSON_FIELDS:
        value = arrays[key]
        if value.shape != () or value.dtype.kind != "U":
            raise CheckpointError(path, f"field {key} is {value.dtype}{value.shape}, expected "
                                        "JSON text")
        try:
            fields[key] = json.loads(str(value[()]))
        except (ValueError, RecursionError) as error:
            raise CheckpointError(path, f"field {key} is not JSON: {error}") from None
    kinds = {"config": dict, "history": dict, "rng": dict, "stop_reason": (str, type(None))}
    for key, kind in kinds.items():
        if not isinstance(fields[key], kind):
            raise CheckpointError(path, f"field {key} is a {type(fields[key]).__name__}")
    if any(not isinstance(v, list) for v in fields["history"].values()):
        raise CheckpointError(path, "field history must map names to lists")
    return fields


def _whole_number(path, arrays, key):
    value = arrays[key]
    if value.shape != () or value.dtype.kind not in "iu" or value < 0:
        raise CheckpointError(path, f"{key} is {value.dtype}{value.shape} {value!r}, expected a "
                                    "whole number ≥ 0")
    return int(value)


def load(path, net=None):
    """Read a checkpoint written by :func:`save` and check it against its network.

    Without ``net`` the network is rebuilt from the stored config with ``zoo.build``; pass
    ``net`` for a network built some other way (its layout must match the stored one).
    Everything the returned :class:`Checkpoint` offers is checked here (θ finite, optimizer and
    generator rebuildable), so a checkpoint that loads can be used. Raises
    :class:`CheckpointError` for an unreadable file or a mismatch.
    """
    path = os.fspath(path)
    arrays = _read_arrays(path)
    missing = [k for k in ("theta", "epoch", "optimizer/steps", *_JSON_FIELDS) if k not in arrays]
    if missing:
        raise CheckpointError(path, f"not a minisharp checkpoint (missing {', '.join(missing)})")
    fields = _json_fields(path, arrays)
    if fields["format"] != FORMAT:
        raise CheckpointError(path, f"unknown format {fields['format']!r}, expected {FORMAT!r}")
    config = fields["config"]
    stored = config.get("net")
    if not isinstance(stored, dict):
        raise CheckpointError(path, "the config does not describe the network")
    if net is None:
        try:
            net = zoo.build(stored["name"], tuple(stored["input_shape"]), stored["num_classes"])
        except (KeyError, TypeError, ValueError, OverflowError) as error:
            raise CheckpointError(path, f"cannot rebuild the network from the config: {error}") \
                from None
    theta = arrays["theta"]
    epoch = _whole_number(path, arrays, "epoch")
    bn_state = {k[3:]: v for k, v in arrays.items() if k.startswith("bn/")}
    optimizer_state = {k[10:]: v for k, v in arrays.items()
                       if k.startswith("optimizer/") and k != "optimizer/steps"}
    _check_layout(path, net, stored, theta, bn_state, optimizer_state)
    optimizer_state["steps"] = _whole_number(path, arrays, "optimizer/steps")
    saved = Checkpoint(
        path=path, net=net, theta=theta, state=bn_state, optimizer_state=optimizer_state,
        rng_state=fields["rng"], epoch=epoch, history=fields["history"],
        config=config, stop_reason=fields["stop_reason"],
    )
    for part, rebuild in (("optimizer", saved.optimizer), ("dropout generator", saved.rng)):
        try:
            rebuild()
        except (KeyError, TypeError, ValueError, OverflowError) as error:
            raise CheckpointError(path, f"cannot rebuild the {part}: {error!r}") from None
    return saved


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
        if value.shape != expected[key].shape or value.dtype.kind != "f":
            refuse(f"batch norm statistic {key} is {value.dtype}{value.shape}")
    for key, value in optimizer_state.items():
        if value.shape != theta.shape or value.dtype != theta.dtype:
            refuse(f"optimizer state {key} is {value.dtype}{value.shape}")
    bad = sum(int(np.count_nonzero(~np.isfinite(a)))
              for a in (theta, *bn_state.values(), *optimizer_state.values()))
    if bad:
        raise CheckpointError(path, f"holds {bad} non-finite values (NaN or infinity) in θ, "
                                    "batch norm or optimizer state; a trained run never saves "
                                    "those")
