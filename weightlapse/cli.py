"""The command line: parse arguments, make one library call per subcommand.

Errors from bad input are one line on stderr and exit status 2 (SPEC §4).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys

from .core.data import DATASET_NAMES
from .core.errors import WeightlapseError
from .core.init import INITIALIZERS
from .core.layers import ACTIVATIONS
from .core.optim import OPTIMIZERS, SCHEDULES
from .core.presets import PRESETS


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (and exit status 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def int_list(text: str) -> list:
    if text.strip().lower() in ("", "none"):
        return []
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer sizes like 128,64, got {text!r}") from None


def snapshot_every(text: str):
    if text == "epoch":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected 'epoch' or a number of steps, got {text!r}") from None


def add_train_options(p, resume=True):
    d = p.add_argument_group("data")
    d.add_argument("--dataset", metavar="NAME", help=f"one of {', '.join(DATASET_NAMES)}")
    d.add_argument("--data", metavar="FILE.csv",
                   help="a CSV: Kaggle digits (label,pixel0..783) or any numeric table")
    d.add_argument("--label-column", metavar="NAME", help="the CSV's label column (default label)")
    d.add_argument("--task", choices=["classification", "regression"])
    d.add_argument("--data-dir", metavar="DIR",
                   help="where datasets live (default $WEIGHTLAPSE_DATA, else ./data)")
    d.add_argument("--limit", type=int, metavar="N", help="use only the first N samples")
    d.add_argument("--val-fraction", type=float, metavar="F",
                   help="fraction held out for validation (default 0.1)")
    d.add_argument("--n-samples", type=int, metavar="N", help="synthetic sets: samples")
    d.add_argument("--noise", type=float, help="synthetic sets: noise level")
    d.add_argument("--classes", type=int, help="spiral/gaussian: number of classes")
    m = p.add_argument_group("model")
    m.add_argument("--hidden", type=int_list, metavar="SIZES",
                   help="hidden layer sizes, e.g. 128,64 (default 32,32)")
    m.add_argument("--activation", choices=list(ACTIVATIONS))
    m.add_argument("--init", choices=list(INITIALIZERS))
    m.add_argument("--dtype", choices=["float32", "float64"])
    m.add_argument("--dropout", type=float, metavar="P")
    o = p.add_argument_group("optimisation")
    o.add_argument("--optimizer", choices=list(OPTIMIZERS))
    o.add_argument("--lr", type=float, help="learning rate (default 0.01)")
    o.add_argument("--momentum", type=float)
    o.add_argument("--batch-size", type=int, metavar="N", help="0 = full batch (default 64)")
    o.add_argument("--epochs", type=int)
    o.add_argument("--l2", type=float, help="adds (l2/2)*sum(W**2) to the loss")
    o.add_argument("--lr-schedule", choices=list(SCHEDULES))
    o.add_argument("--lr-step-every", type=int, metavar="EPOCHS")
    o.add_argument("--lr-gamma", type=float)
    o.add_argument("--seed", type=int)
    o.add_argument("--device", choices=["cpu", "gpu"],
                   help="gpu: train on a CUDA GPU through CuPy (pip install "
                   "\"weightlapse[gpu]\"); default cpu")
    r = p.add_argument_group("recording and output")
    r.add_argument("--snapshot-every", type=snapshot_every, metavar="epoch|N")
    r.add_argument("--out", metavar="DIR", help="parent folder of runs (default outputs)")
    r.add_argument("--name", help="run folder name (default: the dataset's name)")
    r.add_argument("--preset", choices=list(PRESETS))
    if resume:
        r.add_argument("--resume", metavar="RUN",
                       help="continue RUN from its checkpoint (with --epochs N to extend it)")


TRAIN_KEYS = ("dataset", "data", "label_column", "task", "data_dir", "limit", "val_fraction", "n_samples", "noise",
              "classes", "hidden", "activation", "init", "dtype", "dropout", "optimizer",
              "lr", "momentum", "batch_size", "epochs", "l2", "lr_schedule",
              "lr_step_every", "lr_gamma", "seed", "device", "snapshot_every", "out", "name")


def build_parser() -> Parser:
    from . import __version__
    p = Parser(prog="weightlapse", description="Train a NumPy neural network, record "
               "its weights while it learns, and film them.")
    p.add_argument("--version", action="version", version=f"weightlapse {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    t = sub.add_parser("train", help="train a network and record its weights")
    add_train_options(t)
    pr = sub.add_parser("predict", help="predict a CSV with a run's weights (Kaggle format "
                        "for digits)")
    pr.add_argument("run", metavar="RUN", help="run directory")
    pr.add_argument("--data", required=True, metavar="FILE.csv", help="rows to predict")
    pr.add_argument("-o", "--output", required=True, metavar="FILE.csv")
    pr.add_argument("--snapshot", type=int, default=-1, metavar="N",
                    help="predict with snapshot N (default -1, the last)")
    r = sub.add_parser("render", help="film a run: .mp4 (H.264) or .gif")
    r.add_argument("run", metavar="RUN", help="run directory")
    r.add_argument("-o", "--output", required=True, metavar="FILE.mp4|FILE.gif")
    r.add_argument("--fps", type=float, default=30)
    r.add_argument("--size", type=size_arg, default=(1280, 720), metavar="WxH",
                   help="frame size in pixels (default 1280x720)")
    r.add_argument("--dpi", type=float, default=100, help="sets text size (default 100)")
    r.add_argument("--smooth", type=int, default=0, metavar="K",
                   help="K interpolated frames between snapshots")
    r.add_argument("--edges", default="all", metavar="all|top:K",
                   help="all edges, or the K strongest into each node")
    f = sub.add_parser("figure", help="a static weight diagram: .png, .svg or .pdf")
    f.add_argument("run", metavar="RUN", help="run directory")
    f.add_argument("-o", "--output", required=True, metavar="FILE")
    f.add_argument("--snapshot", type=int, default=-1, metavar="N",
                   help="which snapshot (default -1, the final weights)")
    f.add_argument("--edges", default="all", metavar="all|top:K")
    f.add_argument("--dpi", type=float, default=200, help="for .png (default 200)")
    d = sub.add_parser("demo", help="the main job: train the spiral network, film it, "
                       "draw its final weights")
    d.add_argument("--out", default="outputs", metavar="DIR")
    c = sub.add_parser("compare", help="compare runs: final weights side by side, curves, "
                       "a table; or a diff, or a synced video")
    c.add_argument("runs", nargs="+", metavar="RUN", help="run directories")
    c.add_argument("-o", "--output", required=True, metavar="FILE",
                   help=".png/.svg/.pdf (figures), .mp4/.gif with --video")
    c.add_argument("--diff", action="store_true", help="draw B - A of two runs")
    c.add_argument("--align", action="store_true",
                   help="with --diff: first match B's hidden units to A's")
    c.add_argument("--video", action="store_true", help="the runs' films side by side")
    c.add_argument("--table", metavar="FILE.csv", help="save the table as CSV and Markdown")
    c.add_argument("--edges", default="all", metavar="all|top:K")
    c.add_argument("--fps", type=float, default=30)
    c.add_argument("--size", type=size_arg, default=(1280, 720), metavar="WxH")
    sw = sub.add_parser("sweep", help="train a grid of runs in parallel, then compare them")
    add_train_options(sw, resume=False)
    sw.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2",
                    help="a setting and its values (repeat for a product); hidden layer "
                    "lists as 32x32, e.g. --grid hidden=16,32x32")
    sw.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes")
    sw.set_defaults(_parser=sw)
    rs = sub.add_parser("runs", help="a table of the runs in a folder")
    rs.add_argument("folder", nargs="?", default="outputs", metavar="DIR",
                    help="where runs are (default outputs)")
    return p


def size_arg(text: str):
    try:
        w, h = (int(v) for v in text.lower().split("x"))
        if w <= 0 or h <= 0:
            raise ValueError
        return w, h
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected WIDTHxHEIGHT in pixels like 1280x720, got {text!r}") from None


def cmd_train(args) -> int:
    from .api import train
    settings = {k: getattr(args, k) for k in TRAIN_KEYS}
    run = train(preset=args.preset, progress=True, resume=args.resume, **settings)
    print(summary(run, args.preset), file=sys.stderr)
    if run.status == "interrupted":
        how = (f"resume with: weightlapse train --resume {run.path}"
               if (run.path / "checkpoint.npz").exists() else "no checkpoint to resume from")
        print(f"weightlapse: {run.info.get('message')}; everything recorded is kept; {how}",
              file=sys.stderr)
    print(run.path)
    return 130 if run.status == "interrupted" else 0


def cmd_predict(args) -> int:
    from .api import predict
    table = predict(args.run, args.data, args.output, args.snapshot)
    print(f"{len(table)} predictions", file=sys.stderr)
    print(args.output)
    return 0


def summary(run, preset=None) -> str:
    info = run.info
    fm = info.get("final_metrics", {})
    parts = [f"{info.get('status')}: {info.get('steps', 0)} steps, "
             f"{info.get('snapshots', 0)} snapshots, {info.get('elapsed_s', 0):.1f} s"]
    for key, label in (("train_acc", "train acc"), ("val_acc", "val acc"),
                       ("test_acc", "test acc"), ("val_loss", "val loss")):
        if fm.get(key) is not None:
            parts.append(f"{label} {fm[key]:.4f}")
    if preset and PRESETS[preset].get("expected"):
        lo, hi = PRESETS[preset]["expected"]
        which = "test" if fm.get("test_acc") is not None else "val"
        acc = fm.get(f"{which}_acc")
        verdict = "" if acc is None else (": in band" if lo <= acc <= hi else ": OUT of band")
        parts.append(f"preset {preset}: {which} acc {acc:.2%} against expected "
                     f"{lo:.1%}-{hi:.1%}{verdict}" if acc is not None else
                     f"preset {preset}: expected {lo:.1%}-{hi:.1%}")
    if info.get("message"):
        parts.append(info["message"])
    return "; ".join(parts)


def cmd_render(args) -> int:
    from .api import render
    print(render(args.run, args.output, fps=args.fps, size=args.size, dpi=args.dpi,
                 smooth=args.smooth, edges=args.edges, progress=True))
    return 0


def cmd_figure(args) -> int:
    from .api import figure
    print(figure(args.run, args.output, snapshot=args.snapshot, edges=args.edges,
                 dpi=args.dpi))
    return 0


def cmd_demo(args) -> int:
    from .api import demo
    run, video, fig = demo(out=args.out, progress=True)
    print(summary(run, "spiral"), file=sys.stderr)
    print(f"video:  {video}\nfigure: {fig}")
    return 0


def cmd_compare(args) -> int:
    from .api import compare
    result = compare(args.runs, args.output, diff=args.diff, align=args.align,
                     video=args.video, table=args.table, edges=args.edges, fps=args.fps,
                     size=args.size, progress=args.video)
    print(result.table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for rec in result.report:
        if "layer" in rec:
            print(f"aligned hidden layer {rec['layer']}: {rec['moved']} of {rec['units']} "
                  f"units moved; similarity {rec['similarity_before']:.3f} -> "
                  f"{rec['similarity_after']:.3f}", file=sys.stderr)
        else:
            print(f"relative difference ||B - A|| / ||A|| = {rec['relative_difference']:.3f}",
                  file=sys.stderr)
    for f in result.files:
        print(f)
    return 0


def parse_grid(parser, items) -> dict:
    """--grid KEY=V1,V2 strings -> {setting: [typed values]}, each value typed
    as the matching train option types it."""
    types = {a.dest: a for a in parser._actions if a.dest in TRAIN_KEYS}
    grid = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not values:
            raise WeightlapseError(f"--grid {item!r}: expected KEY=V1,V2")
        if key not in types:
            raise WeightlapseError(f"--grid {key!r} is not a train setting")
        action = types[key]
        out = []
        for v in values.split(","):
            if key == "hidden":
                v = v.replace("x", ",")
            try:
                typed = action.type(v) if action.type else v
            except (ValueError, argparse.ArgumentTypeError) as e:
                raise WeightlapseError(f"--grid {key}: {v!r} is not a valid {key} ({e})") \
                    from None
            if action.choices and typed not in action.choices:
                raise WeightlapseError(f"--grid {key}: {v!r} is not one of "
                                       f"{', '.join(map(str, action.choices))}")
            out.append(typed)
        grid[key] = out
    return grid


def cmd_sweep(args) -> int:
    from .api import sweep
    grid = parse_grid(args._parser, args.grid)
    settings = {k: getattr(args, k) for k in TRAIN_KEYS if k not in ("out", "name")}
    result = sweep(grid, jobs=args.jobs, out=args.out or "outputs", name=args.name or "sweep",
                   preset=args.preset, **settings)
    if result.table is not None:
        print(result.table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for name, msg in result.failed:
        print(f"weightlapse sweep: run {name} failed: {msg}", file=sys.stderr)
    for f in result.files:
        print(f)
    print(result.path)
    return 0


def cmd_runs(args) -> int:
    from .api import runs
    table = runs(args.folder)
    if table.empty:
        print(f"no runs in {args.folder}", file=sys.stderr)
    else:
        print(table.to_string(index=False, na_rep="", float_format=lambda v: f"{v:.4f}"))
    return 0


COMMANDS = {"runs": cmd_runs, "train": cmd_train, "predict": cmd_predict, "render": cmd_render,
            "figure": cmd_figure, "demo": cmd_demo, "compare": cmd_compare,
            "sweep": cmd_sweep}


def _terminate(signum, frame):
    # Outside training (which stops itself cleanly), SIGTERM ends the command
    # like Ctrl-C: temporary files are removed on the way out.
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return COMMANDS[args.command](args)
    except WeightlapseError as e:
        print(f"weightlapse {args.command}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, as Python's docs advise.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as e:
        where = f" ({e.filename})" if getattr(e, "filename", None) else ""
        print(f"weightlapse {args.command}: error: {e.strerror or e}{where}; "
              "check the path and free space", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("weightlapse: interrupted", file=sys.stderr)
        return 130
