"""Lesson 08 — curvature, and the critique of sharpness (Hessian spectrum, 2-D surfaces, rescaling).

Metric 2.1 (lesson 03) is one way to say "sharp". Others followed Keskar et al.:

- the Hessian H = ∇²f(θ) at the minimiser: its largest eigenvalue λ_max (the curvature along
  the sharpest direction), its trace (the sum of all curvatures) and its eigenvalue density —
  typically a bulk near 0 and a few large outliers (Ghorbani et al. 2019, PyHessian by Yao et
  al. 2020). F1 has n = 1.46 M parameters, so H has 2·10¹² entries and is never formed: every
  number here comes from exact Hessian-vector products H v (``minisharp.curvature``: a
  reverse pass differentiated by a second reverse pass, through batch norm with batch
  statistics) fed to Lanczos (λ_max), Hutchinson's estimator (trace) and stochastic Lanczos
  quadrature (density), ``minisharp.spectrum``;
- the loss on a 2-D plane through the minimiser, θ + a·d₁ + b·d₂, with random directions
  *filter-normalised* so that each filter of d has the norm of the same filter of θ (Li et al.
  2018) — without it, a plane's width would say more about the size of the weights than about
  the minimum.

Then the critique. Dinh et al. (2017) showed that a ReLU network can be rescaled without
changing its function: multiply a layer's output by c and the next layer's weights by 1/c, or
scale the weights feeding a batch-norm layer (which divides the scale out again). Every
prediction, the loss and the accuracy stay the same, but λ_max, the trace and Metric 2.1
change — so "sharp" measured in these coordinates is not a property of the function alone.
Kwon et al. (2021) answered with adaptive sharpness ψ: Metric 2.1's maximisation over a box
|δ_i| ≤ ε|θ_i| that scales with each weight (Metric 2.1's box is ε(|θ_i| + 1); the "+1" is what
breaks the invariance). ψ does not change under these rescalings, by construction.

The procedure, as this script runs it:
1. for each network and seed draw θ₀ = net.init(seed) and train an SB and an LB run from it
   (Adam, the same data order, until the measured training loss stops improving) — the very
   runs of lessons 02 and 03, reloaded from runs/ when they exist;
2. on a fixed slice of the training set (batch norm with the slice's own statistics, as the
   paper's Keras code did; dropout off), measure for both minimisers: λ₁…λ₃ and λ_min by
   Lanczos, the trace by Hutchinson, Metric 2.1 and ψ at ε = 1e-3 (full space), and the
   loss on a filter-normalised plane; for the first seed also the eigenvalue density by SLQ,
   SB's and LB's smoothed with one Gaussian width so that the two curves compare;
3. rescale the SB minimiser in two ways — a ReLU pair (batch norm γ, β × c and the next dense
   layer's weights × 1/c: exact) and the weights feeding a batch norm × c (exact only for
   batch norm's eps = 0; with Keras's eps = 1e-3 it is the network with eps/c², a change we
   measure) — and measure everything again, in float64;
4. tables, figures, and one block of checks: which measures separate SB from LB, and which
   stay put under a rescaling that leaves the function unchanged.

Differences from the paper: none of these measures is in Keskar et al. except Metric 2.1; f is
measured on a slice of the training set (2,000 images in the quick run, 5,000 for F1 and
1,000 for the conv net in --full), not all of it; Fashion-MNIST instead of MNIST; one seed in
the quick run, three in --full with F1 and a narrowed conv net (C1's layout on 16,000 images, as in
lessons 02 and 03).

Run:  python lessons/08_curvature.py      (quick: 2.9 minutes measured on 2 Intel Xeon cores
      with the F1 runs of lessons 02/03 already in runs/, plus their training otherwise;
      --full: about 2.5 hours of measuring, the runs of lessons 02/03 reused)
"""

import numpy as np

from minisharp import data, landscape_plots, paper, zoo
from minisharp.adaptive import adaptive_sharpness
from minisharp.curvature import NetworkHessian
from minisharp.landscape import filter_normalized_direction, plane
from minisharp.objective import evaluate, network_objective
from minisharp.report import (
    HOLDS,
    Claims,
    Stopwatch,
    accuracy_drop,
    lesson_arguments,
    log_ratio_verdict,
    save_json,
    table,
    verdict,
)
from minisharp.rescale import rescale, scale_into_batch_norm, scale_relu_pair
from minisharp.sharpness import sharpness
from minisharp.spectrum import (
    SIGMA_FRACTION,
    hutchinson_trace,
    lanczos,
    smooth_density,
    spectral_density,
)
from minisharp.study import first, load_fashion_mnist, run_path
from minisharp.train import train

