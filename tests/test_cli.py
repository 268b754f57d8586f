"""Command line: help, one-line errors, and a tiny train → evaluate → sharpness round trip."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

from minisharp import checkpoint, cli, evaluate, loss_and_grad
from minisharp import data as data_module
from minisharp.data import Dataset
from minisharp.device import gpu_available

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
    printed = {line[:12].strip(): line[12:].strip()
               for line in capsys.readouterr().out.splitlines()[1:]}
    phi, f0, fmax = (float(printed[key]) for key in ("phi", "f(x)", "max f"))
    # f(x) by the forward-only evaluate(), phi by the formula, both from the printed numbers
    saved = checkpoint.load(out / "checkpoint.npz")
    train_set, _ = tiny_pair("fashion-mnist")
    loss, _ = evaluate(saved.net, saved.theta, train_set.X[:64], train_set.y[:64])
    assert f0 == pytest.approx(loss, rel=1e-5)
    rounding = 100 * 5e-6 * (fmax + f0) / (1 + f0) + 5e-6 * phi  # 6 significant digits
    assert fmax > f0 and phi == pytest.approx(100 * (fmax - f0) / (1 + f0), abs=rounding)
    assert printed["iterations"] == "2" and int(printed["evaluations"]) >= 3


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


TRAIN_TINY = ["train", "--net", "F1-narrow", "--batch-size", "32", "--epochs", "3"]


def one_error_line(capsys, *fragments):
    """The one line on stderr, after checking that it contains every fragment."""
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    for fragment in fragments:
        assert fragment in err[0], err[0]
    return err[0]


def main_without_warnings(argv):
    """cli.main(argv), failing the test if a warning escapes (it would print a second line)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = cli.main(argv)
    assert [str(w.message) for w in caught] == []
    return status


def test_ctrl_c_exits_130_saying_what_is_kept(tmp_path, tiny_data, monkeypatch, capsys):
    out = tmp_path / "run"

    def press_ctrl_c(history):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "format_epoch", press_ctrl_c)  # after epoch 1's checkpoint
    assert cli.main(TRAIN_TINY + ["--out", str(out)]) == 130
    one_error_line(capsys, f"interrupted after epoch 1; {out / 'checkpoint.npz'} holds it")
    assert checkpoint.load(out / "checkpoint.npz").epoch == 1


def test_nan_loss_is_one_error_line(tmp_path, tiny_data, monkeypatch, capsys):
    from minisharp import train as training

    calls = []

    def nan_at_step_9(*args, **kwargs):
        calls.append(1)
        loss, grad = loss_and_grad(*args, **kwargs)
        return (np.nan if len(calls) == 9 else loss), grad

    monkeypatch.setattr(training, "loss_and_grad", nan_at_step_9)  # 6 steps per epoch
    assert main_without_warnings(TRAIN_TINY + ["--out", str(tmp_path / "run")]) == 1
    one_error_line(capsys, "the training loss became nan at epoch 2, step 3",
                   "rolled back to epoch 1")


def test_divergence_is_one_error_line(tmp_path, tiny_data, capsys):
    argv = TRAIN_TINY + ["--lr", "1e6", "--out", str(tmp_path / "run"), "--quiet"]
    assert main_without_warnings(argv) == 1
    one_error_line(capsys, "training diverged", "after epoch 1", "rolled back to epoch 0")


