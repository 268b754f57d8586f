"""Conservative training: a proximal step on every batch (Li et al. 2014; Keskar et al. App. E.2).

Li, Zhang, Chen and Smola (KDD 2014, "Efficient mini-batch training for stochastic
optimization") proposed using each large batch more before moving on: instead of one gradient
step, the next iterate approximately solves the proximal sub-problem

    x_{k+1} = argmin_x  f_B(x) + (λ/2) ‖x − x_k‖²,    f_B = mean loss over batch B_k,

whose proximal term keeps x_{k+1} near x_k so that one batch cannot pull the iterate far.
Keskar et al. solved it inexactly with 3 Adam iterations and λ = 1e-3. We do the same: the
run's own optimizer (its moments carry over from batch to batch; the paper does not say
whether Adam restarted for each sub-problem) takes ``inner_steps`` updates along the gradient
∇f_B(x) + λ (x − x_k), starting at x = x_k (where the proximal term's gradient is zero, so
the first inner step is a plain step). Batch-norm running statistics are updated by the
first inner pass only, so that one batch counts once in the running averages.
"""

from dataclasses import asdict, dataclass

import numpy as np

from ..objective import loss_and_grad


def proximal_steps(batch_loss_and_grad, theta, grad, optimizer, lam, inner_steps):
    """Approximately minimise f_B(x) + (λ/2)‖x − θ‖² by ``inner_steps`` updates, θ in place.

    ``batch_loss_and_grad(x, out, inner)`` returns f_B(x) and writes ∇f_B(x) into ``out``
    (``inner`` is the inner step's index). Returns f_B at the starting point — the batch loss
    before the step, as a plain step reports it — or the first non-finite loss met.
    """
    anchor = theta.copy()
    lam = theta.dtype.type(lam)
    first_loss = None
    for inner in range(inner_steps):
        loss = batch_loss_and_grad(theta, grad, inner)
        first_loss = loss if first_loss is None else first_loss
        if not np.isfinite(loss):
            return loss
        grad += lam * (theta - anchor)
        optimizer.step(theta, grad)
    return first_loss


@dataclass(frozen=True)
class Conservative:
    """Conservative training, λ = 1e-3 and 3 inner steps as in the paper's App. E.2."""

    lam: float = 1e-3
    inner_steps: int = 3

    def __post_init__(self):
        if not self.lam >= 0:
            raise ValueError(f"lam must be non-negative, got {self.lam}")
        if int(self.inner_steps) < 1:
            raise ValueError(f"inner_steps must be at least 1, got {self.inner_steps}")

    def config(self):
        return {"name": "conservative", **asdict(self)}

    def step(self, net, theta, grad, X, y, optimizer, *, state, rng):
        def batch_loss_and_grad(x, out, inner):
            return loss_and_grad(net, x, X, y, mode="train", state=state if inner == 0 else None,
                                 rng=rng, out=out)[0]

        return proximal_steps(batch_loss_and_grad, theta, grad, optimizer, self.lam,
                              int(self.inner_steps))
