"""Side-by-side speed of minisharp on a CUDA GPU (CuPy arrays) and PyTorch CUDA, in one run.

    python benchmarks/gpu.py [--quick]        (the same as: python benchmarks/run.py --device cuda)

The dense rows of the CPU table (benchmarks/run.py), on the GPU: an F1 training step (Adam) at
batch 256 and at 10 % of Fashion-MNIST, the F1 loss and gradient over the training set in
chunks of 5,000, and Metric 2.1 on F1 with its evaluations on the GPU and L-BFGS-B on the
host. float32 on both sides; PyTorch with its defaults (no TF32 for float32 products, as
CuPy). Each call ends with a device synchronisation, so a time is the work done, not the
work queued. minisharp's convolutions have no GPU path yet, so the conv rows are absent.
Writes a section to benchmarks/RESULTS.md named after the GPU.
"""

import argparse
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

try:
    import cupy
    import torch
except ImportError:  # pragma: no cover - a friendly message for a missing optional extra
    sys.exit("the GPU benchmark needs CuPy and PyTorch with CUDA")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # noqa: E402
from run import HERE, load_data, side_by_side, train_flops, write_section  # noqa: E402

import minisharp  # noqa: E402
from minisharp import data, device, optim, sharpness, zoo  # noqa: E402
from minisharp.objective import EVAL_CHUNK, network_objective  # noqa: E402


def synced_cupy(fn):
    def call():
        fn()
        cupy.cuda.Device().synchronize()
    return call


def synced_torch(fn):
    def call():
        fn()
        torch.cuda.synchronize()
    return call


def gemm_peaks(n=8192):
    """float32 GEMM TFLOP/s of CuPy (cuBLAS) and PyTorch on n×n matrices."""
    a = cupy.random.random((n, n), dtype=cupy.float32)
    ta = torch.rand((n, n), device="cuda")
    times = side_by_side({"cupy": synced_cupy(lambda: a @ a),
                          "torch": synced_torch(lambda: ta @ ta)}, rounds=3, reps=3)
    return {k: 2 * n**3 / t / 1e12 for k, t in times.items()}


def training_rows(train, quick):
    rows = []
    for batch in (256, data.large_batch_size(60000)):
        net = zoo.build("F1", train.input_shape, 10)
        X = device.to_device(np.ascontiguousarray(train.X[:batch]), "cuda")
        y = device.to_device(train.y[:batch], "cuda")
        theta = device.to_device(net.init(0), "cuda")
        state = {k: device.to_device(v, "cuda") for k, v in net.init_state().items()}
        rng = np.random.default_rng(0)
        grad, adam = cupy.empty_like(theta), optim.Adam()

        def ours(X=X, y=y, net=net, theta=theta, state=state, rng=rng, grad=grad, adam=adam):
            minisharp.loss_and_grad(net, theta, X, y, mode="train", state=state, rng=rng,
                                    out=grad)
            adam.step(theta, grad)

        model = peers.f1().cuda()
        opt = torch.optim.Adam(model.parameters())
        Xt, yt = torch.as_tensor(device.to_host(X), device="cuda"), torch.as_tensor(
            train.y[:batch], device="cuda")
        times = side_by_side({"minisharp": synced_cupy(ours),
                              "PyTorch": synced_torch(lambda m=model, o=opt, X=Xt, y=yt:
                                                      peers.train_step(m, o, X, y))},
                             rounds=3 if quick else 5, reps=20 if batch <= 256 else 10)
        rows.append((f"F1 train step, batch {batch}", train_flops(net, batch), times))
        print_row(rows[-1])
    return rows


def full_gradient_row(train, quick):
    net = zoo.build("F1", train.input_shape, 10)
    n = 10000 if quick else len(train.X)
    X, y = device.to_device(train.X[:n], "cuda"), device.to_device(train.y[:n], "cuda")
    theta = device.to_device(net.init(0), "cuda")
    model = peers.f1().cuda()
    Xt = torch.as_tensor(np.ascontiguousarray(train.X[:n]), device="cuda")
    yt = torch.as_tensor(train.y[:n], device="cuda")
    times = side_by_side({
        "minisharp": synced_cupy(lambda: minisharp.loss_and_grad(net, theta, X, y,
                                                                 chunk=EVAL_CHUNK)),
        "PyTorch": synced_torch(lambda: peers.full_loss_and_grad(model, Xt, yt, EVAL_CHUNK)),
    }, rounds=3, reps=3)
    row = (f"F1 loss+gradient over {n:,} samples", train_flops(net, n), times)
    print_row(row)
    return row


