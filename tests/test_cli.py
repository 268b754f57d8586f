"""Command line: help, one-line errors, and a tiny train → evaluate → sharpness round trip."""

import subprocess
import sys

import numpy as np
import pytest

from minisharp import checkpoint, cli
from minisharp import data as data_module
from minisharp.data import Dataset

SHAPE = (1, 8, 8)


def tiny_pair(name, *, root=None, subset=None, download=True, progress=True):
    """A stand-in for data.load_pair: 4 learnable classes of 1×8×8 images, named like the real."""
    centres = np.random.default_rng(1234).normal(size=(4, *SHAPE))
    sets = []
    for split, n, seed in (("train", 200, 1), ("test", 100, 2)):
        rng = np.random.default_rng(seed)
        y = rng.integers(0, 4, n)
        X = (centres[y] + 0.9 * rng.normal(size=(n, *SHAPE))).astype(np.float32)
        sets.append(Dataset(X, y.astype(np.int64), name, split, "embedded", 4, SHAPE))
    return tuple(sets)


@pytest.fixture
def tiny_data(monkeypatch):
    monkeypatch.setattr(data_module, "load_pair", tiny_pair)


def python_m(*args):
    return subprocess.run([sys.executable, "-m", "minisharp", *args], capture_output=True,
                          text=True, timeout=120)


def test_help_lists_commands_and_flags():
    result = python_m("--help")
    assert result.returncode == 0
    for command in ("train", "evaluate", "sharpness", "interpolate"):
        assert command in result.stdout
    text = cli.build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    for flag in ("--net", "--data", "--batch-size", "--epochs", "--seed", "--out", "--resume",
                 "--subset", "--lr", "--patience", "--quiet"):
        assert flag in text


def test_bad_net_name_is_one_clear_line():
    result = python_m("train", "--net", "F9", "--out", "unused")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "F9" in lines[0] and "Traceback" not in result.stderr


@pytest.mark.parametrize("argv", [
    ["train", "--out", "x", "--batch-size", "0"],
    ["train", "--out", "x", "--batch-size", "big"],
    ["train", "--out", "x", "--epochs", "-3"],
    ["sharpness", "ckpt.npz", "--eps", "0"],
    ["frobnicate"],
])
def test_bad_arguments_exit_non_zero(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code != 0
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_missing_checkpoint_is_one_line(tmp_path, capsys):
    assert cli.main(["evaluate", str(tmp_path / "none.npz")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "none.npz" in err[0]


def test_train_evaluate_sharpness_end_to_end(tmp_path, tiny_data, capsys):
    out = tmp_path / "run"
    argv = ["train", "--net", "F1-narrow", "--batch-size", "32", "--seed", "1", "--out", str(out)]
    assert cli.main(argv + ["--epochs", "2", "--quiet"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and "after 2 epochs" in printed[0]
    saved = checkpoint.load(out / "checkpoint.npz")
    assert saved.epoch == 2 and saved.config["batch_size"] == 32 and saved.config["seed"] == 1

    assert cli.main(argv + ["--epochs", "2", "--quiet"]) == 1  # no overwrite without --resume
    assert "--resume" in capsys.readouterr().err
    assert cli.main(argv[:-4] + ["--out", str(out), "--resume"]) == 1  # seed differs
    assert "seed" in capsys.readouterr().err

    assert cli.main(argv + ["--epochs", "3", "--resume"]) == 0
    printed = capsys.readouterr().out
    assert "epoch   3" in printed and "after 3 epochs" in printed  # one line per new epoch
    assert checkpoint.load(out / "checkpoint.npz").epoch == 3

    assert cli.main(["evaluate", str(out / "checkpoint.npz")]) == 0
    lines = capsys.readouterr().out.splitlines()
    train_line = next(line for line in lines if line.startswith("train"))
    test_line = next(line for line in lines if line.startswith("test"))
    assert "(200 samples)" in train_line and "(100 samples)" in test_line
    assert float(train_line.split("accuracy")[1].split()[0]) > 0.8

    argv = ["sharpness", str(out / "checkpoint.npz"), "--eps", "1e-3", "--samples", "64",
            "--maxiter", "2"]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    phi = float(next(line for line in printed.splitlines() if line.startswith("phi")).split()[1])
    assert phi >= 0 and "evaluations" in printed


def test_lb_batch_size_is_ten_percent(tmp_path, tiny_data, capsys):
    out = tmp_path / "lb"
    argv = ["train", "--net", "F1-narrow", "--batch-size", "lb", "--epochs", "1", "--out",
            str(out), "--quiet"]
    assert cli.main(argv) == 0
    assert checkpoint.load(out / "checkpoint.npz").config["batch_size"] == 20


def test_sb_batch_size_keeps_the_papers_samples_per_batch(tmp_path, tiny_data, capsys):
    out = tmp_path / "sb"
    argv = ["train", "--net", "F1-narrow", "--epochs", "1", "--patience", "0", "--out", str(out),
            "--quiet"]
    assert cli.main(argv) == 0  # --batch-size sb is the default
    assert checkpoint.load(out / "checkpoint.npz").config["batch_size"] == 1  # 200 / 234 < 2


def test_interpolate(tmp_path, tiny_data, capsys):
    pytest.importorskip("minisharp.landscape")
    pytest.importorskip("minisharp.plots")
    paths = []
    for label, batch in (("sb", "16"), ("lb", "lb")):
        out = tmp_path / label
        assert cli.main(["train", "--net", "F1-narrow", "--batch-size", batch, "--epochs", "1",
                         "--out", str(out), "--quiet"]) == 0
        paths.append(str(out / "checkpoint.npz"))
    figure = tmp_path / "fig.png"
    assert cli.main(["interpolate", *paths, "--out", str(figure), "--points", "5"]) == 0
    assert figure.stat().st_size > 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    alphas = [float(row[0]) for row in rows if len(row) == 5 and row[0] != "alpha"]
    assert alphas == [-1.0, -0.25, 0.5, 1.25, 2.0]


def test_ctrl_c_and_nonfinite_exit_cleanly(tmp_path, tiny_data, monkeypatch, capsys):
    from minisharp import train as training

    def interrupted(*args, **kwargs):
        run = training.Run(None, None, {}, None, training.History.empty(), {}, "interrupted",
                           "interrupted after epoch 4; checkpoint x holds it")
        raise training.Interrupted(run)

    def diverged(*args, **kwargs):
        return training.Run(None, None, {}, None, training.History.empty(), {}, "nonfinite",
                            "the training loss became nan at epoch 5, step 3")

    argv = ["train", "--net", "F1-narrow", "--out", str(tmp_path / "run"), "--quiet"]
    monkeypatch.setattr(cli, "train", interrupted)
    assert cli.main(argv) == 130
    assert "interrupted after epoch 4" in capsys.readouterr().err
    monkeypatch.setattr(cli, "train", diverged)
    assert cli.main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nan at epoch 5" in err[0]