# --- configuration ------------------------------------------------------------------------
# Networks per size: (zoo name, training images (None: all), test images (None: all), largest
# number of epochs) — the same as lessons 02 and 03, so their checkpoints are reused — and the
# training images every measure uses: a Hessian-vector product of the conv net costs ~2.5×
# F1's per image and grows faster than the slice (one batch-statistics chunk: 1,000 images
# take 4–5 s on one thread, 2,000 take 10–12 s), so the conv net is measured on 1,000.
NETWORKS = {
    "smoke": [("F1-narrow", 1000, 300, 2, 250)],
    "quick": [("F1", None, None, 30, 2000)],
    "full": [("F1", None, None, 60, 5000), ("C1-narrow", 16_000, None, 20, 1000)],
}
BATCHES = {"smoke": (32, 100)}   # tiny data: fixed sizes; otherwise SB by the N/B rule, LB 10 %
SEEDS = {"smoke": (0,), "quick": (0,), "full": (0, 1, 2)}
PATIENCE, MIN_DELTA = 5, 1e-3   # stop after 5 epochs without a 1e-3 drop of the train loss
LANCZOS_STEPS = {"smoke": 8, "quick": 20, "full": 30}  # top eigenvalues converge first
TOP_K = 3                                             # λ₁, λ₂, λ₃
TRACE_SAMPLES = {"smoke": 4, "quick": 10, "full": 30}  # Hutchinson: Rademacher vectors
SLQ_RUNS = {"smoke": 1, "quick": 1, "full": 3}         # SLQ start vectors (×LANCZOS_STEPS HVPs)
PLANE_GRID = {"smoke": np.linspace(-1, 1, 5), "quick": np.linspace(-1, 1, 11),
              "full": np.linspace(-1, 1, 21)}          # Li et al.: [−1, 1]² (at 51 points)
EPS = 1e-3                      # Metric 2.1 and ψ: the paper's larger box
MAXITER = 10                    # L-BFGS-B iterations, as in the paper
C = 10.0                        # rescaling factor (Dinh et al.: any c > 0 works)
RESCALINGS = [                  # (label, what is scaled, rescaling, layer); F1 and C1-narrow
    ("ReLU pair", "batchnorm2 γ, β × c, the next layer's W × 1/c", scale_relu_pair,
     "batchnorm2"),
    ("into BN", "dense2 W, b × c (feeds batchnorm4 in C1, batchnorm2 in F1)",
     scale_into_batch_norm, "dense2"),
]
RESCALED_PLANE = np.linspace(-1, 1, 5)  # coarse: only compared point by point with the original

args = lesson_arguments(__doc__)
seeds = tuple(args.seeds or SEEDS[args.size])
clock = Stopwatch()
train_all, test_all, data_note = load_fashion_mnist(args.data)
size = args.size
experiments = {}


def curvature(net, theta, X, y, seed):
    """λ₁…λ_k, λ_min and the trace of H at θ on (X, y), with their cost (kept in the memo)."""
    inputs = {"net": net, "theta": theta, "X": X, "y": y, "seed": seed, "top": TOP_K,
              "steps": LANCZOS_STEPS[size], "samples": TRACE_SAMPLES[size]}
    return args.memo.measure("curvature", inputs, lambda: measure_curvature(net, theta, X, y,
                                                                             seed))


def measure_curvature(net, theta, X, y, seed):
    hessian = NetworkHessian(net, theta, X, y)
    top = lanczos(hessian, net.num_params, TOP_K, iterations=LANCZOS_STEPS[size], seed=seed)
    trace = hutchinson_trace(hessian, net.num_params, samples=TRACE_SAMPLES[size], seed=seed)
    return {"top": top.eigenvalues.tolist(), "residuals": top.residuals.tolist(),
            "smallest": top.smallest, "trace": trace.trace, "trace_se": trace.stderr,
            "hvps": hessian.products, "hvp_seconds": hessian.seconds / hessian.products}


