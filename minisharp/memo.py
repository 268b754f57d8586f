"""Finished measurements kept on disk, so that a lesson run again does not measure again.

A measurement of a trained network — Metric 2.1 of one iterate on one slice of the data, the
top Hessian eigenvalues — takes seconds to minutes and is a deterministic function of its
inputs: the parameters θ, the objective (network, data, batch-norm mode, chunking) and the
measure's own arguments. A :class:`Memo` keys each result by a SHA-256 digest of *all* of
them, the bytes of θ and of the data included, so a retrained run or another slice can never
be served a stale number. Each result is one small JSON file ``<directory>/<digest>.json``,
written atomically (a killed run leaves finished results and no half-written ones).

Besides the generic :meth:`Memo.measure`, two measures have their own keyed methods: Metric
2.1 (:meth:`Memo.sharpness`) and the loss along a path between two minimisers
(:meth:`Memo.interpolate`). What is kept is the numbers, not arrays: a Metric 2.1 result read
back has no maximiser ``y`` or box (``y = lower = upper = None``) and ``cached = True``; its
``seconds`` are those of the original measurement.

If the code of a measure changes its numbers, raise :data:`FORMAT`: entries written under
another format are ignored (and overwritten). ``Memo(None)`` measures every time and keeps
nothing; ``refresh=True`` measures again and overwrites.
"""

import hashlib
import json
from pathlib import Path

import numpy as np

from .atomic import save_text
from .landscape import interpolate
from .nn import Network
from .objective import EVAL_CHUNK, NetworkObjective
from .sharpness import SharpnessResult, sharpness
from .subspace import RandomSubspace

FORMAT = 1


def _feed(h, value):
    """Add a canonical encoding of ``value`` to the hash ``h``."""
    if isinstance(value, NetworkObjective):
        on = () if getattr(value, "device", "cpu") == "cpu" else (value.device,)  # CPU keys
        _feed(h, ("objective", value.net, value.X, value.y, value.mode, value.chunk,  # as before
                  value.state, *on))
    elif isinstance(value, Network):
        layers = [(type(layer).__name__, sorted((k, v) for k, v in vars(layer).items()
                                                if isinstance(v, (bool, int, float, str))))
                  for layer in value.layers]
        specs = [(name, tuple(spec.shape), offset) for name, spec, offset in value.specs]
        _feed(h, ("network", value.name, value.input_shape, value.num_classes, layers, specs))
    elif isinstance(value, RandomSubspace):
        _feed(h, ("subspace", value.n, value.p, value.seed, value.distribution,
                  value.block_rows))
    elif isinstance(value, np.ndarray):
        h.update(f"array {value.dtype.str} {value.shape};".encode())
        h.update(np.ascontiguousarray(value).data)
    elif isinstance(value, dict):
        h.update(f"dict {len(value)};".encode())
        for key in sorted(value, key=str):
            _feed(h, (str(key), value[key]))
    elif isinstance(value, (list, tuple)):
        h.update(f"seq {len(value)};".encode())
        for item in value:
            _feed(h, item)
    elif value is None or isinstance(value, (bool, int, float, str, np.generic)):
        h.update(f"{type(value).__name__} {value!r};".encode())
    else:
        raise TypeError(f"cannot key a measurement on a {type(value).__name__}: pass arrays, "
                        "numbers, strings, networks, network objectives or random subspaces")


def digest(*parts):
    """The hex SHA-256 of the canonical encoding of ``parts`` (and :data:`FORMAT`)."""
    h = hashlib.sha256(f"minisharp memo {FORMAT};".encode())
    _feed(h, parts)
    return h.hexdigest()


class Memo:
    """A directory of finished measurements (module docs). ``hits`` and ``misses`` count
    lookups that were served from disk and those that measured."""

    def __init__(self, directory, *, refresh=False):
        self.directory = None if directory is None else Path(directory)
        self.refresh = bool(refresh)
        self.hits = self.misses = 0

    def measure(self, kind, inputs, compute):
        """The result of ``compute()`` — a JSON-able dict — for ``inputs``, from disk when a
        measurement of this ``kind`` with the same inputs is already there.

        ``inputs`` must hold everything the result depends on (see :func:`digest` for the
        types it accepts); a missing input would serve one result for different questions.
        """
        if self.directory is None:
            self.misses += 1
            return compute()
        path = self.directory / f"{digest(kind, inputs)}.json"
        if not self.refresh and path.exists():
            try:
                record = json.loads(path.read_text())
            except (OSError, ValueError):
                record = None            # unreadable: measure again and overwrite
            if isinstance(record, dict) and record.get("kind") == kind \
                    and record.get("format") == FORMAT:
                self.hits += 1
                return record["result"]
        self.misses += 1
        result = compute()
        save_text(path, json.dumps({"kind": kind, "format": FORMAT, "result": result},
                                   default=_json_number))
        return result

    def sharpness(self, fun, x, eps, A=None, *, maxiter=10):
        """:func:`minisharp.sharpness.sharpness` of a :class:`NetworkObjective` ``fun`` at
        ``x``, in the full space (``A=None``) or a :class:`RandomSubspace` ``A``, kept here."""
        if not isinstance(fun, NetworkObjective):
            raise TypeError("Memo.sharpness keys the objective by its network and data: pass "
                            f"a NetworkObjective, got {type(fun).__name__}")
        if A is not None and not isinstance(A, RandomSubspace):
            raise TypeError(f"A must be None or a RandomSubspace, got {type(A).__name__}")

        fresh = {}

        def compute():
            fresh["result"] = sharpness(fun, x, eps, A, maxiter=maxiter)
            return {name: getattr(fresh["result"], name) for name in SCALAR_FIELDS}

        fields = self.measure("sharpness", {"fun": fun, "x": np.asarray(x), "eps": float(eps),
                                            "A": A, "maxiter": int(maxiter)}, compute)
        if "result" in fresh:
            return fresh["result"]
        return SharpnessResult(y=None, lower=None, upper=None, cached=True, **fields)

    def interpolate(self, net, theta_s, theta_l, datasets, *, alphas, path="linear",
                    progress=True):
        """:func:`minisharp.landscape.interpolate` (batch statistics, the default chunks) of
        ``net`` from θ_s to θ_l on ``datasets`` (name → (X, y)), kept here."""
        inputs = {"net": net, "theta_s": np.asarray(theta_s), "theta_l": np.asarray(theta_l),
                  "datasets": datasets, "alphas": np.asarray(alphas, dtype=np.float64),
                  "path": path, "mode": "batchstat", "chunk": EVAL_CHUNK}
        return self.measure("interpolate", inputs, lambda: interpolate(
            net, theta_s, theta_l, datasets, alphas=alphas, path=path, progress=progress))

SCALAR_FIELDS = ("phi", "f0", "fmax", "nit", "nfev", "eps", "p", "seconds", "message",
                 "fun_seconds", "gradient_norm", "first_order")


def _json_number(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"a measurement must be JSON-able, got a {type(value).__name__}")
