"""Lesson 04 — how the batch size moves accuracy and sharpness (the paper's Figure 4).

Lessons 02 and 03 compared two batch sizes: the small batch (SB, 256) and the large batch (LB,
10 % of the training set). Keskar et al. also swept the batch size in between (Figure 4, for
F2 and C1): the final test accuracy stays level up to a network-specific threshold — about
15,000 frames for F2 (≈ 2 % of TIMIT), about 500 images for C1 (1 % of CIFAR-10) — and falls
beyond it, while the sharpness of the minimiser found drifts upward with the batch size. The
paper ran 100 epochs per point and does not list its batch sizes.

The procedure, as this script runs it:
1. draw θ₀ = net.init(seed) once per seed and train from it with every batch size of the grid
   — Adam with the Keras defaults, the same data-order seed, the same stopping rule as lessons
   02 and 03 (stop when the measured training loss has not improved by 1e-3 for 5 epochs, or
   at the epoch cap). The SB and LB runs are the very runs of lessons 02 and 03: same
   checkpoint under runs/, reloaded if they exist (and their iterates kept for lessons 05 and
   06 when this lesson trains them);
2. measure each end point: final test accuracy (its binomial standard error over the test
   images) and Metric 2.1 in full space at ε = 1e-3 on three disjoint 5,000-image slices of
   the training set (the three values give the spread);
3. find the threshold: the smallest batch size from which on every larger batch of the grid
   is *significantly* less accurate than SB — the drop exceeds twice its standard error, the
   larger of the binomial one and the spread over seeds (``minisharp.report.accuracy_drop``);
4. train the LB once more with SGD + momentum and with Adagrad (claim 13: "other optimizers
   give similar results"), from the same θ₀, and measure them the same way;
5. print our numbers, draw the figure and check claims 8 and 13 with verdicts.

Differences from the paper: F1 on Fashion-MNIST (the paper's Figure 4 shows F2 and C1; --full
adds the narrowed C1 on 16,000 images, where SB is 64 and 10 % is 1,600), a grid of five or six
sizes, the plateau stopping rule instead of 100 epochs, 3 seeds in --full (one in the quick
run). SGD's settings are not in the paper: we use lr 0.1 with momentum 0.9 (Sutskever et al.
2013, the paper's citation); Adagrad has the Keras 1 defaults (lr 0.01).

Run:  python lessons/04_batch_size.py
      quick (the default): 8.5 minutes measured on 2 Intel Xeon cores with the full
      Fashion-MNIST after lesson 03 (its SB and LB runs reused from runs/); about 4 minutes
      more from nothing; --full: F1 and the conv net, 3 seeds, 112 minutes measured on the
      same machine with seed 0's quick runs and lesson 03's seed-1 pair resumed from runs/
      (about 2 hours from nothing)
"""

import numpy as np

from minisharp import data, optim, plots, zoo
from minisharp.objective import network_objective
from minisharp.report import (
    HOLDS,
    NOT_SEEN,
    WITHIN_NOISE,
    Claims,
    Stopwatch,
    accuracy_drop,
    binomial_se,
    lesson_arguments,
    log_ratio_verdict,
    save_json,
    table,
)
from minisharp.study import first, load_fashion_mnist, run_path
from minisharp.train import train
from minisharp.trajectory import Trajectory

# --- configuration ------------------------------------------------------------------------
# Networks per size: (zoo name, training images used (None: all), epoch cap, images per φ
# slice) — the same as lessons 02 and 03, so that their SB and LB runs are reused. A
# full-space φ of F1 on 5,000 images costs ≈ 4 s, of the conv net on 2,000 ≈ 13 s.
NETWORKS = {
    "smoke": [("F1-narrow", 2000, 2, 250)],
    "quick": [("F1", None, 30, 5000)],
    "full": [("F1", None, 60, 5000), ("C1-narrow", 16_000, 20, 2000)],
}
# Batch sizes per network. Each grid starts at the SB and contains the LB (10 %): those runs
# are shared with lessons 02/03. F1 on 60,000 images: each extra size costs 2–4 minutes (a
# large-batch epoch takes ≈ 4 s on 2 cores whatever its size, SB's 11 s), so the quick grid has
# three new sizes, one of them beyond 10 %. The conv net trains at ≈ 1,300 images/s: one new
# size in --full.
BATCH_GRID = {
    "smoke": {"F1-narrow": (32, 64, 200, 400)},
    "quick": {"F1": (256, 1024, 2048, 6000, 12_000)},
    "full": {"F1": (256, 512, 1024, 2048, 6000, 12_000), "C1-narrow": (64, 256, 1600)},
}
# Claim 13: the LB retrained with other optimizers (name, settings, label). The paper gives
# no settings; SGD uses momentum 0.9 (Sutskever et al. 2013) and lr 0.1, Adagrad the Keras 1
# defaults. Only for the networks listed (the conv net would add 36 minutes to --full).
OTHER_OPTIMIZERS = [("sgd", {"lr": 0.1, "momentum": 0.9}, "SGD+momentum"),
                    ("adagrad", {}, "Adagrad")]
