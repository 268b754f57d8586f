"""Micro-benchmark: minisharp conv2d / max_pool2d vs torch.nn.functional at C1-small shapes.

Run:  python benchmarks/conv_kernels.py [--rounds 7] [--dtype float32] [--no-torch]

Shapes (batch 256, 5×5 'same', stride 1): conv1 x (256,28,28,1) → 64 filters and
conv2 x (256,14,14,64) → 64 filters; max pool 3/2 'same' on (256,28,28,64) and
(256,14,14,64). Times are ms per call, minimum and median over rounds, measured after a
warm-up call, rounds interleaved across cases, with 2 threads (OpenBLAS, Numba and torch).
Ours run in NHWC, torch in its default NCHW layout. torch is imported here only; the
library never imports it.
"""

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")

import numpy as np  # noqa: E402

from minisharp.kernels import conv as conv_kernels  # noqa: E402
from minisharp.ops.conv import conv2d, conv2d_grad_input, conv2d_grad_weight  # noqa: E402
from minisharp.ops.pool import max_pool2d, window_scatter  # noqa: E402

CONV_SHAPES = {"conv1 (256,28,28,1)->64": (256, 28, 28, 1, 64),
               "conv2 (256,14,14,64)->64": (256, 14, 14, 64, 64)}
POOL_SHAPES = {"pool (256,28,28,64)": (256, 28, 28, 64),
               "pool (256,14,14,64)": (256, 14, 14, 64)}


def our_cases(dtype):
    """(case, part, callable, GFLOP) for minisharp's ops."""
    from minisharp.kernels.pool import max_pool_with_argmax

    rng = np.random.default_rng(0)
    cases = []
    for name, (n, h, w, c, f) in CONV_SHAPES.items():
        x = rng.standard_normal((n, h, w, c)).astype(dtype)
        k = (rng.standard_normal((5, 5, c, f)) * 0.1).astype(dtype)
        b = np.zeros(f, dtype)
        g = rng.standard_normal((n, h, w, f)).astype(dtype)
        gflop = 2 * n * h * w * 25 * c * f / 1e9
        label = f"minisharp {name}"
        cases += [(label, "forward", lambda x=x, k=k, b=b: conv2d(x, k, b), gflop),
                  (label, "grad_input", lambda g=g, k=k, s=x.shape: conv2d_grad_input(g, k, s),
                   gflop),
                  (label, "grad_weight", lambda x=x, g=g, s=k.shape: conv2d_grad_weight(x, g, s),
                   gflop)]
    for name, shape in POOL_SHAPES.items():
        x = rng.standard_normal(shape).astype(dtype)
        argmax = max_pool_with_argmax(x)[1]
        g = rng.standard_normal(argmax.shape).astype(dtype)
        label = f"minisharp {name}"
        cases += [(label, "forward", lambda x=x: max_pool2d(x), 0),
                  (label, "backward", lambda g=g, a=argmax, s=x.shape: window_scatter(g, a, s),
                   0)]
    return cases


def torch_cases(dtype):
    """The same shapes with torch.nn.functional in NCHW, 2 threads."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(2)
    tdtype = getattr(torch, np.dtype(dtype).name)
    cases = []
    for name, (n, h, w, c, f) in CONV_SHAPES.items():
        x = torch.randn(n, c, h, w, dtype=tdtype, requires_grad=c > 1)
        k = torch.randn(f, c, 5, 5, dtype=tdtype, requires_grad=True)
        b = torch.zeros(f, dtype=tdtype, requires_grad=True)
        g = torch.randn(n, f, h, w, dtype=tdtype)
        gflop = 2 * n * h * w * 25 * c * f / 1e9

        def forward(x=x, k=k, b=b):
            with torch.no_grad():
                F.conv2d(x, k, b, padding=2)

        def forward_backward(x=x, k=k, b=b, g=g):
            F.conv2d(x, k, b, padding=2).backward(g)

        parts = 3 if c > 1 else 2  # the first layer needs no input gradient
        what = "fwd+bwd (x,W,b)" if c > 1 else "fwd+bwd (W,b)"
        cases += [(f"torch {name}", "forward", forward, gflop),
                  (f"torch {name}", what, forward_backward, parts * gflop)]
    for name, (n, h, w, c) in POOL_SHAPES.items():
        x = torch.randn(n, c, h, w, dtype=tdtype)

        def pool(x=x):
            with torch.no_grad():
                F.max_pool2d(x, 3, 2, padding=1)

        cases.append((f"torch {name}", "forward", pool, 0))
    return cases


def run_interleaved(cases, rounds):
    """Min and median ms per case; rounds interleave the cases so that load from other
    processes on a shared machine hits all of them alike."""
    for _, _, fun, _ in cases:
        fun()
    times = [[] for _ in cases]
    for _ in range(rounds):
        for slot, (_, _, fun, _) in zip(times, cases):
            start = time.perf_counter()
            fun()
            slot.append(time.perf_counter() - start)
    return [(case, part, 1e3 * min(t), 1e3 * float(np.median(t)),
             gflop / min(t) if gflop else 0.0)
            for (case, part, _, gflop), t in zip(cases, times)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args()
    print(f"column buffer {conv_kernels.COLUMN_BUFFER_BYTES >> 20} MiB, dtype {args.dtype}")
    cases = our_cases(args.dtype)
    if not args.no_torch:
        try:
            cases += torch_cases(args.dtype)
        except ImportError:
            print("torch not installed: minisharp only")
    rows = run_interleaved(cases, args.rounds)
    print(f"{'case':38s} {'part':18s} {'min ms':>8s} {'median ms':>10s} {'GFLOP/s':>8s}")
    for case, part, best, med, rate in rows:
        rate_text = f"{rate:8.0f}" if rate else ""
        print(f"{case:38s} {part:18s} {best:8.2f} {med:10.2f} {rate_text}")


if __name__ == "__main__":
    main()
