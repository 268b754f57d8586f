"""Bring a trained endpoint closer to a stationary point of f before measuring it.

Metric 2.1 asks how far f can rise in a box around x. At an exact minimiser only curvature
can make it rise; at an endpoint where the gradient g is not zero, the linear part alone rises
by up to ε Σ|gᵢ|(|xᵢ| + 1) (see ``SharpnessResult.first_order``). Adam with small batches stops
*near* a minimum, still bouncing, so part of its φ is slope. ``polish`` removes most of that
slope with a few steps of full-batch gradient descent on the very f that is measured:

    x ← x − t g,   t halved until f(x − t g) ≤ f(x) − c t ‖g‖²   (Armijo, c = 1e-4),

each step starting from twice the last accepted t. f never increases, so the polished point
is at least as good a minimiser of f as the endpoint. The paper did not do this; lessons
report φ both ways and say so.
"""

import time
from dataclasses import dataclass

import numpy as np

ARMIJO = 1e-4


@dataclass
class PolishResult:
    """The polished point and what the steps did to f and ‖∇f‖."""

    x: np.ndarray
    steps: int
    f_before: float
    f_after: float
    grad_norm_before: float
    grad_norm_after: float
    evaluations: int
    seconds: float


def polish(fun, x, *, steps=20, initial_step=1.0, max_halvings=30):
    """``steps`` Armijo gradient-descent steps on ``fun(x) -> (f, ∇f)`` from x.

    Returns a :class:`PolishResult` whose ``x`` has x's dtype. Stops early if no step length
    down to ``initial_step / 2**max_halvings`` decreases f (x is then as stationary as f's
    rounding allows).
    """
    start = time.perf_counter()
    x = np.asarray(x)
    if x.ndim != 1 or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"x must be a 1-D float vector, got {x.dtype} of shape {x.shape}")
    if int(steps) < 0:
        raise ValueError(f"steps must be ≥ 0, got {steps}")
    if not initial_step > 0:
        raise ValueError(f"initial_step must be positive, got {initial_step}")
    evaluations = 0

    def evaluate(point):
        nonlocal evaluations
        evaluations += 1
        value, gradient = fun(point.astype(x.dtype, copy=False))
        return float(value), np.asarray(gradient, dtype=np.float64)

    point = x.astype(np.float64)
    f, g = evaluate(point)
    f_before, norm_before = f, float(np.linalg.norm(g))
    t, taken = float(initial_step), 0
    for _ in range(int(steps)):
        squared = float(g @ g)
        if squared == 0:
            break
        for _ in range(max_halvings):
            trial = point - t * g
            f_trial, g_trial = evaluate(trial)
            if f_trial <= f - ARMIJO * t * squared:
                break
            t /= 2
        else:
            break
        point, f, g = trial, f_trial, g_trial
        taken += 1
        t *= 2
    return PolishResult(x=point.astype(x.dtype), steps=taken, f_before=f_before, f_after=f,
                        grad_norm_before=norm_before, grad_norm_after=float(np.linalg.norm(g)),
                        evaluations=evaluations, seconds=time.perf_counter() - start)
