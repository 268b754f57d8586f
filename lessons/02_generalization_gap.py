"""Lesson 02 — the generalization gap (the paper's Table 2, Figures 2, 3 and 7).

Keskar et al. train each network twice with Adam from the same starting point: once with
small batches (SB, 256 samples) and once with large batches (LB, 10 % of the training set).
Both reach near-perfect *training* accuracy, yet the LB network is worse on the *test* set —
by 0.2 to 5 points across their six networks. This lesson reproduces that on Fashion-MNIST
with F1 (the paper's MNIST network) and a convolutional network (C1's layout, narrowed).

What to look at:
- Table 2 (printed): train accuracy similar for SB and LB; test accuracy lower for LB.
- figures/02_accuracy_curves.png (Fig. 2): test accuracy rises and levels off for both — no
  peak-then-decay — so the gap is not ordinary over-fitting that early stopping would fix.
- figures/02_parametric_<net>.png (Fig. 3): loss and accuracy along the line
  θ(α) = α θ_LB + (1 − α) θ_SB for α ∈ [−1, 2]. The SB minimiser (α = 0) sits in a wide
  valley; around the LB minimiser (α = 1) the loss climbs much faster: a sharp minimum.
- figures/02_sincos_<net>.png (Fig. 7): the same along sin(απ/2) θ_LB + cos(απ/2) θ_SB.

Batch norm is measured in the paper's way: each chunk of 5000 samples is normalised with its
own statistics (Keras mode=2), dropout off. Differences from the paper: Fashion-MNIST for
MNIST/CIFAR (harder than MNIST, easier than CIFAR), a narrowed conv net and fewer epochs in
the quick run, and 3 seeds in --full where the paper used 5.

Run:  python lessons/02_generalization_gap.py        (quick: minutes; --full: hours)
"""

import numpy as np

from minisharp import landscape, plots, zoo
from minisharp.report import Claims, Stopwatch, lesson_arguments, save_json, table
from minisharp.study import (
    RECIPES,
    load_fashion_mnist,
    mean_std,
    measured_test_set,
    resolve,
    train_or_load_pair,
)

# --- configuration ------------------------------------------------------------------------
NETWORKS = ("F1", "conv")      # the dense net and the conv net (recipes in minisharp.study)
ALPHAS = np.linspace(-1, 2, 25)  # the authors' 25 points on [−1, 2]
PAPER_TABLE2 = {  # Keskar et al. Table 2 (MNIST for F1, CIFAR-10 for C1): mean ± std, %
    "F1": {"train": ((99.66, 0.05), (99.92, 0.01)), "test": ((98.03, 0.07), (97.81, 0.07))},
    "conv": {"train": ((99.89, 0.02), (99.66, 0.2)), "test": ((80.04, 0.12), (77.26, 0.42))},
}

args = lesson_arguments(__doc__)
clock = Stopwatch()
train, test, data_note = load_fashion_mnist(args.data)
claims = Claims()
results = {"size": args.size, "data": data_note, "networks": {}}
curves, rows = {}, []


def pct(pair):
    return f"{pair[0]:.2f} ± {pair[1]:.2f}"


