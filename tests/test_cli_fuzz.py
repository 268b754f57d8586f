"""Fuzzing the command line: random and garbage values for every flag of every subcommand.

Each case runs ``cli.main(argv)`` in-process on a tiny stand-in data set (4 classes of 1×8×8
images, 64 for training), so a case takes a fraction of a second. Every outcome must be one
of two things: exit 0 with output whose numbers are finite and consistent, or a non-zero exit
(argparse's SystemExit included) with exactly one line on stderr and no traceback. A warning
escaping ``main`` counts as a failure (it would print a second line), and so does a case running
longer than ``HANG_SECONDS``. Valid values are drawn from small ranges so that no case is
legitimately long; garbage values never parse as large valid counts.

``MINISHARP_FUZZ_EXAMPLES`` sets the number of cases for each of evaluate, sharpness and
interpolate, and half of it for train, whose cases train for up to 3 epochs (CI: the default
below, about 15 s on 2 cores).
"""

import contextlib
import io
import math
import os
import re
import signal
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from minisharp import checkpoint, cli, data, zoo
from minisharp.data import Dataset

EXAMPLES = int(os.environ.get("MINISHARP_FUZZ_EXAMPLES", "60"))
HANG_SECONDS = 60
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FUZZ_TRAIN = settings(FUZZ, max_examples=max(1, EXAMPLES // 2))
CHEAP_NETS = ("F1-narrow", "F2-narrow", "C1-narrow", "C3-narrow", "F1", "C1")
ERROR_LINE = re.compile(r"^minisharp(?: \w+)?: (?:error: )?\S")
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|nan|inf)(?![\w.])", re.I)


class Hang(Exception):
    pass


def tiny_pair(name):
    """64 training and 32 test images of 4 learnable classes, named like the real data set."""
    centres = np.random.default_rng(1234).normal(size=(4, 1, 8, 8))
    sets = []
    for split, n, seed in (("train", 64, 1), ("test", 32, 2)):
        rng = np.random.default_rng(seed)
        y = rng.integers(0, 4, n)
        X = (centres[y] + 0.9 * rng.normal(size=(n, 1, 8, 8))).astype(np.float32)
        sets.append(Dataset(X, y.astype(np.int64), name, split, "embedded", 4, (1, 8, 8)))
    return tuple(sets)


def loader(name, *, root=None, subset=None, download=True, progress=True):
    """Tiny data under the real names; MNIST and CIFAR go to the real look-up (download off)."""
    if name in ("mnist", "cifar10", "cifar100") and subset != "embedded":
        return REAL_LOAD_PAIR(name, root=root, subset=subset, download=False, progress=False)
    if subset == "embedded" and name != "fashion-mnist":
        return REAL_LOAD_PAIR(name, root=root, subset=subset, download=False, progress=False)
    return tiny_pair(name)


REAL_LOAD_PAIR = data.load_pair


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Checkpoints and other files the positional arguments are drawn from."""
    base = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(data, "load_pair", loader)
        patch.chdir(base)  # an --out of "" or "." writes here, never into the repository
        patch.setenv("MINISHARP_CACHE", str(base / "cache"))
        patch.delenv("MINISHARP_DATA", raising=False)
        patch.delenv("MINISHARP_THREADS", raising=False)
        paths = {}
        for label, net, batch in (("sb", "F1-narrow", "16"), ("lb", "F1-narrow", "lb"),
                                  ("conv", "C1-narrow", "32")):
            out = base / label
            assert cli.main(["train", "--net", net, "--batch-size", batch, "--epochs", "2",
                             "--out", str(out), "--quiet"]) == 0
            paths[label] = out / cli.CHECKPOINT_NAME
        content = paths["sb"].read_bytes()
        paths["truncated"] = base / "truncated.npz"
        paths["truncated"].write_bytes(content[:len(content) // 2])
        paths["garbage"] = base / "garbage.npz"
        paths["garbage"].write_bytes(b"\x00garbage" * 50)
        paths["npy"] = base / "theta.npy"
        np.save(paths["npy"], checkpoint.load(paths["sb"]).theta)
        arrays = dict(np.load(paths["sb"]))
        arrays["theta"][5] = np.nan
        paths["nan"] = base / "nan.npz"
        np.savez(paths["nan"], **arrays)
        net = zoo.build("F1-narrow", (1, 8, 8), 4)
        paths["no-data"] = base / "no-data.npz"
        checkpoint.save(paths["no-data"], net=net, theta=net.init(0), state=net.init_state(),
                        optimizer=checkpoint.optim.SGD(), rng=np.random.default_rng(0),
                        epoch=1, history={}, config={})
        paths["missing"] = base / "missing.npz"
        paths["directory"] = base / "sb"
        paths["file"] = base / "a-file"
        paths["file"].write_text("")
        paths["base"] = base
        yield paths


garbage = st.one_of(
    st.sampled_from(["-1", "0", "-0.5", "nan", "NaN", "inf", "-inf", "1e400", "", " ", "0x10",
                     "1.5", "1e", "ten", "None", "--", "-", "½", "1,5", "+", "e3", "\x00"]),
    st.text(alphabet=st.characters(blacklist_categories=("Nd", "Cs")), max_size=6),
)


def flag(strategy):
    """A flag's value: valid (``strategy``, 7 cases in 8) or garbage."""
    return st.sampled_from(range(8)).flatmap(lambda pick: garbage if pick == 7 else strategy)


def to_text(strategy):
    return strategy.map(str)


COMMON = {"--threads": flag(to_text(st.integers(1, 4) | st.integers(5, 10**6)))}
DATA = {
    "--data": flag(st.sampled_from(data.NAMES)),
    "--subset": flag(st.sampled_from(["embedded", "full"])),
}
TRAIN = {
    "--net": flag(st.sampled_from(CHEAP_NETS)),
    "--batch-size": flag(st.sampled_from(["sb", "lb"]) | to_text(st.integers(1, 80))),
    "--patience": flag(to_text(st.integers(0, 3) | st.integers(4, 10**9))),
    "--min-delta": flag(to_text(st.floats(0, 10, allow_nan=False))),
    "--optimizer": flag(st.sampled_from(["adam", "sgd"])),
    "--lr": flag(to_text(st.floats(1e-6, 1e7))),
    "--momentum": flag(to_text(st.floats(0, 0.999))),
    "--seed": flag(to_text(st.integers(0, 2**70))),
    "--measure-mode": flag(st.sampled_from(["batchstat", "eval"])),
}
MODE = {"--mode": flag(st.sampled_from(["batchstat", "eval"]))}
SAMPLES = {"--samples": flag(to_text(st.integers(1, 100) | st.integers(101, 10**12)))}
SHARPNESS = {
    "--eps": flag(to_text(st.floats(1e-8, 10))),
    "--subspace": flag(to_text(st.integers(1, 200) | st.integers(10**5, 10**9))),
    "--seed": flag(to_text(st.integers(0, 2**70))),
    "--maxiter": flag(to_text(st.integers(1, 4))),
}
INTERPOLATE = {
    "--points": flag(to_text(st.integers(1, 7))),
    "--path": flag(st.sampled_from(["linear", "sincos"])),
}
CHECKPOINTS = ("sb", "lb", "conv", "truncated", "garbage", "npy", "nan", "no-data", "missing",
               "directory", "file")
# a usable checkpoint half the time, so that the flags after it get exercised too
CHECKPOINT = st.sampled_from(("sb", "lb") * 5 + CHECKPOINTS)


@st.composite
def flags(draw, options, switches=()):
    """Some of ``options`` with values, some ``switches``, in random order, maybe broken."""
    chosen = draw(st.lists(st.sampled_from(sorted(options)), unique=True,
                           max_size=len(options)))
    parts = [[name, draw(options[name])] for name in chosen]
    parts += [[name] for name in switches if draw(st.booleans())]
    parts = draw(st.permutations(parts))
    argv = [item for part in parts for item in part]
    mistake = draw(st.sampled_from([None] * 12 + ["unknown", "dangling", "extra", "help"]))
    if mistake == "unknown":
        argv.append("--frobnicate")
    elif mistake == "dangling" and argv:
        argv.append(argv[0] if argv[0].startswith("--") and len(argv[0]) > 2 else "--seed")
    elif mistake == "extra":
        argv.append("surplus")
    elif mistake == "help":
        argv.append("--help")
    return argv


def place(files, name):
    return str(files[name])


def run_main(argv):
    """cli.main(argv) → (status, stdout, stderr), failing on escaped warnings and hangs."""
    out, err = io.StringIO(), io.StringIO()

    def hang(signum, frame):
        raise Hang(f"{argv} ran longer than {HANG_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(HANG_SECONDS)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                status = cli.main(argv)
            except SystemExit as exit_info:
                status = exit_info.code
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert [f"{w.category.__name__}: {w.message}" for w in caught] == [], argv
    return status, out.getvalue(), err.getvalue()


def check_outcome(argv, status, stdout, stderr):
    """Success with finite numbers, or one clear error line; returns the numbers printed."""
    assert "Traceback" not in stderr, (argv, stderr)
    event(f"exit {status}" + (f": {stderr.split(':')[2].strip()[:30]}" if status else ""))
    if status == 0:
        if "--help" in argv:
            assert "usage:" in stdout
            return []
        assert stdout.strip(), argv
        notices = stderr.strip().splitlines()
        assert all(line.startswith("minisharp: ") for line in notices), (argv, stderr)
        numbers = [float(token) for token in NUMBER.findall(stdout)]
        assert all(math.isfinite(x) for x in numbers), (argv, stdout)
        return numbers
    assert status in (1, 2), (argv, status, stderr)
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and ERROR_LINE.match(lines[0]), (argv, stderr)
    return None


def data_root(files):
    return st.sampled_from([None, str(files["base"] / "empty-root"), str(files["file"]), ""])


def with_root(draw, files, argv):
    root = draw(data_root(files))
    return argv if root is None else [*argv, "--data-root", root]


def run_checked(draw, files, argv):
    """Run the CLI on argv plus a drawn --data-root and check the outcome: (the argv run, its
    stdout, the numbers printed when it did real work — exit 0 without --help — else None)."""
    argv = with_root(draw, files, argv)
    status, stdout, stderr = run_main(argv)
    numbers = check_outcome(argv, status, stdout, stderr)
    return argv, stdout, (numbers if status == 0 and "--help" not in argv else None)


@given(st.data())
@FUZZ_TRAIN
def test_train_arguments(files, draw_data):
    draw = draw_data.draw
    out = draw(st.sampled_from(["fresh", "fresh", "fresh", "existing", "file", "", "nested"]))
    counter = len(list(files["base"].glob("run-*")))
    out_path = {"fresh": str(files["base"] / f"run-{counter}"), "existing": str(files["base"]
                / "sb"), "file": str(files["file"]), "": "",
                "nested": str(files["base"] / f"run-{counter}" / "deeper")}[out]
    # --epochs always: its default (100, with the plateau rule) is a legitimately long run
    argv = ["train", *draw(flags({**TRAIN, **DATA, **COMMON}, ("--resume", "--quiet"))),
            "--epochs", draw(flag(to_text(st.integers(1, 3)))), "--out", out_path]
    argv, stdout, numbers = run_checked(draw, files, argv)
    if numbers is not None:
        path = Path(out_path or ".") / cli.CHECKPOINT_NAME
        assert stdout.strip().splitlines()[-1].endswith(f"checkpoint {path}")
        saved = checkpoint.load(path)
        assert saved.epoch >= 1 and numbers
        if out_path == "":
            path.unlink()


@given(st.data())
@FUZZ
def test_evaluate_arguments(files, draw_data):
    draw = draw_data.draw
    argv = ["evaluate", place(files, draw(CHECKPOINT)),
            *draw(flags({**DATA, **MODE, **SAMPLES, **COMMON}))]
    argv, stdout, numbers = run_checked(draw, files, argv)
    if numbers is not None:
        for line in stdout.splitlines()[1:]:
            accuracy = float(line.split("accuracy")[1].split()[0])
            loss = float(line.split("loss")[1].split()[0])
            assert 0.0 <= accuracy <= 1.0 and loss >= 0.0, (argv, line)


@given(st.data())
@FUZZ
def test_sharpness_arguments(files, draw_data):
    draw = draw_data.draw
    argv = ["sharpness", place(files, draw(CHECKPOINT)),
            *draw(flags({**SHARPNESS, **DATA, **MODE, **SAMPLES, **COMMON}))]
    argv, stdout, numbers = run_checked(draw, files, argv)
    if numbers is not None:
        printed = {line[:12].strip(): line[12:].strip() for line in stdout.splitlines()[1:]}
        phi, f0, fmax = (float(printed[key]) for key in ("phi", "f(x)", "max f"))
        assert fmax >= f0 >= 0 and phi >= 0
        # printed to 6 significant digits: fmax − f0 from the printed values is off by up to
        # half a unit in the 6th digit of each
        rounding = 100 * 5e-6 * (fmax + f0) / (1 + f0) + 5e-6 * phi
        assert phi == pytest.approx(100 * (fmax - f0) / (1 + f0), abs=rounding), argv


@given(st.data())
@FUZZ
def test_interpolate_arguments(files, draw_data):
    draw = draw_data.draw
    first, second = (place(files, draw(CHECKPOINT)) for _ in range(2))
    figure = draw(st.sampled_from(["fig.png", "fig.pdf", "fig.svg", "fig.xyz", "fig", "FIG.PNG",
                                   "sub/dir/fig.png", "", str(files["file"] / "fig.png"),
                                   str(files["base"])]))
    argv = ["interpolate", first, second, "--out", figure,
            *draw(flags({**INTERPOLATE, **DATA, **MODE, **SAMPLES, **COMMON}))]
    argv, stdout, numbers = run_checked(draw, files, argv)
    if numbers is not None:
        rows = [line for line in stdout.splitlines()[1:-1]]
        points = int(stdout.splitlines()[-1].split("(")[1].split()[0])
        assert len(rows) == points
        assert Path(figure).stat().st_size > 0
