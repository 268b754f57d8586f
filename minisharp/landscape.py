"""The loss landscape between two minimisers: the paper's parametric plots (Fig. 3 and 7).

Given a small-batch minimiser θ_s and a large-batch minimiser θ_l, evaluate loss and accuracy
at points θ(α) = c_l(α) θ_l + c_s(α) θ_s along a path through both:

    linear  (Fig. 3):            c_l = α,           c_s = 1 − α
    sincos  (App. D, Fig. 7):    c_l = sin(απ/2),   c_s = cos(απ/2)

Both paths give θ(0) = θ_s and θ(1) = θ_l exactly. The paper used α ∈ [−1, 2] at 25
equally spaced points and evaluated in batches of 5000 (``EVAL_CHUNK``).

2-D surfaces (Li et al. 2018, "Visualizing the loss landscape of neural nets"): the loss on
the plane θ + a·d₁ + b·d₂ through one minimiser, spanned by two random directions that are
*filter-normalised* — a Gaussian direction rescaled so that each filter (the slice of a weight
array for one output neuron of a dense layer or one output channel of a conv layer) has the
norm of the same filter of θ: d_f ← d_f · ‖θ_f‖ / ‖d_f‖. A network whose function is unchanged
by scaling a filter (a filter feeding batch norm or a ReLU) then gets a plane that is
unchanged too, so planes of different networks can be compared. Biases and batch-norm γ, β
(the 1-D arrays) get direction 0, as in Li et al.'s code (``ignore='biasbn'``). Every point is
measured by the same evaluation as the 1-D paths.
"""

import numpy as np
from tqdm.auto import tqdm

from .objective import EVAL_CHUNK, evaluate

PATHS = ("linear", "sincos")
DEFAULT_ALPHAS = np.linspace(-1.0, 2.0, 25)
DEFAULT_PLANE = np.linspace(-1.0, 1.0, 21)  # Li et al. plot [−1, 1]² (at 51 points)


def path_coefficients(alphas, path="linear"):
    """(c_l, c_s) as float64 arrays with θ(α) = c_l θ_l + c_s θ_s.

    Coefficients within 1e-12 of −1, 0 or 1 are snapped to those values, so that
    sin(π/2) = 1 and cos(π/2) = 6e-17 give θ(1) = θ_l bit for bit.
    """
    alphas = np.asarray(alphas, dtype=np.float64)
    if path == "linear":
        c_l, c_s = alphas.copy(), 1.0 - alphas
    elif path == "sincos":
        c_l, c_s = np.sin(alphas * np.pi / 2), np.cos(alphas * np.pi / 2)
    else:
        raise ValueError(f"path must be one of {PATHS}, got {path!r}")
    for c in (c_l, c_s):
        nearest = np.round(c)
        snap = (np.abs(c - nearest) < 1e-12) & (np.abs(nearest) <= 1)
        c[snap] = nearest[snap]
    return c_l, c_s


def point_on_path(theta_s, theta_l, c_l, c_s):
    """c_l θ_l + c_s θ_s in θ's dtype; exactly θ_s or θ_l when a coefficient is 0."""
    if c_l == 0 and c_s == 1:
        return theta_s.copy()
    if c_l == 1 and c_s == 0:
        return theta_l.copy()
    mixed = c_l * theta_l.astype(np.float64) + c_s * theta_s.astype(np.float64)
    return mixed.astype(theta_s.dtype)


def _measure(net, theta, datasets, metrics, mode, chunk, state):
    """Append loss and accuracy at θ on every data set to ``metrics`` (dropout off)."""
    for name, (X, y) in datasets.items():
        loss, accuracy = evaluate(net, theta, X, y, mode=mode, chunk=chunk, state=state)
        metrics[name]["loss"].append(float(loss))
        metrics[name]["accuracy"].append(float(accuracy))


def _interpolated_state(state_s, state_l, c_l, c_s):
    state = {}
    for key in state_s:
        value = c_l * np.asarray(state_l[key], dtype=np.float64) \
            + c_s * np.asarray(state_s[key], dtype=np.float64)
        if key.endswith(".var"):
            # extrapolating (α outside [0, 1]) can make a variance negative
            value = np.maximum(value, 0.0)
        state[key] = value
    return state


