"""The paper's figures, drawn with matplotlib's Agg backend (no display needed)."""

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

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
    return _save(fig, out_png)


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
    return _save(fig, out_png)


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
    return _save(fig, out_png)


def _save(fig, out_png):
    directory = os.path.dirname(os.fspath(out_png))
    if directory:
        os.makedirs(directory, exist_ok=True)
    fig.savefig(out_png, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return out_png