OPTIMIZER_NETS = {"smoke": ("F1-narrow",), "quick": ("F1",), "full": ("F1",)}
BATCHES = {"smoke": (32, 200)}   # tiny data: fixed SB/LB; otherwise SB by the N/B rule, LB 10 %
SEEDS = {"smoke": (0,), "quick": (0,), "full": (0, 1, 2)}
TEST_SAMPLES = {"smoke": 300, "quick": None, "full": None}   # None: the whole test set
PATIENCE, MIN_DELTA = 5, 1e-3   # stop after 5 epochs without a 1e-3 drop of the train loss
EPS, MAXITER = 1e-3, 10         # Metric 2.1: full space, ε = 1e-3, 10 L-BFGS-B iterations
SLICES = 3                      # disjoint slices of the training set φ is measured on (3
                                # give 2 degrees of freedom to the spread, as in lesson 03)
PAPER_THRESHOLDS = {"F2": "≈ 15,000 of ≈ 721,000 TIMIT frames (≈ 2 %)",
                    "C1": "≈ 500 of 50,000 CIFAR-10 images (1 %)"}



def values(runs, batch, optimizer="Adam", key="test_accuracy"):
    """One measurement of the runs with this batch size and optimizer: a list over seeds
    (over seeds × slices for ``key="phi"``)."""
    chosen = [r[key] for r in runs if r["batch"] == batch and r["optimizer"] == optimizer]
    return [v for per_run in chosen for v in per_run] if key == "phi" else chosen


def mean_log(phis):
    return float(np.mean(np.log(np.maximum(phis, 1e-12))))


args = lesson_arguments(__doc__)
clock = Stopwatch()
train_all, test_all, data_note = load_fashion_mnist(args.data)
test_set = first(test_all, TEST_SAMPLES[args.size])
n_test = len(test_set.y)
experiments = {}

