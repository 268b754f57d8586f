"""Sharpness-aware minimisation, SAM (Foret, Kleiner, Mobahi and Neyshabur, ICLR 2021).

SAM minimises the worst loss in a ball of radius ρ around θ, min_θ max_{‖ε‖≤ρ} f_B(θ + ε).
To first order the inner maximiser is ε̂ = ρ g / ‖g‖ with g = ∇f_B(θ), and SAM's gradient is
the gradient at the perturbed point, ∇f_B(θ + ε̂) (dropping the term through ε̂'s own
dependence on θ, as the paper does). Each step therefore takes two passes over the batch:
g at θ, then ∇f_B(θ + ε̂), which the base optimizer (here the run's Adam) applies at θ.
Foret et al. use ρ = 0.05 in most experiments; that is our default. The second pass is only
a probe: it must not update batch norm's running statistics (it runs with ``state=None``),
and it reuses the first pass's dropout mask (the first pass runs on a copy of the generator,
so the run's generator advances once per step, as in plain training).
"""

import copy
from dataclasses import asdict, dataclass

import numpy as np

from ..objective import loss_and_grad


def sam_perturbation(grad, rho):
    """ε̂ = ρ g / ‖g‖ (Euclidean norm, computed in float64), in g's dtype; 0 when g = 0."""
    norm = float(np.linalg.norm(grad.astype(np.float64, copy=False)))
    if norm == 0:
        return np.zeros_like(grad)
    return (grad.astype(np.float64) * (rho / norm)).astype(grad.dtype)


def sam_step(batch_loss_and_grad, theta, grad, optimizer, rho):
    """One SAM update of θ in place; returns f_B(θ) (or the non-finite loss met).

    ``batch_loss_and_grad(x, out, probe)`` returns f_B(x) and writes ∇f_B(x) into ``out``;
    ``probe`` is True for the second pass at θ + ε̂.
    """
    loss = batch_loss_and_grad(theta, grad, False)
    if not np.isfinite(loss):
        return loss
    batch_loss_and_grad(theta + sam_perturbation(grad, rho), grad, True)
    optimizer.step(theta, grad)
    return loss


@dataclass(frozen=True)
class SAM:
    """SAM with radius ρ around the base optimizer (the run's optimizer)."""

    rho: float = 0.05

    def __post_init__(self):
        if not self.rho > 0:
            raise ValueError(f"rho must be positive, got {self.rho}")

    def config(self):
        return {"name": "sam", **asdict(self)}

    def step(self, net, theta, grad, X, y, optimizer, *, state, rng):
        first_rng = copy.deepcopy(rng)  # the same dropout mask in both passes

        def batch_loss_and_grad(x, out, probe):
            return loss_and_grad(net, x, X, y, mode="train", state=None if probe else state,
                                 rng=rng if probe else first_rng, out=out)[0]

        return sam_step(batch_loss_and_grad, theta, grad, optimizer, self.rho)
