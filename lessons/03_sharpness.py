"""Lesson 03 — sharp and flat minima, measured (the paper's Metric 2.1, Tables 3 and 4).

Why does the large-batch (LB) network generalise worse? Keskar et al. measure how *sharp* each
minimum is: how much the training loss f can rise within a small box around the trained
weights x,

    φ(ε, A) = 100 · (max_{y ∈ C_ε} f(x + A y) − f(x)) / (1 + f(x)),
    C_ε = { y : |y_i| ≤ ε (|(A⁺x)_i| + 1) },

found with 10 iterations of L-BFGS-B. A = I explores every weight (Table 3); a random n×100
matrix A explores a random 100-dimensional subspace (Table 4). The box is relative to each
weight's size, so the number does not depend on how the network happens to be scaled.
The paper finds LB minima 1–2 orders of magnitude sharper than small-batch (SB) minima.

What to look at:
- the printed tables: our φ for SB and LB at ε = 1e-3 and 5e-4, beside the paper's (F1 on
  MNIST, C1 on CIFAR-10), and the LB/SB ratios;
- figures/03_sharpness.png: SB (blue) against LB (red) per cell, log scale, with the paper's
  values as black ticks;
- the closing check of the paper's claims.

f here is the mean cross-entropy on a fixed slice of the training set (the first 10,000
images in the quick run, all 60,000 in --full), batch norm with the statistics of each chunk
of 5000 (the paper's Keras mode=2), dropout off. The random A has i.i.d. N(0, 1) entries,
seeded per run. The SB/LB checkpoints are shared with lesson 02 (runs/); missing ones are
trained first, which is most of the quick run's time.

Run:  python lessons/03_sharpness.py     (quick, the default: ≤ 10 minutes on 2 cores with
      the full Fashion-MNIST; --full: F1 and the conv net, 3 seeds, the full training set)
"""

import numpy as np

from minisharp import plots, sharpness, zoo
from minisharp.report import Claims, Stopwatch, lesson_arguments, save_json, table
from minisharp.study import RECIPES, load_fashion_mnist, mean_std, resolve, train_or_load_pair

# --- configuration ------------------------------------------------------------------------
NETWORKS = {"smoke": ("F1",), "quick": ("F1",), "full": ("F1", "conv")}
EPSILONS = (1e-3, 5e-4)
SUBSPACE = 100           # p, the dimension of the random subspace (Table 4)
MAXITER = 10             # L-BFGS-B iterations, as in the paper
PAPER = {  # (SB mean, SB std, LB mean, LB std) — Keskar et al. Tables 3 (full) and 4 (p = 100)
    "F1": {("full", 1e-3): (1.23, 0.83, 205.14, 69.52), ("full", 5e-4): (0.61, 0.27, 42.90, 17.14),
           ("p=100", 1e-3): (0.11, 0.00, 9.22, 0.56), ("p=100", 5e-4): (0.05, 0.00, 9.17, 0.14)},
    "conv": {("full", 1e-3): (28.58, 3.13, 707.23, 43.04),
             ("full", 5e-4): (7.08, 0.88, 227.31, 23.23),
             ("p=100", 1e-3): (2.18, 0.23, 137.25, 21.60),
             ("p=100", 5e-4): (0.71, 0.15, 29.50, 7.48)},
}
CELLS = [(space, eps) for space in ("full", "p=100") for eps in EPSILONS]

args = lesson_arguments(__doc__)
clock = Stopwatch()
train, test, data_note = load_fashion_mnist(args.data)
claims = Claims()
results = {"size": args.size, "data": data_note, "networks": {}}
rows, chart = [], []

