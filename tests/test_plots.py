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
