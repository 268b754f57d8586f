"""Adversarial training with fast-gradient-sign examples (Goodfellow et al. 2014; Keskar App. E.3).

Keskar et al. wanted robust training, min_x max_{‖Δ‖≤ε} f(x + Δ), and — finding it too costly —
tried adversarial training instead (they do not say which attack; we take the one they cite).
Goodfellow, Shlens and Szegedy ("Explaining and harnessing adversarial examples", 2014)
perturb each input along the sign of the loss's input gradient,

    X_adv = clip(X + ε · sign(∇_X f_B(θ; X)), 0, 1),

the worst case of a first-order model of the loss in an ℓ∞ ball of radius ε, and train on
α f(θ; X) + (1 − α) f(θ; X_adv) with α = 1/2. We build X_adv with
:func:`minisharp.objective.loss_and_input_grad` (batch statistics, dropout off, no running
statistics touched) and append it to the batch: the mean loss over the doubled batch
[X; X_adv] is exactly the α = 1/2 mixture, with batch norm normalising clean and adversarial
images together. Goodfellow et al. used ε = 0.25 on MNIST; Fashion-MNIST's classes are closer
together (a 0.25 step turns many items into grey smudges), so our default is ε = 0.1 on the
[0, 1] pixel scale.
"""

from dataclasses import asdict, dataclass

import numpy as np

from ..objective import loss_and_input_grad


def fgsm(net, theta, X, y, eps, *, bounds=(0.0, 1.0)):
    """X + ε·sign(∂f/∂X), clipped to ``bounds`` (None: no clipping), in X's dtype."""
    _, grad_x = loss_and_input_grad(net, theta, X, y, mode="batchstat")
    adversarial = X + np.asarray(eps, dtype=X.dtype) * np.sign(grad_x).astype(X.dtype)
    if bounds is not None:
        np.clip(adversarial, bounds[0], bounds[1], out=adversarial)
    return adversarial


@dataclass(frozen=True)
class Adversarial:
    """Each batch X becomes [X; FGSM(X)] with the labels repeated (α = 1/2)."""

    eps: float = 0.1

    def __post_init__(self):
        if not self.eps > 0:
            raise ValueError(f"eps must be positive, got {self.eps}")

    def config(self):
        return {"name": "adversarial", **asdict(self)}

    def transform(self, X, y, rng, net, theta):
        adversarial = fgsm(net, theta, X, y, self.eps)
        return np.concatenate([X, adversarial]), np.concatenate([y, y])
