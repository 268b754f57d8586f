"""Side-by-side speed of minisharp and PyTorch CPU on the same machine, in one run.

    python benchmarks/run.py [--quick] [--device cuda]

For peak numbers, run it with OpenBLAS free to pick its own kernel (this machine's defaults
force the Haswell/AVX2 kernel on an AVX-512 CPU):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py

Each case times minisharp and its PyTorch peer alternately (warm-up first, then rounds of
A, B, A, B …) and reports medians, so both see the same machine load. Same architecture, same
batch, float32, the same thread count (2), Adam for training steps. Writes the table to
benchmarks/RESULTS.md with the machine, the versions and this command.
"""

import argparse
import os
import platform
import statistics
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

import minisharp  # noqa: E402
from minisharp import data, optim, sharpness, zoo  # noqa: E402
from minisharp.kernels import conv as conv_kernels  # noqa: E402
from minisharp.objective import EVAL_CHUNK, network_objective  # noqa: E402
from minisharp.report import cpu_model  # noqa: E402

THREADS = 2
HERE = Path(__file__).resolve().parent


def timed(fn, reps):
    """Seconds per call: the median over ``reps`` calls."""
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def side_by_side(fns, rounds, reps, warmup=2):
    """Median seconds per call of each function, timed in alternating rounds."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    samples = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            samples[name].append(timed(fn, reps))
    return {name: statistics.median(s) for name, s in samples.items()}


def train_flops(net, batch):
    """FLOPs of one training step: forward + both backward products of every dense/conv layer,
    minus the input gradient of the first layer (nobody needs it)."""
    total, first = 0, None
    shape = (net.input_shape[1], net.input_shape[2], net.input_shape[0]) if net.is_conv \
        else (int(np.prod(net.input_shape)),)
    for layer in net.layers:
        out = layer.build(shape)
        if type(layer).__name__ == "Dense":
            macs = shape[0] * out[0]
        elif type(layer).__name__ == "Conv2D":
            macs = out[0] * out[1] * out[2] * layer.kernel ** 2 * shape[2]
        else:
            macs = 0
        if macs and first is None:
            first = macs
        total += macs
        shape = out
    return 2 * batch * (3 * total - first)


def peak_gflops(n=2048):
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    seconds = side_by_side({"numpy": lambda: a @ a}, rounds=3, reps=3)["numpy"]
    ta = torch.from_numpy(a)
    torch_seconds = side_by_side({"torch": lambda: ta @ ta}, rounds=3, reps=3)["torch"]
    return 2 * n**3 / seconds / 1e9, 2 * n**3 / torch_seconds / 1e9


def load_data():
    try:
        train, _ = data.load_pair("fashion-mnist", subset="full", download=False)
    except Exception:  # noqa: BLE001 - fall back to the embedded subset, say so in the report
        train, _ = data.load_pair("fashion-mnist", subset="embedded")
    return train


def training_cases(train, quick):
    rows = []
    for name, batch in (("F1", 256), ("F1", data.large_batch_size(60000)),
                        ("C1", 256), ("C1", data.large_batch_size(60000))):
        if quick and name == "C1" and batch > 256:
            batch = 1000  # the 10 % case takes ~10 s per step; --quick uses a smaller batch
        net = zoo.build(name, train.input_shape, 10)
        reps = max(1, min(10, 4096 // batch))
        rounds = 3 if (quick or batch > 1000) else 5
        X = np.ascontiguousarray(train.X[:batch]) if batch <= len(train.X) else \
            np.resize(train.X, (batch, *train.X.shape[1:]))
        y = np.resize(train.y, batch)
        theta, state, rng = net.init(0), net.init_state(), np.random.default_rng(0)
        grad, adam = np.empty_like(theta), optim.Adam()

        def ours(X=X, y=y, net=net, theta=theta, state=state, rng=rng, grad=grad, adam=adam):
            minisharp.loss_and_grad(net, theta, X, y, mode="train", state=state, rng=rng,
                                    out=grad)
            adam.step(theta, grad)

        model = peers.f1() if name == "F1" else peers.c1()
        fns = {"minisharp": ours}
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        opt = torch.optim.Adam(model.parameters())
        fns["PyTorch"] = lambda model=model, opt=opt, Xt=Xt, yt=yt: peers.train_step(
            model, opt, Xt, yt)
        if name == "C1":
            model_cl = peers.c1().to(memory_format=torch.channels_last)
            opt_cl = torch.optim.Adam(model_cl.parameters())
            Xcl = Xt.contiguous(memory_format=torch.channels_last)
            fns["PyTorch channels-last"] = lambda m=model_cl, o=opt_cl, X=Xcl, y=yt: \
                peers.train_step(m, o, X, y)
        times = side_by_side(fns, rounds=rounds, reps=reps)
        flops = train_flops(net, batch)
        label = f"{name}{'-small' if name == 'C1' else ''} train step, batch {batch}"
        rows.append((label, batch, flops, times))
        print_row(rows[-1])
    return rows


def full_gradient_case(train, quick):
    net = zoo.build("F1", train.input_shape, 10)
    n = 10000 if quick else len(train.X)
    X, y = train.X[:n], train.y[:n]
    theta = net.init(0)
    model = peers.f1()
    Xt, yt = torch.from_numpy(np.ascontiguousarray(X)), torch.from_numpy(y)
    times = side_by_side({
        "minisharp": lambda: minisharp.loss_and_grad(net, theta, X, y, chunk=EVAL_CHUNK),
        "PyTorch": lambda: peers.full_loss_and_grad(model, Xt, yt, EVAL_CHUNK),
    }, rounds=3, reps=1)
    row = (f"F1 loss+gradient over {n:,} samples", n, train_flops(net, n), times)
    print_row(row)
    return row, times["PyTorch"]


def sharpness_case(train, quick, torch_eval_seconds):
    """Metric 2.1 on F1 (ε = 1e-3, full space, 10 L-BFGS-B iterations): how much of the time
    is spent outside the objective, and what the same evaluations cost in PyTorch."""
    net = zoo.build("F1", train.input_shape, 10)
    n = 10000 if quick else len(train.X)
    fun = network_objective(net, train.X[:n], train.y[:n], mode="batchstat")
    in_fun = [0.0]

    def timed_fun(x):
        t = time.perf_counter()
        out = fun(x)
        in_fun[0] += time.perf_counter() - t
        return out

    theta = net.init(0)
    t = time.perf_counter()
    result = sharpness.sharpness(timed_fun, theta, 1e-3)
    total = time.perf_counter() - t
    overhead = (total - in_fun[0]) / total
    return {"samples": n, "total": total, "in_fun": in_fun[0], "overhead": overhead,
            "nfev": result.nfev, "nit": result.nit,
            "torch_equivalent": result.nfev * torch_eval_seconds}


def conv_case(quick, show=True):
    rng = np.random.default_rng(0)
    x = rng.random((256, 14, 14, 64), dtype=np.float32)
    w = (rng.standard_normal((5, 5, 64, 64)) * 0.05).astype(np.float32)
    b = np.zeros(64, np.float32)

    def ours():
        y = conv_kernels.conv2d_forward(x, w, b, 1, "same")
        conv_kernels.conv2d_backward_input(y, w, x.shape, 1, "same")
        conv_kernels.conv2d_backward_weight(x, y, w.shape, 1, "same")

    xt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).requires_grad_()
    wt = torch.from_numpy(w.transpose(3, 2, 0, 1).copy()).requires_grad_()
    bt = torch.zeros(64, requires_grad=True)
    times = side_by_side({"minisharp": ours,
                          "PyTorch": lambda: peers.conv_forward_backward(xt, wt, bt)},
                         rounds=3 if quick else 5, reps=3)
    flops = 3 * 2 * 256 * 14 * 14 * 64 * 64 * 25
    row = ("conv2d 5×5 64→64 on 256×14×14, forward + both backward", 256, flops, times)
    if show:
        print_row(row)
    return row


def print_row(row):
    label, batch, flops, times = row
    ours = times["minisharp"]
    parts = [f"{label}: minisharp {ours * 1e3:.1f} ms ({flops / ours / 1e9:.0f} GFLOP/s)"]
    for peer, seconds in times.items():
        if peer != "minisharp":
            parts.append(f"{peer} {seconds * 1e3:.1f} ms (ratio {seconds / ours:.2f})")
    print("; ".join(parts), flush=True)


def markdown(rows, sharp, peaks, command, seconds, data_source):
    peak = max(peaks)
    lines = [
        f"## {cpu_model()}", "",
        f"Command: `{command}`  ", f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        f"  ", f"Machine: {cpu_model()}, {os.cpu_count()} cores; "
        f"{THREADS} threads for NumPy/OpenBLAS, Numba and PyTorch  ",
        f"Versions: Python {platform.python_version()}, NumPy {np.__version__} (OpenBLAS kernel "
        f"{openblas_core()}, OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}), "
        f"Numba {__import__('numba').__version__}, autograd "
        f"{__import__('importlib.metadata').metadata.version('autograd')}, "
        f"PyTorch {torch.__version__}  ",
        f"Data: {data_source}  ",
        f"Measured float32 GEMM peak (2048³): NumPy {peaks[0]:.0f} GFLOP/s, PyTorch "
        f"{peaks[1]:.0f} GFLOP/s  ", f"Run time: {seconds:.0f} s", "",
        "Ratio = PyTorch time / minisharp time (above 1: minisharp is faster). "
        "Medians of alternating rounds.", "",
        f"Read the ratios with the GEMM peaks above: PyTorch's own float32 GEMM reaches "
        f"{100 * peaks[1] / peaks[0]:.0f} % of NumPy/OpenBLAS's on this CPU, so on work that is "
        "GEMM-bound (the F1 rows) the BLAS library, not the framework, accounts for much of "
        "the difference. The convolution rows compare im2col + OpenBLAS with PyTorch's oneDNN "
        "convolutions.", "",
        "| work | minisharp ms | GFLOP/s (% of peak) | PyTorch ms | ratio | "
        "PyTorch channels-last ms | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, _, flops, times in rows:
        ours = times["minisharp"]
        gflops = flops / ours / 1e9
        cl = times.get("PyTorch channels-last")
        cl_cells = f"{cl * 1e3:.1f} | {cl / ours:.2f}" if cl else "– | –"
        lines.append(f"| {label} | {ours * 1e3:.1f} | {gflops:.0f} ({100 * gflops / peak:.0f} %)"
                     f" | {times['PyTorch'] * 1e3:.1f} | {times['PyTorch'] / ours:.2f} | "
                     f"{cl_cells} |")
    lines += [
        "", f"Metric 2.1 on F1 (ε = 1e-3, full space, maxiter 10) over {sharp['samples']:,} "
        f"samples: {sharp['total']:.2f} s in all, {sharp['in_fun']:.2f} s inside the objective "
        f"({sharp['nfev']} evaluations, {sharp['nit']} iterations): overhead beyond the "
        f"evaluations {100 * sharp['overhead']:.1f} %. The same {sharp['nfev']} evaluations in "
        f"PyTorch: {sharp['torch_equivalent']:.2f} s.", "",
    ]
    return "\n".join(lines)


RESULTS_TITLE = "# Benchmark results"
RESULTS_INTRO = ("One section per CPU type, named by the CPU's model name, family and model (the "
                 "name alone, e.g. \"AMD EPYC\", has covered CPUs whose float32 GEMM peak "
                 "differs 2.3×): a run replaces the section of the CPU it ran on and keeps the "
                 "others.")


def merge_results(old, section):
    """``old`` (a RESULTS.md text) with the section of ``section``'s CPU replaced or added.

    Sections start with a ``## <cpu model>`` line. A file from before there were sections
    (one run under the title) becomes the section of the CPU its ``Machine:`` line names."""
    body = [line for line in old.splitlines() if line not in (RESULTS_TITLE, RESULTS_INTRO)]
    if not any(line.startswith("## ") for line in body):
        machine = next((line for line in body if line.startswith("Machine: ")), None)
        body = [f"## {machine[9:].split(',')[0]}", *body] if machine else []
    sections, current = {}, None
    for line in body:
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        if current is not None:
            sections[current].append(line)
    sections[section.splitlines()[0][3:].strip()] = section.splitlines()
    texts = ["\n".join(lines).strip() for _, lines in sorted(sections.items())]
    return "\n\n".join([RESULTS_TITLE, RESULTS_INTRO, *texts]) + "\n"


def write_section(path, text):
    """Put one machine's section ``text`` into the results file ``path`` (see merge_results)."""
    old = path.read_text() if path.exists() else ""
    path.write_text(merge_results(old, text))
    print(f"\nwrote {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer rounds, a 10,000-sample objective, C1 at batch 1000")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="cuda: minisharp on CuPy against PyTorch CUDA (benchmarks/gpu.py)")
    args = parser.parse_args(argv)
    if args.device == "cuda":
        import gpu
        return gpu.main((["--quick"] if args.quick else []) + ["--out", str(args.out)])
    torch.set_num_threads(THREADS)
    start = time.perf_counter()
    train = load_data()
    print(f"data: {train.source} ({len(train.X):,} samples); OpenBLAS kernel {openblas_core()}")
    peaks = peak_gflops()
    print(f"float32 GEMM peak: NumPy {peaks[0]:.0f} GFLOP/s, PyTorch {peaks[1]:.0f} GFLOP/s")
    rows = training_cases(train, args.quick)
    row, torch_eval = full_gradient_case(train, args.quick)
    rows.append(row)
    rows.append(conv_case(args.quick))
    sharp = sharpness_case(train, args.quick, torch_eval)
    print(f"Metric 2.1: {sharp['total']:.2f} s, overhead {100 * sharp['overhead']:.1f} %")
    env = " ".join(f"{k}={os.environ[k]}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
                   if k in os.environ)
    flags = " --quick" if args.quick else ""
    command = f"{env + ' ' if env else ''}python benchmarks/run.py{flags}"
    write_section(args.out, markdown(rows, sharp, peaks, command, time.perf_counter() - start,
                                     train.source))


if __name__ == "__main__":
    main()
