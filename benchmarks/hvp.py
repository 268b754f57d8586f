"""What a Hessian-vector product costs, in gradients: minisharp beside PyTorch's double backward.

    python benchmarks/hvp.py [--quick] [--threads 2] [--out benchmarks/HVP.md]

For F1 and the conv net C1 (on 28×28 Fashion-MNIST images, as in benchmarks/run.py), on one
chunk of samples with batch statistics and dropout off, float32:

- minisharp: ``loss_and_grad`` (one reverse pass) and ``curvature.NetworkHessian`` (a reverse
  pass differentiated by a second reverse pass);
- PyTorch, if it is installed: ``torch.autograd.grad`` once, and the double-backward HVP
  ``grad(⟨grad(loss, θ, create_graph=True), v⟩, θ)`` — the construction PyHessian uses.

Reported: the median seconds of each (alternating rounds, as in run.py, so both see the same
machine load) and the ratio HVP / gradient within each framework. Before timing, F1's HVP is
checked against PyTorch's on the same weights (copied into the PyTorch model), in float64, so
the two are known to compute the same product. The C1 peer pads its max-pooling
symmetrically where minisharp follows TensorFlow's "same" padding (extra row at the bottom),
so its products differ and are compared for time only.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import minisharp
from minisharp import data, zoo
from minisharp.curvature import NetworkHessian
from minisharp.threads import set_threads

try:
    import torch

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import peers
except ImportError:  # PyTorch is the optional bench extra: measure minisharp alone
    torch = None

HERE = Path(__file__).resolve().parent


def side_by_side(fns, rounds, reps=1, warmup=1):
    """Median seconds per call of each function, timed in alternating rounds."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    samples = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(reps):
                fn()
            samples[name].append((time.perf_counter() - start) / reps)
    return {name: statistics.median(s) for name, s in samples.items()}


def torch_functions(model, X, y, v):
    """(gradient, hvp) callables of the PyTorch peer: BN batch statistics, dropout off."""
    model.train()
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.eval()
    params = [p for p in model.parameters()]
    Xt, yt = torch.from_numpy(np.ascontiguousarray(X)), torch.from_numpy(y.astype(np.int64))
    vt = [torch.from_numpy(np.ascontiguousarray(part)) for part in v]

    def gradient():
        loss = torch.nn.functional.cross_entropy(model(Xt), yt)
        return torch.autograd.grad(loss, params)

    def hvp():
        loss = torch.nn.functional.cross_entropy(model(Xt), yt)
        grads = torch.autograd.grad(loss, params, create_graph=True)
        dot = sum((g * w).sum() for g, w in zip(grads, vt))
        return torch.autograd.grad(dot, params)

    return gradient, hvp


def f1_into_torch(net, theta, model):
    """Copy F1's θ into peers.f1(): Linear weight = Wᵀ, BatchNorm1d weight/bias = γ/β."""
    views = net.named_views(theta)
    linear = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    with torch.no_grad():
        for i, layer in enumerate(linear, start=1):
            layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(views[f"dense{i}.W"].T)))
            layer.bias.copy_(torch.from_numpy(views[f"dense{i}.b"]))
        for i, layer in enumerate(norms, start=1):
            layer.weight.copy_(torch.from_numpy(views[f"batchnorm{i}.gamma"]))
            layer.bias.copy_(torch.from_numpy(views[f"batchnorm{i}.beta"]))


def f1_to_torch_order(net, vector):
    """θ-shaped vector → the list of arrays in peers.f1()'s parameter order."""
    views = net.named_views(vector)
    parts = []
    for i in range(1, 7):
        parts += [views[f"dense{i}.W"].T, views[f"dense{i}.b"]]
        if i < 6:
            parts += [views[f"batchnorm{i}.gamma"], views[f"batchnorm{i}.beta"]]
    return parts


