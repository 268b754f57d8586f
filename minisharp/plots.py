"""The paper's figures, drawn with matplotlib's Agg backend (no display needed).

Figures of the loss landscape itself (lines, planes, Hessian spectra) are in
:mod:`minisharp.landscape_plots`.
"""

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import ticker  # noqa: E402

DPI = 120
LOSS_COLOUR = "tab:blue"
ACCURACY_COLOUR = "tab:red"
SET_STYLES = {"train": "-", "test": "--"}


def _linestyle(name, position):
    return SET_STYLES.get(name, ("-", "--", ":", "-.")[position % 4])


def plot_parametric(result, out_png, *, title=None, log_loss=False):
    """Figure 3 of the paper: loss and accuracy along θ(α) from θ_s (α = 0) to θ_l (α = 1).

    ``result`` is what :func:`minisharp.landscape.interpolate` returns (or the same dict read
    back from JSON). Left axis: cross-entropy (log scale with ``log_loss=True``); right axis:
    accuracy in %. Solid lines are the training set, dashed the test set; loss and accuracy
    each have their own colour. Dotted verticals mark the SB (α = 0) and LB (α = 1)
    minimisers. Saves a PNG at ``dpi=120``, closes the figure and returns the path.
    """
    alphas = result["alphas"]
    sets = result.get("sets", list(result["metrics"]))
    fig, loss_axis = plt.subplots(figsize=(6.4, 4.2))
    accuracy_axis = loss_axis.twinx()

    for position, name in enumerate(sets):
        style = _linestyle(name, position)
        metrics = result["metrics"][name]
        loss_axis.plot(alphas, metrics["loss"], style, color=LOSS_COLOUR, lw=1.8,
                       label=f"{name} loss")
        accuracy_axis.plot(alphas, [100.0 * a for a in metrics["accuracy"]], style,
                           color=ACCURACY_COLOUR, lw=1.8, label=f"{name} accuracy")

    for alpha, text in ((0.0, "SB"), (1.0, "LB")):
        loss_axis.axvline(alpha, color="0.55", ls=":", lw=1.0, zorder=0)
        loss_axis.annotate(text, xy=(alpha, 1.0), xycoords=("data", "axes fraction"),
                           xytext=(0, 3), textcoords="offset points", ha="center",
                           va="bottom", fontsize=9, color="0.3")

    if log_loss:
        loss_axis.set_yscale("log")
    loss_axis.set_xlabel("α" if result.get("path", "linear") == "linear"
                         else "α   (θ = sin(απ/2) θ_l + cos(απ/2) θ_s)")
    loss_axis.set_ylabel("cross-entropy", color=LOSS_COLOUR)
    loss_axis.tick_params(axis="y", colors=LOSS_COLOUR)
    accuracy_axis.set_ylabel("accuracy (%)", color=ACCURACY_COLOUR)
    accuracy_axis.tick_params(axis="y", colors=ACCURACY_COLOUR)
    accuracy_axis.set_ylim(0, 100)
    loss_axis.set_xlim(min(alphas), max(alphas))

    handles = loss_axis.get_lines()[:len(sets)] + accuracy_axis.get_lines()
    loss_axis.legend(handles, [h.get_label() for h in handles], loc="upper center",
                     bbox_to_anchor=(0.5, -0.13), ncol=len(handles), fontsize=8,
                     frameon=False, handlelength=2.6)
    if title:
        loss_axis.set_title(title, pad=16)
    fig.tight_layout()
    return save_figure(fig, out_png)


def plot_accuracy_curves(panels, out_png):
    """Figure 2 of the paper: training and test accuracy against epochs, SB and LB.

    ``panels`` maps a panel title (a network) to {"SB": history, "LB": history}, each history a
    dict with lists "epoch", "train_accuracy", "test_accuracy". Solid = training, dashed = test;
    blue = small batch, red = large batch. A test curve that rises and levels off (no peak and
    decay) is the paper's evidence that the gap is not over-fitting.
    """
    colours = {"SB": "tab:blue", "LB": "tab:red"}
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.8), squeeze=False)
    for axis, (title, runs) in zip(axes[0], panels.items()):
        for label, history in runs.items():
            epochs = history["epoch"]
            axis.plot(epochs, [100 * a for a in history["train_accuracy"]], "-",
                      color=colours[label], label=f"{label} train")
            axis.plot(epochs, [100 * a for a in history["test_accuracy"]], "--",
                      color=colours[label], label=f"{label} test")
        axis.set_title(title)
        axis.set_xlabel("epoch")
        axis.set_ylabel("accuracy (%)")
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, out_png)


