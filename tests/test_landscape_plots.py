"""Landscape figures (lines, planes, spectra) are written as PNG files without a display."""

import numpy as np
from test_plots import fake_interpolation

from minisharp.landscape_plots import plot_paths, plot_spectra, plot_surfaces


def test_paths_from_one_start(tmp_path):
    out = plot_paths({"LB": fake_interpolation(), "LB + SAM": fake_interpolation()},
                     tmp_path / "p.png", title="t", start="the SB minimiser")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000


def test_plot_surfaces_writes_png(tmp_path):
    grid = np.linspace(-1, 1, 7)
    a, b = np.meshgrid(grid, grid)
    panels = {label: {"alphas": grid.tolist(), "betas": grid.tolist(),
                      "metrics": {"train": {"loss": (0.01 + k * (a ** 2 + 2 * b ** 2)).tolist()}}}
              for label, k in (("SB", 0.5), ("LB", 4.0))}
    out = plot_surfaces(panels, tmp_path / "surface.png", title="F1")
    data = out.read_bytes()
    assert len(data) > 10_000 and data[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_spectra_writes_png(tmp_path):
    grid = np.linspace(-1, 10, 200)
    panels = {label: {"grid": grid.tolist(), "density": np.exp(-(grid - centre) ** 2).tolist(),
                      "top": [centre + 3]} for label, centre in (("SB", 0.5), ("LB", 2.0))}
    out = plot_spectra(panels, tmp_path / "spectra.png", title="F1")
    assert out.stat().st_size > 10_000