def sharpnesses(fun, theta):
    """Metric 2.1 (full space) and adaptive sharpness ψ at ε = EPS (kept in the memo), and
    the time of one loss + gradient on the slice."""
    def measure():
        phi = sharpness(fun, theta, EPS, maxiter=MAXITER)
        psi = adaptive_sharpness(fun, theta, EPS, maxiter=MAXITER)
        return {"f": phi.f0, "phi": phi.phi, "psi": psi.phi,
                "seconds": phi.seconds + psi.seconds,
                "grad_seconds": (phi.fun_seconds + psi.fun_seconds) / (phi.nfev + psi.nfev)}

    inputs = {"fun": fun, "theta": theta, "eps": EPS, "maxiter": MAXITER}
    return args.memo.measure("phi and psi", inputs, measure)


def quadrature(net, theta, X, y, seed):
    """The stochastic Lanczos quadrature of H at θ — nodes and weights, from which any
    smoothing of the eigenvalue density follows (kept in the memo)."""
    def measure():
        result = spectral_density(NetworkHessian(net, theta, X, y), net.num_params,
                                  runs=SLQ_RUNS[size], iterations=LANCZOS_STEPS[size],
                                  seed=seed)
        return {"nodes": result.nodes.tolist(), "weights": result.weights.tolist(),
                "hvps": result.hvps, "seconds": result.seconds}

    inputs = {"net": net, "theta": theta, "X": X, "y": y, "seed": seed, "runs": SLQ_RUNS[size],
              "steps": LANCZOS_STEPS[size]}
    return args.memo.measure("quadrature", inputs, measure)


def kept_surface(net, theta, X, y):
    """:func:`surface` on the lesson's grid, kept in the memo."""
    inputs = {"net": net, "theta": theta, "X": X, "y": y, "grid": PLANE_GRID[size]}
    return args.memo.measure("plane", inputs, lambda: surface(net, theta, X, y,
                                                              PLANE_GRID[size]))


def densities(quadratures, tops):
    """The densities of several spectra smoothed alike: one Gaussian width (1 % of the
    narrowest spectrum's spread, so that it stays resolved) on one grid spanning them all."""
    nodes = [np.array(q["nodes"]) for q in quadratures.values()]
    spreads = [float(n.max() - n.min()) for n in nodes if n.max() > n.min()] or [1.0]
    sigma = SIGMA_FRACTION * min(spreads)
    low = min(float(n.min()) for n in nodes) - 5 * sigma
    high = max(float(n.max()) for n in nodes) + 5 * sigma
    grid = np.linspace(low, high, min(20_000, max(1000, int(10 * (high - low) / sigma))))
    out = {}
    for label, q in quadratures.items():
        grid, density, sigma = smooth_density(q["nodes"], q["weights"], grid=grid, sigma=sigma)
        out[label] = {"grid": grid.tolist(), "density": density.tolist(), "sigma": sigma,
                      "top": tops[label], "hvps": q["hvps"], "seconds": q["seconds"]}
    return out


def surface(net, theta, X, y, grid):
    """Train loss on the filter-normalised plane through θ (directions seeded 0 and 1)."""
    d1, d2 = (filter_normalized_direction(net, theta, seed=s) for s in (0, 1))
    return plane(net, theta, d1, d2, {"train": (X, y)}, alphas=grid, progress=not args.quiet)


