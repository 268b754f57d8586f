"""Lesson 06 — sharpness along the way (the paper's Figure 6 and its distance ratio).

Lessons 03–05 measured sharpness where training ended. Keskar et al. also measured it along
the trajectory: Metric 2.1 of the iterates of one small-batch (SB) and one large-batch (LB)
run, plotted against the training loss (Figure 6, F2 and C1). At high loss — early in
training — SB and LB iterates are about equally sharp; as the loss falls, the LB iterates get
sharper quickly while the SB iterates stay about as sharp, then flatten. The two runs part
ways early: sharpness is something the LB run *acquires*, not something it starts with. The
paper also reports that SB travels farther: ‖θ_SB − θ₀‖ / ‖θ_LB − θ₀‖ lies between 3 and 10.

The procedure, as this script runs it:
1. θ₀ = net.init(seed); train SB and LB from it (Adam, the stopping rule of lessons 02–05)
   keeping the iterate after every epoch (``minisharp.trajectory``). These are the SB and LB
   runs of lessons 02–05, reused from runs/ when their iterates were kept there (lesson 04 or
   05 keeps them when it trains them); otherwise they are trained again — deterministically,
   so they end bit-identical to the checkpoints — to record the iterates;
2. measure Metric 2.1 (full space, ε = 1e-3) at θ₀ and at the iterates after a grid of
   epochs, on three disjoint slices of the training set; the loss f(θ) on the slice is the
   x-axis of the figure (the metric reports it);
3. compare SB and LB at the same training loss: at the highest loss both runs pass through
   after their first epoch (L_high) and the lowest both reach (L_low), interpolating ln φ
   linearly in ln f between measured iterates;
4. the distance from θ₀ after every epoch, and the SB/LB ratio at the end (claim 10);
5. draw the figure and check claims 11 and 10 with verdicts.

Differences from the paper: F1 on Fashion-MNIST instead of F2/C1 (--full adds the narrowed C1
on 16,000 images and 3 seeds); φ at about ten epochs per run, not every iterate; the loss is
the slice's, not the whole training set's.

Run:  python lessons/06_sharpness_during_training.py
      quick (the default): 6.0 minutes measured on 2 Intel Xeon cores with the full
      Fashion-MNIST after lessons 03–05 (the LB run trained again to keep its iterates);
      --full: F1 and the conv net, 3 seeds: 55 minutes measured with every run and its
      iterates in runs/ (the measuring alone), about an hour more from nothing
"""

import numpy as np

from minisharp import data, plots, zoo
from minisharp.objective import network_objective
from minisharp.report import (
    Claims,
    Stopwatch,
    lesson_arguments,
    save_json,
    t_quantile,
    table,
    verdict,
)
from minisharp.study import first, load_fashion_mnist, run_path
from minisharp.train import train
from minisharp.trajectory import Trajectory

# --- configuration ------------------------------------------------------------------------
# Networks per size: (zoo name, training images used (None: all), epoch cap, images per φ
# slice) — as in lessons 02–05, so the SB and LB runs are theirs. A full-space φ of F1 on
# 5,000 images costs ≈ 4 s; of the conv net on 2,000 ≈ 13 s.
NETWORKS = {
    "smoke": [("F1-narrow", 2000, 3, 250)],
    "quick": [("F1", None, 30, 5000)],
    "full": [("F1", None, 60, 5000), ("C1-narrow", 16_000, 20, 2000)],
}
BATCHES = {"smoke": (32, 200)}   # tiny data: fixed SB/LB; otherwise SB by the N/B rule, LB 10 %
# Epochs whose iterate is measured (0 is θ₀; the run's last epoch is always added): dense
# early, where the loss falls fastest and the two runs part ways.
MEASURE_EPOCHS = {"smoke": (0, 1, 2), "quick": (0, 1, 2, 3, 5, 8, 12, 18, 25),
                  "full": (0, 1, 2, 3, 5, 8, 12, 18, 25, 35, 45)}
SEEDS = {"smoke": (0,), "quick": (0,), "full": (0, 1, 2)}
TEST_SAMPLES = {"smoke": 300, "quick": None, "full": None}   # None: the whole test set
PATIENCE, MIN_DELTA = 5, 1e-3   # stop after 5 epochs without a 1e-3 drop of the train loss
EPS, MAXITER = 1e-3, 10         # Metric 2.1: full space, ε = 1e-3, 10 L-BFGS-B iterations
SLICES = 3                      # disjoint slices of the training set φ is measured on (3
                                # give 2 degrees of freedom to the spread, as in lesson 03)
FLAT_FACTOR = 2.0               # claim 11: "SB stays roughly flat" = rises by less than 2×
DISTANCE_RANGE = (3.0, 10.0)    # claim 10: the paper's ‖θ_SB − θ₀‖ / ‖θ_LB − θ₀‖


def log_phi_at(points, slice_index, loss):
    """ln φ of one run and slice at training loss ``loss``, linear in ln f between iterates."""
    pairs = sorted((np.log(p["loss"][slice_index]), np.log(max(p["phi"][slice_index], 1e-12)))
                   for p in points if p["epoch"] > 0)
    return float(np.interp(np.log(loss), [a for a, _ in pairs], [b for _, b in pairs]))


