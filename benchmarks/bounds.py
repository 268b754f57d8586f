"""What bounds the rows where minisharp is not ahead: the GEMMs alone, and L-BFGS-B's own time.

    python benchmarks/bounds.py [--quick]

1. F1's loss + gradient on one chunk of 5,000 samples and F1's training step at batch 256:
   the whole step in minisharp and in PyTorch, and beside them only the matrix products the
   step must do (forward X W; backward Xᵀ dZ and dZ Wᵀ for every dense layer, the first
   layer's input gradient left out), once with NumPy's BLAS and once with ``torch.mm``, on
   the same shapes and transposes. If PyTorch's products alone take less time than
   minisharp's, the row is bounded by the BLAS library, not by the framework.
2. The 5×5 64→64 convolution of run.py (256 × 14 × 14, forward + both backward): minisharp's
   im2col + GEMM against PyTorch's oneDNN convolution, beside the GEMMs of minisharp's chunks
   alone (the im2col columns times the weights, their transpose times the output gradient,
   the output gradient times the transposed weights) in NumPy and in ``torch.mm``. If
   ``torch.mm`` is no faster on those shapes, PyTorch's lead is its convolution algorithm.
3. Metric 2.1 on F1 (full space, ε = 1e-3, 10 iterations): the time inside the objective,
   inside SciPy's compiled L-BFGS-B (``setulb``), and the rest.

Timings alternate between the contenders (medians of rounds); 2 threads, float32.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

try:
    import torch
except ImportError:  # pragma: no cover - a friendly message for a missing optional extra
    sys.exit("benchmarks need PyTorch: pip install -e '.[bench]'  (torch==2.13.0, CPU build)")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # noqa: E402
from machine import openblas_core  # noqa: E402
from run import THREADS, conv_case, load_data, sharpness_case, side_by_side  # noqa: E402

import minisharp  # noqa: E402
from minisharp import lbfgsb, optim, zoo  # noqa: E402
from minisharp.kernels import conv as conv_kernels  # noqa: E402
from minisharp.objective import EVAL_CHUNK  # noqa: E402
from minisharp.report import cpu_model  # noqa: E402
from minisharp.threads import set_threads  # noqa: E402

F1_WIDTHS = [784, 512, 512, 512, 512, 512, 10]


def dense_products(batch, rng):
    """The operand pairs of every matrix product of F1's forward and backward at ``batch``:
    (left, right) with transposes as views, as a dense layer's VJP forms them."""
    pairs = []
    for layer, (d_in, d_out) in enumerate(zip(F1_WIDTHS[:-1], F1_WIDTHS[1:])):
        x = rng.random((batch, d_in), dtype=np.float32)
        w = rng.random((d_in, d_out), dtype=np.float32)
        dz = rng.random((batch, d_out), dtype=np.float32)
        pairs += [(x, w), (x.T, dz)]              # forward; weight gradient
        if layer > 0:
            pairs.append((dz, w.T))               # input gradient
    return pairs


def conv_products(rng, batch=256, size=14, channels=64, kernel=5):
    """The operand pairs of the GEMMs inside minisharp's 5×5 conv forward + backward: one
    chunk's three products (chunked as the kernels chunk the batch), once per chunk."""
    geo = conv_kernels._Geometry((batch, size, size, channels),
                                 (kernel, kernel, channels, channels), 1, "same", 4)
    rows = geo.chunk * geo.rows_per_sample
    cols = rng.random((rows, geo.k), dtype=np.float32)
    w = rng.random((geo.k, channels), dtype=np.float32)
    g = rng.random((rows, channels), dtype=np.float32)
    return [(cols, w), (cols.T, g), (g, w.T)] * len(list(geo.chunks()))


def products_case(pairs):
    torch_pairs = [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in pairs]
    flops = sum(2 * a.shape[0] * a.shape[1] * b.shape[1] for a, b in pairs)

    def numpy_products():
        for a, b in pairs:
            a @ b

    def torch_products():
        for a, b in torch_pairs:
            torch.mm(a, b)

    return flops, side_by_side({"NumPy": numpy_products, "torch.mm": torch_products},
                               rounds=5, reps=3)