for net_name, train_samples, max_epochs, slice_size in NETWORKS[args.size]:
    train_set = first(train_all, train_samples)
    n = len(train_set.y)
    grid = BATCH_GRID[args.size][net_name]
    sb_batch, lb_batch = BATCHES.get(args.size, (data.small_batch_size(n),
                                                 data.large_batch_size(n)))
    if grid[0] != sb_batch or lb_batch not in grid:
        raise ValueError(f"BATCH_GRID for {net_name} must start at SB {sb_batch} and hold LB "
                         f"{lb_batch}, got {grid}")
    net = zoo.build(net_name, train_set.input_shape, train_set.num_classes)
    size = min(slice_size, n // SLICES)
    slices = [network_objective(net, train_set.X[k * size:(k + 1) * size],
                                train_set.y[k * size:(k + 1) * size]) for k in range(SLICES)]
    print(f"\n== {net_name} ({net.num_params:,} parameters) on {n:,} images: batch sizes "
          f"{list(grid)} (SB {sb_batch}, LB {lb_batch}), ≤ {max_epochs} epochs, seeds "
          f"{list(SEEDS[args.size])}")

    # --- 1, 2 and 4. every batch size (and the other optimizers at LB) from the same θ₀ ----
    runs = []
    settings = [(batch, "adam", {}, "Adam") for batch in grid]
    if net_name in OPTIMIZER_NETS[args.size]:
        settings += [(lb_batch, name, opts, label) for name, opts, label in OTHER_OPTIMIZERS]
    for seed in SEEDS[args.size]:
        theta0 = net.init(seed)                # every run of this seed starts here
        for batch_size, opt_name, opt_settings, opt_label in settings:
            tag = "" if opt_name == "adam" else "-".join(
                [opt_name] + [f"{k}{v:g}" for k, v in opt_settings.items()])
            checkpoint = run_path(args.runs, train_set, net_name, seed, batch_size, tag=tag)
            # the SB and LB runs keep their iterates for lessons 05 and 06 (if trained here)
            record_iterates = ([Trajectory.beside(checkpoint).callback]
                               if opt_name == "adam" and batch_size in (sb_batch, lb_batch)
                               else [])
            run = train(net, theta0, train_set, test_set, batch_size=batch_size,
                        optimizer=optim.make(opt_name, **opt_settings), seed=seed,
                        max_epochs=max_epochs, patience=PATIENCE, min_delta=MIN_DELTA,
                        checkpoint=checkpoint, resume=True, callbacks=record_iterates,
                        progress=not args.quiet)
            phis = [args.memo.sharpness(fun, run.theta, EPS, maxiter=MAXITER).phi
                    for fun in slices]
            final = run.final()
            runs.append({"seed": seed, "batch": batch_size, "optimizer": opt_label,
                         "epochs": run.epochs, "stop_reason": run.stop_reason,
                         "train_loss": final["train_loss"],
                         "train_accuracy": final["train_accuracy"],
                         "test_accuracy": final["test_accuracy"], "phi": phis})
            print(f"  seed {seed} batch {batch_size:>6} {opt_label:<13} {run.epochs:>3} epochs "
                  f"({run.stop_reason}): train acc {100 * final['train_accuracy']:.2f} %, test "
                  f"acc {100 * final['test_accuracy']:.2f} %, φ "
                  + ", ".join(f"{phi:.1f}" for phi in phis))

    # --- 3. the threshold: from here on, every larger batch is significantly worse --------
    drops = {batch: accuracy_drop(values(runs, sb_batch), values(runs, batch), n_test)
             for batch in grid[1:]}
    threshold = None
    for batch in reversed(grid[1:]):
        if drops[batch][0] != HOLDS:
            break
        threshold = batch
    experiments[net_name] = {"n": n, "grid": grid, "sb": sb_batch, "lb": lb_batch,
                             "runs": runs, "drops": drops, "threshold": threshold}

# --- 5. our numbers, the figure ------------------------------------------------------------
panels = {}
for net_name, e in experiments.items():
    runs, grid, rows = e["runs"], e["grid"], []
    log_phi = {batch: mean_log(values(runs, batch, key="phi")) for batch in grid}
    others = [label for _, _, label in OTHER_OPTIMIZERS if values(runs, e["lb"], label)]
    for batch, label in [(batch, "Adam") for batch in grid] + [(e["lb"], o) for o in others]:
        acc, phi = np.array(values(runs, batch, label)), np.array(values(runs, batch, label, "phi"))
        previous = grid[grid.index(batch) - 1] if label == "Adam" and batch != grid[0] else None
        rows.append((batch, f"{100 * batch / e['n']:.1f} %", label,
                     f"{100 * acc.mean():.2f} ± {100 * binomial_se(acc.mean(), n_test):.2f}",
                     "" if batch == grid[0] else
                     accuracy_drop(values(runs, grid[0]), acc, n_test)[0],
                     f"{phi.mean():.1f} [{phi.min():.1f}–{phi.max():.1f}]",
                     "" if previous is None else
                     f"{(log_phi[batch] - log_phi[previous]) / np.log2(batch / previous):+.2f}"))
    print(f"\nFigure 4 — {net_name}: final test accuracy (± binomial standard error) and φ "
          "(full space, ε = 1e-3; mean [range] over seeds × slices) against the batch size. "
          "'drop vs SB': the verdict on 'less accurate than SB'; 'Δln φ': the change of ln φ "
          "per doubling of the batch.")
    print(table(("batch", "of data", "optimizer", "test acc %", "drop vs SB", "φ", "Δln φ"),
                rows))
    where = (f"batch {e['threshold']} ({100 * e['threshold'] / e['n']:.1f} % of the data)"
             if e["threshold"] else "none within the grid")
    print(f"Threshold (ours, {net_name}): {where}. The paper: "
          + "; ".join(f"{k} {v}" for k, v in PAPER_THRESHOLDS.items()) + ".")
    e["log_phi"] = log_phi
    panels[net_name] = {
        "batch": list(grid),
        "accuracy": [100 * np.mean(values(runs, b)) for b in grid],
        "accuracy_se": [100 * binomial_se(np.mean(values(runs, b)), n_test) for b in grid],
        "phi": [float(np.exp(log_phi[b])) for b in grid],
        "phi_low": [min(values(runs, b, key="phi")) for b in grid],
        "phi_high": [max(values(runs, b, key="phi")) for b in grid],
        "threshold": e["threshold"],
        "others": [{"label": label, "batch": e["lb"],
                    "accuracy": 100 * np.mean(values(runs, e["lb"], label)),
                    "phi": float(np.exp(mean_log(values(runs, e["lb"], label, "phi"))))}
                   for label in others]}
plots.plot_batch_size(panels, args.out / "04_batch_size.png")

# --- the paper's claims, with verdicts -----------------------------------------------------
claims = Claims()
for net_name, e in experiments.items():
    runs, grid, log_phi = e["runs"], e["grid"], e["log_phi"]
    largest = grid[-1]
    outcome, evidence = e["drops"][largest]
    where = (f"threshold {e['threshold']} ({100 * e['threshold'] / e['n']:.1f} % of the data)"
             if e["threshold"] else "no threshold within the grid")
    claims.check("8", f"{net_name}: test accuracy falls once the batch passes a threshold",
                 outcome, f"{where}; at batch {largest}: {evidence}")
    outcome, ratio, spread = log_ratio_verdict(values(runs, grid[0], key="phi"),
                                               values(runs, largest, key="phi"))
    rises = sum(log_phi[b] > log_phi[a] for a, b in zip(grid, grid[1:]))
    around = ""
    if e["threshold"]:
        t = e["threshold"]
        below = (log_phi[t] - log_phi[grid[0]]) / np.log2(t / grid[0])
        around = f"; Δln φ per doubling {below:+.2f} up to the threshold"
        if t < largest:
            around += f", {(log_phi[largest] - log_phi[t]) / np.log2(largest / t):+.2f} beyond"
    claims.check("8", f"{net_name}: sharpness drifts upward with the batch size", outcome,
                 f"φ(batch {largest}) / φ(batch {grid[0]}) = {ratio:.1f}× (×/÷ {spread:.2f} "
                 f"standard error); φ rises at {rises} of {len(grid) - 1} steps of the "
                 f"grid{around}")
    for _, _, label in OTHER_OPTIMIZERS:
        if not values(runs, e["lb"], label):
            continue
        gap, gap_evidence = accuracy_drop(values(runs, e["sb"]), values(runs, e["lb"], label),
                                          n_test)
        sharper, ratio, spread = log_ratio_verdict(values(runs, e["sb"], key="phi"),
                                                   values(runs, e["lb"], label, "phi"))
        both = (HOLDS if gap == sharper == HOLDS else
                NOT_SEEN if NOT_SEEN in (gap, sharper) else WITHIN_NOISE)
        train_loss = np.mean(values(runs, e["lb"], label, "train_loss"))
        claims.check("13", f"{net_name}: LB with {label} is, like LB with Adam, less accurate "
                     "and sharper than SB (Adam)", both,
                     f"accuracy ({gap}): {gap_evidence}; sharpness ({sharper}): φ LB/SB = "
                     f"{ratio:.1f}× (×/÷ {spread:.2f}); its final train loss {train_loss:.3f}")

results = {"size": args.size, "data": data_note, "paper_thresholds": PAPER_THRESHOLDS,
           "networks": {net_name: {
               "grid": e["grid"], "sb": e["sb"], "lb": e["lb"], "n_train": e["n"],
               "n_test": n_test, "threshold": e["threshold"], "runs": e["runs"],
               "drops": {str(b): {"verdict": v, "evidence": ev}
                         for b, (v, ev) in e["drops"].items()},
               "figure": panels[net_name]} for net_name, e in experiments.items()}}
results["claims"] = claims.report()
results["wall_time"] = str(clock)
save_json(args.out / "04_batch_size.json", results)
print(f"\nData: {data_note}.\nWrote {args.out / '04_batch_size.png'} and "
      f"{args.out / '04_batch_size.json'} in {clock}.")