for key in NETWORKS[args.size]:
    recipe = resolve(RECIPES[args.size][key], train)
    net = zoo.build(recipe.net, train.input_shape, train.num_classes)
    print(f"\n== {recipe.net}: SB batch {recipe.sb}, LB batch {recipe.lb}; sharpness on the "
          f"first {recipe.sharpness_samples:,} training images; seeds {list(recipe.seeds)}")
    n = recipe.sharpness_samples
    fun = sharpness.objective(net, train.X[:n], train.y[:n], mode="batchstat", chunk=5000)
    phis = {(label, cell): [] for label in ("SB", "LB") for cell in CELLS}
    costs, test_acc = [], {"SB": [], "LB": []}
    for seed in recipe.seeds:
        runs = dict(zip(("SB", "LB"), train_or_load_pair(recipe, train, test, seed, args.runs,
                                                          args.size, progress=not args.quiet)))
        subspace = sharpness.RandomSubspace(net.num_params, SUBSPACE, seed=seed)
        for label, run in runs.items():
            test_acc[label].append(100 * run.final()["test_accuracy"])
            for space, eps in CELLS:
                A = None if space == "full" else subspace
                result = sharpness.sharpness(fun, run.theta, eps, A=A, maxiter=MAXITER)
                phis[(label, (space, eps))].append(result.phi)
                costs.append((recipe.net, seed, label, space, f"{eps:g}", f"{result.phi:.2f}",
                              result.nit, result.nfev, f"{result.seconds:.1f}"))
                if not args.quiet:
                    print(f"  seed {seed} {label} {space:<5} ε={eps:g}: φ = {result.phi:8.2f} "
                          f"({result.nit} iterations, {result.nfev} evaluations, "
                          f"{result.seconds:.1f} s)")

    paper_name = "F1" if key == "F1" else "C1"
    summary = {}
    for cell in CELLS:
        sb, lb = mean_std(phis[("SB", cell)]), mean_std(phis[("LB", cell)])
        p_sb, p_sb_std, p_lb, p_lb_std = PAPER[key][cell]
        ratio = lb[0] / max(sb[0], 1e-12)
        summary[cell] = {"sb": sb, "lb": lb, "ratio": ratio}
        label = f"{cell[0]}, ε={cell[1]:g}"
        rows.append((recipe.net, label, f"{sb[0]:.2f} ± {sb[1]:.2f}", f"{lb[0]:.2f} ± {lb[1]:.2f}",
                     f"{ratio:.1f}×", f"{p_sb} ± {p_sb_std}", f"{p_lb} ± {p_lb_std}",
                     f"{p_lb / p_sb:.1f}×"))
        chart.append({"label": f"{recipe.net}\n{label}", "sb": sb[0], "lb": lb[0],
                      "sb_std": sb[1], "lb_std": lb[1], "paper_sb": p_sb, "paper_lb": p_lb})

    sb_acc, lb_acc = mean_std(test_acc["SB"]), mean_std(test_acc["LB"])
    claims.check(f"{recipe.net}: LB test accuracy below SB (claim 2)", lb_acc[0] < sb_acc[0],
                 f"SB {sb_acc[0]:.2f} ± {sb_acc[1]:.2f} %, LB {lb_acc[0]:.2f} ± {lb_acc[1]:.2f} %")
    above = [f"{c[0]} ε={c[1]:g}" for c in CELLS if summary[c]["lb"][0] > summary[c]["sb"][0]]
    claims.check(f"{recipe.net}: LB sharper than SB in all 4 cells (claim 5)",
                 len(above) == len(CELLS), f"LB > SB in {len(above)}/4: {', '.join(above)}")
    tenfold = [c for c in CELLS if summary[c]["ratio"] >= 10]
    claims.check(f"{recipe.net}: LB/SB ratio ≥ 10× (claim 6; the paper: 23 of 24 cells)",
                 len(tenfold) == len(CELLS),
                 "ratios " + ", ".join(f"{summary[c]['ratio']:.1f}×" for c in CELLS))
    nested = all(np.all(np.asarray(phis[(lab, (sp, 5e-4))]) <= np.asarray(phis[(lab, (sp, 1e-3))]))
                 for lab in ("SB", "LB") for sp in ("full", "p=100"))
    claims.check(f"{recipe.net}: φ(ε=5e-4) ≤ φ(ε=1e-3) for every minimiser (claim 7)", nested,
                 "nested boxes: the smaller box cannot find a higher maximum")
    results["networks"][key] = {
        "net": recipe.net, "sharpness_samples": n, "seeds": list(recipe.seeds),
        "phi": {f"{lab} {sp} {eps:g}": v for (lab, (sp, eps)), v in phis.items()},
        "summary": {f"{sp} {eps:g}": v for (sp, eps), v in summary.items()},
        "test_accuracy": test_acc, "costs": costs, "evaluations": fun.evaluations,
    }

print("\nTables 3 and 4 — sharpness φ, mean ± std over seeds. Ours: Fashion-MNIST. "
      "Paper: MNIST (F1), CIFAR-10 (C1).")
print(table(("network", "cell", "SB (ours)", "LB (ours)", "LB/SB", "SB (paper)", "LB (paper)",
             "LB/SB"), rows))
print("\nCost of each measurement:")
print(table(("network", "seed", "run", "space", "ε", "φ", "iterations", "evaluations",
             "seconds"), costs))
plots.plot_sharpness(chart, args.out / "03_sharpness.png",
                     title="Metric 2.1: small batch vs large batch (ticks: the paper)")
results["claims"] = claims.report()
results["wall_time"] = str(clock)
save_json(args.out / "03_sharpness.json", results)
print(f"\nData: {data_note}.\nWrote {args.out}/03_sharpness.png and 03_sharpness.json "
      f"in {clock}.")
