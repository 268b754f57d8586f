"""What the lessons share: command-line sizes, tables, JSON results, and claim verdicts.

Every lesson runs at three sizes: ``--smoke`` (seconds; what the tests run), ``--quick`` (the
default: minutes on a 2-core CPU) and ``--full`` (the larger run behind the README's numbers).

Verdicts. A claim of the paper is checked against our run with one of three outcomes:
*holds*, *not seen* or *within noise*. Each check states a signed ``margin`` — by how much the
claim holds (positive: in the claim's direction) — and the ``noise``, the standard error of
that margin; then

    holds         if margin >  z · noise
    not seen      if margin < −z · noise
    within noise  otherwise.

z = 2 (roughly a 95 % two-sided band) when the noise is known from a model, like the binomial
error of an accuracy; when it is estimated from a handful of repeats, z is Student's t
quantile t₀.₉₇₅ for their degrees of freedom (4.3 for two repeats against two, 2.8 for three
against three), because a spread estimated from so few values is itself uncertain. With no
estimate of the noise (noise = 0) the sign decides. Where the noise comes from is the
lesson's choice and is printed with the evidence: the binomial standard error of a test
accuracy, sqrt(a (1 − a) / n) over n test images; the spread of paired differences over seeds;
or the spread of a sharpness value over data slices and random subspaces.
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

from .checkpoint import json_value
from .device import DEVICES, DeviceUnavailable, check_device
from .memo import Memo
from .memory import keep_freed_memory
from .threads import set_threads, threads_from_environment

SIZES = ("smoke", "quick", "full")
REPO = Path(__file__).resolve().parent.parent
HOLDS, NOT_SEEN, WITHIN_NOISE = "holds", "not seen", "within noise"
VERDICTS = (HOLDS, NOT_SEEN, WITHIN_NOISE)


def lesson_arguments(description, argv=None, extra=None):
    """Parse the common lesson flags; ``extra(parser)`` may add the lesson's own.

    ``--out`` defaults to ``figures/`` only for ``--full`` (the run behind the README's
    figures); smoke and quick runs write to ``<runs>/figures/<size>/`` so that they never
    replace the committed figures. Lessons print where they wrote. The lesson owns its
    process, so freed memory is kept for reuse (:func:`minisharp.memory.keep_freed_memory`).
    ``args.memo`` is a :class:`minisharp.memo.Memo` under ``<runs>/measures/``: a measurement
    already made there (same θ, data and arguments) is read back, not made again.
    """
    parser = argparse.ArgumentParser(
        description=description.strip().splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--smoke", dest="size", action="store_const", const="smoke",
                      help="tiny run in seconds (used by the tests)")
    size.add_argument("--quick", dest="size", action="store_const", const="quick",
                      help="the default: minutes on a 2-core CPU")
    size.add_argument("--full", dest="size", action="store_const", const="full",
                      help="the larger run behind the README's numbers (hours)")
    parser.add_argument("--out", type=Path, default=None,
                        help="where figures and JSON results go (default: figures/ for "
                             "--full, runs/figures/<size>/ otherwise)")
    parser.add_argument("--runs", type=Path, default=REPO / "runs",
                        help="where checkpoints go, shared between lessons (default: runs/)")
    parser.add_argument("--data", default=None, choices=("embedded", "full"),
                        help="force the embedded subset or the full Fashion-MNIST "
                             "(default: the full set when found, else the embedded subset)")
    parser.add_argument("--seeds", type=int, nargs="+", default=None, metavar="K",
                        help="train from these seeds instead of the size's default ones "
                             "(seeds must be ≥ 0)")
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="threads for BLAS and Numba (default: MINISHARP_THREADS, else one "
                             "per core)")
    parser.add_argument("--remeasure", action="store_true",
                        help="measure sharpness and curvature again instead of reading the "
                             "results kept under <runs>/measures/ by an earlier run")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    if extra is not None:
        extra(parser)
    args = parser.parse_args(argv)
    args.size = args.size or "quick"
    if args.seeds is not None and min(args.seeds) < 0:
        parser.error(f"--seeds must be ≥ 0, got {args.seeds}")
    if args.out is None:
        args.out = REPO / "figures" if args.size == "full" else args.runs / "figures" / args.size
    try:
        set_threads(args.threads) if args.threads is not None else threads_from_environment()
        keep_freed_memory()
    except ValueError as error:
        parser.error(str(error))
    try:
        check_device(getattr(args, "device", "cpu"))
    except DeviceUnavailable as error:
        parser.error(str(error))
    args.out.mkdir(parents=True, exist_ok=True)
    args.memo = Memo(args.runs / "measures", refresh=args.remeasure)
    return args


def cpu_model(cpuinfo="/proc/cpuinfo"):
    """The CPU's model name with its family and model numbers where the OS gives them
    (e.g. "AMD EPYC (family 25, model 17)"): a generic name such as "AMD EPYC" covers
    several generations whose speed differs by 2× or more."""
    fields = {}
    try:
        for line in Path(cpuinfo).read_text().splitlines():
            key, _, value = line.partition(":")
            if not key.strip() and fields:
                break   # the first processor's block has ended
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    model = fields.get("model name") or platform.processor() or platform.machine()
    if "cpu family" in fields and "model" in fields:
        model += f" (family {fields['cpu family']}, model {fields['model']})"
    return model


def machine_description(cpuinfo="/proc/cpuinfo"):
    """The CPU model, its core count and the OS, for results that say where they were made
    (e.g. "AMD EPYC (family 25, model 17), 2 cores, Linux x86_64")."""
    return f"{cpu_model(cpuinfo)}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}"


def read_part(path, expected):
    """Results that an earlier run saved as JSON (one "part" of a run split over machines),
    refused with SystemExit unless each key of ``expected`` has the same value there."""
    part = json.loads(Path(path).read_text())
    for key, value in expected.items():
        if part.get(key) != json.loads(json.dumps(value, default=json_value)):
            raise SystemExit(f"{path}: made with {key} = {part.get(key)!r}, this run has "
                             f"{value!r}; remove it or run without --parts")
    print(f"  read {path} (made on {part.get('machine', 'an unnamed machine')})")
    return part


def device_argument(parser):
    """``--device {cpu,cuda}`` for a lesson that can train and measure on a GPU (pass as
    ``extra=`` to :func:`lesson_arguments`); a device that cannot be used is a usage error."""
    parser.add_argument("--device", default="cpu", choices=DEVICES,
                        help="where dense networks train and are measured: cpu (default) or "
                             "cuda (needs CuPy and a GPU; conv nets have no GPU path yet)")


def save_json(path, payload):
    """Write results as indented JSON (NumPy scalars and arrays converted)."""
    Path(path).write_text(json.dumps(payload, indent=2, default=json_value) + "\n")
    return path


def table(headers, rows):
    """Format rows as a plain-text table with aligned columns."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def mean_std(values):
    """(mean, std) over seeds — population std, like a table of 3–5 runs — or (value, 0)."""
    values = np.asarray(values, dtype=float)
    return (float(values.mean()), float(values.std())) if len(values) > 1 \
        else (float(values[0]), 0.0)


