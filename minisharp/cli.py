"""Command line: ``python -m minisharp train | evaluate | sharpness | interpolate``.

Every subcommand works on checkpoints written by ``train`` (``OUT/checkpoint.npz``), which
remember the network, the data set and where it came from, so later commands reload both.
Bad arguments and expected failures (missing data, unreadable checkpoint, a diverged run)
print one line on stderr and exit with a non-zero status, without a traceback: flags are
checked by argparse as they are read, and output paths before any work is done.
"""

import argparse
import math
import os
import sys
import warnings

import numpy as np

from . import checkpoint as ckpt
from . import data, optim, zoo
from .device import DEVICES, DeviceUnavailable
from .memory import keep_freed_memory
from .objective import EVAL_CHUNK, evaluate, network_objective
from .threads import set_threads, threads_from_environment
from .train import MEASURE_SAMPLES, Interrupted, TrainingStoppedWarning, format_epoch, train

CHECKPOINT_NAME = "checkpoint.npz"


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line on stderr (no usage block)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


BATCH_RULES = {"sb": data.small_batch_size, "lb": data.large_batch_size}


def _batch_size(text):
    if text in BATCH_RULES:
        return text
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, 'sb' or 'lb', got {text!r}")
    return value


def _number(kind, minimum, *, strict=False, below=None):
    """An argparse type: a finite ``kind`` ≥ ``minimum`` (> with ``strict``, < ``below``)."""
    if kind is int:
        wanted = f"a whole number ≥ {minimum + 1 if strict else minimum}"
    else:
        wanted = "a finite positive number" if strict and minimum == 0 else \
            f"a finite number ≥ {minimum:g}"
    if below is not None:
        wanted = f"a number in [{minimum:g}, {below:g})"

    def parse(text):
        try:
            value = kind(text)
        except (ValueError, OverflowError):
            value = None
        if value is None or (kind is float and not math.isfinite(value)) or value < minimum \
                or (strict and value == minimum) or (below is not None and value >= below):
            raise argparse.ArgumentTypeError(f"must be {wanted}, got {text!r}")
        return value

    return parse


def _positive(kind):
    return _number(kind, 0, strict=True)


def _add_threads_option(parser):
    parser.add_argument("--threads", type=_number(int, 1), metavar="N",
                        help="threads for BLAS and Numba (default: $MINISHARP_THREADS if set, "
                             "else all cores); 1 when another job shares the cores")


def _add_data_options(parser, default=None):
    default_text = default or "the one the checkpoint was trained on"
    parser.add_argument("--data", choices=data.NAMES, default=default, metavar="NAME",
                        help=f"data set: {', '.join(data.NAMES)} (default: {default_text})")
    parser.add_argument("--data-root", metavar="DIR",
                        help="directory holding the data files (default: $MINISHARP_DATA, the "
                             "system install location, then the user cache)")
    parser.add_argument("--subset", choices=("embedded", "full"),
                        help="'embedded': the Fashion-MNIST subset shipped with minisharp; "
                             "'full': the full set, downloaded if missing (default: full if "
                             "found on disk, else embedded)")