for key in NETWORKS:
    recipe = resolve(RECIPES[args.size][key], train)
    print(f"\n== {key}: {recipe.net}, SB batch {recipe.sb}, LB batch {recipe.lb}, "
          f"{recipe.train_samples:,} training samples, up to {recipe.max_epochs} epochs, "
          f"seeds {list(recipe.seeds)}")
    runs = [train_or_load_pair(recipe, train, test, seed, args.runs, args.size,
                               progress=not args.quiet) for seed in recipe.seeds]
    finals = {label: [r[i].final() for r in runs] for i, label in enumerate(("SB", "LB"))}
    ours = {part: tuple(mean_std([100 * f[f"{part}_accuracy"] for f in finals[label]])
                        for label in ("SB", "LB")) for part in ("train", "test")}
    paper = PAPER_TABLE2[key]
    rows.append((recipe.net, "ours", pct(ours["train"][0]), pct(ours["train"][1]),
                 pct(ours["test"][0]), pct(ours["test"][1]),
                 f"{ours['test'][0][0] - ours['test'][1][0]:+.2f}"))
    rows.append(("F1" if key == "F1" else "C1", "paper", pct(paper["train"][0]),
                 pct(paper["train"][1]), pct(paper["test"][0]), pct(paper["test"][1]),
                 f"{paper['test'][0][0] - paper['test'][1][0]:+.2f}"))
    sb_run, lb_run = runs[0]
    curves[recipe.net] = {"SB": sb_run.history.to_dict(), "LB": lb_run.history.to_dict()}

    # distances travelled from the shared start (claim 10)
    net = zoo.build(recipe.net, train.input_shape, train.num_classes)
    ratios = []
    for seed, (sb, lb) in zip(recipe.seeds, runs):
        theta0 = net.init(seed)
        ratios.append(float(np.linalg.norm(sb.theta - theta0) / np.linalg.norm(lb.theta - theta0)))

    # Figures 3 and 7: the path between the SB and LB minimisers of the first seed
    measured = {"train": (train.X[:recipe.sharpness_samples], train.y[:recipe.sharpness_samples]),
                "test": (measured_test_set(recipe, test).X, measured_test_set(recipe, test).y)}
    paths = {}
    for path, stem in (("linear", "parametric"), ("sincos", "sincos")):
        paths[path] = landscape.interpolate(net, sb_run.theta, lb_run.theta, measured,
                                            alphas=ALPHAS, path=path, progress=not args.quiet)
        plots.plot_parametric(paths[path], args.out / f"02_{stem}_{key}.png",
                              title=f"{recipe.net} on Fashion-MNIST: SB (α=0) → LB (α=1)",
                              log_loss=True)

    # claims
    gap = ours["test"][0][0] - ours["test"][1][0]
    claims.check(f"{recipe.net}: LB test accuracy below SB (claim 2)", gap > 0,
                 f"SB {pct(ours['test'][0])} %, LB {pct(ours['test'][1])} %, gap {gap:+.2f} "
                 f"points (paper {paper['test'][0][0] - paper['test'][1][0]:+.2f})")
    for label, run in (("SB", sb_run), ("LB", lb_run)):
        best, last = max(run.history.test_accuracy), run.history.test_accuracy[-1]
        claims.check(f"{recipe.net} {label}: test accuracy levels off, no peak-then-decay "
                     "(claim 3)", best - last < 0.01,
                     f"best {100 * best:.2f} %, final {100 * last:.2f} %")
    loss = np.asarray(paths["linear"]["metrics"]["train"]["loss"])
    i0, i1 = int(np.argmin(abs(ALPHAS))), int(np.argmin(abs(ALPHAS - 1)))
    step = 2  # compare the rise of the loss 2 grid points (0.25 in α) on either side
    rise_sb = (loss[i0 - step] + loss[i0 + step]) / 2 - loss[i0]
    rise_lb = (loss[i1 - step] + loss[i1 + step]) / 2 - loss[i1]
    claims.check(f"{recipe.net}: the loss rises faster around the LB minimiser than around SB "
                 "(claim 4)", rise_lb > rise_sb,
                 f"mean rise at Δα = ±0.25: LB {rise_lb:.3f}, SB {rise_sb:.3f} (train loss)")
    sb_loss = np.mean([f["train_loss"] for f in finals["SB"]])
    lb_loss = np.mean([f["train_loss"] for f in finals["LB"]])
    claims.check(f"{recipe.net}: SB and LB reach similar training loss (claim 12)",
                 max(sb_loss, lb_loss) < 0.1 or max(sb_loss, lb_loss) < 2 * min(sb_loss, lb_loss),
                 f"SB {sb_loss:.4f}, LB {lb_loss:.4f}")
    claims.check(f"{recipe.net}: ‖θ_SB − θ₀‖ / ‖θ_LB − θ₀‖ between 3 and 10 (claim 10)",
                 all(3 <= r <= 10 for r in ratios), f"ratios {[round(r, 2) for r in ratios]}")
    results["networks"][key] = {
        "net": recipe.net, "recipe": {k: getattr(recipe, k) for k in
                                      ("sb", "lb", "max_epochs", "patience", "min_delta",
                                       "train_samples", "seeds")},
        "ours": ours, "paper": paper, "finals": finals, "distance_ratios": ratios,
        "epochs": [[r[0].epochs, r[1].epochs] for r in runs],
        "stop_reasons": [[r[0].stop_reason, r[1].stop_reason] for r in runs],
        "paths": paths,
    }

print("\nTable 2 — accuracy (%), mean ± std over seeds; ours on Fashion-MNIST, the paper's on "
      "MNIST (F1) and CIFAR-10 (C1)")
print(table(("network", "", "train SB", "train LB", "test SB", "test LB", "gap"), rows))
plots.plot_accuracy_curves(curves, args.out / "02_accuracy_curves.png")
results["curves"] = curves
results["claims"] = claims.report()
results["wall_time"] = str(clock)
save_json(args.out / "02_generalization_gap.json", results)
print(f"\nData: {data_note}.\nFigures and JSON in {args.out}/ ({clock}).")
