"""Which OpenBLAS kernel NumPy runs on this machine (the CPU model: minisharp.report.cpu_model)."""

import ctypes
import glob
import os

import numpy as np


def openblas_core():
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "*openblas*"))
    for lib in libs:
        for symbol in ("scipy_openblas_get_corename64_", "openblas_get_corename"):
            try:
                fn = getattr(ctypes.CDLL(lib), symbol)
            except AttributeError:
                continue
            fn.restype = ctypes.c_char_p
            return fn().decode()
    return "unknown"
