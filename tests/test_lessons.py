"""Every lesson runs end to end at its smoke size and writes its figures and JSON."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LESSONS = {
    "01_gradients.py": ["01_gradients.png", "01_gradients.json"],
    "02_generalization_gap.py": ["02_accuracy_curves.png", "02_parametric_F1-narrow.png",
                                 "02_sincos_C1-narrow.png", "02_generalization_gap.json"],
    "03_sharpness.py": ["03_sharpness.png", "03_sharpness.json"],
    "04_batch_size.py": ["04_batch_size.png", "04_batch_size.json"],
    "05_warm_start.py": ["05_warm_start.png", "05_warm_start.json"],
    "06_sharpness_during_training.py": ["06_sharpness_during_training.png",
                                        "06_sharpness_during_training.json"],
    "07_remedies.py": ["07_methods_F1-narrow.png", "07_paths_F1-narrow.png", "07_remedies.json"],
    "08_curvature.py": ["08_surfaces_F1-narrow.png", "08_spectrum_F1-narrow.png",
                        "08_curvature.json"],
}

# The paper's claims (numbered as in its checkable-claims list) each lesson must check.
CLAIMS = {"02_generalization_gap.py": {"2", "3", "4", "10", "12"},
          "03_sharpness.py": {"2", "5", "6", "7", "slope"},
          "04_batch_size.py": {"8", "13"},
          "05_warm_start.py": {"9"},
          "06_sharpness_during_training.py": {"10", "11"},
          "07_remedies.py": {"2", "14", "15", "16", "gap", "flat", "cause"},
          "08_curvature.py": {"2", "5", "lambda_max", "trace", "adaptive", "surface", "dinh",
                              "kwon", "li"}}


@pytest.mark.slow
@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_lesson_smoke_run(lesson, tmp_path):
    out, runs = tmp_path / "figures", tmp_path / "runs"
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, str(REPO / "lessons" / lesson), "--smoke", "--quiet", "--out", str(out),
         "--runs", str(runs)], capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in LESSONS[lesson]:
        path = out / name
        assert path.exists() and path.stat().st_size > 1000, f"{name} missing or empty"
    results = json.loads((out / LESSONS[lesson][-1]).read_text())
    assert results["size"] == "smoke"
    claims = results["claims"]
    assert claims and all(c["verdict"] in ("holds", "not seen", "within noise")
                          and c["evidence"] for c in claims)
    assert CLAIMS.get(lesson, set()) <= {c["claim"] for c in claims}


def test_lessons_explain_themselves():
    for lesson in LESSONS:
        proc = subprocess.run([sys.executable, str(REPO / "lessons" / lesson), "--help"],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0 and "--full" in proc.stdout and "--smoke" in proc.stdout


@pytest.mark.slow
def test_rerun_reads_measurements_back(tmp_path):
    """A second run finds its runs and measurements under runs/ and prints the same numbers;
    --remeasure measures again and, being deterministic, gets them again."""
    runs = tmp_path / "runs"
    env = dict(os.environ, MPLBACKEND="Agg")

    def run(name, *flags):
        out = tmp_path / name
        proc = subprocess.run(
            [sys.executable, str(REPO / "lessons" / "08_curvature.py"), "--smoke", "--quiet",
             "--out", str(out), "--runs", str(runs), *flags],
            capture_output=True, text=True, env=env, timeout=900)
        assert proc.returncode == 0, proc.stderr[-3000:]
        results = json.loads((out / "08_curvature.json").read_text())
        results.pop("wall_time")
        return results, sorted(p.stat().st_mtime_ns for p in (runs / "measures").iterdir())

    first, kept = run("first")
    assert len(kept) >= 6               # curvature, φ and ψ per run, density and plane
    second, unchanged = run("second")
    assert second == first and unchanged == kept
    third, rewritten = run("third", "--remeasure")
    assert without_timings(third) == without_timings(first)
    assert len(rewritten) == len(kept) and min(rewritten) > max(kept)


@pytest.mark.slow
def test_remedies_table_rebuilt_from_saved_parts(tmp_path):
    """Lesson 07 saves each (network, seed)'s results; --parts rebuilds the same table from
    them without checkpoints, and refuses a part made with another configuration."""
    env = dict(os.environ, MPLBACKEND="Agg")

    def run(name, *flags):
        out = tmp_path / name
        proc = subprocess.run(
            [sys.executable, str(REPO / "lessons" / "07_remedies.py"), "--smoke", "--quiet",
             "--out", str(out), "--runs", str(tmp_path / f"runs-{name}"), *flags],
            capture_output=True, text=True, env=env, timeout=900)
        return proc, out

    proc, out = run("trained")
    assert proc.returncode == 0, proc.stderr[-3000:]
    part = out / "07_parts" / "F1-narrow-seed0.json"
    proc, rebuilt = run("rebuilt", "--parts", str(part.parent))
    assert proc.returncode == 0 and "read " in proc.stdout, proc.stderr[-3000:]
    assert not (tmp_path / "runs-rebuilt").exists()          # nothing trained or measured
    first, second = (json.loads((d / "07_remedies.json").read_text()) for d in (out, rebuilt))
    assert first.pop("wall_time") and second.pop("wall_time")
    assert first == second and first["claims"]

    changed = json.loads(part.read_text())
    changed["max_epochs"] += 1
    part.write_text(json.dumps(changed))
    proc, _ = run("refused", "--parts", str(part.parent))
    assert proc.returncode != 0 and "max_epochs" in proc.stderr


def without_timings(value):
    """``value`` (parsed JSON) without the entries that are timings."""
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if "seconds" not in k}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value
