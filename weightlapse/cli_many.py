"""The commands over many runs: sweep, runs (the listing) and report."""
from __future__ import annotations

import argparse
import os
import sys

from .cli_options import (TRAIN_KEYS, subcommand, add_declared, add_drawing_options, add_output,
                          add_train_options)
from .core.errors import WeightlapseError


def add_sweep_parser(sub, common):
    sw = subcommand(sub, common, "sweep", "train many runs over hyperparameters (a grid, or "
              "random search), here or on a Dask cluster, then analyse them",
              "Train the product of the --grid values (or --random N samples), each with "
              "--repeat K seeds, in local worker processes or on a Dask cluster; then write "
              "the effect figure, a table sorted by accuracy and the best runs' final "
              "weights.",
              ["weightlapse sweep --dataset moons --grid lr=0.01,0.1 --grid hidden=8,32x32",
               "weightlapse sweep --dataset moons --grid lr=log:1e-3:1 --grid hidden=8,32 "
               "--random 12 --repeat 2 --jobs 2",
               "weightlapse sweep --preset mnist-mlp --grid lr=0.001,0.01 --scheduler "
               "tcp://10.0.0.5:8786",
               "weightlapse sweep --resume outputs/sweep"])
    add_train_options(sw, resume=False)
    g = sw.add_argument_group("sweep")
    g.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2",
                   help="a setting and its values (repeat for a product); hidden layer "
                   "lists as 32x32, e.g. --grid hidden=16,32x32; with --random also "
                   "log:LOW:HIGH, lin:LOW:HIGH or int:LOW:HIGH (default: none)")
    from .core.declare import declared
    from .sweeps.options import SweepOptions
    add_declared(g, declared(SweepOptions), checked=True, defaults=True)
    sw.set_defaults(_parser=sw)
    return sw


def parse_grid(parser, items) -> dict:
    """--grid KEY=V1,V2 strings -> {setting: [typed values]}, each value typed
    as the matching train option types it; KEY=log:A:B (lin:, int:) stays a
    distribution, checked by the sweep."""
    from .sweeps.space import is_distribution
    types = {a.dest: a for a in parser._actions if a.dest in TRAIN_KEYS}
    grid = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not values:
            raise WeightlapseError(f"--grid {item!r}: expected KEY=V1,V2")
        if key not in types:
            raise WeightlapseError(f"--grid {key!r} is not a train setting")
        if key in grid:
            raise WeightlapseError(f"--grid {key} is given twice; list all its values "
                                   "in one --grid")
        if is_distribution(values.strip()):
            grid[key] = values.strip()
            continue
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
    from .api_many import sweep
    from .sweeps.analysis import formatted
    how = dict(jobs=args.jobs, scheduler=args.scheduler, retries=args.retries,
               shared_out=args.shared_out, blas_threads=args.blas_threads,
               connect_timeout=args.connect_timeout, best=args.best,
               progress=not args.quiet, log=(lambda msg: None) if args.quiet else None)
    settings = {k: getattr(args, k) for k in TRAIN_KEYS if k not in ("out", "name")}
    grid = parse_grid(args._parser, args.grid) if args.grid else None
    if not args.resume and not grid:
        raise WeightlapseError("a sweep needs at least one --grid KEY=V1,V2 (or "
                               "--resume SWEEP_DIR)")
    # wl.sweep checks the rest (and names the flags given with --resume).
    result = sweep(grid, random=args.random, repeat=args.repeat, resume=args.resume,
                   out=args.out, name=args.name, preset=args.preset, **how, **settings)
    if result.table is not None:
        print(formatted(result.table).to_string(index=False))
    for name, msg in result.failed:
        print(f"weightlapse sweep: run {name} did not finish: {msg}", file=sys.stderr)
    for f in result.files:
        print(f)
    print(result.path)
    if result.failed and not result.runs:
        print(f"weightlapse sweep: every run failed ({len(result.failed)}); see "
              f"{result.path / 'index.json'}", file=sys.stderr)
        return 1
    return 0


def cmd_runs(args) -> int:
    from .api_many import runs
    from .listing import shown_columns
    table = runs(args.folder, sort=args.sort, reverse=args.reverse)
    if args.csv:
        print(table.to_csv(index=False), end="")
    elif args.json:
        print(table.to_json(orient="records", indent=1))
    elif table.empty:
        print(f"no runs in {args.folder}", file=sys.stderr)
    else:
        text, left_out = fitted(table, shown_columns(table))
        print(text)
        if left_out:
            print(f"weightlapse runs: {', '.join(left_out)} left out to fit the terminal; "
                  "--csv or --json shows every column", file=sys.stderr)
    return 0


# Left out first when the table is too wide; then the settings, from the right.
LEFT_OUT_FIRST = ("created", "snapshots", "val_loss", "epochs_done", "framework", "test_acc",
                  "train_acc", "data", "network")


def fitted(table, cols):
    """The text table of ``cols`` within the terminal's width (on a terminal,
    or with $COLUMNS set): columns are left out, LEFT_OUT_FIRST first, until
    it fits; returns (text, the columns left out)."""
    import shutil
    width = shutil.get_terminal_size((10**6, 24)).columns
    if not (sys.stdout.isatty() or "COLUMNS" in os.environ):
        width = 10**6               # to a file or a pipe: every shown column
    cols, left_out = list(cols), []
    while True:
        text = table[cols].to_string(index=False, na_rep="",
                                     float_format=lambda v: f"{v:.4g}")
        if len(cols) <= 2 or max(map(len, text.splitlines())) <= width:
            return text, [c for c in table.columns if c in left_out]
        drop = next((c for c in LEFT_OUT_FIRST if c in cols), cols[-1])
        cols.remove(drop)
        left_out.append(drop)


# -- report: one self-contained HTML page to replay and explore runs ---------------
def add_report_parser(sub, common):
    rp = subcommand(sub, common, "report", "one self-contained HTML page to replay and explore "
              "runs (a sweep folder stands for its runs)",
              "Write one HTML file (scripts, styles and data inline: no server, no network) "
              "to replay runs in a browser: a timeline slider, colour by weight, change or "
              "update, hover a weight for its history, click a unit for its receptive field; "
              "several runs or a sweep side by side with a sortable table.",
              ["weightlapse report outputs/spiral -o spiral.html",
               "weightlapse report outputs/sgd outputs/adam -o both.html --snapshots 100",
               "weightlapse report outputs/sweep -o sweep.html"])
    rp.add_argument("runs", nargs="+", metavar="RUN", help="run directories or sweep folders")
    add_output(rp, "page", "the page to write")
    rp.add_argument("--snapshots", type=int, default=200, metavar="N",
                    help="keep at most N evenly spaced snapshots (default 200)")
    add_drawing_options(rp)


def cmd_report(args) -> int:
    from .api_many import report
    from .viz.draw_options import DrawOptions
    out = report(args.runs, args.output, snapshots=args.snapshots,
                 options=DrawOptions.from_args(args))
    print(out.path)
    return 0
