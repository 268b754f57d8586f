"""L-BFGS-B on a box, from y = 0, for a fixed number of iterations (Metric 2.1's solver).

``scipy.optimize.minimize(method="L-BFGS-B")`` translates the bounds in a Python loop over the
variables before it starts, which at a network's 1.5 M parameters was more than half of a
full-space sharpness measurement (``benchmarks/NOTES.md``). Its compiled core,
``scipy.optimize._lbfgsb.setulb``, takes the bounds as arrays. So this module drives that core
directly — the same reverse-communication loop ``minimize`` runs, with bounds built by NumPy
in one pass — and gives exactly the same iterates (a test compares the two paths).

``setulb`` is a private SciPy function: if it is missing or its signature has changed, the
public ``minimize`` path is used instead (slower, same answer).
"""

import numpy as np
from scipy.optimize import Bounds, minimize

try:
    from scipy.optimize import _lbfgsb
    from scipy.optimize._lbfgsb_py import status_messages, task_messages
except ImportError:  # pragma: no cover - depends on the SciPy version
    _lbfgsb = None

MAXCOR = 10  # SciPy's default number of stored correction pairs
MAXLS = 20   # SciPy's default line-search step limit
NEW_X, FG = 1, 3
STOP, ITERATIONS_REACHED = 5, 504


def minimize_box(fun_and_grad, lower, upper, *, maxiter, fast=True):
    """Minimise f over lower ≤ y ≤ upper from y = 0 with ``maxiter`` L-BFGS-B iterations.

    The convergence tests are off (ftol = gtol = 0): only ``maxiter`` (or a failed line
    search) ends the run. ``fun_and_grad(y) -> (float, float64 gradient)``.
    Returns (y, f(y), iterations, message).
    """
    lower = np.ascontiguousarray(lower, dtype=np.float64)
    upper = np.ascontiguousarray(upper, dtype=np.float64)
    if fast and _lbfgsb is not None:
        try:
            return _drive_setulb(fun_and_grad, lower, upper, maxiter)
        except _SignatureChanged:
            pass
    result = minimize(fun_and_grad, np.zeros(lower.size), jac=True, method="L-BFGS-B",
                      bounds=Bounds(lower, upper),
                      options={"maxiter": int(maxiter), "gtol": 0.0, "ftol": 0.0,
                               "maxcor": MAXCOR, "maxls": MAXLS})
    return result.x, float(result.fun), int(result.nit), str(result.message)


class _SignatureChanged(Exception):
    pass


def _drive_setulb(fun_and_grad, lower, upper, maxiter):
    n, m = lower.size, MAXCOR
    y = np.zeros(n)
    f, g = 0.0, np.zeros(n)
    nbd = np.full(n, 2, dtype=np.int32)  # 2: both bounds active
    wa = np.zeros(2 * m * n + 5 * n + 11 * m * m + 8 * m)
    iwa = np.zeros(3 * n, dtype=np.int32)
    task, ln_task = np.zeros(2, dtype=np.int32), np.zeros(2, dtype=np.int32)
    lsave, isave, dsave = (np.zeros(4, dtype=np.int32), np.zeros(44, dtype=np.int32),
                           np.zeros(29))
    iterations, first = 0, True
    while True:
        try:
            _lbfgsb.setulb(m, y, lower, upper, nbd, f, g, 0.0, 0.0, wa, iwa, task, lsave,
                           isave, dsave, MAXLS, ln_task)
        except TypeError as error:
            if first:
                raise _SignatureChanged from error
            raise
        first = False
        if task[0] == FG:
            f, g = fun_and_grad(y)
            f, g = float(f), np.asarray(g, dtype=np.float64)
        elif task[0] == NEW_X:
            iterations += 1
            if iterations >= maxiter:
                task[0], task[1] = STOP, ITERATIONS_REACHED
        else:
            break
    message = f"{status_messages.get(task[0], task[0])}: {task_messages.get(task[1], task[1])}"
    return y, f, iterations, message
