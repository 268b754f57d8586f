"""Numba kernels for optimizer updates: one fused, parallel pass over the flat parameters.

Each kernel reads the gradient once and updates θ and the optimizer's moment vectors together
in place, so a step costs one sweep of memory instead of the five or six temporaries a NumPy
expression would allocate. Updates are element-wise (no reductions), so the result does not
depend on the thread count. The scalars arrive already cast to θ's dtype (see
``minisharp.optim``): a float32 model is updated in float32 arithmetic, and there is one
compilation per dtype.
"""

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def adam_update(theta, grad, m, v, step_size, beta1, one_minus_beta1, beta2, one_minus_beta2,
                eps):
    """Adam in Keras 1 / TensorFlow form, with the bias correction folded into the step size.

        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g²
        θ ← θ − step_size · m / (√v + ε),   step_size = lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ)

    1 − β₁ and 1 − β₂ are passed in, computed once in θ's dtype (a literal 1 would promote
    float32 arithmetic to float64 inside Numba).
    """
    for i in prange(theta.shape[0]):
        g = grad[i]
        mi = beta1 * m[i] + one_minus_beta1 * g
        vi = beta2 * v[i] + one_minus_beta2 * (g * g)
        m[i] = mi
        v[i] = vi
        theta[i] -= step_size * mi / (np.sqrt(vi) + eps)


@njit(parallel=True, cache=True)
def adagrad_update(theta, grad, accumulator, lr, eps):
    """Adagrad (Duchi et al. 2011) in the Keras 1 form, ε outside the square root.

        a ← a + g²
        θ ← θ − lr · g / (√a + ε)
    """
    for i in prange(theta.shape[0]):
        g = grad[i]
        ai = accumulator[i] + g * g
        accumulator[i] = ai
        theta[i] -= lr * g / (np.sqrt(ai) + eps)


@njit(parallel=True, cache=True)
def momentum_update(theta, grad, velocity, lr, mu, nesterov):
    """SGD with momentum (Sutskever et al. 2013 in the Keras form).

        v ← μ v − lr g
        θ ← θ + v                  (classical momentum)
        θ ← θ + μ v − lr g         (Nesterov, with the new v)
    """
    for i in prange(theta.shape[0]):
        g = grad[i]
        vi = mu * velocity[i] - lr * g
        velocity[i] = vi
        if nesterov:
            theta[i] += mu * vi - lr * g
        else:
            theta[i] += vi


@njit(parallel=True, cache=True)
def sgd_update(theta, grad, lr):
    """Plain gradient descent: θ ← θ − lr g."""
    for i in prange(theta.shape[0]):
        theta[i] -= lr * grad[i]


# The same updates as in-place array expressions, for arrays Numba cannot take (CuPy's on the
# GPU, where each expression is one elementwise kernel). Same arguments, same maths.

def adam_update_arrays(theta, grad, m, v, step_size, beta1, one_minus_beta1, beta2,
                       one_minus_beta2, eps):
    """:func:`adam_update` in array operations."""
    m *= beta1
    m += one_minus_beta1 * grad
    v *= beta2
    v += one_minus_beta2 * (grad * grad)
    theta -= step_size * m / (v ** 0.5 + eps)


def adagrad_update_arrays(theta, grad, accumulator, lr, eps):
    """:func:`adagrad_update` in array operations."""
    accumulator += grad * grad
    theta -= lr * grad / (accumulator ** 0.5 + eps)


def momentum_update_arrays(theta, grad, velocity, lr, mu, nesterov):
    """:func:`momentum_update` in array operations."""
    velocity *= mu
    velocity -= lr * grad
    if nesterov:
        theta += mu * velocity - lr * grad
    else:
        theta += velocity


def sgd_update_arrays(theta, grad, lr):
    """:func:`sgd_update` in array operations."""
    theta -= lr * grad
