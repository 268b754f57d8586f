"""Numba's compile time on first use, cold (empty cache) and warm (second process).

    python benchmarks/compile_time.py

Runs the same script twice in fresh processes that share a new, empty NUMBA_CACHE_DIR: one
float32 training step of F1 and of C1-narrow (every kernel: dense path, batch norm, conv in
both variants, pooling, Adam) and one float64 loss and gradient (the second signature).
The first process compiles and caches; the second should load everything from the cache.
"""

import os
import subprocess
import sys
import tempfile
import time

WORK = """
import time
t0 = time.perf_counter()
import numpy as np
import minisharp
from minisharp import optim, zoo
t_import = time.perf_counter() - t0
rng = np.random.default_rng(0)

def first_and_second(name, shape, dtype, mode):
    net = zoo.build(name, shape, 10)
    X, y = rng.random((32, *shape)).astype(dtype), rng.integers(0, 10, 32)
    theta, adam = net.init(0, dtype), optim.Adam()
    kwargs = dict(state=net.init_state(), rng=np.random.default_rng(0)) if mode == "train" else {}
    times = []
    for _ in range(2):
        t = time.perf_counter()
        _, g = minisharp.loss_and_grad(net, theta, X, y, mode=mode, **kwargs)
        adam.step(theta, g)
        times.append(time.perf_counter() - t)
    return times[0] - times[1]

compile_s = sum(first_and_second(*case) for case in [
    ("F1", (1, 28, 28), np.float32, "train"), ("C1-narrow", (1, 28, 28), np.float32, "train"),
    ("F1-narrow", (1, 8, 8), np.float64, "batchstat"),
    ("C1-narrow", (1, 8, 8), np.float64, "batchstat")])
print(f"{t_import:.2f} {compile_s:.2f}")
"""


def main():
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("cold (empty cache)", "warm (second process)"):
            start = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", WORK], env=env, capture_output=True,
                                 text=True, check=True).stdout.split()
            wall = time.perf_counter() - start
            print(f"{label}: import {float(out[0]):.2f} s, compile on first use "
                  f"{float(out[1]):.2f} s, whole process {wall:.1f} s")


if __name__ == "__main__":
    main()
