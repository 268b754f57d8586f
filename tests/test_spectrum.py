"""Lanczos, Hutchinson and stochastic Lanczos quadrature against known spectra, float64.

Bounds: eigenvalues from Lanczos within 1e-9 (relative to ‖H‖) of ``numpy.linalg.eigh`` —
measured ~1e-14 — once the Krylov space is large enough (well-separated ends, or as many steps
as the dimension); Hutchinson exact to rounding for a diagonal matrix (zᵀDz = tr D for ±1
entries) and within 4 of its own standard errors of the exact trace otherwise; the SLQ density
integrates to 1 within 1e-6 and its moments equal tr(H^k)/n exactly for a diagonal matrix
(qᵀD^k q = tr(D^k)/n for normalised ±1 vectors) and within 4 standard errors otherwise.
"""

import numpy as np
import pytest
from tiny_networks import CHUNK, dense_hessian, problem

from minisharp.curvature import NetworkHessian
from minisharp.spectrum import hutchinson_trace, lanczos, smooth_density, spectral_density


def known_matrix(n=200, seed=0):
    """Q diag(λ) Qᵀ with a random orthogonal Q: ends 12, 9, 8.5 on top, −15 at the bottom
    (the largest |λ| is negative), the bulk in [−1, 3]."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = np.concatenate([[12.0, 9.0, 8.5, -15.0], rng.uniform(-1, 3, n - 4)])
    return (Q * lam) @ Q.T, lam


def test_lanczos_finds_the_top_eigenvalues_and_the_negative_end():
    M, lam = known_matrix()
    result = lanczos(lambda v: M @ v, len(lam), 3, iterations=40, seed=1)
    np.testing.assert_allclose(result.eigenvalues, [12.0, 9.0, 8.5], atol=1e-9 * 15)
    assert abs(result.smallest - (-15.0)) < 1e-9 * 15
    assert np.all(result.residuals < 1e-8)
    assert result.hvps == result.iterations == 40 and result.seconds > 0


def test_lanczos_on_a_diagonal_matrix_with_the_krylov_space_closing_early():
    """Five distinct eigenvalues: the Krylov space closes after 5 steps, Ritz values exact."""
    d = np.repeat([4.0, 2.0, 1.0, -0.5, -3.0], 10)
    result = lanczos(lambda v: d * v, d.size, 2, iterations=20, seed=0)
    assert result.iterations == 5 and result.hvps == 5
    np.testing.assert_allclose(result.ritz_values, [-3.0, -0.5, 1.0, 2.0, 4.0], atol=1e-12)
    np.testing.assert_allclose(result.eigenvalues, [4.0, 2.0], atol=1e-12)


def test_lanczos_full_reorthogonalisation_leaves_no_ghosts():
    """Many more steps than needed for the top eigenvalue: without re-orthogonalisation a
    converged Ritz value reappears as a spurious copy; here the two top Ritz values must be
    the two top eigenvalues."""
    M, lam = known_matrix(n=120, seed=3)
    result = lanczos(lambda v: M @ v, 120, 2, iterations=100, seed=0)
    np.testing.assert_allclose(result.eigenvalues, np.sort(lam)[::-1][:2], atol=1e-9 * 15)


@pytest.mark.parametrize("name,mode", [("dense-bn", "batchstat"), ("conv", "batchstat"),
                                       ("dense-bn", "eval")])
def test_lanczos_and_hutchinson_on_a_network_hessian_against_eigh(name, mode):
    net, theta, X, y, state = problem(name, seed=5)
    H = dense_hessian(net, theta, X, y, mode, state)
    exact = np.linalg.eigvalsh(H)
    op = NetworkHessian(net, theta, X, y, mode=mode, chunk=CHUNK, state=state)
    n = net.num_params
    result = lanczos(op, n, 3, iterations=n, seed=0)
    scale = np.abs(exact).max()
    np.testing.assert_allclose(result.eigenvalues, exact[::-1][:3], atol=1e-9 * scale)
    assert abs(result.smallest - exact[0]) <= 1e-9 * scale
    assert op.products == result.hvps

    trace = hutchinson_trace(op, n, samples=50, seed=0)
    assert abs(trace.trace - np.trace(H)) <= 4 * trace.stderr


def test_hutchinson_is_exact_for_a_diagonal_matrix():
    d = np.random.default_rng(0).uniform(-2, 5, 300)
    result = hutchinson_trace(lambda v: d * v, d.size, samples=3, seed=7)
    assert abs(result.trace - d.sum()) < 1e-10 and result.stderr < 1e-10
    assert result.hvps == 3


def test_hutchinson_within_its_standard_error_on_a_dense_matrix():
    M, lam = known_matrix(seed=1)
    result = hutchinson_trace(lambda v: M @ v, len(lam), samples=100, seed=2)
    assert result.stderr > 0
    assert abs(result.trace - lam.sum()) <= 4 * result.stderr


def test_slq_density_integrates_to_one_and_has_exact_moments_on_a_diagonal_matrix():
    """70 % of the eigenvalues at 0, 30 % at 5: every run puts weight exactly 0.3 near 5."""
    d = np.concatenate([np.zeros(140), np.full(60, 5.0)])
    result = spectral_density(lambda v: d * v, d.size, iterations=10, runs=4, seed=0,
                              sigma=0.05)
    assert abs(np.trapezoid(result.density, result.grid) - 1) < 1e-6
    np.testing.assert_allclose(result.weights.sum(axis=1), 1.0, rtol=1e-12)
    for k in (1, 2, 3):
        assert abs(result.moment(k) - np.mean(d ** k)) < 1e-9 * 5 ** k
    near_five = result.grid > 2.5
    mass = np.trapezoid(result.density[near_five], result.grid[near_five])
    assert abs(mass - 0.3) < 1e-6
    assert result.hvps == 4 * 2  # the Krylov space closes after 2 steps in each run


def test_slq_moments_within_their_standard_error_on_a_dense_matrix():
    M, lam = known_matrix(n=150, seed=2)
    runs = 30
    result = spectral_density(lambda v: M @ v, len(lam), iterations=25, runs=runs, seed=1)
    assert abs(np.trapezoid(result.density, result.grid) - 1) < 1e-6
    per_run = np.sum(result.weights * result.nodes, axis=1)  # qᵀHq of each start vector
    stderr = per_run.std(ddof=1) / np.sqrt(runs)
    assert abs(result.moment(1) - lam.mean()) <= 4 * stderr
    assert result.hvps == runs * 25


def test_smoothing_again_reproduces_the_density_and_compares_spectra_on_one_grid():
    """The quadrature (nodes, weights) is all a density needs: smoothing it again with the same
    σ gives the same curve; two spectra smoothed with one σ on one grid keep their masses."""
    M, lam = known_matrix(n=120, seed=3)
    narrow = spectral_density(lambda v: M @ v, len(lam), iterations=20, runs=2, seed=0)
    wide = spectral_density(lambda v: 10 * (M @ v), len(lam), iterations=20, runs=2, seed=0)
    grid, density, sigma = smooth_density(narrow.nodes, narrow.weights, grid=narrow.grid,
                                          sigma=narrow.sigma)
    np.testing.assert_allclose(density, narrow.density, rtol=1e-12, atol=0)
    assert wide.sigma == pytest.approx(10 * narrow.sigma)   # the default follows the spread
    common = np.linspace(wide.nodes.min() - 1, wide.nodes.max() + 1, 20_000)
    for result in (narrow, wide):
        grid, density, sigma = smooth_density(result.nodes, result.weights, grid=common,
                                              sigma=narrow.sigma)
        assert sigma == narrow.sigma and grid.shape == density.shape == common.shape
        assert abs(np.trapezoid(density, grid) - 1) < 1e-6
    with pytest.raises(ValueError, match="one shape"):
        smooth_density(narrow.nodes, narrow.weights[:, :3])


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="k = 5 needs"):
        lanczos(lambda v: v, 3, 5, iterations=10)
    with pytest.raises(ValueError, match="iterations must be at least 1"):
        lanczos(lambda v: v, 3, 1, iterations=0)
    with pytest.raises(ValueError, match="hvp returned shape"):
        hutchinson_trace(lambda v: v[:2], 3, samples=2)
    with pytest.raises(ValueError, match="sigma must be positive"):
        spectral_density(lambda v: v, 3, iterations=2, runs=1, sigma=-1.0)