def plot_sharpness(cells, out_png, *, title=None):
    """Tables 3–4 as a chart: SB and LB sharpness per cell on a log axis, ours beside the paper's.

    ``cells`` is a list of dicts with "label" (e.g. "full, ε=1e-3"), "sb", "lb" (our means),
    "sb_std", "lb_std", and optionally "paper_sb", "paper_lb".
    """
    fig, axis = plt.subplots(figsize=(1.9 * len(cells) + 2, 4.0))
    width = 0.38
    for i, cell in enumerate(cells):
        for offset, key, colour in ((-width / 2, "sb", "tab:blue"), (width / 2, "lb", "tab:red")):
            std = cell.get(f"{key}_std", 0)
            axis.bar(i + offset, max(cell[key], 1e-3), width, yerr=std if std else None,
                     color=colour, alpha=0.8, capsize=3,
                     label=("small batch" if key == "sb" else "large batch") if i == 0 else None)
            if cell.get(f"paper_{key}") is not None:
                axis.plot(i + offset, cell[f"paper_{key}"], "k_", ms=18, mew=2,
                          label="the paper" if (i == 0 and key == "sb") else None)
    axis.set_yscale("log")
    axis.set_xticks(range(len(cells)), [c["label"] for c in cells], fontsize=8)
    axis.set_ylabel("sharpness φ (Metric 2.1)")
    axis.grid(True, axis="y", alpha=0.3)
    axis.legend(fontsize=8)
    if title:
        axis.set_title(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, out_png)


def _log_errors(values, low, high):
    """Asymmetric error bars for a log axis from (value, low, high); values floored at 1e-3."""
    values = [max(v, 1e-3) for v in values]
    return values, [[max(v - lo, 0) for v, lo in zip(values, low)],
                    [max(hi - v, 0) for v, hi in zip(values, high)]]


class _PlainLogFormatter(ticker.LogFormatter):
    """LogFormatter's choice of which ticks to label, written as plain numbers (0.3, 30)."""

    def __call__(self, x, pos=None):
        return f"{x:g}" if super().__call__(x, pos) else ""


def _plain_log_labels(axis, which="y"):
    """Label a log axis with plain numbers, minor ticks too while the range is short."""
    target = axis.yaxis if which == "y" else axis.xaxis
    target.set_major_formatter(_PlainLogFormatter(minor_thresholds=(2, 0.5)))
    target.set_minor_formatter(_PlainLogFormatter(minor_thresholds=(2, 0.5)))


def plot_batch_size(panels, out_png):
    """Figure 4 of the paper: final test accuracy and sharpness against the batch size.

    ``panels`` maps a title (a network) to a dict with lists over the batch sizes: "batch",
    "accuracy" (%), "accuracy_se" (%), "phi", "phi_low", "phi_high" (the spread of φ), and
    optionally "threshold" (a batch size or None) and "others": runs with other optimizers,
    dicts with "label", "batch", "accuracy", "phi". Left axis: test accuracy (blue); right
    axis: φ on a log scale (red); the x-axis is logarithmic; a dotted vertical marks the
    threshold where test accuracy starts to fall.
    """
    markers = ("s", "^", "D", "v")
    fig, axes = plt.subplots(1, len(panels), figsize=(5.6 * len(panels), 4.0), squeeze=False)
    for axis, (title, panel) in zip(axes[0], panels.items()):
        phi_axis = axis.twinx()
        axis.errorbar(panel["batch"], panel["accuracy"], yerr=panel["accuracy_se"], fmt="o-",
                      color=LOSS_COLOUR, capsize=3, label="test accuracy (Adam)")
        phi, errors = _log_errors(panel["phi"], panel["phi_low"], panel["phi_high"])
        phi_axis.errorbar(panel["batch"], phi, yerr=errors, fmt="o--", color=ACCURACY_COLOUR,
                          capsize=3, label="sharpness φ (Adam)")
        for i, other in enumerate(panel.get("others", [])):
            marker = markers[i % len(markers)]
            axis.plot(other["batch"], other["accuracy"], marker, color=LOSS_COLOUR, mfc="none",
                      ms=9, label=f"test accuracy ({other['label']})")
            phi_axis.plot(other["batch"], max(other["phi"], 1e-3), marker,
                          color=ACCURACY_COLOUR, mfc="none", ms=9,
                          label=f"φ ({other['label']})")
        if panel.get("threshold"):
            axis.axvline(panel["threshold"], color="0.5", ls=":", lw=1.2)
            axis.annotate("threshold", xy=(panel["threshold"], 1.0),
                          xycoords=("data", "axes fraction"), xytext=(3, -12),
                          textcoords="offset points", fontsize=8, color="0.3")
        axis.set_xscale("log")
        axis.set_xticks(panel["batch"], [str(b) for b in panel["batch"]], fontsize=8)
        axis.xaxis.set_minor_locator(ticker.NullLocator())
        phi_axis.set_yscale("log")
        _plain_log_labels(phi_axis)
        axis.set_xlabel("batch size")
        axis.set_ylabel("test accuracy (%)", color=LOSS_COLOUR)
        phi_axis.set_ylabel("sharpness φ (full space, ε = 1e-3)", color=ACCURACY_COLOUR)
        axis.tick_params(axis="y", colors=LOSS_COLOUR)
        phi_axis.tick_params(axis="y", colors=ACCURACY_COLOUR)
        axis.set_title(title)
        axis.grid(True, alpha=0.3)
        handles = axis.get_legend_handles_labels()
        more = phi_axis.get_legend_handles_labels()
        axis.legend(handles[0] + more[0], handles[1] + more[1], fontsize=7, loc="lower left")
    fig.tight_layout()
    return save_figure(fig, out_png)