# --- 1. and 2. SB and LB minimisers, measured ------------------------------------------------
for net_name, train_samples, test_samples, max_epochs, slice_size in NETWORKS[size]:
    train_set, test_set = first(train_all, train_samples), first(test_all, test_samples)
    n = len(train_set.y)
    sb_batch, lb_batch = BATCHES.get(size, (data.small_batch_size(n), data.large_batch_size(n)))
    net = zoo.build(net_name, train_set.input_shape, train_set.num_classes)
    X, y = train_set.X[:slice_size], train_set.y[:slice_size]
    fun = network_objective(net, X, y)
    print(f"\n== {net_name} ({net.num_params:,} parameters) on {n:,} images: SB batch "
          f"{sb_batch}, LB batch {lb_batch}, Adam, ≤ {max_epochs} epochs, seeds "
          f"{list(seeds)}; measured on the first {len(y):,} training images")
    runs, measures, quadratures, tops = {"SB": [], "LB": []}, {"SB": [], "LB": []}, {}, {}
    for seed in seeds:
        theta0 = net.init(seed)            # both runs of a pair start here
        for label, batch_size in (("SB", sb_batch), ("LB", lb_batch)):
            run = train(net, theta0, train_set, test_set, batch_size=batch_size,
                        optimizer="adam", seed=seed, max_epochs=max_epochs, patience=PATIENCE,
                        min_delta=MIN_DELTA, progress=not args.quiet, resume=True,
                        checkpoint=run_path(args.runs, train_set, net_name, seed, batch_size))
            runs[label].append(run)
            m = curvature(net, run.theta, X, y, seed) | sharpnesses(fun, run.theta)
            m["plane"] = kept_surface(net, run.theta, X, y)
            measures[label].append(m)
            print(f"  seed {seed} {label}: {run.message}\n    f = {m['f']:.4f}, λ₁…λ₃ = "
                  + ", ".join(f"{v:.3g}" for v in m["top"]) + f", λ_min = {m['smallest']:.3g}, "
                  f"trace = {m['trace']:.4g} ± {m['trace_se']:.2g}, φ = {m['phi']:.3g}, "
                  f"ψ = {m['psi']:.3g}  ({m['hvps']} HVPs at {m['hvp_seconds']:.2f} s each)")
            if seed == seeds[0]:           # the density for the first seed
                quadratures[label] = quadrature(net, run.theta, X, y, seed)
                tops[label] = m["top"]
    hvp_seconds = np.mean([m["hvp_seconds"] for label in measures for m in measures[label]])
    grad_seconds = np.mean([m["grad_seconds"] for label in measures for m in measures[label]])
    print(f"  cost on {len(y):,} images: a Hessian-vector product {hvp_seconds:.2f} s, a "
          f"gradient {grad_seconds:.2f} s ({hvp_seconds / grad_seconds:.1f}×; timed when "
          "measured, not a benchmark)")
    experiments[net_name] = {"net": net, "runs": runs, "measures": measures,
                             "density": densities(quadratures, tops), "quadratures": quadratures,
                             "slice": (X, y), "fun": fun, "test": test_set,
                             "cost": {"hvp_seconds": hvp_seconds, "grad_seconds": grad_seconds}}

# --- 3. the rescaling experiment on the first seed's SB minimiser (float64) -----------------
for net_name, e in experiments.items():
    net, (X, y), test_set = e["net"], e["slice"], e["test"]
    theta = e["runs"]["SB"][0].theta.astype(np.float64)
    points = [("original", "nothing", theta)] + [
        (label, what, rescale(theta, rescaling(net, layer, C)))
        for label, what, rescaling, layer in RESCALINGS]
    rows = []
    for label, what, point in points:
        m = curvature(net, point, X, y, seeds[0]) | sharpnesses(e["fun"], point)
        m["test_accuracy"] = evaluate(net, point, test_set.X, test_set.y)[1]
        m["plane"] = surface(net, point, X, y, RESCALED_PLANE)["metrics"]["train"]["loss"]
        m["scaled"] = what
        rows.append((label, m))
        print(f"  {net_name} {label}: f = {m['f']:.10f}, λ₁ = {m['top'][0]:.4g}, "
              f"trace = {m['trace']:.4g}, φ = {m['phi']:.4g}, ψ = {m['psi']:.6g}")
    e["rescaled"] = rows

# --- 4. tables beside the paper's ------------------------------------------------------------
rows = []
for net_name, e in experiments.items():
    reference = paper.SHARPNESS[paper.name_of(net_name)][("full", EPS)]
    for key, name, fmt in (("f", "f (slice)", ".4f"), ("top", "λ_max", ".4g"),
                           ("smallest", "λ_min", ".3g"), ("trace", "trace", ".4g"),
                           ("phi", f"φ full ε={EPS:g}", ".3g"), ("psi", f"ψ ε={EPS:g}", ".3g")):
        values = {label: np.array([m[key][0] if key == "top" else m[key]
                                   for m in e["measures"][label]]) for label in ("SB", "LB")}
        ratio = values["LB"].mean() / values["SB"].mean() if values["SB"].mean() else np.nan
        rows.append((net_name, name, f"{values['SB'].mean():{fmt}}", f"{values['LB'].mean():{fmt}}",
                     f"{ratio:.2f}×", f"{reference[0]} / {reference[2]}" if key == "phi" else "—"))
