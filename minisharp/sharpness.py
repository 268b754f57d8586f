"""Metric 2.1 of Keskar et al. (2017): (C_ε, A)-sharpness, in full space and in subspaces.

For an objective f: Rⁿ → R, a point x ∈ Rⁿ, a matrix A ∈ Rⁿˣᵖ and ε > 0,

    C_ε = { y ∈ Rᵖ : |y_i| ≤ ε (|(A⁺x)_i| + 1),  i = 1..p }

    φ_{x,f}(ε, A) = 100 · ( max_{y ∈ C_ε} f(x + A y) − f(x) ) / ( 1 + f(x) ).

A = I (full space, the paper's Table 3) needs no matrix at all: y has n entries, A⁺x = x and
x + A y = x + y. A random n×p matrix (p = 100, Table 4) is a :class:`RandomSubspace`,
generated in row blocks from a seed so that its memory stays bounded however large n is.

The maximisation is done the way the paper did it: a few iterations (``maxiter=10``) of
L-BFGS-B (SciPy) minimising −f(x + A y) over the box, gradient −Aᵀ∇f(x + A y), from y = 0.
The two stopping tests that would end the run early are disabled (``gtol = ftol = 0``): at a
trained minimiser the gradient is tiny, and the default ``gtol`` would stop at iteration 0 and
report φ = 0. The best value over *all* function evaluations is kept (a line-search trial can
beat the final iterate), and f(x) itself counts as seen, so φ ≥ 0 whenever 1 + f(x) > 0
(always, for a loss f ≥ 0).

The metric knows nothing about networks: :func:`objective` is the one adapter that turns
(network, data, batch-norm mode) into the ``fun(θ) -> (value, gradient)`` used here.
"""

import time
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from .lbfgsb import minimize_box

DISTRIBUTIONS = ("gaussian", "uniform")
BLOCK_ROWS = 16384
CACHE_BYTES = 1 << 30


