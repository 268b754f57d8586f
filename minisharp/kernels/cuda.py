"""CUDA counterparts of the Numba kernels, for CuPy arrays: the same maths, one GPU pass each.

A chain of CuPy array operations launches one kernel per operation and writes a temporary for
each; a training step of F1 made of them spent most of its time launching kernels, not
computing (``benchmarks/NOTES.md``). Each kernel here fuses one Numba kernel's loop body into
a single ``cupy.ElementwiseKernel`` with the same name, arguments and formula as its CPU
twin in ``minisharp.kernels.norm``, ``.activation`` and ``.optim`` — read those for the maths.
(M, C) arrays broadcast against per-column (C,) vectors, as the Numba loops index them.

The kernels are compiled by CuPy on first use (and cached on disk). :func:`for_array` gives
this module's kernels for a CuPy array and None for anything else, so callers fall back to
the Numba kernel (NumPy) or to plain array operations (any other array module).
"""

import functools

from ..device import cupy_module, on_gpu


def for_array(a):
    """The CUDA kernels (a namespace) when ``a`` is a CuPy array, else None."""
    if not on_gpu(a):
        return None
    cupy = cupy_module()
    return _build(cupy) if hasattr(cupy, "ElementwiseKernel") else None


@functools.cache
def _build(cupy):
    kernel = cupy.ElementwiseKernel
    affine = {relu: kernel(
        "T x, T mean, T scale, T offset", "T out",
        "T v = (x - mean) * scale + offset; "
        + ("out = v < (T)0 ? (T)0 : v;" if relu else "out = v;"),
        f"minisharp_affine{'_relu' if relu else ''}") for relu in (False, True)}
    masked = {relu: kernel(
        "T g, T x, T y, T mean, T inv_std", "T g_masked, T g_x_hat",
        ("T gi = y <= (T)0 ? (T)0 : g; " if relu else "T gi = g; ")
        + "g_masked = gi; g_x_hat = gi * ((x - mean) * inv_std);",
        f"minisharp_masked{'_relu' if relu else ''}") for relu in (False, True)}
    input_grad = {relu: kernel(
        "T g, T x, T y, T mean, T inv_std, T a, T b, T c", "T out",
        ("T gi = y <= (T)0 ? (T)0 : g; " if relu else "T gi = g; ")
        + "out = a * gi - b - c * ((x - mean) * inv_std);",
        f"minisharp_bn_input_grad{'_relu' if relu else ''}") for relu in (False, True)}
    coefficients = kernel(
        "T gamma, T inv_std, float64 s1, float64 s2, float64 inv_m", "T a, T b, T c",
        "a = gamma * inv_std; b = (T)((double)a * s1 * inv_m); c = (T)((double)a * s2 * inv_m);",
        "minisharp_bn_coefficients")
    relu_grad = kernel("T g, T y", "T out", "out = y > (T)0 ? g : (T)0;", "minisharp_relu_grad")
    adam = kernel(
        "T grad, T step_size, T beta1, T one_minus_beta1, T beta2, T one_minus_beta2, T eps",
        "T theta, T m, T v",
        "T mi = beta1 * m + one_minus_beta1 * grad; "
        "T vi = beta2 * v + one_minus_beta2 * (grad * grad); "
        "m = mi; v = vi; theta -= step_size * mi / (sqrt(vi) + eps);",
        "minisharp_adam_update")

    class Kernels:
        @staticmethod
        def affine_relu(x, mean, scale, offset, relu, out):
            """:func:`minisharp.kernels.norm.affine_relu` on the GPU."""
            affine[bool(relu)](x, mean, scale, offset, out)

        @staticmethod
        def masked_column_sums(g, x, y, mean, inv_std, relu):
            """:func:`minisharp.kernels.norm.masked_column_sums` (sums in float64)."""
            g_masked, g_x_hat = masked[bool(relu)](g, x, y, mean, inv_std)
            return (g_masked.sum(axis=0, dtype=cupy.float64),
                    g_x_hat.sum(axis=0, dtype=cupy.float64))

        @staticmethod
        def bn_input_grad(g, x, y, mean, inv_std, a, b, c, relu, out):
            """:func:`minisharp.kernels.norm.bn_input_grad` on the GPU."""
            input_grad[bool(relu)](g, x, y, mean, inv_std, a, b, c, out)

        @staticmethod
        def bn_coefficients(gamma, inv_std, s1, s2, inv_m):
            """a = γ·σ⁻¹, b = a·s1·inv_m, c = a·s2·inv_m per column: the coefficients of
            :func:`bn_input_grad` (``minisharp.ops.norm`` computes them with array operations
            on the CPU; inv_m = 1/M with batch statistics, 0 with fixed ones)."""
            return coefficients(gamma, inv_std, s1, s2, inv_m)

        @staticmethod
        def relu_grad(g, y, out):
            """:func:`minisharp.kernels.activation.relu_grad` on the GPU."""
            relu_grad(g, y, out)

        @staticmethod
        def adam_update(theta, grad, m, v, step_size, beta1, one_minus_beta1, beta2,
                        one_minus_beta2, eps):
            """:func:`minisharp.kernels.optim.adam_update` on the GPU."""
            adam(grad, step_size, beta1, one_minus_beta1, beta2, one_minus_beta2, eps,
                 theta, m, v)

    return Kernels
