"""Numba batch-norm kernels against plain NumPy written here."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minisharp.kernels import norm as k

shapes = st.tuples(st.integers(1, 70), st.integers(1, 9))


@settings(max_examples=25, deadline=None)
@given(shapes, st.sampled_from([np.float32, np.float64]), st.integers(0, 2**16))
def test_column_moments(shape, dtype, seed):
    x = (np.random.default_rng(seed).standard_normal(shape) * 3 + 5).astype(dtype)
    mean, var = k.column_moments(x)
    ref = x.astype(np.float64)
    np.testing.assert_allclose(mean, ref.mean(0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(var, ref.var(0), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("relu", [False, True])
def test_affine_relu_and_backward_pieces(relu):
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((31, 5)), rng.standard_normal((31, 5))
    centre, scale, offset = rng.standard_normal(5), rng.standard_normal(5), rng.standard_normal(5)
    out = np.empty_like(x)
    k.affine_relu(x, centre, scale, offset, relu, out)
    z = (x - centre) * scale + offset
    y = np.maximum(z, 0) if relu else z
    np.testing.assert_allclose(out, y, rtol=1e-14)

    mean, inv_std = rng.standard_normal(5), rng.random(5) + 0.5
    gm = g * (y > 0) if relu else g
    xhat = (x - mean) * inv_std
    s1, s2 = k.masked_column_sums(g, x, y, mean, inv_std, relu)
    np.testing.assert_allclose(s1, gm.sum(0), rtol=1e-12)
    np.testing.assert_allclose(s2, (gm * xhat).sum(0), rtol=1e-12)

    a, b, c = rng.standard_normal(5), rng.standard_normal(5), rng.standard_normal(5)
    dx = np.empty_like(x)
    k.bn_input_grad(g, x, y, mean, inv_std, a, b, c, relu, dx)
    np.testing.assert_allclose(dx, a * gm - b - c * xhat, rtol=1e-12, atol=1e-14)
