"""The Hessian's spectrum from Hessian-vector products alone: Lanczos, Hutchinson, SLQ.

All three take a symmetric linear map ``hvp(v) -> H v`` on Rⁿ (e.g. a
:class:`minisharp.curvature.NetworkHessian`, or ``lambda v: M @ v``) and never form H.

- :func:`lanczos` — m steps of the Lanczos iteration from a seeded random unit vector build an
  orthonormal basis Q of the Krylov space span{q, Hq, …, H^{m−1}q} and the tridiagonal
  T = Qᵀ H Q; the eigenvalues of T (Ritz values) converge first to the ends of the spectrum.
  In floating point the basis loses orthogonality as soon as one Ritz value converges, and
  copies of it ("ghosts") appear; so every new vector is re-orthogonalised against all
  previous ones (full re-orthogonalisation, classical Gram-Schmidt applied twice), which
  costs m·n memory in float64 — bounded by the few dozen iterations used here. The "top"
  eigenvalues are the largest *algebraic* ones; the smallest Ritz value is reported too,
  because the largest |λ| — what power iteration finds — may be a negative eigenvalue.
  Each Ritz value λ̃ with Ritz vector u comes with its residual ‖H u − λ̃ u‖ = |β_m s_m|,
  free from the iteration, which bounds its distance to an eigenvalue of H.
- :func:`hutchinson_trace` — tr H = E[zᵀ H z] for z with independent Rademacher (±1) entries;
  the mean over samples, with its standard error.
- :func:`spectral_density` — stochastic Lanczos quadrature (Lin, Saad & Yang 2016; Ghorbani
  et al. 2019; PyHessian): for a random unit vector q, Lanczos gives nodes λ̃_j (Ritz values)
  and weights τ_j = (first entry of T's j-th eigenvector)², a quadrature rule with
  Σ_j τ_j p(λ̃_j) = qᵀ p(H) q exact for polynomials p of degree < 2m. Averaged over runs, it
  estimates the eigenvalue density (1/n) Σ_i δ(t − λ_i); each node is broadened into a
  Gaussian of width σ so the density can be drawn. Its weights sum to 1 in every run and its
  mean Σ_j τ_j λ̃_j = qᵀ H q, whose expectation is tr(H)/n.

Every function returns a result with its cost: Hessian-vector products used and seconds.
"""

import time
from dataclasses import dataclass

import numpy as np

GRID_POINTS = 1000
SIGMA_FRACTION = 0.01  # default Gaussian width: 1 % of the spread of the nodes


@dataclass
class LanczosResult:
    """Top-k Ritz values of H (descending), with the cost.

    eigenvalues  the k largest Ritz values, descending (fewer if the Krylov space closed
                 after fewer than k steps: H then has fewer distinct eigenvalues seen from q)
    residuals    ‖H u − λ̃ u‖ of their Ritz vectors (unit u): each λ̃ is within it of an
                 eigenvalue of H
    smallest     the smallest Ritz value (an estimate of λ_min, which may be < −λ_max)
    ritz_values  all Ritz values, ascending
    iterations   Lanczos steps taken (= HVPs; fewer than asked if the Krylov space closed)
    hvps, seconds  cost: Hessian-vector products used, wall time
    """

    eigenvalues: np.ndarray
    residuals: np.ndarray
    smallest: float
    ritz_values: np.ndarray
    iterations: int
    hvps: int
    seconds: float


@dataclass
class TraceResult:
    """Hutchinson's estimate of tr H: ``trace`` ± ``stderr`` from ``samples`` values zᵀHz."""

    trace: float
    stderr: float
    samples: np.ndarray
    hvps: int
    seconds: float


@dataclass
class DensityResult:
    """The SLQ eigenvalue density on ``grid``, with the quadrature it came from.

    density  φ(t) on the grid; ∫φ = 1 up to the tails cut off by the grid
    nodes, weights  (runs, m) Ritz values and quadrature weights (each row sums to 1)
    sigma    Gaussian broadening width
    """

    grid: np.ndarray
    density: np.ndarray
    nodes: np.ndarray
    weights: np.ndarray
    sigma: float
    hvps: int
    seconds: float

    def moment(self, k):
        """(1/runs) Σ_runs Σ_j τ_j λ̃_j^k: the quadrature's estimate of tr(H^k)/n (k < 2m)."""
        return float(np.mean(np.sum(self.weights * self.nodes ** k, axis=1)))


class _Counted:
    """Wrap hvp(v) with a count and the time spent in it."""

    def __init__(self, hvp, n):
        self.hvp, self.n, self.calls = hvp, n, 0

    def __call__(self, v):
        self.calls += 1
        out = np.asarray(self.hvp(v), dtype=np.float64)
        if out.shape != (self.n,):
            raise ValueError(f"hvp returned shape {out.shape}, expected ({self.n},)")
        return out


def _rademacher(rng, n):
    return rng.integers(0, 2, size=n) * 2.0 - 1.0


def _check(n, **positive):
    if int(n) < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    for name, value in positive.items():
        if int(value) < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")


def _tridiagonalize(hvp, q, steps):
    """Lanczos with full re-orthogonalisation from unit q: (alpha, beta, β_last).

    alpha (m,), beta (m − 1,) are T's diagonal and off-diagonal; β_last is the norm of the
    residual after the last step (0 if the Krylov space closed, then m < steps).
    """
    n = q.size
    basis = np.empty((min(steps, n), n))
    alpha, beta = [], []
    basis[0] = q
    for j in range(basis.shape[0]):
        w = hvp(basis[j])
        alpha.append(float(basis[j] @ w))
        for _ in range(2):  # twice is enough (Kahan–Parlett)
            w -= basis[:j + 1].T @ (basis[:j + 1] @ w)
        b = float(np.linalg.norm(w))
        scale = max(np.abs(alpha).max(), max(beta, default=0.0))
        if j + 1 == basis.shape[0] or b <= 1e-12 * scale:
            break
        beta.append(b)
        basis[j + 1] = w / b
    return np.array(alpha), np.array(beta), b


