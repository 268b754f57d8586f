"""Figures of the loss landscape: lines from one start to several minimisers, 2-D planes
through minimisers, and Hessian eigenvalue densities (lessons 07 and 08)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import colors, ticker  # noqa: E402

from minisharp.plots import save_figure  # noqa: E402


def plot_paths(paths, out_png, *, title=None, dataset="train", start="the common start"):
    """Loss along several lines θ(α) = α θ_end + (1 − α) θ_start that share the start (α = 0).

    ``paths`` maps a label (the end point's run) to what :func:`minisharp.landscape.interpolate`
    returns. One curve per path, ``dataset``'s cross-entropy on a log axis: how steeply the
    loss rises around each end point (α = 1) compared with the common start.
    """
    fig, axis = plt.subplots(figsize=(6.8, 4.4))
    colours = plt.get_cmap("tab10")
    for position, (label, result) in enumerate(paths.items()):
        axis.plot(result["alphas"], result["metrics"][dataset]["loss"], lw=1.6,
                  color=colours(position % 10), label=label)
    for alpha in (0.0, 1.0):
        axis.axvline(alpha, color="0.55", ls=":", lw=1.0, zorder=0)
    axis.set_yscale("log")
    axis.set_xlabel(f"α  (0: {start}, 1: each run's minimiser)")
    axis.set_ylabel(f"{dataset} cross-entropy")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=8, ncol=2)
    if title:
        axis.set_title(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, out_png)


def plot_surfaces(panels, out_png, *, dataset="train", title=None, levels=12):
    """Contours of the loss on 2-D planes through minimisers (Li et al. 2018), side by side.

    ``panels`` maps a label (e.g. "SB", "LB") to what :func:`minisharp.landscape.plane`
    returns. All panels share the same contour levels, spaced evenly in log(loss) between the
    smallest and largest value seen, so equal spacing of lines means equal sharpness. The
    minimiser (0, 0) is marked.
    """
    grids = {label: np.asarray(r["metrics"][dataset]["loss"]) for label, r in panels.items()}
    low = max(min(float(g.min()) for g in grids.values()), 1e-8)
    high = max(float(g.max()) for g in grids.values())
    bounds = np.geomspace(low, max(high, low * 1.01), int(levels))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.3 * len(panels), 4.0), squeeze=False)
    for axis, (label, result) in zip(axes[0], panels.items()):
        filled = axis.contourf(result["alphas"], result["betas"], grids[label], levels=bounds,
                               cmap="viridis", norm=colors.LogNorm(low, high),
                               extend="both")
        axis.contour(result["alphas"], result["betas"], grids[label], levels=bounds,
                     colors="white", linewidths=0.5, alpha=0.6)
        axis.plot([0], [0], marker="*", color="red", markersize=10)
        axis.set_title(label, fontsize=10)
        axis.set_xlabel("a  (direction d₁)")
        axis.set_aspect("equal")
    axes[0][0].set_ylabel("b  (direction d₂)")
    fig.colorbar(filled, ax=list(axes[0]), label=f"{dataset} cross-entropy", shrink=0.85,
                 format=ticker.FormatStrFormatter("%.3g"))
    if title:
        fig.suptitle(title, fontsize=10)
    return save_figure(fig, out_png)


def plot_spectra(panels, out_png, *, title=None, floor=1e-6):
    """Hessian eigenvalue densities (stochastic Lanczos quadrature), one curve per minimiser.

    ``panels`` maps a label to {"grid": [...], "density": [...], "top": [λ₁, λ₂, …]}; the
    density is drawn on a log axis (clipped at ``floor``: the bulk near 0 and the few outliers
    differ by orders of magnitude) and each λ₁ is marked by a dotted line of the same colour.
    """
    fig, axis = plt.subplots(figsize=(6.8, 4.2))
    colours = plt.get_cmap("tab10")
    for position, (label, spectrum) in enumerate(panels.items()):
        colour = colours(position % 10)
        density = np.maximum(np.asarray(spectrum["density"], dtype=float), floor)
        axis.plot(spectrum["grid"], density, color=colour, lw=1.5, label=label)
        if spectrum.get("top"):
            axis.axvline(spectrum["top"][0], color=colour, ls=":", lw=1.2,
                         label=f"{label}: λ_max = {spectrum['top'][0]:.3g}")
    axis.set_yscale("log")
    axis.set_xlabel("eigenvalue of the Hessian")
    axis.set_ylabel("density")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=8)
    if title:
        axis.set_title(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, out_png)