def pct(pair):
    """'mean ± std' of a (mean, std) pair, two decimals."""
    return f"{pair[0]:.2f} ± {pair[1]:.2f}"


# ----- verdicts ------------------------------------------------------------------------------
def verdict(margin, noise, z=2.0):
    """holds / not seen / within noise for a signed margin and its standard error (module doc)."""
    margin, noise = float(margin), float(noise)
    if not np.isfinite(margin) or not np.isfinite(noise) or noise < 0:
        raise ValueError(f"need a finite margin and a finite noise ≥ 0, got {margin}, {noise}")
    if margin > z * noise:
        return HOLDS
    if margin < -z * noise:
        return NOT_SEEN
    return WITHIN_NOISE


def t_quantile(dof):
    """z for a noise estimated with ``dof`` degrees of freedom: t₀.₉₇₅ (2 if dof is infinite)."""
    return 2.0 if not np.isfinite(dof) else float(stats.t.ppf(0.975, max(float(dof), 1.0)))


def binomial_se(accuracy, n):
    """Standard error of an accuracy measured on n independent samples: sqrt(a(1 − a)/n)."""
    accuracy = float(accuracy)
    if not 0 <= accuracy <= 1 or n < 1:
        raise ValueError(f"need an accuracy in [0, 1] and n ≥ 1, got {accuracy}, {n}")
    return float(np.sqrt(accuracy * (1 - accuracy) / n))


