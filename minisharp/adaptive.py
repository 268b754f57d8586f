"""Adaptive sharpness (Kwon et al. 2021, ASAM): a sharpness that rescalings cannot change.

Kwon et al. measure the rise of the loss over a neighbourhood whose size follows each
parameter: max over ‖T_x⁻¹ δ‖_p ≤ ε of f(x + δ) − f(x), with T_x = diag(|x_1|, …, |x_n|).
We take p = ∞, so δ = T_x y with ‖y‖∞ ≤ ε, i.e. |δ_i| ≤ ε |x_i|, and report it in Metric 2.1's
units:

    ψ(ε) = 100 · ( max_{‖y‖∞ ≤ ε} f(x + |x| ⊙ y) − f(x) ) / (1 + f(x)).

Metric 2.1 in full space is the same formula with the box |δ_i| ≤ ε (|x_i| + 1): the "+1" gives
every parameter an absolute floor ε, and that floor is what breaks scale invariance. If a
positive diagonal S leaves the function unchanged, f(S θ) = f(θ) for all θ (the rescalings in
:mod:`minisharp.rescale`), then at the rescaled point

    f(S x + |S x| ⊙ y) = f(S (x + |x| ⊙ y)) = f(x + |x| ⊙ y)

for every y: the solver maximises the very same function of y, so ψ is unchanged (to
rounding), while Metric 2.1's box, in the rescaled coordinates, grows or shrinks. Parameters
that are exactly 0 are not perturbed (Kwon et al. add a small η to |x| when *training* with
ASAM; as a measure we keep η = 0, which is what makes ψ exactly invariant).

Implementation: the maximisation is Metric 2.1's own, :func:`minisharp.sharpness.sharpness`
— L-BFGS-B with the same iterations, stopping rule and best-value bookkeeping — applied at the
point y = 0 to g(y) = f(x + |x| ⊙ y), whose gradient is |x| ⊙ ∇f. At y = 0 Metric 2.1's box
ε(|0| + 1) is exactly |y_i| ≤ ε, so its result *is* ψ.
"""

import numpy as np

from .sharpness import sharpness


def adaptive_sharpness(fun, x, eps, *, maxiter=10):
    """ψ(ε) at x for ``fun(point) -> (value, gradient)`` (module docs).

    Returns the :class:`minisharp.sharpness.SharpnessResult` of the maximisation in the
    coordinates y (the perturbation is |x| ⊙ y); its ``phi`` is ψ, ``f0`` is f(x), ``nit``,
    ``nfev`` and ``seconds`` the cost.
    """
    x = np.asarray(x)
    if x.ndim != 1 or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"x must be a 1-D float vector, got {x.dtype} of shape {x.shape}")
    base = x.astype(np.float64)
    magnitude = np.abs(base)

    def scaled(y):
        value, gradient = fun((base + magnitude * y).astype(x.dtype))
        return value, magnitude * np.asarray(gradient, dtype=np.float64)

    return sharpness(scaled, np.zeros_like(x), eps, maxiter=maxiter)