def build_parser():
    parser = _Parser(prog="minisharp",
                     description="Large-batch training and sharp minima (Keskar et al., 2017).")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = commands.add_parser("train", help="train a network, checkpointing every epoch",
                            description="Train a zoo network with Adam (or SGD, Adagrad) until the "
                                        "measured training loss stops improving.")
    p.add_argument("--net", choices=zoo.NAMES, default="F1", metavar="NAME",
                   help=f"network: {', '.join(zoo.NAMES)} (default: F1)")
    _add_data_options(p, default="fashion-mnist")
    p.add_argument("--batch-size", type=_batch_size, default="sb", metavar="B|sb|lb",
                   help="minibatch size; 'sb': the paper's small batch scaled to keep "
                        "N/B ≈ 234 (256 on 60,000 images); 'lb': 10%% of the training set "
                        "(default: sb)")
    p.add_argument("--epochs", type=_positive(int), default=100, metavar="N",
                   help="maximum number of epochs (default: 100)")
    p.add_argument("--patience", type=_number(int, 0), default=5, metavar="N",
                   help="stop after N epochs without the training loss improving by "
                        "--min-delta; 0 turns the rule off (default: 5)")
    p.add_argument("--min-delta", type=_number(float, 0), default=1e-3, metavar="D",
                   help="smallest decrease of the measured training loss that counts as an "
                        "improvement (default: 1e-3)")
    p.add_argument("--optimizer", choices=tuple(optim.OPTIMIZERS), default="adam",
                   help="optimizer (default: adam, Keras defaults as in the paper)")
    p.add_argument("--lr", type=_positive(float), metavar="LR",
                   help="learning rate (default: 1e-3 for adam, 0.01 for sgd and adagrad)")
    p.add_argument("--momentum", type=_number(float, 0, below=1), default=0.0, metavar="MU",
                   help="momentum for sgd (default: 0)")
    p.add_argument("--seed", type=_number(int, 0), default=0, metavar="S",
                   help="seed of θ₀, the data order and dropout (default: 0)")
    p.add_argument("--device", choices=DEVICES, default="cpu",
                   help="train on the cpu (default) or a CUDA GPU (cuda: needs CuPy; dense "
                        "networks only)")
    p.add_argument("--measure-mode", choices=("batchstat", "eval"), default="batchstat",
                   help="batch norm when measuring loss and accuracy: statistics of each "
                        f"{EVAL_CHUNK}-sample chunk (the paper's code) or running averages "
                        "(default: batchstat)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help=f"output directory; the run is saved as DIR/{CHECKPOINT_NAME}")
    p.add_argument("--resume", action="store_true",
                   help="continue the run saved in DIR, bit-identical to an uninterrupted run "
                        "(give the same settings; only --epochs, --patience and --min-delta "
                        "may change)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar and no per-epoch lines; only the final summary")
    _add_threads_option(p)
    p.set_defaults(handler=_train)

    p = commands.add_parser("evaluate", help="loss and accuracy of a checkpoint",
                            description="Print training and test loss and accuracy of a "
                                        "checkpoint (dropout off).")
    p.add_argument("checkpoint", metavar="CKPT", help="checkpoint file (.npz)")
    _add_data_options(p)
    p.add_argument("--mode", choices=("batchstat", "eval"), default="batchstat",
                   help=f"batch norm statistics: per {EVAL_CHUNK}-sample chunk or running "
                        "(default: batchstat)")
    p.add_argument("--samples", type=_positive(int), metavar="N",
                   help="use only the first N training samples (default: all)")
    _add_threads_option(p)
    p.set_defaults(handler=_evaluate)

    p = commands.add_parser("sharpness", help="Metric 2.1 of a checkpoint",
                            description="Sharpness φ(ε, A) (Metric 2.1) of a checkpoint on the "
                                        "first N training samples, by L-BFGS-B.")
    p.add_argument("checkpoint", metavar="CKPT", help="checkpoint file (.npz)")
    p.add_argument("--eps", type=_positive(float), default=1e-3,
                   help="box size ε (default: 1e-3; the paper also uses 5e-4)")
    p.add_argument("--subspace", type=_positive(int), metavar="P",
                   help="maximise in a random P-dimensional subspace (the paper: 100); "
                        "default: the full space")
    p.add_argument("--samples", type=_positive(int), default=MEASURE_SAMPLES, metavar="N",
                   help=f"training samples defining f (default: {MEASURE_SAMPLES})")
    p.add_argument("--seed", type=_number(int, 0), default=0, metavar="S",
                   help="seed of the random subspace (default: 0)")
    p.add_argument("--maxiter", type=_positive(int), default=10, metavar="K",
                   help="L-BFGS-B iterations (default: 10, as in the paper)")
    p.add_argument("--mode", choices=("batchstat", "eval"), default="batchstat",
                   help="batch norm statistics of f (default: batchstat)")
    _add_data_options(p)
    _add_threads_option(p)
    p.set_defaults(handler=_sharpness)

    p = commands.add_parser("interpolate", help="loss along a path from the SB to the LB minimiser",
                            description="Loss and accuracy along α ↦ θ(α) from the small-batch "
                                        "(α = 0) to the large-batch (α = 1) minimiser, plotted.")
    p.add_argument("checkpoint_sb", metavar="CKPT_SB", help="small-batch checkpoint")
    p.add_argument("checkpoint_lb", metavar="CKPT_LB", help="large-batch checkpoint")
    p.add_argument("--out", required=True, metavar="PNG", help="figure file to write")
    p.add_argument("--points", type=_number(int, 2), default=25, metavar="K",
                   help="number of α values in [-1, 2], at least 2 (default: 25)")
    p.add_argument("--path", choices=("linear", "sincos"), default="linear",
                   help="straight line, or the sin/cos curve (default: linear)")
    p.add_argument("--samples", type=_positive(int), default=MEASURE_SAMPLES, metavar="N",
                   help=f"training samples measured (default: {MEASURE_SAMPLES})")
    p.add_argument("--mode", choices=("batchstat", "eval"), default="batchstat",
                   help="batch norm statistics (default: batchstat)")
    _add_data_options(p)
    _add_threads_option(p)
    p.set_defaults(handler=_interpolate)
    return parser


def _load_data(name, args, config=None):
    """The (train, test) pair named, from the flags, else from where the checkpoint's came."""
    root, subset = args.data_root, args.subset
    if config is not None and root is None and subset is None:
        source = config["data"].get("source")
        if name == config["data"].get("name") and isinstance(source, str):
            subset = "embedded" if source == "embedded" else "full"
            root = None if source == "embedded" else source
    if not isinstance(name, str) or name not in data.NAMES:
        raise ValueError(f"the checkpoint was trained on data {name!r}, which minisharp "
                         "cannot load; pass --data")
    return data.load_pair(name, root=root, subset=subset, download=config is None)


def _train(args):
    if args.momentum and args.optimizer != "sgd":
        raise ValueError(f"--momentum applies to --optimizer sgd only (this run uses "
                         f"{args.optimizer})")
    path = os.path.join(args.out, CHECKPOINT_NAME)
    # The lock spans the check below and the whole run: a second train on the same --out
    # fails here at once, and an unusable --out fails before the data is even loaded.
    with ckpt.exclusive(path):
        if os.path.exists(path) and not args.resume:
            raise ValueError(f"{path} exists; pass --resume to continue it, or choose another "
                             "--out")
        if args.resume and not os.path.exists(path):
            raise ValueError(f"nothing to resume: {path} does not exist (drop --resume to "
                             "start a new run)")
        return _train_locked(args, path)


def _train_locked(args, path):
    train_set, test_set = _load_data(args.data, args)
    batch_size = args.batch_size
    if batch_size in BATCH_RULES:
        batch_size = BATCH_RULES[batch_size](len(train_set))
    net = zoo.build(args.net, train_set.input_shape, train_set.num_classes)
    settings = {} if args.lr is None else {"lr": args.lr}
    if args.optimizer == "sgd" and args.momentum:
        settings["momentum"] = args.momentum
    optimizer = optim.make(args.optimizer, **settings)
    show_lines = not args.quiet and not sys.stderr.isatty()
    if not args.quiet:
        print(f"{net!r} on {train_set.name} ({len(train_set)} train / {len(test_set)} test, "
              f"{train_set.source}), batch {batch_size}, {optimizer!r}, seed {args.seed}")

    def print_epoch(epoch, theta, history):
        if show_lines:
            print(format_epoch(history), flush=True)

    with warnings.catch_warnings():  # the error line below says it once
        warnings.simplefilter("ignore", TrainingStoppedWarning)
        run = train(net, net.init(args.seed), train_set, test_set, batch_size=batch_size,
                    optimizer=optimizer, max_epochs=args.epochs,
                    patience=args.patience or None, min_delta=args.min_delta, seed=args.seed,
                    measure_mode=args.measure_mode, callbacks=(print_epoch,), checkpoint=path,
                    resume=args.resume, progress=not args.quiet, device=args.device)
    if run.stop_reason in ("nonfinite", "diverged"):
        print(f"minisharp: error: {run.message}", file=sys.stderr)
        return 1
    print(f"{run.message}; checkpoint {path}")
    return 0


def _load_with_data(args, path):
    saved = ckpt.load(path)
    if not isinstance(saved.config.get("data"), dict):
        raise ValueError(f"{path}: the checkpoint does not say which data it was trained on")
    train_set, test_set = _load_data(args.data or saved.config["data"].get("name"), args,
                                     saved.config)
    return saved, train_set, test_set


def _evaluate(args):
    saved, train_set, test_set = _load_with_data(args, args.checkpoint)
    n = len(train_set) if args.samples is None else min(args.samples, len(train_set))
    splits = (("train", train_set.X[:n], train_set.y[:n]), ("test", test_set.X, test_set.y))
    print(f"{saved.net!r}, epoch {saved.epoch}, batch norm mode {args.mode}")
    for label, X, y in splits:
        loss, accuracy = evaluate(saved.net, saved.theta, X, y, args.mode, state=saved.state)
        print(f"{label:5s}  loss {loss:.6f}  accuracy {accuracy:.4f}  ({len(y)} samples)")
    return 0


def _sharpness(args):
    from . import sharpness

    saved, train_set, _ = _load_with_data(args, args.checkpoint)
    X, y = train_set.X[:args.samples], train_set.y[:args.samples]
    fun = network_objective(saved.net, X, y, mode=args.mode, state=saved.state)
    result = sharpness.sharpness(fun, saved.theta, args.eps, p=args.subspace, seed=args.seed,
                                 maxiter=args.maxiter)
    space = "full space" if args.subspace is None else f"random subspace p={args.subspace}"
    print(f"{saved.net.name} epoch {saved.epoch}, eps {args.eps:g}, {space}, {len(y)} samples")
    print(f"phi         {result.phi:.6g}")
    print(f"f(x)        {result.f0:.6g}")
    print(f"max f       {result.fmax:.6g}")
    print(f"iterations  {result.nit}")
    print(f"evaluations {result.nfev}")
    print(f"seconds     {result.seconds:.2f}")
    if "ABNORMAL" in result.message:
        print(f"note        L-BFGS-B stopped early ({result.message}); phi is the largest "
              "value it found")
    return 0


def _check_figure_path(path):
    """Refuse a figure path matplotlib cannot write, before the work that fills the figure."""
    from matplotlib.backend_bases import FigureCanvasBase

    types = FigureCanvasBase.get_supported_filetypes()
    extension = os.path.splitext(path)[1].lower().lstrip(".")
    if extension not in types:
        raise ValueError(f"{path}: '.{extension}' is not a figure type; use one of "
                         f"{', '.join('.' + t for t in sorted(types))}")
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path) or (os.path.exists(directory) and not os.path.isdir(directory)):
        raise ValueError(f"{path}: cannot write a figure there")