def chunk_case(train):
    net = zoo.build("F1", train.input_shape, 10)
    X, y = train.X[:EVAL_CHUNK], train.y[:EVAL_CHUNK]
    theta = net.init(0)
    model = peers.f1()
    Xt, yt = torch.from_numpy(np.ascontiguousarray(X)), torch.from_numpy(y)
    return side_by_side({
        "minisharp": lambda: minisharp.loss_and_grad(net, theta, X, y, chunk=EVAL_CHUNK),
        "PyTorch": lambda: peers.full_loss_and_grad(model, Xt, yt, EVAL_CHUNK)},
        rounds=5, reps=2)


def step_case(train, batch=256):
    net = zoo.build("F1", train.input_shape, 10)
    X, y = train.X[:batch], train.y[:batch]
    theta, state, step_rng = net.init(0), net.init_state(), np.random.default_rng(0)
    grad, adam = np.empty_like(theta), optim.Adam()
    model = peers.f1()
    torch_adam = torch.optim.Adam(model.parameters(), lr=1e-3)
    Xt, yt = torch.from_numpy(np.ascontiguousarray(X)), torch.from_numpy(y)

    def ours():
        minisharp.loss_and_grad(net, theta, X, y, mode="train", state=state, rng=step_rng,
                                out=grad)
        adam.step(theta, grad)

    def update_only():
        adam.step(theta, grad)

    times = side_by_side({"minisharp": ours,
                          "PyTorch": lambda: peers.train_step(model, torch_adam, Xt, yt),
                          "minisharp Adam update alone": update_only},
                         rounds=5, reps=10)
    return times


def sharpness_split(train, quick):
    """run.py's Metric 2.1 case, with the time inside SciPy's ``setulb`` counted as well."""
    spent = [0.0]
    setulb = lbfgsb._lbfgsb.setulb

    def timed_setulb(*args):
        t = time.perf_counter()
        out = setulb(*args)
        spent[0] += time.perf_counter() - t
        return out

    lbfgsb._lbfgsb.setulb = timed_setulb
    try:
        case = sharpness_case(train, quick, torch_eval_seconds=float("nan"))
    finally:
        lbfgsb._lbfgsb.setulb = setulb
    return case, spent[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="Metric 2.1 on 10,000 images instead of all 60,000")
    args = parser.parse_args(argv)
    set_threads(THREADS)
    torch.set_num_threads(THREADS)
    train = load_data()
    rng = np.random.default_rng(0)
    print(f"{cpu_model()}, {THREADS} threads; OpenBLAS kernel {openblas_core()}, "
          f"torch {torch.__version__}\n")

    print("| work | minisharp ms | PyTorch ms | its GEMMs in NumPy ms (GFLOP/s) | "
          "in torch.mm ms (GFLOP/s) |\n|---|---|---|---|---|")
    _, _, _, conv_times = conv_case(quick=args.quick, show=False)
    cases = [("F1 loss + gradient, one chunk of 5,000", dense_products(EVAL_CHUNK, rng),
              chunk_case(train)),
             ("F1 train step, batch 256 (with Adam)", dense_products(256, rng), step_case(train)),
             ("conv 5×5 64→64, 256 × 14 × 14, forward + both backward", conv_products(rng),
              conv_times)]
    for label, pairs, times in cases:
        flops, gemm = products_case(pairs)
        print(f"| {label} | {1e3 * times['minisharp']:.1f} | {1e3 * times['PyTorch']:.1f} | "
              + " | ".join(f"{1e3 * gemm[k]:.1f} ({flops / gemm[k] / 1e9:.0f})"
                           for k in ("NumPy", "torch.mm")) + " |")

    adam = cases[1][2]["minisharp Adam update alone"]
    print(f"\nminisharp's Adam update of F1's 1.46 M parameters alone: {1e3 * adam:.1f} ms")

    case, in_setulb = sharpness_split(train, args.quick)
    total, rest = case["total"], case["total"] - case["in_fun"] - in_setulb
    print(f"\nMetric 2.1 on F1 over {case['samples']:,} images ({case['nfev']} evaluations, "
          f"{case['nit']} iterations): {total:.2f} s — objective {case['in_fun']:.2f} s, "
          f"L-BFGS-B's setulb {in_setulb:.2f} s ({100 * in_setulb / total:.1f} %), "
          f"the rest {rest:.2f} s ({100 * rest / total:.1f} %)")

if __name__ == "__main__":
    main()