def plot_warm_start(panels, out_png):
    """Figure 5 of the paper: large-batch runs "piggybacked" on small-batch iterates.

    ``panels`` maps a title to a dict: "sb_epochs" and "sb_accuracy" (%) — the test accuracy of
    the SB iterate after each epoch; "k" — the SB epochs each LB run started from;
    "lb_accuracy" (%) and "phi", "phi_low", "phi_high" of each LB solution; optionally
    "phi_sb" (φ of the SB run's end point) and "turn" (the k where the LB solution turned flat).
    Upper row: test accuracy against k, SB iterate (blue) and piggybacked LB (red); lower
    row: the LB solution's sharpness against k (log scale).
    """
    fig, axes = plt.subplots(2, len(panels), figsize=(5.4 * len(panels), 6.2), squeeze=False,
                             sharex="col")
    for column, (title, panel) in enumerate(panels.items()):
        top, bottom = axes[0, column], axes[1, column]
        top.plot(panel["sb_epochs"], panel["sb_accuracy"], "-", color="tab:blue",
                 label="SB iterate")
        top.plot(panel["k"], panel["lb_accuracy"], "o-", color="tab:red",
                 label="LB started from it")
        phi, errors = _log_errors(panel["phi"], panel["phi_low"], panel["phi_high"])
        bottom.errorbar(panel["k"], phi, yerr=errors, fmt="o-", color="tab:red", capsize=3,
                        label="LB solution")
        if panel.get("phi_sb") is not None:
            bottom.axhline(max(panel["phi_sb"], 1e-3), color="tab:blue", ls="--", lw=1.2,
                           label="SB end point")
        if panel.get("turn") is not None:
            for axis in (top, bottom):
                axis.axvline(panel["turn"], color="0.5", ls=":", lw=1.2)
        trained = list(panel["sb_accuracy"][1:]) + list(panel["lb_accuracy"])
        top.set_ylim(min(trained) - 2, max(trained) + 1)   # θ₀'s chance level stays off-scale
        top.set_title(title)
        top.set_ylabel("test accuracy (%)")
        bottom.set_ylabel("sharpness φ of the LB solution")
        bottom.set_yscale("log")
        _plain_log_labels(bottom)
        bottom.set_xscale("symlog", linthresh=1.0)        # k = 0 included, early epochs spread
        bottom.set_xticks(panel["k"], [str(k) for k in panel["k"]])
        bottom.xaxis.set_minor_locator(ticker.NullLocator())
        bottom.set_xlabel("SB epochs before switching to the large batch (k)")
        for axis in (top, bottom):
            axis.grid(True, alpha=0.3)
            axis.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, out_png)


