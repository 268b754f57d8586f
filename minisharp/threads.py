"""How many threads minisharp's two engines use: BLAS (matrix products) and Numba (kernels).

On a 2-core machine, two programs that each run 2 BLAS threads do not share the cores
gracefully: OpenBLAS threads spin while they wait, and a training step can become 5–20×
slower. ``set_threads(1)`` for each of two jobs run side by side avoids that.
The environment variable ``MINISHARP_THREADS`` does the same for every lesson and the CLI.
"""

import os

import numba
from threadpoolctl import threadpool_limits

ENVIRONMENT = "MINISHARP_THREADS"
_blas_limit = None  # keeps the threadpoolctl limit alive for the rest of the process


def set_threads(n):
    """Use ``n`` threads for BLAS and for Numba's parallel kernels, from now on."""
    global _blas_limit
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"threads must be a whole number ≥ 1, got {n!r}")
    n = min(n, numba.config.NUMBA_NUM_THREADS)
    numba.set_num_threads(n)
    _blas_limit = threadpool_limits(limits=n, user_api="blas")
    return n


def threads_from_environment():
    """Apply ``MINISHARP_THREADS`` if it is set; returns the number applied, or None."""
    text = os.environ.get(ENVIRONMENT)
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{ENVIRONMENT} must be a whole number ≥ 1, got {text!r}") from None
    return set_threads(value)
