"""The ReLU derivative kernel against NumPy."""

import numpy as np

from minisharp.kernels.activation import relu_grad


def test_relu_grad():
    g, y = np.arange(-3.0, 3.0), np.array([-1.0, 0.0, 2.0, 3.0, -5.0, 1.0])
    out = np.empty_like(g)
    relu_grad(g, y, out)
    np.testing.assert_array_equal(out, np.where(y > 0, g, 0))


def test_relu_grad_keeps_float32_and_writes_every_entry():
    rng = np.random.default_rng(0)
    g = rng.standard_normal(1000).astype(np.float32)
    y = np.maximum(rng.standard_normal(1000), 0).astype(np.float32)
    out = np.full_like(g, np.nan)
    relu_grad(g, y, out)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.where(y > 0, g, np.float32(0)))
