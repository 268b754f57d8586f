"""Finite-difference checks of derivatives, used by the tests and by lesson 01.

For a scalar function f and its claimed gradient ∇f at x, pick a random direction v and compare
the directional derivative ⟨∇f(x), v⟩ with the central difference

    D_h = (f(x + h v) − f(x − h v)) / (2h) = ⟨∇f(x), v⟩ + O(h²).

For a vector function F with a VJP, pick a random cotangent u as well and compare
⟨VJP(u), v⟩ with ⟨u, (F(x + h v) − F(x − h v)) / (2h)⟩. In float64 with h ≈ 1e-6…1e-7 the
relative error is ~1e-9 for smooth functions. Two things spoil a single step h: a step
that crosses a kink of ReLU or max-pool (large h is worse), and rounding when the directional
derivative is small next to f itself (small h is worse). So each check tries the steps
``STEPS`` and reports the smallest error: a correct derivative is accurate at one of them, a
wrong one (a missing term, a wrong sign) is off by O(1) at all of them. The smallest step,
1e-8, is there for deep nets: in C2-narrow on 28×28 images (13 ReLU layers, 5 max-pools) the
kinks are so dense that a random step of 1e-7 often still crosses one. Second order: a
Hessian-vector product H v is compared with the central difference of the gradient along v.
"""

import numpy as np

STEPS = (1e-5, 1e-6, 1e-7, 1e-8)


def relative_error(a, b):
    """|a − b| / max(|a|, |b|, tiny)."""
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


def directional_check(f, x, grad, *, steps=STEPS, seed=0):
    """Relative error between ⟨grad, v⟩ and the central difference of scalar f along v."""
    v = np.random.default_rng(seed).standard_normal(np.shape(x))
    exact = float(np.sum(grad * v))
    return min(
        relative_error((float(f(x + h * v)) - float(f(x - h * v))) / (2 * h), exact)
        for h in steps
    )


def vjp_check(F, x, vjp, *, steps=STEPS, seed=0):
    """Error between ⟨vjp(u), v⟩ and ⟨u, J v⟩ with J v by central differences.

    Measured relative to ‖u‖·‖J v‖ (which bounds |⟨u, J v⟩|), so a projection that happens to
    be nearly zero does not turn rounding noise into a large relative error.
    """
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(np.shape(F(x)))
    v = rng.standard_normal(np.shape(x))
    exact = float(np.sum(vjp(u) * v))
    floor = 1e-9 * float(np.linalg.norm(u) * np.linalg.norm(v))  # J ≡ 0 (e.g. BN of one row)

    def error(h):
        jv = (np.asarray(F(x + h * v)) - np.asarray(F(x - h * v))) / (2 * h)
        scale = max(abs(exact), float(np.linalg.norm(u) * np.linalg.norm(jv)), floor)
        return abs(float(np.sum(u * jv)) - exact) / scale

    return min(error(h) for h in steps)


def hvp_check(grad, x, hvp, *, steps=STEPS, seed=0):
    """Relative error between a Hessian-vector product H v and central differences of ∇f.

    ``grad(x)`` is ∇f(x) and ``hvp(v)`` the claimed H(x) v, for a random Gaussian direction v.
    The error is ‖H v − D_h‖ / max(‖H v‖, ‖D_h‖) with D_h = (∇f(x + h v) − ∇f(x − h v)) / (2h)
    = H v + O(h²), the smallest over ``steps`` (the same reasons as for first order).
    """
    v = np.random.default_rng(seed).standard_normal(np.shape(x))
    exact = np.asarray(hvp(v), dtype=np.float64)

    def error(h):
        diff = (np.asarray(grad(x + h * v), np.float64)
                - np.asarray(grad(x - h * v), np.float64)) / (2 * h)
        scale = max(np.linalg.norm(exact), np.linalg.norm(diff), 1e-300)
        return float(np.linalg.norm(diff - exact) / scale)

    return min(error(h) for h in steps)