class RandomSubspace:
    """A seeded random matrix A ∈ Rⁿˣᵖ, stored or regenerated in blocks of rows.

    Rows ``[b·block_rows, (b+1)·block_rows)`` form block b, drawn in float32 from
    ``numpy.random.default_rng([seed, b])``; A is a deterministic function of
    (n, p, seed, distribution, block_rows), identical whether or not it is cached.

    Distributions:

    - ``"gaussian"``: A_ij ~ N(0, 1) i.i.d., columns *not* rescaled (each column then has norm
      ≈ √n). The scale matters because of the "+1" in the box: scaling A by c turns the
      perturbation A y into one of size ε (|A⁺x| + c) per direction.
    - ``"uniform"``: R_ij ~ U[0, 1) i.i.d., then each column normalised to unit length,
      A = R D⁻¹ with D = diag(‖R_:j‖) (the choice seen in third-party code).

    Memory: when 4·n·p bytes ≤ ``cache_bytes`` (1 GiB by default: n ≤ 2.68 M at p = 100)
    the float32 blocks are kept, 4·n·p bytes; otherwise only one block at a time exists,
    ``block_rows·p`` entries (≈ 13 MB in float64 at the defaults), and every product
    regenerates A (≈ 1 s per 1.5 M × 100 Gaussian draws).

    Products: ``matvec(y) = A y`` and ``rmatvec(g) = Aᵀ g`` run in float32 within a block
    (relative error ~1e-6, far below what matters for a perturbation of size ε) and
    accumulate over blocks in float64; both return float64. ``gram`` = AᵀA and A⁺x are
    computed in float64 throughout.
    """

    def __init__(self, n, p, *, seed=0, distribution="gaussian", block_rows=BLOCK_ROWS,
                 cache_bytes=CACHE_BYTES):
        if distribution not in DISTRIBUTIONS:
            raise ValueError(f"distribution must be one of {DISTRIBUTIONS}, got {distribution!r}")
        n, p, block_rows = int(n), int(p), int(block_rows)
        if not 0 < p <= n:
            raise ValueError(f"need 0 < p <= n for a random subspace, got n={n}, p={p}")
        if block_rows <= 0:
            raise ValueError(f"block_rows must be positive, got {block_rows}")
        self.n, self.p = n, p
        self.seed = int(seed)
        self.distribution = distribution
        self.block_rows = block_rows
        self._cache = np.empty((n, p), np.float32) if 4 * n * p <= cache_bytes else None

        # One pass: fill the cache and accumulate the Gram matrix of the raw blocks in float64.
        raw_gram = np.zeros((p, p))
        for block, rows in enumerate(self._row_ranges()):
            raw = self._draw(block, rows.stop - rows.start)
            if self._cache is not None:
                self._cache[rows] = raw
            raw64 = raw.astype(np.float64)
            raw_gram += raw64.T @ raw64
        if distribution == "uniform":
            self.column_scale = 1.0 / np.sqrt(np.diag(raw_gram))
        else:
            self.column_scale = np.ones(p)
        self.gram = raw_gram * np.outer(self.column_scale, self.column_scale)
        self._gram_factor = cho_factor(self.gram)

    @property
    def shape(self):
        return (self.n, self.p)

    @property
    def cached(self):
        return self._cache is not None

    @property
    def nbytes(self):
        """Bytes held between products (the cache, or nothing but the p×p Gram factors)."""
        held = 2 * self.gram.nbytes
        return held + (self._cache.nbytes if self._cache is not None else 0)

    def _row_ranges(self):
        for start in range(0, self.n, self.block_rows):
            yield slice(start, min(self.n, start + self.block_rows))

    def _draw(self, block, rows):
        rng = np.random.default_rng([self.seed, block])
        if self.distribution == "gaussian":
            return rng.standard_normal((rows, self.p), dtype=np.float32)
        return rng.random((rows, self.p), dtype=np.float32)

    def _raw_blocks(self):
        """(rows, R_block) for each block of the unscaled float32 matrix R (A = R D⁻¹)."""
        for block, rows in enumerate(self._row_ranges()):
            if self._cache is not None:
                yield rows, self._cache[rows]
            else:
                yield rows, self._draw(block, rows.stop - rows.start)

    def matvec(self, y):
        """A y as a float64 n-vector."""
        v = (np.asarray(y, dtype=np.float64) * self.column_scale).astype(np.float32)
        out = np.empty(self.n)
        for rows, raw in self._raw_blocks():
            out[rows] = raw @ v
        return out

    def rmatvec(self, g):
        """Aᵀ g as a float64 p-vector."""
        g = np.asarray(g)
        acc = np.zeros(self.p)
        for rows, raw in self._raw_blocks():
            acc += raw.T @ g[rows].astype(np.float32)
        return acc * self.column_scale

    def rmatvec_exact(self, x):
        """Aᵀ x with every product in float64 (used once, for A⁺x)."""
        x = np.asarray(x, dtype=np.float64)
        acc = np.zeros(self.p)
        for rows, raw in self._raw_blocks():
            acc += raw.astype(np.float64).T @ x[rows]
        return acc * self.column_scale

    def pinv_apply(self, x):
        """A⁺x = (AᵀA)⁻¹ Aᵀ x via the Cholesky factor of the float64 Gram matrix.

        Normal equations square the condition number, so the relative error is about
        κ(A)²·1e-16. For Gaussian A with n ≫ p, κ(A) ≈ (1 + √(p/n)) / (1 − √(p/n)) ≈ 1; for
        unit-norm U[0,1) columns AᵀA ≈ ¼ I + ¾ 11ᵀ, κ(AᵀA) ≈ 1 + 3p ≈ 300 at p = 100:
        either way far below anything that matters.
        """
        return cho_solve(self._gram_factor, self.rmatvec_exact(x))

    def to_dense(self):
        """A as a float64 n×p array (for small n: tests and inspection)."""
        return np.vstack([raw.astype(np.float64) for _, raw in self._raw_blocks()]) \
            * self.column_scale

    def __repr__(self):
        where = "cached" if self.cached else "regenerated per product"
        return (f"RandomSubspace(n={self.n}, p={self.p}, seed={self.seed}, "
                f"{self.distribution}, {where})")


class _ExplicitSubspace:
    """A given n×p matrix A, held in float64; A⁺x by least squares (SVD), no pinv."""

    def __init__(self, A):
        A = np.asarray(A, dtype=np.float64)
        if A.ndim != 2:
            raise ValueError(f"A must be an n×p matrix, got shape {A.shape}")
        self.matrix = A
        self.n, self.p = A.shape

    def matvec(self, y):
        return self.matrix @ y

    def rmatvec(self, g):
        return self.matrix.T @ np.asarray(g, dtype=np.float64)

    def pinv_apply(self, x):
        return np.linalg.lstsq(self.matrix, np.asarray(x, dtype=np.float64), rcond=None)[0]


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

    def __repr__(self):
        space = "full space" if self.p is None else f"p={self.p}"
        return (f"SharpnessResult(phi={self.phi:.6g}, eps={self.eps:g}, {space}, "
                f"f0={self.f0:.6g}, fmax={self.fmax:.6g}, nit={self.nit}, nfev={self.nfev}, "
                f"{self.seconds:.2f} s)")


def phi_from_values(f0, fmax):
    """100 · (fmax − f0) / (1 + f0)."""
    return 100.0 * (fmax - f0) / (1.0 + f0)