def _ritz(alpha, beta):
    T = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
    return np.linalg.eigh(T)


def lanczos(hvp, n, k=1, *, iterations=30, seed=0):
    """The k largest eigenvalues of a symmetric H ∈ Rⁿˣⁿ from ``iterations`` products.

    The start vector is Gaussian from ``numpy.random.default_rng(seed)``, normalised. Memory:
    ``iterations``·n float64 for the basis. Returns a :class:`LanczosResult`.
    """
    _check(n, k=k, iterations=iterations)
    n, k, iterations = int(n), int(k), int(iterations)
    if k > min(iterations, n):
        raise ValueError(f"k = {k} needs at least k iterations and k ≤ n = {n}")
    start = time.perf_counter()
    counted = _Counted(hvp, n)
    q = np.random.default_rng(seed).standard_normal(n)
    alpha, beta, last = _tridiagonalize(counted, q / np.linalg.norm(q), iterations)
    values, vectors = _ritz(alpha, beta)
    top = np.argsort(values)[::-1][:k]
    return LanczosResult(
        eigenvalues=values[top], residuals=np.abs(last * vectors[-1, top]),
        smallest=float(values[0]), ritz_values=values, iterations=len(alpha),
        hvps=counted.calls, seconds=time.perf_counter() - start)


def hutchinson_trace(hvp, n, *, samples=20, seed=0):
    """tr H ≈ (1/s) Σ zᵀ H z over s Rademacher vectors z (seeded); ± its standard error."""
    _check(n, samples=samples)
    start = time.perf_counter()
    counted = _Counted(hvp, int(n))
    rng = np.random.default_rng(seed)
    values = np.empty(int(samples))
    for i in range(values.size):
        z = _rademacher(rng, int(n))
        values[i] = z @ counted(z)
    stderr = float(values.std(ddof=1) / np.sqrt(values.size)) if values.size > 1 else 0.0
    return TraceResult(trace=float(values.mean()), stderr=stderr, samples=values,
                       hvps=counted.calls, seconds=time.perf_counter() - start)


def smooth_density(nodes, weights, *, grid=GRID_POINTS, sigma=None):
    """The density Σ_runs Σ_j w_j N(t; θ_j, σ²) / runs of SLQ nodes θ and weights w (arrays of
    shape (runs, steps)), on ``grid`` (a number of points spanning the nodes ± 5σ, or the
    points themselves). ``sigma`` defaults to 1 % of the spread of the nodes; give one σ and
    one grid to compare several spectra at the same resolution. Returns (grid, density, σ).
    """
    nodes = np.atleast_2d(np.asarray(nodes, dtype=np.float64))
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    if nodes.shape != weights.shape or nodes.size == 0:
        raise ValueError(f"nodes and weights must have one shape, got {nodes.shape} and "
                         f"{weights.shape}")
    spread = float(nodes.max() - nodes.min())
    if sigma is None:
        sigma = SIGMA_FRACTION * spread if spread > 0 else 1e-3 * max(1.0, abs(nodes.max()))
    sigma = float(sigma)
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    if np.ndim(grid) == 0:
        grid = np.linspace(nodes.min() - 5 * sigma, nodes.max() + 5 * sigma, int(grid))
    grid = np.asarray(grid, dtype=np.float64)
    if grid.ndim != 1 or grid.size < 2:
        raise ValueError("grid must be a number of points ≥ 2 or a 1-D array of points")
    gauss = np.exp(-0.5 * ((grid[:, None] - nodes.ravel()[None, :]) / sigma) ** 2)
    density = gauss @ weights.ravel() / (nodes.shape[0] * sigma * np.sqrt(2 * np.pi))
    return grid, density, sigma


def spectral_density(hvp, n, *, iterations=30, runs=5, seed=0, grid=GRID_POINTS, sigma=None):
    """Eigenvalue density of H by stochastic Lanczos quadrature (module docs).

    Each of ``runs`` Lanczos runs starts from a normalised Rademacher vector (seed ``[seed,
    run]``). ``grid`` is a number of points (spanning the nodes ± 5σ, so the Gaussians lie
    inside it) or an array of points; ``sigma`` the Gaussian width (default 1 % of the spread
    of the nodes). Cost: runs × iterations HVPs. Returns a :class:`DensityResult`.
    """
    _check(n, iterations=iterations, runs=runs)
    start = time.perf_counter()
    counted = _Counted(hvp, int(n))
    steps = min(int(iterations), int(n))
    nodes = np.zeros((int(runs), steps))
    weights = np.zeros((int(runs), steps))
    for run in range(int(runs)):
        rng = np.random.default_rng([seed, run])
        q = _rademacher(rng, int(n)) / np.sqrt(n)
        alpha, beta, _ = _tridiagonalize(counted, q, steps)
        values, vectors = _ritz(alpha, beta)
        # a closed Krylov space (fewer steps) leaves zero-weight padding at the first node
        nodes[run, :values.size], weights[run, :values.size] = values, vectors[0] ** 2
        nodes[run, values.size:] = values[0]
    grid, density, sigma = smooth_density(nodes, weights, grid=grid, sigma=sigma)
    return DensityResult(grid=grid, density=density, nodes=nodes, weights=weights, sigma=sigma,
                         hvps=counted.calls, seconds=time.perf_counter() - start)