def repeated(values):
    """(mean, standard error, z) of repeated values (seeds × slices): the verdict's z is
    Student's t quantile for the values' degrees of freedom (one value: no noise estimate)."""
    values = np.asarray(values, dtype=float)
    if values.size == 1:
        return float(values[0]), 0.0, 2.0
    return (float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size)),
            t_quantile(values.size - 1))


args = lesson_arguments(__doc__)
clock = Stopwatch()
train_all, test_all, data_note = load_fashion_mnist(args.data)
test_set = first(test_all, TEST_SAMPLES[args.size])
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
          f"{list(SEEDS[args.size])}; φ on {SLICES} slices of {size:,} images")
    trials = []                      # per seed: {"SB": {...}, "LB": {...}}
    for seed in SEEDS[args.size]:
        theta0 = net.init(seed)      # both runs start here
        trial = {}
        for label, batch_size in (("SB", sb_batch), ("LB", lb_batch)):
            # --- 1. the run, keeping every epoch's iterate ---------------------------------
            checkpoint = run_path(args.runs, train_set, net_name, seed, batch_size)
            iterates = Trajectory.beside(checkpoint)
            if not iterates.covers(checkpoint):
                print(f"  seed {seed} {label}: {checkpoint.name} has no complete trajectory; "
                      "training again from θ₀ to record the iterates")
            run = train(net, theta0, train_set, test_set, batch_size=batch_size,
                        optimizer="adam", seed=seed, max_epochs=max_epochs, patience=PATIENCE,
                        min_delta=MIN_DELTA, checkpoint=checkpoint,
                        resume=iterates.covers(checkpoint), callbacks=[iterates.callback],
                        progress=not args.quiet)
            print(f"  seed {seed} {label}: {run.message}")

            # --- 2. φ along the way ---------------------------------------------------------
            epochs = sorted({e for e in MEASURE_EPOCHS[args.size] if e <= run.epochs}
                            | {run.epochs})
            points = []
            for epoch in epochs:
                theta = theta0 if epoch == 0 else iterates.theta(epoch)
                measured = [args.memo.sharpness(fun, theta, EPS, maxiter=MAXITER)
                            for fun in slices]
                points.append({"epoch": epoch, "loss": [m.f0 for m in measured],
                               "phi": [m.phi for m in measured]})
                if not args.quiet:
                    print(f"    epoch {epoch:>3}: loss {np.mean(points[-1]['loss']):.4f}, φ "
                          + ", ".join(f"{m.phi:.2f}" for m in measured))

            # --- 4. distance from θ₀ after every epoch --------------------------------------
            distances = [float(np.linalg.norm(iterates.theta(e).astype(np.float64) - theta0))
                         for e in iterates.epochs if e <= run.epochs]
            trial[label] = {"points": points, "epochs": run.epochs,
                            "stop_reason": run.stop_reason,
                            "distance_epoch": [0] + [int(e) for e in iterates.epochs
                                                     if e <= run.epochs],
                            "distance": [0.0] + distances}
        trials.append(trial)

    # --- 3. SB and LB at the same training loss -------------------------------------------
    compare = []                     # per seed and slice: ln φ of SB and LB at L_high, L_low
    for trial in trials:
        for k in range(SLICES):
            losses = {label: [p["loss"][k] for p in trial[label]["points"] if p["epoch"] > 0]
                      for label in trial}
            high = min(max(v) for v in losses.values())
            low = max(min(v) for v in losses.values())
            compare.append({"high": high, "low": low, **{
                f"{label}_{where}": log_phi_at(trial[label]["points"], k, loss)
                for label in trial for where, loss in (("high", high), ("low", low))}})
    ratios = [t["SB"]["distance"][-1] / t["LB"]["distance"][-1] for t in trials]
    experiments[net_name] = {"trials": trials, "compare": compare, "ratios": ratios,
                             "batches": (sb_batch, lb_batch), "slice_size": size}

