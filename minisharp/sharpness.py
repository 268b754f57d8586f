"""Metric 2.1 of Keskar et al. (2017): (C_ε, A)-sharpness, in full space and in subspaces.

For an objective f: Rⁿ → R, a point x ∈ Rⁿ, a matrix A ∈ Rⁿˣᵖ and ε > 0,

    C_ε = { y ∈ Rᵖ : |y_i| ≤ ε (|(A⁺x)_i| + 1),  i = 1..p }

    φ_{x,f}(ε, A) = 100 · ( max_{y ∈ C_ε} f(x + A y) − f(x) ) / ( 1 + f(x) ).

A = I (full space, the paper's Table 3) needs no matrix at all: y has n entries, A⁺x = x and
x + A y = x + y. A random n×p matrix (p = 100, Table 4) is a
:class:`minisharp.subspace.RandomSubspace`, generated in row blocks from a seed so that its
memory stays bounded however large n is.

The maximisation is done the way the paper did it: a few iterations (``maxiter=10``) of
L-BFGS-B (SciPy) minimising −f(x + A y) over the box, gradient −Aᵀ∇f(x + A y), from y = 0.
The two stopping tests that would end the run early are disabled (``gtol = ftol = 0``): at a
trained minimiser the gradient is tiny, and the default ``gtol`` would stop at iteration 0 and
report φ = 0. The best value over *all* function evaluations is kept (a line-search trial can
beat the final iterate), and f(x) itself counts as seen, so φ ≥ 0 whenever 1 + f(x) > 0
(always, for a loss f ≥ 0).

The metric knows nothing about networks: :func:`minisharp.objective.network_objective` is the
one adapter that turns (network, data, batch-norm mode) into the ``fun(θ) -> (value, gradient)``
used here.
"""

import time
from dataclasses import dataclass

import numpy as np

from .lbfgsb import minimize_box
from .subspace import choose_subspace


@dataclass
class SharpnessResult:
    """What one evaluation of Metric 2.1 found.

    phi      100·(fmax − f0)/(1 + f0), ≥ 0
    f0       f(x)
    fmax     max(f(x), best f(x + A y) over every evaluation made)
    y        the maximiser in the box (float64; p entries, or n in full space)
    nit      L-BFGS-B iterations
    nfev     calls of ``fun`` (including f(x) itself)
    lower, upper   the box: ∓ε(|(A⁺x)_i| + 1)
    eps, p   the arguments (p is None in full space)
    seconds  wall time of the whole call; fun_seconds the part spent inside ``fun``
    message  SciPy's stopping message
    gradient_norm  ‖∇f(x)‖₂, in the full space (how far x is from stationary)
    first_order    100·Σ_i |(Aᵀ∇f(x))_i| · ε(|(A⁺x)_i| + 1) / (1 + f(x)): the φ that the
                   linear approximation f(x) + ∇f(x)ᵀA y alone reaches on the box, its maximum
                   being at y_i = sign((Aᵀ∇f)_i)·upper_i. At a stationary point it is 0; at
                   an endpoint still on a slope it is the part of φ that is slope, not
                   curvature (to first order in ε).
    cached   True when read back from a :class:`minisharp.memo.Memo` (then y, lower and
             upper are None, and seconds are the original measurement's)
    """

    phi: float
    f0: float
    fmax: float
    y: np.ndarray
    nit: int
    nfev: int
    lower: np.ndarray
    upper: np.ndarray
    eps: float
    p: int | None
    seconds: float
    message: str
    fun_seconds: float = 0.0
    gradient_norm: float = 0.0
    first_order: float = 0.0
    cached: bool = False

    def __repr__(self):
        space = "full space" if self.p is None else f"p={self.p}"
        return (f"SharpnessResult(phi={self.phi:.6g}, eps={self.eps:g}, {space}, "
                f"f0={self.f0:.6g}, fmax={self.fmax:.6g}, nit={self.nit}, nfev={self.nfev}, "
                f"{self.seconds:.2f} s)")


def phi_from_values(f0, fmax):
    """100 · (fmax − f0) / (1 + f0)."""
    return 100.0 * (fmax - f0) / (1.0 + f0)


