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


def test_batch_size_warm_start_and_trajectory_figures(tmp_path):
    from minisharp.plots import plot_batch_size, plot_sharpness_along_training, plot_warm_start

    batch_panel = {"batch": [256, 1024, 6000], "accuracy": [89.5, 89.2, 88.4],
                   "accuracy_se": [0.3, 0.3, 0.3], "phi": [15.0, 60.0, 0.0],
                   "phi_low": [12.0, 50.0, 0.0], "phi_high": [18.0, 70.0, 0.0],
                   "threshold": 6000,
                   "others": [{"label": "Adagrad", "batch": 6000, "accuracy": 87.0, "phi": 300}]}
    out = plot_batch_size({"F1": batch_panel, "conv": dict(batch_panel, threshold=None)},
                          tmp_path / "b.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000

    warm_panel = {"sb_epochs": [1, 2, 3, 4], "sb_accuracy": [85, 87, 88, 89], "k": [0, 2, 4],
                  "lb_accuracy": [88.0, 88.5, 89.1], "phi": [900.0, 100.0, 20.0],
                  "phi_low": [850.0, 90.0, 18.0], "phi_high": [950.0, 110.0, 22.0],
                  "phi_sb": 15.0, "turn": 4}
    out = plot_warm_start({"F1": warm_panel}, tmp_path / "w.png")
    assert out.stat().st_size > 10_000

    def run(scale):
        return {"epoch": [0, 1, 2], "loss": [2.3, 0.5, 0.1],
                "phi": [1.0, 5.0 * scale, 20.0 * scale], "phi_low": [0.9, 4.0, 15.0],
                "phi_high": [1.1, 6.0 * scale, 25.0 * scale], "distance_epoch": [0, 1, 2],
                "distance": [0.0, 10.0 * scale, 15.0 * scale]}

    out = plot_sharpness_along_training({"F1": {"SB": run(1.0), "LB": run(3.0)}},
                                        tmp_path / "t.png")
    assert out.stat().st_size > 10_000


def test_methods_chart_plots_zero_sharpness_on_log_axes(tmp_path):
    from minisharp.plots import plot_methods

    rows = [{"label": "SB", "accuracy": 89.5, "accuracy_std": 0.2, "phi": 15.0, "phi_std": 2.0,
             "phi_p": 1.2, "phi_p_std": 0.1},
            {"label": "LB + SAM", "accuracy": 89.1, "accuracy_std": 0.0, "phi": 0.0,
             "phi_std": 0.0, "phi_p": 0.5, "phi_p_std": 0.0}]  # φ = 0 must still plot on log axes
    out = plot_methods(rows, tmp_path / "m.png", title="t")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
