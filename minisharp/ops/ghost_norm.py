"""Ghost batch normalisation: batch norm with statistics over virtual batches of G samples.

A batch of N = k·G samples is split, in order, into k "ghost" batches of G consecutive samples;
each column c (unit, or channel of an NHWC activation) of ghost j is normalised with the mean
and biased variance of that ghost alone:

    y_i = [relu](γ_c (x_ic − μ_jc) / sqrt(v_jc + eps) + β_c),   i in ghost j

with γ, β shared by all ghosts. It is built from differentiable pieces: x (N, …, C) is reshaped
to (k, G, …, C), the ghost axis moved next to the channels and the array viewed as rows
(G·…, k·C), so that ordinary :func:`minisharp.ops.batch_norm` on k·C columns — with γ and β
tiled k times — computes every ghost's statistics at once; autograd differentiates the reshapes
and the tiling (summing γ's and β's gradients over ghosts). Its gradient is therefore exactly
the batch-norm VJP per ghost; like that op it is differentiable to any order.
"""

import autograd.numpy as anp

from .norm import EPS, batch_norm


def ghost_batch_norm(x, gamma, beta, ghost_size, *, relu=False, eps=EPS):
    """Batch-normalise the last axis of x over ghost batches of ``ghost_size`` samples.

    Returns (y, (mean, var)) with the statistics averaged over the ghosts (the mean of ghost
    means is the batch mean; the mean of ghost variances is the within-ghost variance), which
    is what a running average of them would see. One ghost (ghost_size = N) is batch norm.
    """
    n, channels = x.shape[0], x.shape[-1]
    ghost_size = int(ghost_size)
    if ghost_size < 1 or n % ghost_size:
        raise ValueError(f"ghost_size must divide the batch: {n} samples, ghost_size "
                         f"{ghost_size}")
    ghosts = n // ghost_size
    if ghosts == 1:
        return batch_norm(x, gamma, beta, relu=relu, eps=eps)
    inner = tuple(x.shape[1:-1])
    split = anp.reshape(x, (ghosts, ghost_size, *inner, channels))
    rows = anp.reshape(anp.moveaxis(split, 0, -2), (-1, ghosts * channels))
    y, (mean, var) = batch_norm(rows, anp.tile(gamma, ghosts), anp.tile(beta, ghosts), relu=relu,
                                eps=eps)
    y = anp.moveaxis(anp.reshape(y, (ghost_size, *inner, ghosts, channels)), -2, 0)
    return (anp.reshape(y, x.shape),
            (mean.reshape(ghosts, channels).mean(axis=0),
             var.reshape(ghosts, channels).mean(axis=0)))