print(f"\nSB and LB minimisers (mean over {len(seeds)} seed{'s' * (len(seeds) > 1)}); the paper "
      "has only φ (" + ", ".join(f"{paper.name_of(k)} on {paper.DATA[paper.name_of(k)]}"
                                 for k in experiments) + ")")
print(table(("network", "measure", "SB", "LB", "LB/SB", "paper SB / LB"), rows))

rows = []
for net_name, e in experiments.items():
    original = e["rescaled"][0][1]
    for label, m in e["rescaled"]:
        change = np.max(np.abs(np.array(m["plane"]) - np.array(original["plane"])))
        rows.append((net_name, label, f"{m['f']:.10f}", f"{100 * m['test_accuracy']:.2f}",
                     f"{m['top'][0]:.4g}", f"{m['trace']:.4g}", f"{m['phi']:.4g}",
                     f"{m['psi']:.6g}", f"{change:.1e}"))
print(f"\nRescaling the SB minimiser (c = {C:g}; float64): the function is the same, the "
      "measures? " + "; ".join(f"{label}: {what}" for label, what, _, _ in RESCALINGS))
print(table(("network", "θ", "f (slice)", "test acc %", "λ_max", "trace", "φ", "ψ",
             "plane max |Δf|"), rows))

for net_name, e in experiments.items():
    planes = {label: e["measures"][label][0]["plane"] for label in ("SB", "LB")}
    landscape_plots.plot_surfaces(planes, args.out / f"08_surfaces_{net_name}.png",
                                  title=f"{net_name}: train loss on filter-normalised planes "
                                        f"(seed {seeds[0]})")
    sigma = e["density"]["SB"]["sigma"]
    landscape_plots.plot_spectra(e["density"], args.out / f"08_spectrum_{net_name}.png",
                                 title=f"{net_name}: Hessian eigenvalue density (SLQ, seed "
                                       f"{seeds[0]}; both smoothed with σ = {sigma:.2g})")