@pytest.mark.parametrize("argv, flag, says", [
    (["train", "--out", "x", "--patience", "-1"], "--patience", "whole number ≥ 0"),
    (["train", "--out", "x", "--min-delta", "nan"], "--min-delta", "finite number ≥ 0"),
    (["train", "--out", "x", "--min-delta", "-0.1"], "--min-delta", "finite number ≥ 0"),
    (["train", "--out", "x", "--lr", "inf"], "--lr", "finite positive number"),
    (["train", "--out", "x", "--lr", "nan"], "--lr", "finite positive number"),
    (["train", "--out", "x", "--seed", "-1"], "--seed", "whole number ≥ 0"),
    (["train", "--out", "x", "--momentum", "1.5"], "--momentum", "in [0, 1)"),
    (["train", "--out", "x", "--threads", "0"], "--threads", "whole number ≥ 1"),
    (["sharpness", "ckpt.npz", "--eps", "inf"], "--eps", "finite positive number"),
    (["sharpness", "ckpt.npz", "--seed", "-1"], "--seed", "whole number ≥ 0"),
    (["evaluate", "ckpt.npz", "--threads", "two"], "--threads", "whole number ≥ 1"),
    (["interpolate", "a", "b", "--out", "f.png", "--points", "1"], "--points", "whole number ≥ 2"),
])
def test_bad_values_name_their_flag(argv, flag, says, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    one_error_line(capsys, f"argument {flag}: ", says)


def test_momentum_with_adam_is_refused(tmp_path, tiny_data, capsys):
    assert cli.main(["train", "--out", str(tmp_path), "--momentum", "0.9"]) == 1
    one_error_line(capsys, "--momentum applies to --optimizer sgd only")


def test_train_with_adagrad(tmp_path, tiny_data, capsys):
    out = tmp_path / "adagrad"
    argv = ["train", "--net", "F1-narrow", "--batch-size", "32", "--optimizer", "adagrad",
            "--lr", "0.02", "--epochs", "1", "--quiet", "--out", str(out)]
    assert cli.main(argv) == 0
    saved = checkpoint.load(out / "checkpoint.npz")
    assert saved.config["optimizer"]["name"] == "adagrad"
    assert saved.config["optimizer"]["lr"] == 0.02


def test_resume_needs_a_checkpoint(tmp_path, tiny_data, capsys):
    assert cli.main(TRAIN_TINY + ["--out", str(tmp_path / "typo"), "--resume"]) == 1
    one_error_line(capsys, "nothing to resume", "typo")
    assert not (tmp_path / "typo" / "checkpoint.npz").exists()


def test_unusable_out_fails_before_training(tmp_path, tiny_data, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert cli.main(TRAIN_TINY + ["--out", str(blocker)]) == 1
    assert capsys.readouterr().out == ""  # not even the header: nothing was trained
    assert cli.main(TRAIN_TINY + ["--out", str(blocker)]) == 1
    one_error_line(capsys, "cannot write a checkpoint here", "not a directory")


def test_two_trains_with_the_same_out_cannot_both_write(tmp_path, tiny_data, capsys):
    from test_checkpoint import lock_held_elsewhere

    out = tmp_path / "same"
    with lock_held_elsewhere(out / "checkpoint.npz") as pid:
        assert cli.main(TRAIN_TINY + ["--out", str(out)]) == 1
    one_error_line(capsys, f"another run (process {pid}) is writing this checkpoint")
    assert not (out / "checkpoint.npz").exists()


def test_non_finite_checkpoint_is_one_error_line(tmp_path, tiny_data, capsys):
    out = tmp_path / "run"
    assert cli.main(TRAIN_TINY + ["--epochs", "1", "--out", str(out), "--quiet"]) == 0
    path = out / "checkpoint.npz"
    arrays = dict(np.load(path))
    arrays["theta"][0] = np.nan
    np.savez(path, **arrays)
    capsys.readouterr()
    for command in ("sharpness", "evaluate"):
        assert cli.main([command, str(path)]) == 1
        one_error_line(capsys, "1 non-finite")


def test_interpolate_refuses_an_unknown_figure_type_before_computing(tmp_path, tiny_data,
                                                                     monkeypatch, capsys):
    from minisharp import landscape

    out = tmp_path / "run"
    assert cli.main(TRAIN_TINY + ["--epochs", "1", "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(landscape, "interpolate", None)  # calling it would fail the test
    path = str(out / "checkpoint.npz")
    assert cli.main(["interpolate", path, path, "--out", str(tmp_path / "fig.xyz")]) == 1
    one_error_line(capsys, "fig.xyz", "'.xyz' is not a figure type", ".png")


@pytest.mark.skipif(gpu_available(), reason="a GPU is present: nothing to refuse")
def test_train_on_a_missing_gpu_is_one_error_line(tmp_path, tiny_data, capsys):
    assert cli.main(["train", "--net", "F1-narrow", "--epochs", "1", "--out", str(tmp_path),
                     "--device", "cuda"]) == 1
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("minisharp: error: ")
    assert "CuPy" in error[0] or "GPU" in error[0]
