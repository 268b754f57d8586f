"""Numba kernels (CPU): the loops that NumPy cannot express without copies; ``cuda``: their
CUDA twins for CuPy arrays.

Each module computes on plain contiguous arrays and knows nothing about autograd;
the differentiable wrappers live in :mod:`minisharp.ops`.

Threading layer. Kernels here alternate with multi-threaded OpenBLAS calls (im2col, then a
GEMM, then col2im ...). OpenBLAS worker threads keep spinning for a while after each call,
and an OpenMP-backed Numba pool spins too, so with the OpenMP layer the two pools fight for
the 2 cores and a parallel kernel that follows a GEMM can run several times slower.
Numba's ``workqueue`` layer sleeps on a condition variable instead of spinning, so unless the
user chose a layer (``NUMBA_THREADING_LAYER``), it is selected here, before any parallel
kernel has run. (workqueue does not support launching parallel kernels from several Python
threads at once; minisharp does not.)
"""

import os

import numba

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"