def _subspace(n, A, p, seed, distribution):
    if A is not None and p is not None:
        raise ValueError("give either A (a matrix or RandomSubspace) or p, not both")
    if A is None and p is None:
        return None
    if A is None:
        return RandomSubspace(n, p, seed=seed, distribution=distribution)
    space = A if hasattr(A, "matvec") and hasattr(A, "pinv_apply") else _ExplicitSubspace(A)
    if space.n != n:
        raise ValueError(f"A has {space.n} rows but x has {n} entries")
    return space


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
    A : None, an n×p array, or a :class:`RandomSubspace`. Pass a RandomSubspace to reuse one
        random matrix across several ε (it is built once, with a pass over all its blocks).
    p : int, optional. With ``A=None``, a seeded random subspace of dimension p
        (``RandomSubspace(n, p, seed=seed, distribution=distribution)``). ``A=None, p=None``
        is the full space A = I, done without any matrix: box |y_i| ≤ ε(|x_i| + 1), x + y.
    maxiter : int, L-BFGS-B iterations (the only stopping rule; ``gtol = ftol = 0``).

    Returns a :class:`SharpnessResult`.

    Cost and memory
    ---------------
    Each L-BFGS-B iteration needs one or more evaluations of ``fun`` (``nfev`` reports them,
    ``fun_seconds`` their time); the first, f(x), doubles as the solver's start at y = 0.
    The solver is :func:`minisharp.lbfgsb.minimize_box`, which drives SciPy's compiled
    L-BFGS-B core directly (``minimize`` spends ≈ 3 µs per variable translating the bounds).
    Peak memory beyond ``fun``'s own:

    - full space: ≈ 290 bytes per parameter (measured: 420 MB for F1, n = 1.46 M):
      L-BFGS-B's workspace of (2·maxcor + 5)·n doubles = 200 B, the box, iterate, best y
      and gradient the rest;
    - subspace, p = 100: the RandomSubspace (4·n·p bytes when cached, one block otherwise)
      plus a few float64 n-vectors (point, A y, gradient) ≈ 0.6 GB cached.

    A :class:`RandomSubspace` costs one pass over its blocks to build (drawing A, AᵀA in
    float64): ≈ 1–3 s at 1.5 M × 100; build it once and pass it as ``A`` for several ε.
    """
    start = time.perf_counter()
    x = np.asarray(x)
    if x.ndim != 1 or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"x must be a 1-D float vector, got {x.dtype} of shape {x.shape}")
    eps = float(eps)
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}")
    if int(maxiter) < 1:
        raise ValueError(f"maxiter must be at least 1, got {maxiter}")
    space = _subspace(x.size, A, p, seed, distribution)

    coordinates = np.abs(x, dtype=np.float64) if space is None else np.abs(space.pinv_apply(x))
    upper = eps * (coordinates + 1.0)
    lower = -upper
    del coordinates

    fun_seconds = 0.0
    calls = 0

    def call(point):
        nonlocal fun_seconds, calls
        t = time.perf_counter()
        value, gradient = fun(point)
        fun_seconds += time.perf_counter() - t
        calls += 1
        return float(value), np.asarray(gradient, dtype=np.float64)

    f0, gradient0 = call(x)
    ascent0 = gradient0 if space is None else space.rmatvec(gradient0)
    del gradient0
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
        message=message, fun_seconds=fun_seconds,
    )


class NetworkObjective:
    """f(θ) = mean cross-entropy of ``net`` over a fixed training set, and ∇f(θ) in float64.

    Calls ``minisharp.loss_and_grad(net, θ, X, y, mode=mode, chunk=chunk)``: the samples are
    taken in their given order in fixed consecutive chunks of ``chunk`` (no shuffling, no
    augmentation, dropout off), so f is a deterministic function of θ. Batch norm:
    ``"batchstat"`` normalises each chunk with its own statistics (the paper's Keras mode=2);
    ``"eval"`` uses the running statistics in ``state``.

    ``evaluations`` counts calls and ``seconds`` the time spent in them.
    """

    def __init__(self, net, X, y, *, mode="batchstat", chunk=5000, state=None):
        if mode == "train":
            raise ValueError("mode 'train' has dropout on and updates statistics: "
                             "measure with 'batchstat' or 'eval'")
        if mode == "eval" and state is None:
            raise ValueError("mode 'eval' needs the batch-norm running statistics (state=)")
        import minisharp  # at call time: minisharp/__init__ imports this module

        self._loss_and_grad = minisharp.loss_and_grad
        self.net, self.X, self.y = net, X, y
        self.mode, self.chunk, self.state = mode, int(chunk), state
        self.evaluations = 0
        self.seconds = 0.0

    def __call__(self, theta):
        t = time.perf_counter()
        kwargs = {"state": self.state} if self.state is not None else {}
        value, gradient = self._loss_and_grad(self.net, theta, self.X, self.y, mode=self.mode,
                                              chunk=self.chunk, **kwargs)
        self.evaluations += 1
        self.seconds += time.perf_counter() - t
        return float(value), np.asarray(gradient, dtype=np.float64)


def objective(net, X, y, *, mode="batchstat", chunk=5000, state=None):
    """The training objective of ``net`` on (X, y) as ``fun(θ) -> (float, float64 gradient)``.

    Returns a :class:`NetworkObjective`; its ``evaluations`` attribute counts the calls.
    """
    return NetworkObjective(net, X, y, mode=mode, chunk=chunk, state=state)
