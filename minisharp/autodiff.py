"""Reverse-mode gradients with respect to many parameter arrays at once.

autograd's ``grad`` differentiates with respect to one argument. minisharp keeps all
parameters in one flat vector θ and hands each layer a *view* of it. Differentiating
"slice θ into views" with autograd would make every slice's backward allocate a zero
vector the size of θ and add into it — once per layer: in a profile of one F1 step at batch
256 that accumulation was 24 % of the step (``benchmarks/NOTES.md``, step 1).

Instead we start one trace with one root node per view, run the function, and walk the
graph backwards once, collecting the cotangent that arrives at each root. The result is
∂f/∂view_i for every view, written straight into a flat gradient vector: no
θ-sized temporaries, no accumulation into zeros.

``value_and_grad`` is a first-order tool. It uses autograd's own tracer, nodes and
topological sort, so every primitive's VJP is exactly the one ``autograd.grad`` would use.
``gradients`` is the same reverse pass returning the cotangents as (possibly boxed) arrays
instead of writing them into buffers, so an enclosing trace can differentiate it again:
Hessian-vector products by reverse-over-reverse (``minisharp.curvature``).
"""

import numpy as np
from autograd.core import VJPNode, add_outgrads, vspace
from autograd.tracer import getval, isbox, new_box, toposort, trace_stack


def value_and_grad(fun, arrays, grad_out):
    """Evaluate ``fun(arrays)`` and write its gradient into ``grad_out``.

    Parameters
    ----------
    fun : callable taking a list of arrays (the traced views) and returning a scalar.
    arrays : list of ndarrays, the views of θ, in the order of ``grad_out``'s layout.
    grad_out : list of ndarrays of the same shapes, views of the flat gradient vector;
        each receives ∂fun/∂arrays[i] (zeros where fun does not depend on it).

    Returns the value of ``fun`` as a Python float.
    """
    with trace_stack.new_trace() as trace:
        roots = [VJPNode.new_root() for _ in arrays]
        boxes = [new_box(a, trace, r) for a, r in zip(arrays, roots)]
        end = fun(boxes)
        if not (isbox(end) and end._trace == trace):
            for g in grad_out:
                g[...] = 0
            return float(end)
        value, end_node = end._value, end._node

    root_index = {node: i for i, node in enumerate(roots)}
    seen = np.zeros(len(roots), dtype=bool)
    outgrads = {end_node: np.ones_like(value)}
    for node in toposort(end_node):
        g = outgrads.pop(node)
        i = root_index.get(node)
        if i is not None:
            grad_out[i][...] = g
            seen[i] = True
            continue
        for parent, ingrad in zip(node.parents, node.vjp(g)):
            previous = outgrads.get(parent)
            outgrads[parent] = ingrad if previous is None else previous + ingrad
    for i in np.flatnonzero(~seen):
        grad_out[i][...] = 0
    return float(value)


def gradients(fun, arrays):
    """[∂fun/∂arrays[i]] for a scalar ``fun(list of arrays)``, as a list, differentiably.

    The arrays may be boxes of an enclosing trace (the views of θ while an outer gradient is
    being taken): every operation of this reverse pass, the VJPs included, is then recorded by
    that trace. An array ``fun`` does not depend on gets zeros.
    """
    with trace_stack.new_trace() as trace:
        roots = [VJPNode.new_root() for _ in arrays]
        boxes = [new_box(a, trace, r) for a, r in zip(arrays, roots)]
        end = fun(boxes)
        if not (isbox(end) and end._trace == trace):
            return [np.zeros_like(getval(a)) for a in arrays]
        value, end_node = end._value, end._node

    root_index = {node: i for i, node in enumerate(roots)}
    result = [None] * len(arrays)
    outgrads = {end_node: (vspace(value).ones(), False)}
    for node in toposort(end_node):
        g = outgrads.pop(node)[0]
        i = root_index.get(node)
        if i is not None:
            result[i] = g
            continue
        for parent, ingrad in zip(node.parents, node.vjp(g)):
            # autograd's own accumulation: handles the sparse cotangents of indexing
            outgrads[parent] = add_outgrads(outgrads.get(parent), ingrad)
    return [np.zeros_like(getval(a)) if g is None else g for a, g in zip(arrays, result)]

