"""Lesson 03 — sharp and flat minima, measured (the paper's Metric 2.1, Tables 3 and 4).

Why does the large-batch (LB) network generalise worse? Keskar et al. measure how *sharp* each
minimum is: how much the training loss f can rise within a small box around the trained
weights x,

    φ(ε, A) = 100 · (max_{y ∈ C_ε} f(x + A y) − f(x)) / (1 + f(x)),
    C_ε = { y : |y_i| ≤ ε (|(A⁺x)_i| + 1) },

found with 10 iterations of L-BFGS-B. A = I explores every weight (Table 3); a random n×100
matrix A explores a random 100-dimensional subspace (Table 4). The box is relative to each
weight's size. The paper finds LB minima 1–2 orders of magnitude sharper than small-batch (SB)
minima.

The procedure, as this script runs it:
1. train an SB and an LB network from the same θ₀ (Adam, until the training loss stops
   improving) — or reload them from runs/, where lesson 02 keeps the same runs;
2. compute φ once by hand — the box, SciPy's L-BFGS-B on −f, the formula — and check it
   against ``minisharp.sharpness``;
3. measure φ for every run in the four cells (full space and p = 100, ε = 1e-3 and 5e-4) on
   three disjoint slices of the training set (and a fresh random subspace for each), so every
   number comes with a spread;
4. split φ into slope and curvature: at an endpoint that is not exactly stationary, the
   first-order term 100·ε·Σ|gᵢ|(|xᵢ| + 1)/(1 + f) — the most a linear function with gradient g
   can rise in the box — is part of φ. What is left is curvature;
5. print our tables beside the paper's and check the paper's claims, each with a verdict:
   holds, not seen, or within noise (see ``minisharp.report``).

f here is the mean cross-entropy on a slice of the training set, batch norm with the
statistics of each chunk of 5000 (the paper's Keras mode=2), dropout off. The paper used the
whole training set; we use slices of 5,000 images (2,000 for the conv nets) to afford three
of them. The random A
has i.i.d. N(0, 1) entries, seeded per slice and run. Differences from the paper:
Fashion-MNIST instead of MNIST/CIFAR, one seed in the quick run (three in --full, the paper
five), narrowed conv nets in --full.

Run:  python lessons/03_sharpness.py     (quick, the default: 4.7 minutes measured on 2 quiet
      Intel Xeon cores with the full Fashion-MNIST, training included; --full: four
      networks, 3 seeds; --device cuda trains and measures the dense networks on a GPU)
"""

import numpy as np
import scipy.optimize

from minisharp import data, paper, plots, zoo
from minisharp.objective import network_objective
from minisharp.polish import polish
from minisharp.report import (
    HOLDS,
    NOT_SEEN,
    WITHIN_NOISE,
    Claims,
    Stopwatch,
    accuracy_drop,
    device_argument,
    lesson_arguments,
    log_ratio_verdict,
    save_json,
    table,
)
from minisharp.sharpness import sharpness
from minisharp.study import first, load_fashion_mnist, run_path
from minisharp.subspace import RandomSubspace
from minisharp.train import train

# --- configuration ------------------------------------------------------------------------
# Networks per size: (zoo name, training images used (None: all), largest training epochs,
# images per slice φ is measured on). The conv nets train at ~1,300 samples/s on 2 cores, so
# even --full keeps them on the first 16,000 images; the small batch then shrinks to keep N/B
# near the paper's 60000/256. C2-narrow trains for up to 60 epochs, as in lesson 02 (its runs
# are shared). The conv nets' slices hold 2,000 images, as in lessons 04–06 (the same runs
# then get the same φ there): --full needs 72 measurements of ~11 loss-and-gradient
# evaluations per network, and one evaluation of C2-narrow costs 5 s on 2,000 images, 15 s on
# 5,000 (one core).
NETWORKS = {
    "smoke": [("F1-narrow", 2000, 2, 250)],
    "quick": [("F1", None, 30, 5000)],
    "full": [("F1", None, 60, 5000), ("F2", None, 60, 5000), ("C1-narrow", 16_000, 20, 2000),
             ("C2-narrow", 16_000, 60, 2000)],
}
# Batch sizes: the paper's SB 256 and LB 10 % of the training set on the full data; on fewer
# images the small batch shrinks to keep N/B ≈ 234 (minisharp.data.small_batch_size).
BATCHES = {"smoke": (32, 200)}   # tiny data: fixed sizes; otherwise the rule above
SEEDS = {"smoke": (0,), "quick": (0,), "full": (0, 1, 2)}
TEST_SAMPLES = {"smoke": 500, "quick": None, "full": None}   # None: the whole test set
PATIENCE, MIN_DELTA = 5, 1e-3   # stop after 5 epochs without a 1e-3 drop of the train loss
SLICES = 3                      # disjoint slices of the training set φ is measured on
EPSILONS = (1e-3, 5e-4)
SUBSPACE = 100                  # p, the dimension of the random subspace (Table 4)
MAXITER = 10                    # L-BFGS-B iterations, as in the paper
POLISH_STEPS = {"smoke": 3, "quick": 0, "full": 20}  # full-batch steps before a 2nd measurement
CELLS = [(space, eps) for space in ("full", "p=100") for eps in EPSILONS]

