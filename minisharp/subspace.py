"""The matrix A of Metric 2.1: a seeded random n×p subspace, or a given n×p matrix.

Metric 2.1 (Keskar et al. 2017) perturbs x along A y with y in a box of p entries; Table 4 uses
a random A with p = 100 columns. A subspace object offers what the metric needs and nothing
more: ``matvec(y) = A y``, ``rmatvec(g) = Aᵀ g`` and ``pinv_apply(x) = A⁺x`` (the box is
|y_i| ≤ ε(|(A⁺x)_i| + 1)), plus its shape ``n``, ``p``. A :class:`RandomSubspace` regenerates
its rows from a seed in blocks, because an n×p float64 matrix for a 1.5 M-parameter network is
1.2 GB; an :class:`ExplicitSubspace` holds a small given matrix.
"""

import os

import numpy as np
from scipy.linalg import cho_factor, cho_solve

DISTRIBUTIONS = ("gaussian", "uniform")
BLOCK_ROWS = 16384
CACHE_BYTES = 1 << 30


def _physical_memory():
    """Bytes of RAM on this machine (infinite where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return float("inf")


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
    regenerates A by drawing its n·p entries again.

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
        # Three p×p float64 matrices (raw Gram, Gram, Cholesky factor), one block of rows in
        # float32 and float64, and the cache when it fits: say so before asking for it.
        cached = 4 * n * p <= cache_bytes
        needed = 24 * p * p + 12 * min(block_rows, n) * p + (4 * n * p if cached else 0)
        if needed > _physical_memory():
            raise ValueError(f"a random subspace with p={p} columns for n={n} needs "
                             f"{needed / 1e9:.2g} GB, more than this machine's "
                             f"{_physical_memory() / 1e9:.2g} GB of memory; use a smaller p "
                             "(the paper: 100)")
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


class ExplicitSubspace:
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


def choose_subspace(n, A, p, seed, distribution):
    """The subspace for ``sharpness(..., A, p=)``: None (full space), A itself when it already
    has ``matvec``/``pinv_apply``, an :class:`ExplicitSubspace` of an array, or a
    :class:`RandomSubspace` of dimension p."""
    if A is not None and p is not None:
        raise ValueError("give either A (a matrix or RandomSubspace) or p, not both")
    if A is None and p is None:
        return None
    if A is None:
        return RandomSubspace(n, p, seed=seed, distribution=distribution)
    space = A if hasattr(A, "matvec") and hasattr(A, "pinv_apply") else ExplicitSubspace(A)
    if space.n != n:
        raise ValueError(f"A has {space.n} rows but x has {n} entries")
    return space
