"""Command line: ``python -m minisharp train | evaluate | sharpness | interpolate``.

Every subcommand works on checkpoints written by ``train`` (``OUT/checkpoint.npz``), which
remember the network, the data set and where it came from, so later commands reload both.
Bad arguments and expected failures (missing data, unreadable checkpoint) print one line on
stderr and exit with a non-zero status, without a traceback.
"""

import argparse
import os
import sys

import numpy as np

from . import checkpoint as ckpt
from . import data, optim, zoo
from .objective import EVAL_CHUNK, evaluate, network_objective
from .train import MEASURE_SAMPLES, Interrupted, format_epoch, train

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


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    return parse


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
                            description="Train a zoo network with Adam (or SGD) until the "
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
    p.add_argument("--patience", type=int, default=5, metavar="N",
                   help="stop after N epochs without the training loss improving by "
                        "--min-delta; 0 turns the rule off (default: 5)")
    p.add_argument("--min-delta", type=float, default=1e-3, metavar="D",
                   help="smallest decrease of the measured training loss that counts as an "
                        "improvement (default: 1e-3)")
    p.add_argument("--optimizer", choices=("adam", "sgd"), default="adam",
                   help="optimizer (default: adam, Keras defaults as in the paper)")
    p.add_argument("--lr", type=_positive(float), metavar="LR",
                   help="learning rate (default: 1e-3 for adam, 0.01 for sgd)")
    p.add_argument("--momentum", type=float, default=0.0, metavar="MU",
                   help="momentum for sgd (default: 0)")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="seed of θ₀, the data order and dropout (default: 0)")
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
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="seed of the random subspace (default: 0)")
    p.add_argument("--maxiter", type=_positive(int), default=10, metavar="K",
                   help="L-BFGS-B iterations (default: 10, as in the paper)")
    p.add_argument("--mode", choices=("batchstat", "eval"), default="batchstat",
                   help="batch norm statistics of f (default: batchstat)")
    _add_data_options(p)
    p.set_defaults(handler=_sharpness)

    p = commands.add_parser("interpolate", help="loss along a path from the SB to the LB minimiser",
                            description="Loss and accuracy along α ↦ θ(α) from the small-batch "
                                        "(α = 0) to the large-batch (α = 1) minimiser, plotted.")
    p.add_argument("checkpoint_sb", metavar="CKPT_SB", help="small-batch checkpoint")
    p.add_argument("checkpoint_lb", metavar="CKPT_LB", help="large-batch checkpoint")
    p.add_argument("--out", required=True, metavar="PNG", help="figure file to write")
    p.add_argument("--points", type=_positive(int), default=25, metavar="K",
                   help="number of α values in [-1, 2] (default: 25)")
    p.add_argument("--path", choices=("linear", "sincos"), default="linear",
                   help="straight line, or the sin/cos curve (default: linear)")
    p.add_argument("--samples", type=_positive(int), default=MEASURE_SAMPLES, metavar="N",
                   help=f"training samples measured (default: {MEASURE_SAMPLES})")
    p.add_argument("--mode", choices=("batchstat", "eval"), default="batchstat",
                   help="batch norm statistics (default: batchstat)")
    _add_data_options(p)
    p.set_defaults(handler=_interpolate)
    return parser


def _load_data(name, args, config=None):
    """The (train, test) pair named, from the flags, else from where the checkpoint's came."""
    root, subset = args.data_root, args.subset
    if config is not None and root is None and subset is None:
        source = config["data"]["source"]
        if name == config["data"]["name"]:
            subset = "embedded" if source == "embedded" else "full"
            root = None if source == "embedded" else source
    if name not in data.NAMES:
        raise ValueError(f"the checkpoint was trained on data {name!r}, which minisharp "
                         "cannot load; pass --data")
    return data.load_pair(name, root=root, subset=subset, download=config is None)


def _train(args):
    path = os.path.join(args.out, CHECKPOINT_NAME)
    if os.path.exists(path) and not args.resume:
        raise ValueError(f"{path} exists; pass --resume to continue it, or choose another --out")
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

    run = train(net, net.init(args.seed), train_set, test_set, batch_size=batch_size,
                optimizer=optimizer, max_epochs=args.epochs, patience=args.patience or None,
                min_delta=args.min_delta, seed=args.seed, measure_mode=args.measure_mode,
                callbacks=(print_epoch,), checkpoint=path, resume=args.resume,
                progress=not args.quiet)
    if run.stop_reason == "nonfinite":
        print(f"minisharp: error: {run.message}", file=sys.stderr)
        return 1
    print(f"{run.message}; checkpoint {path}")
    return 0


def _load_with_data(args, path):
    saved = ckpt.load(path)
    train_set, test_set = _load_data(args.data or saved.config["data"]["name"], args,
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
    return 0


def _interpolate(args):
    from . import landscape, plots

    small, train_set, test_set = _load_with_data(args, args.checkpoint_sb)
    large = ckpt.load(args.checkpoint_lb, net=small.net)
    if large.config["data"] != small.config["data"]:
        raise ValueError(f"{args.checkpoint_sb} and {args.checkpoint_lb} were trained on "
                         "different data")
    sets = {"train": (train_set.X[:args.samples], train_set.y[:args.samples]),
            "test": (test_set.X, test_set.y)}
    result = landscape.interpolate(small.net, small.theta, large.theta, sets,
                                   alphas=np.linspace(-1.0, 2.0, args.points), path=args.path,
                                   mode=args.mode, state_s=small.state, state_l=large.state,
                                   progress=sys.stderr.isatty())
    plots.plot_parametric(result, args.out)
    metrics = result["metrics"]
    print(f"{'alpha':>7}  {'train loss':>10}  {'train acc':>9}  {'test loss':>10}  "
          f"{'test acc':>8}")
    for i, alpha in enumerate(result["alphas"]):
        print(f"{alpha:7.3f}  {metrics['train']['loss'][i]:10.4f}  "
              f"{metrics['train']['accuracy'][i]:9.4f}  {metrics['test']['loss'][i]:10.4f}  "
              f"{metrics['test']['accuracy'][i]:8.4f}")
    print(f"wrote {args.out} ({args.points} points, {args.path} path, batch norm {args.mode})")
    return 0


def main(argv=None):
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except Interrupted as interrupted:
        print(f"\nminisharp: {interrupted.run.message}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("\nminisharp: interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError, ImportError, data.DownloadError) as error:
        print(f"minisharp: error: {error}", file=sys.stderr)
        return 1
