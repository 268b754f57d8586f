"""Metric 2.1 against closed forms, brute force, and the traps other implementations fell into."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minisharp.sharpness import SharpnessResult, phi_from_values, sharpness
from minisharp.subspace import RandomSubspace


def quadratic(h, centre=None):
    """f(z) = ½ Σ h_i (z_i − c_i)² and its gradient."""
    centre = np.zeros_like(h) if centre is None else centre

    def fun(z):
        d = z - centre
        return 0.5 * float(np.dot(h * d, d)), h * d

    return fun


def recording(fun):
    """Wrap fun so that every point it is asked about is kept."""
    points = []

    def wrapped(z):
        points.append(np.array(z, copy=True))
        return fun(z)

    wrapped.points = points
    return wrapped


def wavy(z):
    """A 2-D non-convex function: sin 2a + cos 3b + ½ sin(ab) + 0.2 (a² + b²)."""
    a, b = z
    value = np.sin(2 * a) + np.cos(3 * b) + 0.5 * np.sin(a * b) + 0.2 * (a * a + b * b)
    gradient = np.array([
        2 * np.cos(2 * a) + 0.5 * b * np.cos(a * b) + 0.4 * a,
        -3 * np.sin(3 * b) + 0.5 * a * np.cos(a * b) + 0.4 * b,
    ])
    return float(value), gradient


@pytest.fixture
def separable():
    rng = np.random.default_rng(3)
    n = 300
    h = rng.uniform(0.5, 4.0, n)
    x = rng.standard_normal(n)
    x[np.abs(x) < 1e-3] = 0.5
    return h, x


def test_separable_quadratic_closed_form(separable):
    # max of ½ Σ h (x + y)² over |y_i| ≤ ε(|x_i|+1) is the corner y_i = sign(x_i) ε(|x_i|+1)
    h, x = separable
    eps = 1e-3
    result = sharpness(quadratic(h), x, eps)
    corner = np.sign(x) * eps * (np.abs(x) + 1)
    f0 = 0.5 * np.dot(h * x, x)
    fmax = 0.5 * np.dot(h * (x + corner), x + corner)
    expected = 100 * (fmax - f0) / (1 + f0)
    assert isinstance(result, SharpnessResult)
    assert result.phi == pytest.approx(expected, rel=1e-6)
    assert result.f0 == pytest.approx(f0, rel=1e-14)
    np.testing.assert_allclose(result.y, corner, rtol=1e-6)
    assert result.p is None and result.eps == eps
    assert 1 <= result.nit <= 10 and result.nfev >= 2
    assert result.y.dtype == np.float64


def test_precedence_of_the_formula():
    # (max − f) / (1 + f), not max − f / (1 + f) nor (max − f) / 1 + f
    assert phi_from_values(1.0, 1.5) == pytest.approx(25.0)


def _grid_maximum(fun, x, directions, half_widths, points=801):
    axes = [np.linspace(-w, w, points) for w in half_widths]
    mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(half_widths))
    values = [fun(x + directions @ y)[0] for y in mesh]
    step = max(2 * w / (points - 1) for w in half_widths)
    return max(values), step


def test_brute_force_full_space_2d():
    x, eps = np.array([0.2, -0.3]), 0.5
    result = sharpness(wavy, x, eps, maxiter=30)
    grid_max, step = _grid_maximum(wavy, x, np.eye(2), eps * (np.abs(x) + 1), points=401)
    # the grid misses the true maximum by at most ½ ‖∇²f‖ (step/2)² per axis ≲ 10 step²
    assert result.fmax == pytest.approx(grid_max, abs=10 * step**2)
    assert result.phi == pytest.approx(100 * (grid_max - result.f0) / (1 + result.f0), abs=1e-2)


def test_brute_force_one_direction_2d():
    x, eps = np.array([0.2, -0.3]), 0.5
    A = np.array([[1.0], [-2.0]])
    result = sharpness(wavy, x, eps, A, maxiter=30)
    coordinate = float(np.dot(A[:, 0], x) / np.dot(A[:, 0], A[:, 0]))
    half_width = eps * (abs(coordinate) + 1)
    assert result.upper[0] == pytest.approx(half_width, rel=1e-14)
    grid_max, step = _grid_maximum(wavy, x, A, [half_width], points=20001)
    assert result.fmax == pytest.approx(grid_max, abs=25 * step**2 + 1e-12)
    assert result.p == 1


def test_explicit_identity_equals_full_space(separable):
    h, x = separable
    fun = quadratic(h, centre=0.3 * np.sin(np.arange(x.size)))
    full = sharpness(fun, x, 1e-3)
    explicit = sharpness(fun, x, 1e-3, np.eye(x.size))
    np.testing.assert_allclose(explicit.lower, full.lower, rtol=1e-12)
    np.testing.assert_allclose(explicit.upper, full.upper, rtol=1e-12)
    assert explicit.phi == pytest.approx(full.phi, rel=1e-10)
    np.testing.assert_allclose(explicit.y, full.y, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("shape", [(30, 4), (6, 6)])
def test_bounds_use_pseudo_inverse_of_explicit_matrix(shape):
    rng = np.random.default_rng(1)
    A = rng.standard_normal(shape)
    x = rng.standard_normal(shape[0])
    eps = 1e-3
    result = sharpness(quadratic(np.ones(shape[0])), x, eps, A)
    expected = eps * (np.abs(np.linalg.pinv(A) @ x) + 1)
    np.testing.assert_allclose(result.upper, expected, rtol=1e-12)
    np.testing.assert_allclose(result.lower, -expected, rtol=1e-12)


@pytest.mark.parametrize("distribution", ["gaussian", "uniform"])
def test_bounds_use_pseudo_inverse_of_random_subspace(distribution):
    n, p = 53, 6
    x = np.random.default_rng(2).standard_normal(n)
    space = RandomSubspace(n, p, seed=11, distribution=distribution, block_rows=7)
    A = space.to_dense()
    eps = 5e-4
    result = sharpness(quadratic(np.full(n, 2.0)), x, eps, space)
    expected = eps * (np.abs(np.linalg.pinv(A) @ x) + 1)
    np.testing.assert_allclose(result.upper, expected, rtol=1e-10)
    assert result.p == p


def test_random_subspace_sharpness_is_seeded():
    fun = quadratic(np.linspace(1, 3, 40))
    x = np.cos(np.arange(40.0))
    first = sharpness(fun, x, 1e-3, p=5, seed=4)
    second = sharpness(fun, x, 1e-3, p=5, seed=4)
    assert first.phi == second.phi
    np.testing.assert_array_equal(first.y, second.y)


def test_phi_is_never_negative_at_a_maximum():
    # at a strict local maximum every move lowers f: the answer must be 0, not negative
    centre = np.linspace(-1, 1, 20)
    concave = quadratic(-np.ones(20), centre)
    result = sharpness(concave, centre + 1e-9, 1e-3)
    assert 0.0 <= result.phi < 1e-12
    assert result.fmax >= result.f0


def test_phi_grows_with_eps_and_iterates_stay_in_the_box(separable):
    h, x = separable
    fun = recording(quadratic(h, centre=x + 1e-3 * np.cos(np.arange(x.size))))
    small = sharpness(fun, x, 5e-4)
    points = np.array(fun.points)
    large = sharpness(fun, x, 1e-3)
    assert 0 < small.phi <= large.phi
    steps = points - x
    assert np.all(steps >= small.lower - 1e-15) and np.all(steps <= small.upper + 1e-15)


def test_trap_exact_minimiser_still_has_positive_sharpness():
    # gradient ~1e-8 at the point: SciPy's default gtol=1e-5 would stop at iteration 0 with φ = 0
    rng = np.random.default_rng(7)
    n = 100
    h = rng.uniform(1.0, 5.0, n)
    centre = rng.standard_normal(n)
    x = centre + 1e-8 / h * np.sign(rng.standard_normal(n))
    eps = 1e-3
    result = sharpness(quadratic(h, centre), x, eps)
    assert np.max(np.abs(h * (x - centre))) <= 1.01e-8
    corner = eps * (np.abs(x) + 1)
    expected = 100 * 0.5 * np.dot(h * (np.abs(x - centre) + corner), np.abs(x - centre) + corner)
    assert result.phi > 0
    assert result.phi == pytest.approx(expected, rel=1e-6)
    assert result.nit >= 1


def test_float32_point_is_evaluated_in_float32():
    seen = []
    h = np.linspace(1, 2, 50)

    def fun(z):
        seen.append(z.dtype)
        return 0.5 * float(np.dot(h * z, z)), (h * z).astype(np.float32)

    x = np.linspace(-1, 1, 50, dtype=np.float32)
    result = sharpness(fun, x, 1e-3)
    assert set(seen) == {np.dtype(np.float32)}
    assert result.y.dtype == np.float64 and result.phi > 0


def test_best_seen_value_counts_every_evaluation():
    # line-search trials beyond the final iterate still count: fmax is the max over all calls
    fun = recording(wavy)
    x = np.array([0.2, -0.3])
    result = sharpness(fun, x, 0.5, maxiter=2)
    assert result.fmax == max(wavy(z)[0] for z in fun.points)
    assert result.nfev == len(fun.points)


def test_argument_checks():
    fun = quadratic(np.ones(3))
    for eps in (0.0, -1e-3, np.inf, np.nan):
        with pytest.raises(ValueError, match="eps must be a finite positive number"):
            sharpness(fun, np.ones(3), eps)
    with pytest.raises(ValueError, match="box overflows"):
        sharpness(fun, np.array([1e300, 0.0, 0.0]), 1e10)
    with pytest.raises(ValueError, match="x holds 1 non-finite"):
        sharpness(fun, np.array([1.0, np.nan, 0.0]), 1e-3)
    with pytest.raises(ValueError, match="maxiter must be"):
        sharpness(fun, np.ones(3), 1e-3, maxiter=0)
    with pytest.raises(ValueError, match="either A .* or p, not both"):
        sharpness(fun, np.ones(3), 1e-3, np.ones((3, 1)), p=1)
    with pytest.raises(ValueError, match="A has 4 rows but x has 3 entries"):
        sharpness(fun, np.ones(3), 1e-3, np.ones((4, 1)))


def test_a_gradient_that_turns_nan_is_an_error_not_phi_zero():
    h = np.linspace(1, 2, 20)

    def breaks_after_x(z):
        value, gradient = quadratic(h)(z)
        return value, gradient if np.array_equal(z, np.ones(20)) else np.full(20, np.nan)

    with pytest.raises(ValueError, match=r"non-finite gradient in the box \(evaluation 2\)"):
        sharpness(breaks_after_x, np.ones(20), 1e-3)
    with pytest.raises(ValueError, match="non-finite value nan at x itself"):
        sharpness(lambda z: (np.nan, h * z), np.ones(20), 1e-3)


@pytest.mark.parametrize("length", [10, 1999, 2001])
def test_a_gradient_of_the_wrong_length_is_an_error(length):
    n = 2000

    def wrong(z):
        return float(z @ z), np.ones(length)

    with pytest.raises(ValueError, match=f"gradient has shape \\({length},\\), expected "
                                         f"\\({n},\\)"):
        sharpness(wrong, np.ones(n), 1e-3)


def test_a_value_that_is_not_a_scalar_is_an_error():
    with pytest.raises(ValueError, match="fun must return a scalar value"):
        sharpness(lambda z: (z, z), np.ones(4), 1e-3)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), eps=st.sampled_from([5e-4, 1e-3, 1e-2]))
def test_phi_matches_the_exact_maximum_on_indefinite_quadratics(seed, eps):
    rng = np.random.default_rng(seed)
    n = 12
    h = rng.uniform(-2.0, 2.0, n)
    centre = rng.standard_normal(n)
    saddle = quadratic(h, centre=centre)
    x = rng.standard_normal(n)
    # shift to f(x) = 0.1: a loss is non-negative, and φ ≥ 0 needs 1 + f(x) > 0
    offset = 0.1 - saddle(x)[0]
    fun = recording(lambda z: (saddle(z)[0] + offset, saddle(z)[1]))
    result = sharpness(fun, x, eps, maxiter=5)
    # The box maximum is separable: a convex coordinate (h > 0) goes to the far end of its
    # interval, a concave one (h < 0) as close to its centre as the interval allows.
    half_width, distance = eps * (np.abs(x) + 1), np.abs(x - centre)
    per_coordinate = np.where(h >= 0, 0.5 * h * (distance + half_width) ** 2,
                              0.5 * h * np.maximum(distance - half_width, 0.0) ** 2)
    exact = 100 * (per_coordinate.sum() + offset - 0.1) / 1.1
    # 5 iterations reached the exact maximum to 2e-5 relative on 900 seeds × ε tried
    assert result.phi == pytest.approx(exact, rel=1e-3)
    assert result.fmax == max(saddle(z)[0] + offset for z in fun.points)
    steps = np.array(fun.points) - x
    assert np.all(np.abs(steps) <= half_width * (1 + 1e-12))


# ----- slope and curvature: the first-order term ---------------------------------------------
def test_first_order_term_vanishes_at_the_minimiser_of_a_quadratic(separable):
    h, x = separable
    at_minimum = sharpness(quadratic(h, centre=x), x, 1e-3)
    assert at_minimum.first_order == 0.0 and at_minimum.gradient_norm == 0.0
    off = sharpness(quadratic(h, centre=x + 0.1), x, 1e-3)
    assert off.first_order > 0 and off.gradient_norm > 0


def test_first_order_term_matches_a_direct_computation_on_a_network():
    from minisharp import zoo
    from minisharp.objective import loss_and_grad, network_objective

    net = zoo.build("F1-narrow", (1, 4, 4), 3)
    theta = net.init(0, dtype=np.float64)
    rng = np.random.default_rng(1)
    X, y = rng.random((40, 1, 4, 4)), rng.integers(0, 3, 40)
    eps = 5e-4
    f, g = loss_and_grad(net, theta, X, y, mode="batchstat")
    expected = 100 * eps * np.sum(np.abs(g) * (np.abs(theta) + 1)) / (1 + f)
    result = sharpness(network_objective(net, X, y), theta, eps)
    assert result.first_order == pytest.approx(expected, rel=1e-10)
    assert result.gradient_norm == pytest.approx(np.linalg.norm(g), rel=1e-10)
    # in a subspace: Aᵀg against the box ε(|A⁺x| + 1)
    A = rng.standard_normal((theta.size, 5))
    box = eps * (np.abs(np.linalg.lstsq(A, theta, rcond=None)[0]) + 1)
    in_subspace = sharpness(network_objective(net, X, y), theta, eps, A=A)
    assert in_subspace.first_order == pytest.approx(
        100 * np.sum(np.abs(A.T @ g) * box) / (1 + f), rel=1e-8)


def test_first_order_term_is_what_a_linear_function_reaches():
    # f linear: the maximum over the box is exactly the first-order term
    c = np.array([0.5, -2.0, 1.5])

    def linear(z):
        return float(c @ z) + 1.0, c.copy()

    x = np.array([1.0, 0.0, -3.0])
    result = sharpness(linear, x, 1e-2)
    assert result.phi == pytest.approx(result.first_order, rel=1e-9)