# --- 5. which measures separate SB from LB, which are invariant ----------------------------
claims = Claims("Checks of this run:")
separating, invariant, changing = [], [], []
for net_name, e in experiments.items():
    runs, measures = e["runs"], e["measures"]
    acc = {label: [r.final()["test_accuracy"] for r in runs[label]] for label in runs}
    claims.check("2", f"{net_name}: LB test accuracy below SB",
                 *accuracy_drop(acc["SB"], acc["LB"], len(e["test"].y)))
    for key, name, claim in (("phi", "Metric 2.1 φ", "5"), ("top", "λ_max", "lambda_max"),
                             ("psi", "adaptive sharpness ψ", "adaptive")):
        values = {label: [m[key][0] if key == "top" else m[key] for m in measures[label]]
                  for label in measures}
        outcome, ratio, spread = log_ratio_verdict(values["SB"], values["LB"])
        claims.check(claim, f"{net_name}: LB has the larger {name}", outcome,
                     f"LB/SB = {ratio:.2f}× (×/÷ {spread:.2f}, {len(seeds)} seed(s))")
        if outcome == HOLDS:
            separating.append(f"{name} ({net_name})")
    trace = {label: np.array([m["trace"] for m in measures[label]]) for label in measures}
    errors = {label: np.array([m["trace_se"] for m in measures[label]]) for label in measures}
    noise = np.sqrt(np.mean(errors["SB"] ** 2 + errors["LB"] ** 2) / len(seeds)
                    + (np.var(trace["LB"] - trace["SB"], ddof=1) / len(seeds)
                       if len(seeds) > 1 else 0.0))
    outcome = verdict(trace["LB"].mean() - trace["SB"].mean(), noise)
    claims.check("trace", f"{net_name}: LB has the larger Hessian trace", outcome,
                 f"SB {trace['SB'].mean():.4g}, LB {trace['LB'].mean():.4g} (± {noise:.2g}, "
                 "Hutchinson and seed spread)")
    if outcome == HOLDS:
        separating.append(f"trace ({net_name})")
    rise = {label: [float(np.mean(m["plane"]["metrics"]["train"]["loss"]) - m["f"])
                    for m in measures[label]] for label in ("SB", "LB")}
    outcome, ratio, spread = log_ratio_verdict(rise["SB"], rise["LB"])
    claims.check("surface", f"{net_name}: the loss rises more on LB's filter-normalised plane",
                 outcome, "mean rise of the loss over the plane: SB "
                 + ", ".join(f"{v:.3g}" for v in rise["SB"]) + "; LB "
                 + ", ".join(f"{v:.3g}" for v in rise["LB"])
                 + f"; LB/SB = {ratio:.2f}× (×/÷ {spread:.2f}, {len(seeds)} seed(s))")
    if outcome == HOLDS:
        separating.append(f"2-D surface ({net_name})")

    original = e["rescaled"][0][1]
    for label, m in e["rescaled"][1:]:
        exact = label == "ReLU pair"   # into BN is exact only for batch norm's eps = 0
        df = abs(m["f"] - original["f"]) / original["f"]
        tolerance = 1e-12 if exact else 1e-3
        claims.check("rescale-f", f"{net_name}, {label}: loss and accuracy unchanged",
                     df <= tolerance and m["test_accuracy"] == original["test_accuracy"],
                     f"relative change of f {df:.1e} (allowed {tolerance:g}: "
                     + ("float64 rounding" if exact else "batch norm's eps becomes eps/c²")
                     + f"), test accuracy {100 * original['test_accuracy']:.2f} → "
                     f"{100 * m['test_accuracy']:.2f} %")
        change = {}
        for key, name in (("top", "λ_max"), ("trace", "trace"), ("phi", "Metric 2.1 φ"),
                          ("psi", "adaptive ψ")):
            before = original[key][0] if key == "top" else original[key]
            after = m[key][0] if key == "top" else m[key]
            change[name] = abs(after - before) / abs(before)
            if key != "psi":
                claims.check("dinh", f"{net_name}, {label}: {name} changes although the "
                             "function does not", change[name] > 0.01,
                             f"{before:.4g} → {after:.4g} (×{after / before:.3g}; 'changes': "
                             "more than 1 %)")
        plane_change = float(np.max(np.abs(np.array(m["plane"]) - np.array(original["plane"]))))
        if exact:
            claims.check("kwon", f"{net_name}, {label}: adaptive ψ unchanged",
                         change["adaptive ψ"] <= 1e-6, f"relative change "
                         f"{change['adaptive ψ']:.1e} (allowed 1e-6: rounding and the solver)")
            claims.check("li", f"{net_name}, {label}: the filter-normalised plane unchanged",
                         plane_change <= 1e-9, f"largest change of the loss over "
                         f"{RESCALED_PLANE.size}² points: {plane_change:.1e}")
            invariant += [name for name, value in change.items() if value <= 1e-6]
            invariant += ["filter-normalised plane"] if plane_change <= 1e-9 else []
            changing += [name for name, value in change.items() if value > 0.01]
        else:
            others = {k: v for k, v in change.items() if k != "adaptive ψ"}
            claims.check("kwon", f"{net_name}, {label}: ψ changes least (the symmetry is "
                         "broken only by eps)", change["adaptive ψ"] < min(others.values()),
                         "relative changes: " + ", ".join(f"{k} {v:.1e}"
                                                          for k, v in change.items())
                         + f"; plane {plane_change:.1e}")

results = {"size": size, "data": data_note, "networks": {
    net_name: {"measures": e["measures"],
               "density": {label: {k: v for k, v in d.items() if k not in ("grid", "density")}
                           | {"nodes": e["quadratures"][label]["nodes"],
                              "weights": e["quadratures"][label]["weights"]}
                           for label, d in e["density"].items()},
               "rescaled": [{"label": label, **m} for label, m in e["rescaled"]],
               "test_accuracy": {label: [r.final()["test_accuracy"] for r in e["runs"][label]]
                                 for label in e["runs"]},
               "epochs": {label: [r.epochs for r in e["runs"][label]] for label in e["runs"]},
               "cost": e["cost"]}
    for net_name, e in experiments.items()}}
results["claims"] = claims.report()
print(f"\nSeparate SB from LB here: {', '.join(separating) or 'none'}.\n"
      "Unchanged by the exact (ReLU-pair) rescaling: "
      f"{', '.join(sorted(set(invariant))) or 'none'}.\n"
      f"Changed by it although the function is not: {', '.join(sorted(set(changing))) or 'none'}.")
results["summary"] = {"separating": separating, "invariant": sorted(set(invariant)),
                      "changing": sorted(set(changing))}
results["wall_time"] = str(clock)
save_json(args.out / "08_curvature.json", results)
print(f"\nData: {data_note}.\nFigures and JSON in {args.out}/ ({clock}).")