def _interpolate(args):
    from . import landscape, plots

    _check_figure_path(args.out)
    small, train_set, test_set = _load_with_data(args, args.checkpoint_sb)
    large = ckpt.load(args.checkpoint_lb, net=small.net)
    if large.config.get("data") != small.config["data"]:
        raise ValueError(f"{args.checkpoint_sb} and {args.checkpoint_lb} were trained on "
                         "different data")
    sets = {"train": (train_set.X[:args.samples], train_set.y[:args.samples]),
            "test": (test_set.X, test_set.y)}
    result = landscape.interpolate(small.net, small.theta, large.theta, sets,
                                   alphas=np.linspace(-1.0, 2.0, args.points), path=args.path,
                                   mode=args.mode, state_s=small.state, state_l=large.state,
                                   progress=sys.stderr.isatty())
    metrics = result["metrics"]
    print(f"{'alpha':>7}  {'train loss':>10}  {'train acc':>9}  {'test loss':>10}  "
          f"{'test acc':>8}")
    for i, alpha in enumerate(result["alphas"]):
        print(f"{alpha:7.3f}  {metrics['train']['loss'][i]:10.4f}  "
              f"{metrics['train']['accuracy'][i]:9.4f}  {metrics['test']['loss'][i]:10.4f}  "
              f"{metrics['test']['accuracy'][i]:8.4f}")
    plots.plot_parametric(result, args.out)  # after the table: a failed write loses no numbers
    print(f"wrote {args.out} ({args.points} points, {args.path} path, batch norm {args.mode})")
    return 0


def main(argv=None):
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.threads is not None:
            set_threads(args.threads)
        else:
            threads_from_environment()
        keep_freed_memory()
        # Overflow and NaN are reported once, by the checks that catch them (training stops
        # "nonfinite"/"diverged", sharpness refuses a non-finite f): not also as NumPy warnings.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return args.handler(args)
    except Interrupted as interrupted:
        print(f"\nminisharp: {interrupted.run.message}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("\nminisharp: interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError, ImportError, data.DownloadError, DeviceUnavailable) as error:
        print(f"minisharp: error: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"minisharp: error: out of memory in '{args.command}'; use fewer --samples or a "
              "smaller network or subspace", file=sys.stderr)
        return 1
