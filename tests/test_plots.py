"""Figures are written as PNG files without a display."""

import numpy as np

from minisharp.plots import plot_parametric


def fake_interpolation():
    alphas = np.linspace(-1, 2, 25)
    bowl = 0.05 + 0.6 * (alphas - 0.2) ** 2
    return {
        "alphas": alphas.tolist(),
        "path": "linear",
        "sets": ["train", "test"],
        "metrics": {
            "train": {"loss": bowl.tolist(), "accuracy": np.exp(-bowl).tolist()},
            "test": {"loss": (bowl + 0.2).tolist(), "accuracy": (0.95 * np.exp(-bowl)).tolist()},
        },
    }


def test_plot_parametric_writes_png(tmp_path):
    out = tmp_path / "figures" / "parametric.png"
    returned = plot_parametric(fake_interpolation(), out, title="F1: SB vs LB", log_loss=True)
    assert returned == out
    data = out.read_bytes()
    assert len(data) > 10_000
    assert data[:8] == b"\x89PNG\r\n\x1a\n"


def test_accuracy_curves_and_sharpness_charts(tmp_path):
    from minisharp.plots import plot_accuracy_curves, plot_sharpness

    history = {"epoch": [1, 2, 3], "train_accuracy": [0.8, 0.9, 0.95],
               "test_accuracy": [0.78, 0.85, 0.86]}
    out = plot_accuracy_curves({"F1": {"SB": history, "LB": history}}, tmp_path / "a.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cells = [{"label": "full, ε=1e-3", "sb": 2.0, "lb": 90.0, "sb_std": 0.1, "lb_std": 5.0,
              "paper_sb": 1.23, "paper_lb": 205.14},
             {"label": "p=100, ε=1e-3", "sb": 0.0, "lb": 3.0}]  # φ = 0 must still plot on log axes
    out = plot_sharpness(cells, tmp_path / "s.png", title="t")
    assert out.stat().st_size > 10_000