def paired_se(a_values, b_values):
    """Standard error of mean(a − b) over paired runs (seeds): std(a − b, ddof=1)/√k; 0 for k=1."""
    diff = np.asarray(a_values, dtype=float) - np.asarray(b_values, dtype=float)
    if diff.ndim != 1 or diff.size == 0:
        raise ValueError("need two equally long, non-empty sequences of paired values")
    return float(diff.std(ddof=1) / np.sqrt(diff.size)) if diff.size > 1 else 0.0


def accuracy_drop(sb_accuracies, lb_accuracies, n_test):
    """Claim 2, "LB test accuracy is below SB", for paired runs: (verdict, evidence).

    Accuracies are fractions, one per seed. The noise is the larger of the seeds' paired
    standard error and the binomial standard error of the mean difference over the n_test
    images (with one seed, only the latter exists).
    """
    sb, lb = np.asarray(sb_accuracies, float), np.asarray(lb_accuracies, float)
    gap = float(np.mean(sb - lb))
    sampling = np.sqrt(np.mean([binomial_se(a, n_test) ** 2 + binomial_se(b, n_test) ** 2
                                for a, b in zip(sb, lb)]) / len(sb))
    seeds_noise = paired_se(sb, lb)
    noise = max(seeds_noise, float(sampling))
    outcome = verdict(gap, noise, z=t_quantile(len(sb) - 1) if seeds_noise > sampling else 2.0)
    seeds = f"{len(sb)} seed{'s' if len(sb) > 1 else ''}"
    evidence = (f"SB {100 * sb.mean():.2f} %, LB {100 * lb.mean():.2f} %: gap "
                f"{100 * gap:+.2f} ± {100 * noise:.2f} points (standard error; {seeds}, "
                f"{n_test:,} test images)")
    return outcome, evidence


def log_ratio_verdict(sb_values, lb_values, threshold=1.0):
    """"LB is sharper than SB" from repeated measurements of φ (seeds, slices, subspaces).

    Works on log φ, where the spread of a ratio is symmetric: margin = mean log φ_LB − mean
    log φ_SB, noise = sqrt(var_SB/k_SB + var_LB/k_LB) with sample variances (0 for one value),
    z from Welch's degrees of freedom. ``threshold`` asks for LB/SB > threshold instead of > 1.
    Returns (verdict, ratio of geometric means, noise as a factor).
    """
    sb = np.log(np.maximum(np.asarray(sb_values, float), 1e-12))
    lb = np.log(np.maximum(np.asarray(lb_values, float), 1e-12))
    parts = [v.var(ddof=1) / v.size for v in (sb, lb) if v.size > 1]
    var = sum(parts)
    dof = (var ** 2 / sum(p ** 2 / (v.size - 1) for p, v in zip(parts, (sb, lb)))
           if var > 0 and len(parts) == 2 else np.inf)
    margin, noise = float(lb.mean() - sb.mean()), float(np.sqrt(var))
    outcome = verdict(margin - np.log(threshold), noise, z=t_quantile(dof))
    return outcome, float(np.exp(margin)), float(np.exp(noise))


class Claims:
    """The paper's checkable claims, each with a verdict and the evidence for it."""

    def __init__(self, title="The paper's claims, checked on this run:"):
        self.title = title
        self.items = []

    def check(self, claim, label, outcome, evidence):
        """Record a check; ``outcome`` is a verdict or a bool (True → holds). Returns it."""
        if isinstance(outcome, (bool, np.bool_)):
            outcome = HOLDS if outcome else NOT_SEEN
        if outcome not in VERDICTS:
            raise ValueError(f"outcome must be one of {VERDICTS} or a bool, got {outcome!r}")
        self.items.append({"claim": str(claim), "label": label, "verdict": outcome,
                           "evidence": evidence})
        return outcome

    def report(self, stream=None):
        """Print every check (verdict, label, evidence) and return them as dicts for JSON."""
        stream = sys.stdout if stream is None else stream
        print(f"\n{self.title}", file=stream)
        for item in self.items:
            print(f"  [{item['verdict'].upper():<12}] claim {item['claim']}: {item['label']}\n"
                  f"                 {item['evidence']}", file=stream)
        return self.items


class Stopwatch:
    """Wall time since creation, for the closing line of a lesson."""

    def __init__(self):
        self.start = time.perf_counter()

    def __str__(self):
        seconds = time.perf_counter() - self.start
        return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"
