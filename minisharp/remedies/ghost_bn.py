"""Ghost batch normalisation (Hoffer, Hubara and Soudry 2017, "Train longer, generalize better").

Batch norm adds noise to training: each sample is normalised with statistics of the batch it
happens to be in, and that noise shrinks as the batch grows. Hoffer et al. keep the small
batch's noise inside a large batch by normalising over "ghost" batches: the N = k·G samples of
a batch are split into k virtual batches of G, and each is normalised with its own mean and
variance (:func:`minisharp.ops.ghost_norm.ghost_batch_norm`); the gradient is still that of
the mean loss over all N samples, so one update uses the whole large batch. Only training
steps use ghosts; measurement is unchanged. Hoffer et al. used G = 128 inside batches of
4096; we default to a ghost the size of our small batch (the largest divisor of the large
batch not above it, :func:`ghost_size_for`), so the large batch sees the small batch's
normalisation noise. Running statistics get the average over ghosts of their means and
variances.
"""

from contextlib import contextmanager
from dataclasses import asdict, dataclass

from ..train import plain_step


@contextmanager
def ghost_batches(net, ghost_size):
    """Within the block every batch-norm layer of ``net`` uses ghosts of ``ghost_size`` in
    mode "train" (restored afterwards, also on errors)."""
    saved = [layer.ghost_size for layer in net.batch_norms]
    try:
        for layer in net.batch_norms:
            layer.ghost_size = ghost_size
        yield net
    finally:
        for layer, size in zip(net.batch_norms, saved):
            layer.ghost_size = size


def ghost_size_for(batch_size, target):
    """The largest divisor of ``batch_size`` that is at most ``target``."""
    if batch_size < 1 or target < 1:
        raise ValueError(f"need positive sizes, got batch_size {batch_size}, target {target}")
    return max(d for d in range(1, min(batch_size, target) + 1) if batch_size % d == 0)


@dataclass(frozen=True)
class GhostBatchNorm:
    """Plain steps with batch norm over ghost batches of ``ghost_size`` samples."""

    ghost_size: int

    def __post_init__(self):
        if int(self.ghost_size) < 1:
            raise ValueError(f"ghost_size must be positive, got {self.ghost_size}")

    def config(self):
        return {"name": "ghost-batch-norm", **asdict(self)}

    def step(self, net, theta, grad, X, y, optimizer, *, state, rng):
        with ghost_batches(net, int(self.ghost_size)):
            return plain_step(net, theta, grad, X, y, optimizer, state=state, rng=rng)