args = lesson_arguments(__doc__, extra=device_argument)
seeds = tuple(args.seeds or SEEDS[args.size])
clock = Stopwatch()
train_all, test_all, data_note = load_fashion_mnist(args.data)
test_set = first(test_all, TEST_SAMPLES[args.size])
results = {"size": args.size, "data": data_note, "device": args.device, "networks": {}}
measured = {}

# --- 1. train (or reload) the SB and LB runs of every seed ---------------------------------
for net_name, train_samples, max_epochs, slice_size in NETWORKS[args.size]:
    train_set = first(train_all, train_samples)
    n = len(train_set.y)
    sb_batch, lb_batch = BATCHES.get(args.size, (data.small_batch_size(n),
                                                 data.large_batch_size(n)))
    net = zoo.build(net_name, train_set.input_shape, train_set.num_classes)
    print(f"\n== {net_name} ({net.num_params:,} parameters) on {n:,} images: SB batch "
          f"{sb_batch}, LB batch {lb_batch}, Adam, ≤ {max_epochs} epochs, seeds "
          f"{list(seeds)}")
    runs = {"SB": [], "LB": []}
    for seed in seeds:
        theta0 = net.init(seed)            # both runs of a pair start here
        for label, batch_size in (("SB", sb_batch), ("LB", lb_batch)):
            run = train(net, theta0, train_set, test_set, batch_size=batch_size,
                        optimizer="adam", seed=seed, max_epochs=max_epochs, patience=PATIENCE,
                        min_delta=MIN_DELTA, progress=not args.quiet, resume=True,
                        checkpoint=run_path(args.runs, train_set, net_name, seed, batch_size),
                        device=args.device)
            print(f"  seed {seed} {label}: {run.message}")
            runs[label].append(run)

    # --- 2. Metric 2.1 once by hand, beside minisharp.sharpness -----------------------------
    size = min(slice_size, n // SLICES)
    slices = [network_objective(net, train_set.X[k * size:(k + 1) * size],
                                train_set.y[k * size:(k + 1) * size], device=args.device)
              for k in range(SLICES)]
    fun, x, eps = slices[0], runs["SB"][0].theta.astype(np.float64), EPSILONS[0]
    f0 = fun(x)[0]
    box = eps * (np.abs(x) + 1)                           # C_ε with A = I

    def minus_f(y, fun=fun, x=x):                         # maximise f = minimise −f
        value, gradient = fun((x + y).astype(np.float32))
        return -value, -gradient

    solution = scipy.optimize.minimize(minus_f, np.zeros_like(x), jac=True, method="L-BFGS-B",
                                       bounds=scipy.optimize.Bounds(-box, box),
                                       options={"maxiter": MAXITER, "gtol": 0, "ftol": 0})
    phi_by_hand = 100 * (-solution.fun - f0) / (1 + f0)
    phi_library = sharpness(fun, runs["SB"][0].theta, eps, maxiter=MAXITER).phi
    print(f"  by hand (SB, seed {seeds[0]}, slice 0, full space, ε={eps:g}): "
          f"φ = {phi_by_hand:.4f}; minisharp.sharpness: φ = {phi_library:.4f} (it keeps the "
          "best of all evaluations, the hand version the last iterate)")

    # --- 3. every run, every cell, every slice -------------------------------------------
    phis = {(label, cell): [] for label in runs for cell in CELLS}
    slopes = []       # per run and slice at ε = 1e-3, full space: f, ‖∇f‖, φ, first-order term
    costs = []
    for i, seed in enumerate(seeds):
        for k, fun in enumerate(slices):
            subspace = RandomSubspace(net.num_params, SUBSPACE, seed=SLICES * seed + k)
            for label in runs:                            # SB and LB see the same A
                for space, eps in CELLS:
                    result = args.memo.sharpness(fun, runs[label][i].theta, eps,
                                                 None if space == "full" else subspace,
                                                 maxiter=MAXITER)
                    phis[(label, (space, eps))].append(result.phi)
                    costs.append((net_name, seed, label, k, space, f"{eps:g}",
                                  f"{result.phi:.2f}", result.nit, result.nfev,
                                  f"{result.seconds:.1f}"))
                    if (space, eps) == ("full", 1e-3):
                        slopes.append({"run": label, "seed": seed, "slice": k, "f": result.f0,
                                       "grad_norm": result.gradient_norm, "phi": result.phi,
                                       "first_order": result.first_order})

    # --- 4. slope or curvature? optionally polish each endpoint first ---------------------
    polished = []
    for label, label_runs in runs.items():
        for seed, run in zip(seeds, label_runs[:1] if POLISH_STEPS[args.size] else []):
            settled = polish(slices[0], run.theta, steps=POLISH_STEPS[args.size])
            after = sharpness(slices[0], settled.x, 1e-3, maxiter=MAXITER)
            polished.append({"run": label, "seed": seed, "steps": settled.steps,
                             "f": [settled.f_before, settled.f_after],
                             "grad_norm": [settled.grad_norm_before, settled.grad_norm_after],
                             "phi_after": after.phi, "first_order_after": after.first_order})
    measured[net_name] = {"runs": runs, "phis": phis, "slopes": slopes, "polished": polished,
                          "costs": costs, "n_test": len(test_set.y),
                          "hand": {"phi_by_hand": phi_by_hand, "phi_library": phi_library,
                                   "nit": int(solution.nit), "nfev": int(solution.nfev)}}

# --- 5. tables beside the paper's ----------------------------------------------------------
rows, chart, slope_rows = [], [], []
for net_name, m in measured.items():
    reference = paper.SHARPNESS[paper.name_of(net_name)]
    for cell in CELLS:
        phi_sb, phi_lb = np.array(m["phis"][("SB", cell)]), np.array(m["phis"][("LB", cell)])
        _, ratio, spread = log_ratio_verdict(phi_sb, phi_lb)
        p_sb, p_sb_std, p_lb, p_lb_std = reference[cell]
        label = f"{cell[0]}, ε={cell[1]:g}"
        rows.append((net_name, label,
                     f"{phi_sb.mean():.2f} [{phi_sb.min():.2f}–{phi_sb.max():.2f}]",
                     f"{phi_lb.mean():.2f} [{phi_lb.min():.2f}–{phi_lb.max():.2f}]",
                     f"{ratio:.1f}× (×/÷ {spread:.2f})", f"{p_sb} ± {p_sb_std}",
                     f"{p_lb} ± {p_lb_std}", f"{p_lb / p_sb:.1f}×"))
        chart.append({"label": f"{net_name}\n{label}", "sb": phi_sb.mean(), "lb": phi_lb.mean(),
                      "sb_std": phi_sb.std(), "lb_std": phi_lb.std(), "paper_sb": p_sb,
                      "paper_lb": p_lb})
    for s in m["slopes"]:
        slope_rows.append((net_name, s["run"], s["seed"], s["slice"], f"{s['f']:.4f}",
                           f"{s['grad_norm']:.4f}", f"{s['phi']:.2f}", f"{s['first_order']:.2f}",
                           f"{s['phi'] - s['first_order']:.2f}"))

print("\nTables 3 and 4 — sharpness φ: mean [range] over seeds × slices; LB/SB ratio of "
      "geometric means (×/÷ its standard error). Ours: Fashion-MNIST. Paper: "
      + ", ".join(f"{paper.name_of(k)} on {paper.DATA[paper.name_of(k)]}" for k in measured))
print(table(("network", "cell", "SB (ours)", "LB (ours)", "LB/SB", "SB (paper)", "LB (paper)",
             "LB/SB"), rows))
print("\nSlope or curvature (full space, ε = 1e-3): first-order term = 100·ε·Σ|gᵢ|(|xᵢ|+1)/(1+f)")
print(table(("network", "run", "seed", "slice", "f", "‖∇f‖", "φ", "first-order", "φ − first"),
            slope_rows))
for net_name, m in measured.items():
    for p in m["polished"]:
        print(f"  {net_name} {p['run']} seed {p['seed']} polished by {p['steps']} full-batch "
              f"steps: f {p['f'][0]:.4f} → {p['f'][1]:.4f}, ‖∇f‖ {p['grad_norm'][0]:.4f} → "
              f"{p['grad_norm'][1]:.4f}, φ(1e-3) after {p['phi_after']:.2f} (first-order "
              f"{p['first_order_after']:.2f})")
print("\nCost of each measurement:")
print(table(("network", "seed", "run", "slice", "space", "ε", "φ", "iterations", "evaluations",
             "seconds"), [c for m in measured.values() for c in m["costs"]]))
plots.plot_sharpness(chart, args.out / "03_sharpness.png",
                     title="Metric 2.1: small batch vs large batch (ticks: the paper)")

# --- 6. the paper's claims, with verdicts --------------------------------------------------
claims = Claims()
for net_name, m in measured.items():
    runs, phis = m["runs"], m["phis"]
    acc = {label: [r.final()["test_accuracy"] for r in runs[label]] for label in runs}
    claims.check("2", f"{net_name}: LB test accuracy below SB",
                 *accuracy_drop(acc["SB"], acc["LB"], m["n_test"]))
    outcomes = []
    for cell in CELLS:
        outcome, ratio, spread = log_ratio_verdict(phis[("SB", cell)], phis[("LB", cell)])
        outcomes.append((ratio, spread))
        claims.check("5", f"{net_name}: LB sharper than SB, {cell[0]} ε={cell[1]:g}", outcome,
                     f"LB/SB = {ratio:.1f}× (×/÷ {spread:.2f} standard error, from "
                     f"{len(phis[('SB', cell)])} SB and {len(phis[('LB', cell)])} LB values)")
    tenfold = [log_ratio_verdict(phis[("SB", cell)], phis[("LB", cell)], threshold=10)[0]
               for cell in CELLS]
    overall = (HOLDS if all(v == HOLDS for v in tenfold) else
               NOT_SEEN if NOT_SEEN in tenfold else WITHIN_NOISE)
    claims.check("6", f"{net_name}: LB/SB ratio ≥ 10× in every cell (the paper: 23 of 24)",
                 overall, "ratios " + ", ".join(f"{r:.1f}× ×/÷ {s:.2f} ({v})" for (r, s), v
                                                 in zip(outcomes, tenfold)))
    nested = all(a <= b + 1e-9 for label in runs for space in ("full", "p=100")
                 for a, b in zip(phis[(label, (space, 5e-4))], phis[(label, (space, 1e-3))]))
    claims.check("7", f"{net_name}: φ(ε=5e-4) ≤ φ(ε=1e-3) for every minimiser", nested,
                 "nested boxes: the smaller box cannot find a higher maximum (same slice, "
                 "same subspace)")
    slope = {label: [s for s in m["slopes"] if s["run"] == label] for label in runs}
    curvature = {label: np.mean([s["phi"] - s["first_order"] for s in slope[label]])
                 for label in runs}
    total = {label: np.mean([s["phi"] for s in slope[label]]) for label in runs}
    difference = total["LB"] - total["SB"]
    share = (curvature["LB"] - curvature["SB"]) / difference if difference > 0 else np.nan
    claims.check("slope", f"{net_name}: the LB − SB difference in φ(full, 1e-3) is mostly "
                 "curvature, not slope", difference > 0 and share > 0.5,
                 f"curvature part (φ − first-order term): SB {curvature['SB']:.2f}, LB "
                 f"{curvature['LB']:.2f}; " + (f"share of the difference {100 * share:.0f} %"
                                              if difference > 0 else
                                              "LB is not sharper here, nothing to split"))

results["networks"] = {
    net_name: {"phi": {f"{label} {space} {eps:g}": v
                       for (label, (space, eps)), v in m["phis"].items()},
               "test_accuracy": {label: [r.final()["test_accuracy"] for r in m["runs"][label]]
                                 for label in m["runs"]},
               "epochs": {label: [r.epochs for r in m["runs"][label]] for label in m["runs"]},
               "stop_reasons": {label: [r.stop_reason for r in m["runs"][label]]
                                for label in m["runs"]},
               "slopes": m["slopes"], "polished": m["polished"], "by_hand": m["hand"],
               "costs": m["costs"]}
    for net_name, m in measured.items()}
results["claims"] = claims.report()
results["wall_time"] = str(clock)
save_json(args.out / "03_sharpness.json", results)
print(f"\nData: {data_note}.\nWrote {args.out / '03_sharpness.png'} and "
      f"{args.out / '03_sharpness.json'} in {clock}.")
