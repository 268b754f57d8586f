"""Lesson 05 — large batches "piggybacked" on small-batch iterates (the paper's Figure 5).

If large batches (LB) are drawn to sharp minima, does it help to start them where a
small-batch (SB) run has already been for a while? Keskar et al. trained with batch 256 for 100
epochs, kept the iterate after every epoch, and from each of those 100 iterates trained the
LB method for 100 more epochs. LB runs started after only a few SB epochs ended as sharp and
as poorly generalising as LB from scratch; after "a certain number" of SB epochs — the paper
gives no number — the piggybacked LB solutions were flat and generalised like SB. The SB
phase, they argue, steers the iterate into the basin of a flat minimiser that the LB phase
then only refines (their case for growing the batch during training).

The procedure, as this script runs it:
1. θ₀ = net.init(seed); train SB (Adam, the stopping rule of lessons 02–04) keeping the
   iterate after each epoch (``minisharp.trajectory``: one float32 θ per epoch in
   ``<checkpoint>.traj.npz``). This is the very SB run of lessons 02–04, reused from runs/
   when its iterates were kept there; otherwise it is trained again (deterministically: it ends
   bit-identical to the checkpoint it overwrites) to record them;
2. for each k of the grid, start the LB run from the SB iterate after k epochs — a fresh Adam,
   the same data-order seed, the same stopping rule — k = 0 is LB from θ₀, lesson 02's LB run;
3. measure every LB solution: final test accuracy and Metric 2.1 (full space, ε = 1e-3) on
   three disjoint 5,000-image slices of the training set; the SB end point likewise;
4. say when the LB solution turns flat and generalises: the smallest k from which on every
   LB solution of the grid is (a) flat — its ln φ nearer to the SB end point's than to the
   cold LB's (below their midpoint) — and (b) not significantly less accurate than the SB end
   point (the drop is not more than twice its standard error);
5. draw the figure and check claim 9 with verdicts.

Differences from the paper: F1 on Fashion-MNIST instead of F2/C1 (--full adds the narrowed C1
on 16,000 images); 4–6 warm starts instead of 100, each trained to the plateau rule (≤ 30
epochs quick, 60 full) instead of 100 epochs — a 2-core CPU cannot train 100 LB runs; the SB
phase is the SB run itself (30 epochs quick), not 100 epochs.

Run:  python lessons/05_warm_start.py
      quick (the default): 7.2 minutes measured on 2 Intel Xeon cores with the full
      Fashion-MNIST after lessons 03 and 04 (the SB run trained again to keep its iterates);
      --full: F1 and the conv net, 3 seeds: 59 minutes measured with the SB runs, their
      iterates and the cold LB runs of lessons 02–06 in runs/ (24 warm-started LB runs trained)
"""

import numpy as np

