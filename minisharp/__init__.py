"""minisharp — sharp minima from scratch.

A small, readable re-implementation of Keskar et al., "On Large-Batch Training for Deep
Learning: Generalization Gap and Sharp Minima" (ICLR 2017): NumPy + autograd for derivatives,
Numba kernels for the heavy layers, hand-written optimizers, SciPy L-BFGS-B for Metric 2.1.

    import minisharp
    net = minisharp.zoo.build("F1", (1, 28, 28), 10)
    theta = net.init(seed=0)
    loss, grad = minisharp.loss_and_grad(net, theta, X, y)
"""

from . import zoo
from .objective import EVAL_CHUNK, accuracy, evaluate, loss_and_grad

__version__ = "0.1.0"
__all__ = ["EVAL_CHUNK", "accuracy", "evaluate", "loss_and_grad", "zoo", "__version__"]