def interpolate(net, theta_s, theta_l, datasets, *, alphas=DEFAULT_ALPHAS, path="linear",
                mode="batchstat", chunk=EVAL_CHUNK, state_s=None, state_l=None, progress=True):
    """Loss and accuracy of ``net`` at θ(α) along a path from θ_s (α = 0) to θ_l (α = 1).

    ``datasets`` maps a name to (X, y), e.g. ``{"train": (X, y), "test": (X_t, y_t)}``; each
    point is measured with ``minisharp.evaluate(net, θ(α), X, y, mode=mode, chunk=chunk)``
    (dropout off, fixed consecutive chunks).

    Batch norm along the path:

    - ``mode="batchstat"`` (default, the paper's Keras mode=2): every chunk of every point is
      normalised with its own statistics, recomputed at θ(α); there are no running averages
      to interpolate.
    - ``mode="eval"``: the running statistics are needed at every point. Give ``state_s`` and
      ``state_l`` (the ``net.init_state()``-style dicts of the two runs); they are interpolated
      with the same coefficients, c_l · state_l + c_s · state_s, running variances clipped at
      0 where extrapolation would make them negative.

    Returns a JSON-serialisable dict of plain lists::

        {"alphas": [...], "path": "linear", "mode": "batchstat",
         "coefficients": {"theta_l": [...], "theta_s": [...]},
         "sets": ["train", "test"],
         "metrics": {"train": {"loss": [...], "accuracy": [...]}, ...}}

    with accuracy as a fraction in [0, 1].
    """
    if mode == "train":
        raise ValueError("interpolate measures; use mode 'batchstat' or 'eval'")
    if mode == "eval" and (state_s is None or state_l is None):
        raise ValueError("mode 'eval' needs the running statistics of both runs: "
                         "state_s= and state_l=")
    theta_s, theta_l = np.asarray(theta_s), np.asarray(theta_l)
    if theta_s.shape != theta_l.shape or theta_s.dtype != theta_l.dtype:
        raise ValueError(f"θ_s and θ_l differ: {theta_s.shape} {theta_s.dtype} vs "
                         f"{theta_l.shape} {theta_l.dtype}")
    alphas = np.asarray(alphas, dtype=np.float64).ravel()
    c_l, c_s = path_coefficients(alphas, path)
    metrics = {name: {"loss": [], "accuracy": []} for name in datasets}

    steps = range(len(alphas))
    if progress:
        steps = tqdm(steps, desc=f"{path} path", unit="α", disable=None)  # None: off if no tty
    for i in steps:
        theta = point_on_path(theta_s, theta_l, c_l[i], c_s[i])
        state = _interpolated_state(state_s, state_l, c_l[i], c_s[i]) if mode == "eval" \
            else None
        _measure(net, theta, datasets, metrics, mode, chunk, state)
    return {
        "alphas": alphas.tolist(),
        "path": path,
        "mode": mode,
        "coefficients": {"theta_l": c_l.tolist(), "theta_s": c_s.tolist()},
        "sets": list(datasets),
        "metrics": metrics,
    }


def filter_norms(net, vector):
    """{array name: ‖filter‖ per filter} for every weight array of ``net`` in ``vector``.

    A filter is the slice for one index of a weight array's last axis: one output neuron of a
    dense layer (W[:, u]) or one output channel of a conv layer (W[:, :, :, f]).
    """
    norms = {}
    for (name, spec, _), view in zip(net.specs, net.views(np.asarray(vector))):
        if len(spec.shape) >= 2:
            axes = tuple(range(len(spec.shape) - 1))
            norms[name] = np.sqrt(np.sum(view.astype(np.float64) ** 2, axis=axes))
    return norms


def filter_normalized_direction(net, theta, *, seed=0):
    """A Gaussian direction d (seeded) with ‖d_f‖ = ‖θ_f‖ for every filter f, and 0 on the
    biases and batch-norm γ, β (module docs). Returns a float64 vector like θ."""
    rng = np.random.default_rng(seed)
    direction = np.zeros(net.num_params)
    for (_, spec, _), d, w in zip(net.specs, net.views(direction), net.views(np.asarray(theta))):
        if len(spec.shape) < 2:
            continue
        axes = tuple(range(len(spec.shape) - 1))
        d[...] = rng.standard_normal(spec.shape)
        d *= np.sqrt(np.sum(w.astype(np.float64) ** 2, axis=axes)) \
            / np.sqrt(np.sum(d ** 2, axis=axes))
    return direction


def plane(net, theta, d1, d2, datasets, *, alphas=DEFAULT_PLANE, betas=None, mode="batchstat",
          chunk=EVAL_CHUNK, state=None, progress=True):
    """Loss and accuracy of ``net`` at θ + a·d₁ + b·d₂ for a in ``alphas``, b in ``betas``.

    d₁, d₂ are usually :func:`filter_normalized_direction` with two seeds; betas default to
    alphas. Each point is measured as in :func:`interpolate` (``minisharp.evaluate``, fixed
    chunks, dropout off); in mode "eval" every point uses θ's running statistics ``state``.
    The point (0, 0) is θ itself, bit for bit. Returns a JSON-serialisable dict::

        {"alphas": [...], "betas": [...], "mode": "batchstat", "sets": ["train"],
         "metrics": {"train": {"loss": [[...] per beta], "accuracy": [[...]]}, ...}}

    with ``metrics[name]["loss"][j][i]`` the value at (alphas[i], betas[j]).
    """
    if mode == "train":
        raise ValueError("plane measures; use mode 'batchstat' or 'eval'")
    if mode == "eval" and state is None:
        raise ValueError("mode 'eval' needs θ's batch-norm running statistics (state=)")
    theta = np.asarray(theta)
    d1, d2 = (np.asarray(d, dtype=np.float64) for d in (d1, d2))
    if d1.shape != theta.shape or d2.shape != theta.shape:
        raise ValueError(f"directions must have θ's shape {theta.shape}, got {d1.shape} and "
                         f"{d2.shape}")
    alphas = np.asarray(alphas, dtype=np.float64).ravel()
    betas = alphas if betas is None else np.asarray(betas, dtype=np.float64).ravel()
    flat = {name: {"loss": [], "accuracy": []} for name in datasets}
    points = [(a, b) for b in betas for a in alphas]
    if progress:
        points = tqdm(points, desc="plane", unit="point", disable=None)
    base = theta.astype(np.float64)
    for a, b in points:
        point = theta.copy() if a == 0 and b == 0 else (base + a * d1 + b * d2).astype(theta.dtype)
        _measure(net, point, datasets, flat, mode, chunk, state)
    rows = len(betas)
    metrics = {name: {key: np.reshape(values, (rows, -1)).tolist() for key, values in m.items()}
               for name, m in flat.items()}
    return {"alphas": alphas.tolist(), "betas": betas.tolist(), "mode": mode,
            "sets": list(datasets), "metrics": metrics}