# --- our numbers, the figure ---------------------------------------------------------------
panels = {}
for net_name, e in experiments.items():
    rows = []
    trial = e["trials"][0]
    for label in ("SB", "LB"):
        for p in trial[label]["points"]:
            rows.append((label, p["epoch"], f"{np.mean(p['loss']):.4f}",
                         f"{np.exp(np.mean(np.log(np.maximum(p['phi'], 1e-12)))):.2f}",
                         f"{min(p['phi']):.2f}–{max(p['phi']):.2f}"))
    print(f"\nFigure 6 — {net_name}, seed {SEEDS[args.size][0]}: φ (full space, ε = 1e-3; "
          f"geometric mean and range over {SLICES} slices) against the training loss on the "
          "slices")
    print(table(("run", "epoch", "loss", "φ", "range"), rows))
    at = {key: float(np.mean([x[key] for x in e["compare"]])) for key in e["compare"][0]}
    print(f"At the same loss (mean over seeds × slices): L_high ≈ {at['high']:.3f}: φ SB "
          f"{np.exp(at['SB_high']):.2f}, LB {np.exp(at['LB_high']):.2f};  L_low ≈ "
          f"{at['low']:.4f}: φ SB {np.exp(at['SB_low']):.2f}, LB {np.exp(at['LB_low']):.2f}")
    common = sorted(set(trial["SB"]["distance_epoch"]) & set(trial["LB"]["distance_epoch"]) - {0})
    along = {ep: trial["SB"]["distance"][trial["SB"]["distance_epoch"].index(ep)]
             / trial["LB"]["distance"][trial["LB"]["distance_epoch"].index(ep)] for ep in common}
    print("‖θ_SB − θ₀‖ / ‖θ_LB − θ₀‖ after the same number of epochs: "
          + ", ".join(f"epoch {ep}: {r:.2f}" for ep, r in along.items())
          + f"; at the end: {', '.join(f'{r:.2f}' for r in e['ratios'])} (the paper: 3–10)")
    e["ratio_along"] = along
    panels[net_name] = {label: {
        "epoch": [p["epoch"] for p in trial[label]["points"]],
        "loss": [float(np.mean(p["loss"])) for p in trial[label]["points"]],
        "phi": [float(np.exp(np.mean(np.log(np.maximum(p["phi"], 1e-12)))))
                for p in trial[label]["points"]],
        "phi_low": [min(p["phi"]) for p in trial[label]["points"]],
        "phi_high": [max(p["phi"]) for p in trial[label]["points"]],
        "distance_epoch": trial[label]["distance_epoch"],
        "distance": trial[label]["distance"]} for label in ("SB", "LB")}
plots.plot_sharpness_along_training(panels, args.out / "06_sharpness_during_training.png")

# --- the paper's claims, with verdicts -----------------------------------------------------
claims = Claims()
for net_name, e in experiments.items():
    c = e["compare"]
    gap_high = [x["LB_high"] - x["SB_high"] for x in c]
    gap_low = [x["LB_low"] - x["SB_low"] for x in c]
    widening, noise, z = repeated([lo - hi for lo, hi in zip(gap_low, gap_high)])
    claims.check("11", f"{net_name}: SB and LB are about equally sharp at high loss, LB much "
                 "sharper at low loss", verdict(widening, noise, z),
                 f"φ_LB / φ_SB = {np.exp(np.mean(gap_high)):.2f}× at loss "
                 f"{np.mean([x['high'] for x in c]):.3f}, {np.exp(np.mean(gap_low)):.2f}× at "
                 f"loss {np.mean([x['low'] for x in c]):.4f}: the ratio grows "
                 f"{np.exp(widening):.2f}× (×/÷ {np.exp(noise):.2f} standard error, "
                 f"{len(c)} seed × slice values)")
    rise, noise, z = repeated([x["LB_low"] - x["LB_high"] for x in c])
    claims.check("11", f"{net_name}: LB sharpness rises as the loss falls",
                 verdict(rise, noise, z),
                 f"φ_LB rises {np.exp(rise):.2f}× (×/÷ {np.exp(noise):.2f}) from loss "
                 f"{np.mean([x['high'] for x in c]):.3f} to {np.mean([x['low'] for x in c]):.4f}")
    sb_rise, noise, z = repeated([x["SB_low"] - x["SB_high"] for x in c])
    claims.check("11", f"{net_name}: SB sharpness stays roughly flat or falls (rises by less "
                 f"than {FLAT_FACTOR:g}×)", verdict(np.log(FLAT_FACTOR) - sb_rise, noise, z),
                 f"φ_SB changes {np.exp(sb_rise):.2f}× (×/÷ {np.exp(noise):.2f}) over the same "
                 "loss range")
    log_ratio, noise, z = repeated(np.log(e["ratios"]))
    low, high = np.log(DISTANCE_RANGE)
    claims.check("10", f"{net_name}: ‖θ_SB − θ₀‖ / ‖θ_LB − θ₀‖ between 3 and 10",
                 verdict(min(log_ratio - low, high - log_ratio), noise, z),
                 f"ratios at the end {[round(r, 2) for r in e['ratios']]}; along the way "
                 + ", ".join(f"epoch {ep}: {r:.2f}"
                             for ep, r in list(e["ratio_along"].items())[:6]))

results = {"size": args.size, "data": data_note, "networks": {net_name: {
    "batches": e["batches"], "slice_size": e["slice_size"], "trials": e["trials"],
    "same_loss": e["compare"], "distance_ratios": e["ratios"],
    "distance_ratio_along": {str(k): v for k, v in e["ratio_along"].items()},
    "figure": panels[net_name]} for net_name, e in experiments.items()}}
results["claims"] = claims.report()
results["wall_time"] = str(clock)
save_json(args.out / "06_sharpness_during_training.json", results)
print(f"\nData: {data_note}.\nWrote {args.out / '06_sharpness_during_training.png'} and "
      f"{args.out / '06_sharpness_during_training.json'} in {clock}.")
