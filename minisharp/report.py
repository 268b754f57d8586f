"""Small helpers the lessons share: command-line sizes, tables, JSON results, claim checks.

Every lesson runs at three sizes: ``--smoke`` (seconds; what the tests run), ``--quick`` (the
default: minutes on a 2-core CPU) and ``--full`` (the larger run behind the README's numbers).
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

SIZES = ("smoke", "quick", "full")
REPO = Path(__file__).resolve().parent.parent


def lesson_arguments(description, argv=None, extra=None):
    """Parse the common lesson flags; ``extra(parser)`` may add the lesson's own."""
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
    parser.add_argument("--out", type=Path, default=REPO / "figures",
                        help="where figures and JSON results go (default: figures/)")
    parser.add_argument("--runs", type=Path, default=REPO / "runs",
                        help="where checkpoints go, shared between lessons (default: runs/)")
    parser.add_argument("--data", default=None, choices=("embedded", "full"),
                        help="force the embedded subset or the full Fashion-MNIST "
                             "(default: the full set when found, else the embedded subset)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    if extra is not None:
        extra(parser)
    args = parser.parse_args(argv)
    args.size = args.size or "quick"
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def machine():
    """A one-line description of where the numbers were measured."""
    cores = os.cpu_count()
    return f"{platform.processor() or platform.machine()}, {cores} cores, Python " \
           f"{platform.python_version()}, NumPy {np.__version__}"


def save_json(path, payload):
    """Write results as indented JSON (NumPy scalars and arrays converted)."""
    def convert(value):
        if isinstance(value, np.ndarray):
            return value.tolist()
        if isinstance(value, np.generic):
            return value.item()
        raise TypeError(f"cannot store {type(value).__name__} in JSON")

    Path(path).write_text(json.dumps(payload, indent=2, default=convert) + "\n")
    return path


def table(headers, rows):
    """Format rows as a plain-text table with aligned columns."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class Claims:
    """The paper's checkable claims, each marked as holding or not, with the evidence."""

    def __init__(self, title="The paper's claims, checked on this run:"):
        self.title = title
        self.items = []

    def check(self, label, holds, evidence):
        self.items.append({"claim": label, "holds": bool(holds), "evidence": evidence})
        return holds

    def report(self, stream=None):
        stream = sys.stdout if stream is None else stream
        print(f"\n{self.title}", file=stream)
        for item in self.items:
            mark = "holds   " if item["holds"] else "NOT SEEN"
            print(f"  [{mark}] {item['claim']}\n             {item['evidence']}", file=stream)
        return self.items


class Stopwatch:
    """Wall time since creation, for the closing line of a lesson."""

    def __init__(self):
        self.start = time.perf_counter()

    def __str__(self):
        seconds = time.perf_counter() - self.start
        return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"