def sharpness(fun, x, eps, A=None, *, p=None, seed=0, distribution="gaussian", maxiter=10):
    """Metric 2.1: φ_{x,f}(ε, A) = 100·(max_{y∈C_ε} f(x + A y) − f(x)) / (1 + f(x)).

    Parameters
    ----------
    fun : callable
        ``fun(point) -> (value, gradient)`` on a flat vector. It is called with x's own dtype
        (a float32 model stays float32); value and gradient are taken to float64 here.
        It must be deterministic, or the line search breaks.
    x : 1-D array, the point (trained weights).
    eps : float > 0, the relative box size (the paper uses 1e-3 and 5e-4).
    A : None, an n×p array, or a :class:`minisharp.subspace.RandomSubspace`. Pass a
        RandomSubspace to reuse one random matrix across several ε (it is built once, with a
        pass over all its blocks).
    p : int, optional. With ``A=None``, a seeded random subspace of dimension p
        (``RandomSubspace(n, p, seed=seed, distribution=distribution)``). ``A=None, p=None``
        is the full space A = I, done without any matrix: box |y_i| ≤ ε(|x_i| + 1), x + y.
    maxiter : int, L-BFGS-B iterations (the only stopping rule; ``gtol = ftol = 0``).

    Returns a :class:`SharpnessResult`.

    Cost and memory
    ---------------
    Each L-BFGS-B iteration needs one or more evaluations of ``fun`` (``nfev`` reports them,
    ``fun_seconds`` their time); the first, f(x), doubles as the solver's start at y = 0.
    The solver is :func:`minisharp.lbfgsb.minimize_box`. Peak memory beyond ``fun``'s own:

    - full space: ≈ 290 bytes per parameter: L-BFGS-B's workspace of (2·maxcor + 5)·n
      doubles = 200 B, the box, iterate, best y and gradient the rest;
    - subspace: the RandomSubspace (4·n·p bytes when cached, one block otherwise) plus a few
      float64 n-vectors (point, A y, gradient).

    A RandomSubspace costs one pass over its blocks to build (drawing A, AᵀA in float64);
    build it once and pass it as ``A`` for several ε. Measured times and memory are in
    ``benchmarks/NOTES.md``.
    """
    start = time.perf_counter()
    x = np.asarray(x)
    if x.ndim != 1 or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"x must be a 1-D float vector, got {x.dtype} of shape {x.shape}")
    eps = float(eps)
    if not (eps > 0 and np.isfinite(eps)):
        raise ValueError(f"eps must be a finite positive number, got {eps}")
    if int(maxiter) < 1:
        raise ValueError(f"maxiter must be at least 1, got {maxiter}")
    bad = int(np.count_nonzero(~np.isfinite(x)))
    if bad:
        raise ValueError(f"x holds {bad} non-finite values (NaN or infinity)")
    space = choose_subspace(x.size, A, p, seed, distribution)

    coordinates = np.abs(x, dtype=np.float64) if space is None else np.abs(space.pinv_apply(x))
    with np.errstate(over="ignore"):
        upper = eps * (coordinates + 1.0)
    if not np.isfinite(upper).all():
        raise ValueError(f"the box overflows: eps·(|(A⁺x)_i| + 1) is not finite for eps={eps}")
    lower = -upper
    del coordinates

    fun_seconds = 0.0
    calls = 0

    def call(point):
        # A gradient of the wrong length would crash SciPy's compiled L-BFGS-B, and a NaN
        # would end it "abnormally" with φ = 0: both are errors of ``fun``, reported here.
        nonlocal fun_seconds, calls
        t = time.perf_counter()
        value, gradient = fun(point)
        fun_seconds += time.perf_counter() - t
        calls += 1
        if np.ndim(value) != 0:
            raise ValueError(f"fun must return a scalar value, got shape {np.shape(value)}")
        value, gradient = float(value), np.asarray(gradient, dtype=np.float64)
        if gradient.shape != x.shape:
            raise ValueError(f"fun's gradient has shape {gradient.shape}, expected {x.shape} "
                             "like x")
        where = "at x itself" if calls == 1 else f"in the box (evaluation {calls})"
        if not np.isfinite(value):
            raise ValueError(f"fun returned a non-finite value {value} {where}")
        if not np.isfinite(gradient).all():
            raise ValueError(f"fun returned a non-finite gradient {where}")
        return value, gradient

    f0, gradient0 = call(x)
    gradient_norm = float(np.linalg.norm(gradient0))
    ascent0 = gradient0 if space is None else space.rmatvec(gradient0)
    del gradient0
    first_order = phi_from_values(f0, f0 + float(np.abs(ascent0) @ upper))
    best = {"value": f0, "y": None}

    def negated(y):
        if not y.any():
            return -f0, -ascent0
        step = y if space is None else space.matvec(y)
        value, gradient = call((x + step).astype(x.dtype, copy=False))
        del step
        if value > best["value"]:
            best["value"], best["y"] = value, y.copy()
        ascent = gradient if space is None else space.rmatvec(gradient)
        return -value, -ascent

    _, _, iterations, message = minimize_box(negated, lower, upper, maxiter=int(maxiter))
    fmax = best["value"]
    y_best = np.zeros(upper.size) if best["y"] is None else best["y"]
    return SharpnessResult(
        phi=phi_from_values(f0, fmax), f0=f0, fmax=fmax, y=y_best, nit=iterations,
        nfev=calls, lower=lower, upper=upper, eps=eps,
        p=None if space is None else int(space.p), seconds=time.perf_counter() - start,
        message=message, fun_seconds=fun_seconds, gradient_norm=gradient_norm,
        first_order=first_order,
    )