def plot_sharpness_along_training(panels, out_png):
    """Figure 6 of the paper: sharpness against training loss along SB and LB trajectories.

    ``panels`` maps a title to {"SB": run, "LB": run}, each run a dict with lists "epoch",
    "loss" (the training loss φ was measured with), "phi", "phi_low", "phi_high", and
    "distance_epoch", "distance" (‖θ_e − θ₀‖ after each stored epoch). Left: φ against the
    loss, both axes logarithmic, the loss axis reversed so training runs left to right; right:
    distance from θ₀ against epochs, with the SB/LB ratio on a second axis.
    """
    colours = {"SB": "tab:blue", "LB": "tab:red"}
    fig, axes = plt.subplots(len(panels), 2, figsize=(11.0, 4.0 * len(panels)), squeeze=False)
    for row, (title, runs) in enumerate(panels.items()):
        left, right = axes[row]
        for label, run in runs.items():
            phi, errors = _log_errors(run["phi"], run["phi_low"], run["phi_high"])
            left.errorbar(run["loss"], phi, yerr=errors, fmt="o-", color=colours[label],
                          capsize=2, ms=4, label=f"{label}")
            right.plot(run["distance_epoch"], run["distance"], "-", color=colours[label],
                       label=f"‖θ − θ₀‖, {label}")
        left.set_xscale("log")
        left.set_yscale("log")
        _plain_log_labels(left, "x")
        _plain_log_labels(left, "y")
        left.invert_xaxis()
        left.set_xlabel("training loss (decreasing →)")
        left.set_ylabel("sharpness φ (full space, ε = 1e-3)")
        left.set_title(f"{title}: sharpness along training")
        right.set_xlabel("epoch")
        right.set_ylabel("distance from θ₀")
        right.set_title(f"{title}: distance travelled")
        sb, lb = runs.get("SB"), runs.get("LB")
        if sb and lb:
            common = sorted(set(sb["distance_epoch"]) & set(lb["distance_epoch"]) - {0})
            if common:
                sb_d = dict(zip(sb["distance_epoch"], sb["distance"]))
                lb_d = dict(zip(lb["distance_epoch"], lb["distance"]))
                ratio_axis = right.twinx()
                ratio_axis.plot(common, [sb_d[e] / lb_d[e] for e in common], ":", color="0.3",
                                label="ratio SB / LB")
                ratio_axis.set_ylabel("ratio SB / LB", color="0.3")
                ratio_axis.legend(fontsize=8, loc="lower right")
        for axis in (left, right):
            axis.grid(True, alpha=0.3)
            axis.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return save_figure(fig, out_png)


def plot_methods(rows, out_png, *, title=None):
    """Lesson 07: test accuracy and sharpness per training method, side by side.

    ``rows`` is a list of dicts with "label", "accuracy" and "accuracy_std" (in %), and
    "phi", "phi_std" (full space) and "phi_p", "phi_p_std" (random subspace) — Metric 2.1 at
    one ε. Left: accuracy bars; right: φ bars on a log axis, full space and p = 100 paired.
    """
    labels = [row["label"] for row in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(max(8.0, 1.1 * len(rows) + 4), 4.4))
    positions = range(len(rows))
    left.bar(positions, [row["accuracy"] for row in rows], 0.6,
             yerr=[row.get("accuracy_std", 0) for row in rows], color="tab:green", alpha=0.8,
             capsize=3)
    low = min(row["accuracy"] - row.get("accuracy_std", 0) for row in rows)
    high = max(row["accuracy"] + row.get("accuracy_std", 0) for row in rows)
    margin = max(0.5, 0.15 * (high - low))
    left.set_ylim(low - margin, high + margin)
    left.set_ylabel("test accuracy (%)")
    width = 0.38
    for offset, key, colour, name in ((-width / 2, "phi", "tab:purple", "full space"),
                                      (width / 2, "phi_p", "tab:orange", "p = 100")):
        values = [max(row[key], 1e-3) for row in rows]
        spreads = [row.get(f"{key}_std", 0) for row in rows]
        right.bar([p + offset for p in positions], values, width, color=colour, alpha=0.8,
                  yerr=spreads if any(spreads) else None, capsize=3, label=name)
    right.set_yscale("log")
    right.set_ylabel("sharpness φ (Metric 2.1)")
    right.legend(fontsize=8)
    for axis in (left, right):
        axis.set_xticks(list(positions), labels, rotation=40, ha="right", fontsize=8)
        axis.grid(True, axis="y", alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, out_png)


def save_figure(fig, out_png):
    """Write ``fig`` to ``out_png`` (its directory created if needed), close it, return the path."""
    directory = os.path.dirname(os.fspath(out_png))
    if directory:
        os.makedirs(directory, exist_ok=True)
    fig.savefig(out_png, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return out_png
