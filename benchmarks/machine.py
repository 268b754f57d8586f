"""What a benchmark reports about the machine it ran on: the CPU model and OpenBLAS's kernel."""

import ctypes
import glob
import os
import platform

import numpy as np


def cpu_model():
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


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