from minisharp import data, plots, zoo
from minisharp.objective import network_objective
from minisharp.report import (
    HOLDS,
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
from minisharp.train import measure, train
from minisharp.trajectory import Trajectory

# --- configuration ------------------------------------------------------------------------
# Networks per size: (zoo name, training images used (None: all), epoch cap, images per φ
# slice) — as in lessons 02–04, so the SB run and the LB run from θ₀ are theirs.
NETWORKS = {
    "smoke": [("F1-narrow", 2000, 3, 250)],
    "quick": [("F1", None, 30, 5000)],
    "full": [("F1", None, 60, 5000), ("C1-narrow", 16_000, 20, 2000)],
}
BATCHES = {"smoke": (32, 200)}   # tiny data: fixed SB/LB; otherwise SB by the N/B rule, LB 10 %
# SB epochs k to start the LB from (the paper: all 100). Roughly geometric, so the early
# epochs, where the SB iterate moves most, are resolved; only k ≤ the SB run's length is used.
# Each F1 LB run costs 1–2 minutes, a conv LB run ≈ 6, hence the short conv grid.
WARM_STARTS = {
    "smoke": {"F1-narrow": (0, 1, 3)},
    "quick": {"F1": (0, 1, 3, 10, 25)},
    "full": {"F1": (0, 1, 2, 4, 8, 16, 30), "C1-narrow": (0, 2, 8)},
}
SEEDS = {"smoke": (0,), "quick": (0,), "full": (0, 1, 2)}
TEST_SAMPLES = {"smoke": 300, "quick": None, "full": None}   # None: the whole test set
PATIENCE, MIN_DELTA = 5, 1e-3   # stop after 5 epochs without a 1e-3 drop of the train loss
EPS, MAXITER = 1e-3, 10         # Metric 2.1: full space, ε = 1e-3, 10 L-BFGS-B iterations
SLICES = 3                      # disjoint slices of the training set φ is measured on (3
                                # give 2 degrees of freedom to the spread, as in lesson 03)


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
    sb_batch, lb_batch = BATCHES.get(args.size, (data.small_batch_size(n),
                                                 data.large_batch_size(n)))
    net = zoo.build(net_name, train_set.input_shape, train_set.num_classes)
    size = min(slice_size, n // SLICES)
    slices = [network_objective(net, train_set.X[k * size:(k + 1) * size],
                                train_set.y[k * size:(k + 1) * size]) for k in range(SLICES)]
    print(f"\n== {net_name} ({net.num_params:,} parameters) on {n:,} images: SB batch "
          f"{sb_batch}, LB batch {lb_batch}, ≤ {max_epochs} epochs, seeds "
          f"{list(SEEDS[args.size])}")
    sb_runs, sb_curves, lb = [], [], {}      # lb[k]: {"accuracy": [...], "phi": [...], ...}
    for seed in SEEDS[args.size]:
        theta0 = net.init(seed)

        # --- 1. the SB run, keeping every epoch's iterate ---------------------------------
        sb_checkpoint = run_path(args.runs, train_set, net_name, seed, sb_batch)
        sb_iterates = Trajectory.beside(sb_checkpoint)
        if not sb_iterates.covers(sb_checkpoint):
            print(f"  seed {seed}: {sb_checkpoint.name} has no complete trajectory; training SB "
                  "again from θ₀ to record its iterates (it ends where the checkpoint did)")
        sb_run = train(net, theta0, train_set, test_set, batch_size=sb_batch, optimizer="adam",
                       seed=seed, max_epochs=max_epochs, patience=PATIENCE, min_delta=MIN_DELTA,
                       checkpoint=sb_checkpoint, resume=sb_iterates.covers(sb_checkpoint),
                       callbacks=[sb_iterates.callback], progress=not args.quiet)
        print(f"  seed {seed} SB: {sb_run.message}")
        start = measure(net, theta0, train_set, test_set)["test_accuracy"]
        sb_curves.append([start] + list(sb_run.history.test_accuracy))
        sb_runs.append({"seed": seed, "epochs": sb_run.epochs,
                        "test_accuracy": sb_run.final()["test_accuracy"],
                        "phi": [args.memo.sharpness(fun, sb_run.theta, EPS, maxiter=MAXITER).phi
                                for fun in slices]})

        # --- 2 and 3. LB from the SB iterate after k epochs -------------------------------
        for k in [k for k in WARM_STARTS[args.size][net_name] if k <= sb_run.epochs]:
            start_theta = theta0 if k == 0 else sb_iterates.theta(k)
            lb_checkpoint = run_path(args.runs, train_set, net_name, seed, lb_batch,
                                     tag="" if k == 0 else f"from-b{sb_batch}-epoch{k}")
            # LB from θ₀ is lesson 02's LB run: keep its iterates for lesson 06 if trained here
            record_iterates = [Trajectory.beside(lb_checkpoint).callback] if k == 0 else []
            lb_run = train(net, start_theta, train_set, test_set, batch_size=lb_batch,
                           optimizer="adam", seed=seed, max_epochs=max_epochs,
                           patience=PATIENCE, min_delta=MIN_DELTA, checkpoint=lb_checkpoint,
                           resume=True, callbacks=record_iterates, progress=not args.quiet)
            phis = [args.memo.sharpness(fun, lb_run.theta, EPS, maxiter=MAXITER).phi
                    for fun in slices]
            entry = lb.setdefault(k, {"accuracy": [], "phi": [], "epochs": [],
                                      "train_loss": [], "sb_accuracy": []})
            entry["accuracy"].append(lb_run.final()["test_accuracy"])
            entry["phi"].extend(phis)
            entry["epochs"].append(lb_run.epochs)
            entry["train_loss"].append(lb_run.final()["train_loss"])
            entry["sb_accuracy"].append(sb_curves[-1][k])
            print(f"  seed {seed} LB from SB epoch {k:>2}: {lb_run.epochs} epochs "
                  f"({lb_run.stop_reason}), test acc {100 * entry['accuracy'][-1]:.2f} % "
                  f"(the SB iterate: {100 * sb_curves[-1][k]:.2f} %), φ "
                  + ", ".join(f"{phi:.1f}" for phi in phis))

    # --- 4. when does the LB solution turn flat and generalise? ---------------------------
    ks = sorted(k for k in lb if len(lb[k]["accuracy"]) == len(SEEDS[args.size]))
    sb_accuracy = [r["test_accuracy"] for r in sb_runs]
    sb_phi = [phi for r in sb_runs for phi in r["phi"]]
    midpoint = (mean_log(lb[0]["phi"]) + mean_log(sb_phi)) / 2
    premise = mean_log(lb[0]["phi"]) > mean_log(sb_phi)   # "turning flat" needs a sharp cold LB
    if not premise:
        print("  LB from θ₀ is not sharper than the SB end point here: 'turning flat' is "
              "undefined, so no k is called flat")
    for k in ks:
        lb[k]["flat"] = premise and k > 0 and mean_log(lb[k]["phi"]) < midpoint
        lb[k]["drop"] = accuracy_drop(sb_accuracy, lb[k]["accuracy"], n_test)
        lb[k]["generalises"] = lb[k]["drop"][0] != HOLDS
    turn = None
    for k in reversed(ks[1:]):
        if not (lb[k]["flat"] and lb[k]["generalises"]):
            break
        turn = k
    experiments[net_name] = {"sb_runs": sb_runs, "sb_curves": sb_curves, "lb": lb, "ks": ks,
                             "midpoint": midpoint, "turn": turn, "sb_phi": sb_phi,
                             "sb_accuracy": sb_accuracy, "lb_batch": lb_batch,
                             "sb_batch": sb_batch}

# --- 5. our numbers, the figure ------------------------------------------------------------
panels = {}
for net_name, e in experiments.items():
    lb, ks, rows = e["lb"], e["ks"], []
    for k in ks:
        acc, phi = np.array(lb[k]["accuracy"]), np.array(lb[k]["phi"])
        rows.append((k, f"{100 * np.mean(lb[k]['sb_accuracy']):.2f}",
                     f"{100 * acc.mean():.2f} ± {100 * binomial_se(acc.mean(), n_test):.2f}",
                     f"{phi.mean():.1f} [{phi.min():.1f}–{phi.max():.1f}]",
                     "/".join(str(x) for x in lb[k]["epochs"]),
                     "—" if k == 0 else "yes" if lb[k]["flat"] else "no", lb[k]["drop"][0]))
    sb_acc, sb_phi = np.array(e["sb_accuracy"]), np.array(e["sb_phi"])
    rows.append(("SB end", "", f"{100 * sb_acc.mean():.2f} ± "
                 f"{100 * binomial_se(sb_acc.mean(), n_test):.2f}",
                 f"{sb_phi.mean():.1f} [{sb_phi.min():.1f}–{sb_phi.max():.1f}]",
                 "/".join(str(r["epochs"]) for r in e["sb_runs"]), "", ""))
    print(f"\nFigure 5 — {net_name}: LB (batch {e['lb_batch']}) started from the SB (batch "
          f"{e['sb_batch']}) iterate after k epochs. Test accuracy ± binomial standard error; "
          "φ full space, ε = 1e-3, mean [range] over seeds × slices; 'flat': ln φ below the "
          "midpoint of the cold LB's and the SB end point's; 'drop vs SB end': the verdict on "
          "'less accurate than the SB end point'.")
    print(table(("k", "SB iterate acc %", "LB acc %", "LB φ", "LB epochs", "flat",
                 "drop vs SB end"), rows))
    print(f"The LB solution turns flat and generalises from k = {e['turn']} SB epochs on."
          if e["turn"] is not None else
          "No k of the grid after which every LB solution is flat and generalises.")
    print("The paper: no number; from its Figure 5, after a small part of its 100 SB epochs.")
    longest = max(len(c) for c in e["sb_curves"])
    panels[net_name] = {
        "sb_epochs": list(range(longest)),
        "sb_accuracy": [100 * np.mean([c[i] for c in e["sb_curves"] if i < len(c)])
                        for i in range(longest)],
        "k": ks, "lb_accuracy": [100 * np.mean(lb[k]["accuracy"]) for k in ks],
        "phi": [float(np.exp(mean_log(lb[k]["phi"]))) for k in ks],
        "phi_low": [min(lb[k]["phi"]) for k in ks], "phi_high": [max(lb[k]["phi"]) for k in ks],
        "phi_sb": float(np.exp(mean_log(e["sb_phi"]))), "turn": e["turn"]}
plots.plot_warm_start(panels, args.out / "05_warm_start.png")

# --- the paper's claims, with verdicts -----------------------------------------------------
claims = Claims()
for net_name, e in experiments.items():
    lb, ks = e["lb"], e["ks"]
    if len(ks) < 2:
        continue
    few, last = ks[1], ks[-1]
    outcome, ratio, spread = log_ratio_verdict(e["sb_phi"], lb[few]["phi"])
    claims.check("9", f"{net_name}: LB started after only {few} SB epoch(s) is still sharp "
                 "(sharper than the SB end point)", outcome,
                 f"φ(LB from k={few}) / φ(SB end) = {ratio:.1f}× (×/÷ {spread:.2f} standard "
                 f"error); its test accuracy {100 * np.mean(lb[few]['accuracy']):.2f} % against "
                 f"{100 * np.mean(lb[0]['accuracy']):.2f} % for LB from θ₀")
    outcome, ratio, spread = log_ratio_verdict(lb[last]["phi"], lb[0]["phi"])
    where = (f"it turns flat and generalises from k = {e['turn']}" if e["turn"] is not None
             else "no k of the grid after which it is flat and generalises")
    claims.check("9", f"{net_name}: after {last} SB epochs the LB solution is flatter than LB "
                 "from θ₀", outcome,
                 f"φ(LB from θ₀) / φ(LB from k={last}) = {ratio:.1f}× (×/÷ {spread:.2f}); {where}")
    outcome, evidence = accuracy_drop(lb[last]["accuracy"], lb[0]["accuracy"], n_test)
    claims.check("9", f"{net_name}: after {last} SB epochs the LB solution generalises better "
                 "than LB from θ₀", outcome,
                 evidence.replace("SB ", f"LB(k={last}) ", 1).replace("LB ", "LB(θ₀) ", 1))

results = {"size": args.size, "data": data_note, "networks": {net_name: {
    "sb_batch": e["sb_batch"], "lb_batch": e["lb_batch"], "warm_starts": e["ks"],
    "turn": e["turn"], "midpoint_log_phi": e["midpoint"], "sb_runs": e["sb_runs"],
    "sb_curves": e["sb_curves"],
    "lb": {str(k): {**{key: v for key, v in entry.items() if key != "drop"},
                    "drop_verdict": entry["drop"][0], "drop_evidence": entry["drop"][1]}
           for k, entry in e["lb"].items()},
    "figure": panels[net_name]} for net_name, e in experiments.items()}}
results["claims"] = claims.report()
results["wall_time"] = str(clock)
save_json(args.out / "05_warm_start.json", results)
print(f"\nData: {data_note}.\nWrote {args.out / '05_warm_start.png'} and "
      f"{args.out / '05_warm_start.json'} in {clock}.")