def agreement(net, theta, X, y, v):
    """Relative difference between minisharp's and PyTorch's HVP of F1 at the same θ, both
    computed in float64 (so that only a difference in the maths would show)."""
    model = peers.f1().double()
    theta = theta.astype(np.float64)
    f1_into_torch(net, theta, model)
    _, torch_hvp = torch_functions(model, X.astype(np.float64), y, f1_to_torch_order(net, v))
    theirs = np.concatenate([t.numpy().ravel() for t in torch_hvp()])
    ours = np.concatenate([np.ravel(p) for p in f1_to_torch_order(
        net, NetworkHessian(net, theta, X, y, chunk=len(y))(v))])
    return float(np.linalg.norm(ours - theirs) / np.linalg.norm(theirs))


def case(name, train, n, rounds):
    net = zoo.build(name, train.input_shape, 10)
    X, y = np.ascontiguousarray(train.X[:n]), train.y[:n]
    theta = net.init(0)
    v = np.random.default_rng(1).standard_normal(net.num_params)
    hessian = NetworkHessian(net, theta, X, y, chunk=n)
    fns = {"minisharp gradient": lambda: minisharp.loss_and_grad(net, theta, X, y, chunk=n),
           "minisharp HVP": lambda: hessian(v)}
    check = None
    if torch is not None:
        model = peers.f1() if name == "F1" else peers.c1()
        parts = (f1_to_torch_order(net, v.astype(np.float32)) if name == "F1" else
                 [np.random.default_rng(1).standard_normal(tuple(p.shape)).astype(np.float32)
                  for p in model.parameters()])
        fns["PyTorch gradient"], fns["PyTorch HVP"] = torch_functions(model, X, y, parts)
        if name == "F1":
            check = agreement(net, theta, X, y, v)
    times = side_by_side(fns, rounds=rounds)
    return {"network": name, "samples": n, "parameters": net.num_params, "times": times,
            "agreement": check}


def markdown(rows, command, threads, load):
    lines = ["# Hessian-vector product cost", "",
             f"`{command}` — float32, {threads} thread{'s' * (threads > 1)}, batch statistics "
             "over one chunk, dropout off; medians of alternating rounds. Load average of the "
             f"(shared) machine at start and end: {load[0]:.1f}, {load[1]:.1f}.", "",
             "| network | samples | framework | gradient (s) | HVP (s) | HVP / gradient |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        for framework in ("minisharp", "PyTorch"):
            t = row["times"]
            if f"{framework} HVP" not in t:
                continue
            g, h = t[f"{framework} gradient"], t[f"{framework} HVP"]
            lines.append(f"| {row['network']} | {row['samples']:,} | {framework} | {g:.3f} | "
                         f"{h:.3f} | {h / g:.2f} |")
    lines.append("")
    for row in rows:
        if row["agreement"] is not None:
            lines.append(f"{row['network']}: minisharp's HVP and PyTorch's differ by "
                         f"{row['agreement']:.1e} (relative, both in float64, same weights and v).")
    if torch is None:
        lines.append("PyTorch was not installed: minisharp only (`pip install -e '.[bench]'`).")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples and rounds")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=HERE / "HVP.md")
    args = parser.parse_args(argv)
    threads = set_threads(args.threads)
    if torch is not None:
        torch.set_num_threads(threads)
    load = [os.getloadavg()[0]]
    train, _ = data.load_pair("fashion-mnist")
    sizes = {"F1": 1000 if args.quick else 5000, "C1": 128 if args.quick else 500}
    rounds = 3 if args.quick else 5
    rows = []
    for name, n in sizes.items():
        rows.append(case(name, train, n, rounds))
        t = rows[-1]["times"]
        print(name, n, {k: round(v, 4) for k, v in t.items()},
              f"minisharp ratio {t['minisharp HVP'] / t['minisharp gradient']:.2f}",
              f"agreement {rows[-1]['agreement']}")
    command = "python benchmarks/hvp.py" + (" --quick" if args.quick else "") \
        + (f" --threads {args.threads}" if args.threads != 2 else "")
    load.append(os.getloadavg()[0])
    args.out.write_text(markdown(rows, command, threads, load))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
