"""The subspaces of Metric 2.1: products, pseudo-inverse, seeding, distributions, memory modes."""

import numpy as np
import pytest

from minisharp.subspace import ExplicitSubspace, RandomSubspace, choose_subspace


@pytest.mark.parametrize("distribution", ["gaussian", "uniform"])
def test_random_subspace_pseudo_inverse_and_products(distribution):
    n, p = 53, 6
    rng = np.random.default_rng(2)
    x = rng.standard_normal(n)
    space = RandomSubspace(n, p, seed=11, distribution=distribution, block_rows=7)
    A = space.to_dense()
    assert A.shape == (n, p) == space.shape
    np.testing.assert_allclose(space.pinv_apply(x), np.linalg.pinv(A) @ x, rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(space.gram, A.T @ A, rtol=1e-12)
    y = rng.standard_normal(p)
    g = rng.standard_normal(n)
    np.testing.assert_allclose(space.matvec(y), A @ y, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(space.rmatvec(g), A.T @ g, rtol=1e-5, atol=1e-5)


def test_random_subspace_is_seeded_and_cache_independent():
    a = RandomSubspace(40, 5, seed=4, block_rows=9)
    b = RandomSubspace(40, 5, seed=4, block_rows=9, cache_bytes=0)
    c = RandomSubspace(40, 5, seed=5, block_rows=9)
    assert a.cached and not b.cached
    # the uncached one holds only the p×p Gram matrix and its Cholesky factor
    assert b.nbytes == 2 * 5 * 5 * 8 and a.nbytes == b.nbytes + 40 * 5 * 4
    np.testing.assert_array_equal(a.to_dense(), b.to_dense())
    assert not np.allclose(a.to_dense(), c.to_dense())


def test_gaussian_entries_are_standard_normal():
    A = RandomSubspace(20000, 10, seed=0, distribution="gaussian").to_dense()
    assert abs(A.mean()) < 0.01
    assert abs(A.std() - 1.0) < 0.01
    # columns are not rescaled: their norms are ≈ √n
    np.testing.assert_allclose(np.linalg.norm(A, axis=0), np.sqrt(20000), rtol=0.03)


def test_uniform_columns_have_unit_norm():
    space = RandomSubspace(5000, 8, seed=0, distribution="uniform", block_rows=1000)
    A = space.to_dense()
    np.testing.assert_allclose(np.linalg.norm(A, axis=0), 1.0, rtol=1e-10)
    raw = A / space.column_scale
    assert raw.min() >= 0.0 and raw.max() < 1.0
    assert abs(raw.mean() - 0.5) < 0.01


@pytest.mark.parametrize("shape", [(30, 4), (6, 6)])
def test_explicit_subspace_products_and_pseudo_inverse(shape):
    rng = np.random.default_rng(6)
    A = rng.standard_normal(shape)
    space = ExplicitSubspace(A)
    assert (space.n, space.p) == shape
    x, y = rng.standard_normal(shape[0]), rng.standard_normal(shape[1])
    np.testing.assert_allclose(space.matvec(y), A @ y, rtol=1e-14)
    np.testing.assert_allclose(space.rmatvec(x), A.T @ x, rtol=1e-14)
    np.testing.assert_allclose(space.pinv_apply(x), np.linalg.pinv(A) @ x, rtol=1e-10)


def test_choose_subspace_picks_by_argument():
    assert choose_subspace(10, None, None, 0, "gaussian") is None
    random = choose_subspace(10, None, 3, 7, "uniform")
    assert isinstance(random, RandomSubspace) and random.shape == (10, 3)
    assert random.seed == 7 and random.distribution == "uniform"
    assert choose_subspace(10, random, None, 0, "gaussian") is random
    explicit = choose_subspace(10, np.ones((10, 2)), None, 0, "gaussian")
    assert isinstance(explicit, ExplicitSubspace) and explicit.p == 2


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="0 < p <= n"):
        RandomSubspace(3, 4)
    with pytest.raises(ValueError, match="distribution"):
        RandomSubspace(30, 4, distribution="cauchy")
    with pytest.raises(ValueError, match="block_rows"):
        RandomSubspace(30, 4, block_rows=0)
    with pytest.raises(ValueError, match="n×p matrix"):
        ExplicitSubspace(np.ones(3))
    with pytest.raises(ValueError, match="either A"):
        choose_subspace(3, np.ones((3, 1)), 1, 0, "gaussian")
    with pytest.raises(ValueError, match="4 rows"):
        choose_subspace(3, np.ones((4, 1)), None, 0, "gaussian")


def test_a_subspace_too_large_for_memory_is_refused_before_allocating():
    # three 10⁶ × 10⁶ float64 Gram matrices: 24 TB, more than any machine running the tests
    with pytest.raises(ValueError, match=r"p=1000000 .* needs 2\.4e\+04 GB"):
        RandomSubspace(10**7, 10**6)