def sharpness_row(train, quick, torch_eval_seconds):
    """Metric 2.1 on F1 with the objective on the GPU: the total and the share outside it."""
    net = zoo.build("F1", train.input_shape, 10)
    n = 10000 if quick else len(train.X)
    fun = network_objective(net, train.X[:n], train.y[:n], device="cuda")
    fun(net.init(0))                    # warm-up: CuPy compiles its kernels on first use
    fun.seconds = 0.0
    t = time.perf_counter()
    result = sharpness.sharpness(fun, net.init(0), 1e-3)
    total = time.perf_counter() - t
    return {"samples": n, "total": total, "in_fun": fun.seconds, "nfev": result.nfev,
            "overhead": (total - fun.seconds) / total,
            "torch_equivalent": result.nfev * torch_eval_seconds}


def print_row(row):
    label, flops, times = row
    ours, peer = times["minisharp"], times["PyTorch"]
    print(f"{label}: minisharp {ours * 1e3:.2f} ms ({flops / ours / 1e12:.1f} TFLOP/s), "
          f"PyTorch {peer * 1e3:.2f} ms, ratio {peer / ours:.2f}", flush=True)


def markdown(rows, sharp, peaks, command, seconds, source):
    name = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    lines = [
        f"## {name} (CUDA)", "", f"Command: `{command}`  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  ",
        f"Versions: Python {platform.python_version()}, NumPy {np.__version__}, CuPy "
        f"{cupy.__version__}, autograd {metadata.version('autograd')}, PyTorch "
        f"{torch.__version__} (CUDA {torch.version.cuda})  ", f"Data: {source}  ",
        f"Measured float32 GEMM peak (8192³): CuPy {peaks['cupy']:.1f} TFLOP/s, PyTorch "
        f"{peaks['torch']:.1f} TFLOP/s  ", f"Run time: {seconds:.0f} s", "",
        "Ratio = PyTorch CUDA time / minisharp time (above 1: minisharp is faster). Medians of "
        "alternating rounds, each call synchronised. minisharp's convolutions have no GPU path "
        "yet.", "",
        "| work | minisharp ms | TFLOP/s | PyTorch ms | ratio |", "|---|---|---|---|---|",
    ]
    for label, flops, times in rows:
        ours, peer = times["minisharp"], times["PyTorch"]
        lines.append(f"| {label} | {ours * 1e3:.2f} | {flops / ours / 1e12:.1f} | "
                     f"{peer * 1e3:.2f} | {peer / ours:.2f} |")
    lines += ["", f"Metric 2.1 on F1 (ε = 1e-3, full space, maxiter 10) over "
              f"{sharp['samples']:,} samples, evaluations on the GPU and L-BFGS-B on the host: "
              f"{sharp['total']:.2f} s in all, {sharp['in_fun']:.2f} s inside the objective "
              f"({sharp['nfev']} evaluations): overhead {100 * sharp['overhead']:.1f} %. The "
              f"same {sharp['nfev']} evaluations in PyTorch CUDA: "
              f"{sharp['torch_equivalent']:.2f} s.", ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer rounds and a 10,000-sample objective")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    device.check_device("cuda")
    start = time.perf_counter()
    train = load_data()
    peaks = gemm_peaks()
    print(f"data: {train.source}; float32 GEMM: CuPy {peaks['cupy']:.1f}, PyTorch "
          f"{peaks['torch']:.1f} TFLOP/s", flush=True)
    rows = training_rows(train, args.quick)
    rows.append(full_gradient_row(train, args.quick))
    torch_eval = rows[-1][2]["PyTorch"]
    sharp = sharpness_row(train, args.quick, torch_eval)
    print(f"Metric 2.1: {sharp['total']:.2f} s, {sharp['in_fun']:.2f} s in the objective, "
          f"PyTorch-equivalent evaluations {sharp['torch_equivalent']:.2f} s", flush=True)
    command = "python benchmarks/gpu.py" + (" --quick" if args.quick else "")
    write_section(args.out, markdown(rows, sharp, peaks, command, time.perf_counter() - start,
                                     train.source))


if __name__ == "__main__":
    main()
