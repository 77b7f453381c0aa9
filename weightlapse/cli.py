"""The command line: parse arguments, make one library call per subcommand.

Errors from bad input are one line on stderr and exit status 2 (SPEC §4).
"""
from __future__ import annotations

import os
import signal
import sys
import warnings

from .core.errors import WeightlapseError
from .core.presets import band_text
from .cli_many import add_report_parser, add_sweep_parser, cmd_report, cmd_runs, cmd_sweep
from .cli_options import (TRAIN_KEYS, Parser, subcommand, add_declared, add_dpi,
                          add_drawing_options, add_output, add_train_options, dpi_of,
                          flags_for, preset_list)


def build_parser() -> Parser:
    from . import __version__
    p = Parser(prog="weightlapse", description="Train a NumPy neural network, record "
               "its weights while it learns, and film them.",
               epilog="example: weightlapse demo   (then see weightlapse COMMAND --help)")
    p.add_argument("--version", action="version", version=f"weightlapse {__version__}")
    p.add_argument("-q", "--quiet", dest="quiet_all", action="store_true",
                   help="no progress output (also accepted after the command)")
    common = Parser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bars or progress lines")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    p.set_defaults(command=None)     # bare `weightlapse`: the help, with its commands
    t = subcommand(sub, common, "train", "train a network and record its weights",
             "Train a network on a built-in dataset, a CSV or MNIST, recording its weights "
             "into a new run folder (printed last).\n\n" + preset_list(),
             ["weightlapse train --dataset spiral --hidden 32,32 --epochs 200",
              "weightlapse train --preset mnist-mlp --data-dir data",
              "weightlapse train --data train.csv --label-column label --epochs 20",
              "weightlapse train --resume outputs/spiral --epochs 400"])
    add_train_options(t)
    pr = subcommand(sub, common, "predict", "predict a CSV with a run's weights (Kaggle format "
              "for digits)",
              "Predict each row of a CSV with a run's weights. Digit runs write Kaggle's "
              "ImageId,Label; others row,prediction.",
              ["weightlapse predict outputs/mnist --data test.csv -o submission.csv"])
    pr.add_argument("run", metavar="RUN", help="run directory")
    pr.add_argument("--data", required=True, metavar="FILE.csv", help="rows to predict")
    add_output(pr, "predictions", "where to write the predictions")
    pr.add_argument("--snapshot", type=int, default=-1, metavar="N",
                    help="predict with snapshot N; negative counts from the end "
                    "(default: -1, the last)")
    r = subcommand(sub, common, "render", "film a run: .mp4 (H.264) or .gif",
             "Film a run: one frame per snapshot, the network's edges and nodes coloured "
             "by weight.",
             ["weightlapse render outputs/spiral -o spiral.mp4",
              "weightlapse render outputs/spiral -o spiral.gif --size 640x360 --fps 15",
              "weightlapse render outputs/mnist -o digit3.mp4 --sample 3   "
              "# follow held-out image 3"])
    r.add_argument("run", metavar="RUN", help="run directory")
    add_output(r, "video", "the video to write")
    add_dpi(r, "sets text size, in [20, 600] (default: 100)")
    add_drawing_options(r, film=True)
    f = subcommand(sub, common, "figure", "a static weight diagram: .png, .svg or .pdf",
             "Draw a run's network at one snapshot (the final weights by default) for a "
             "report or slide, drawn as the film draws it.",
             ["weightlapse figure outputs/spiral -o final.svg",
              "weightlapse figure outputs/mnist -o learned.png --color change --dpi 300"])
    f.add_argument("run", metavar="RUN", help="run directory")
    add_output(f, "figure", "the figure to write")
    f.add_argument("--snapshot", type=int, default=-1, metavar="N",
                   help="which snapshot; negative counts from the end "
                   "(default: -1, the final weights)")
    add_dpi(f, ".png resolution, and the pixels per inch of --size; in [20, 600] "
            "(default: 200)")
    add_drawing_options(f, figure=True)
    dg = subcommand(sub, common, "diagnose", "is it learning well? per-layer health and findings",
              "Per layer of weights: the update-to-weight ratio (about 10^-3 is healthy), "
              "dead and saturated units, weight growth; then findings in plain words with "
              "what to try. Several runs are reported one after another and overlaid in "
              "the figure.",
              ["weightlapse diagnose outputs/mnist",
               "weightlapse diagnose outputs/mnist outputs/mnist-2 -o health.png",
               "weightlapse diagnose outputs/mnist --json"])
    dg.add_argument("runs", nargs="+", metavar="RUN", help="run directories")
    add_output(dg, "figure", "also draw the health figure (default: none)", required=False)
    dg.add_argument("--json", action="store_true", help="print the reports as JSON")
    add_dpi(dg, ".png resolution, in [20, 600] (default: 120)")
    g = subcommand(sub, common, "graph", "export the drawn NetworkX graph: .graphml, .gexf or "
             ".json", "Export the drawn NetworkX graph (the units a film shows, their "
             "positions and per-gap scales) with one snapshot's values as attributes, for "
             "Gephi, Cytoscape or D3 (.json is node-link data).",
             ["weightlapse graph outputs/spiral -o net.graphml",
              "weightlapse graph outputs/mnist -o net.json --snapshot 0 --color weight",
              "weightlapse graph outputs/mnist --all-snapshots -o training.gexf"])
    g.add_argument("run", metavar="RUN", help="run directory")
    add_output(g, "graph", "the graph to write")
    g.add_argument("--snapshot", type=int, default=-1, metavar="N",
                   help="whose values; negative counts from the end (default: -1, the final "
                   "weights)")
    g.add_argument("--all-snapshots", action="store_true",
                   help="every snapshot's values, timed by step, as a dynamic GEXF for "
                   "Gephi's timeline (-o must be .gexf)")
    add_drawing_options(g)
    d = subcommand(sub, common, "demo", "the main job: train the spiral network, film it, "
             "draw its final weights",
             "Train the built-in spiral network (no download), film it and draw its final "
             "weights; prints the video's and the figure's paths.",
             ["weightlapse demo",
              "weightlapse demo --out /tmp/wl --size 640x360 --snapshot-every 10"])
    d.add_argument("--out", default="outputs", metavar="DIR",
                   help="parent folder of the demo run")
    from .viz.draw_options import DrawOptions
    add_declared(d, DrawOptions.declarations(), ["size"],
                 size="the film's frame size in pixels (default: 1280x720)")
    from .core.schedule import parse as parse_every
    d.add_argument("--snapshot-every", type=parse_every, default="auto",
                   metavar="auto|log|epoch|N", help="when to record the weights, as for "
                   "train (default: auto)")
    c = subcommand(sub, common, "compare", "compare runs: final weights side by side, curves, "
             "a table; or a diff, or a synced video",
             "Compare runs: final weights side by side, each gap on one colour scale shared "
             "by the runs, with their curves and a summary table; or the difference B - A "
             "of two runs; or their films side by side.",
             ["weightlapse compare outputs/sgd outputs/adam -o compare.png --table t.csv",
              "weightlapse compare outputs/a outputs/b --diff --align -o diff.png",
              "weightlapse compare outputs/a outputs/b --video -o both.mp4"])
    c.add_argument("runs", nargs="+", metavar="RUN", help="run directories")
    add_output(c, "figure", ".png/.svg/.pdf (figures), .mp4/.gif with --video")
    c.add_argument("--diff", action="store_true", help="draw B - A of two runs")
    c.add_argument("--align", action="store_true",
                   help="first match each run's hidden units to the first run's "
                   "(panels then show matching units in the same order)")
    c.add_argument("--video", action="store_true", help="the runs' films side by side")
    c.add_argument("--table", metavar="FILE.csv",
                   help="save the table as FILE.csv and FILE.md (default: not saved)")
    add_dpi(c, "in [20, 600] (default: 200 for figures, 100 for videos)")
    add_drawing_options(c, film=True)
    add_sweep_parser(sub, common)
    add_report_parser(sub, common)
    rs = subcommand(sub, common, "runs", "a table of the runs in a folder",
              "List the runs in a folder (and in its sweeps): status, data, network, "
              "settings, accuracy.",
              ["weightlapse runs", "weightlapse runs outputs --sort val_acc",
               "weightlapse runs outputs --csv > runs.csv"])
    rs.add_argument("folder", nargs="?", default="outputs", metavar="DIR",
                    help="where runs are (default: outputs)")
    fmt = rs.add_mutually_exclusive_group()
    fmt.add_argument("--csv", action="store_true", help="every column as CSV on stdout")
    fmt.add_argument("--json", action="store_true",
                     help="every column as JSON records on stdout")
    rs.add_argument("--sort", metavar="COLUMN",
                    help="sort by a column, e.g. val_acc, lr, created (default: by name)")
    rs.add_argument("--reverse", action="store_true", help="with --sort: descending")
    return p


def cmd_train(args) -> int:
    from .api import train
    settings = {k: getattr(args, k) for k in TRAIN_KEYS}
    run = train(preset=args.preset, progress=not args.quiet, resume=args.resume, **settings)
    print(summary(run, args.preset), file=sys.stderr)
    if run.status == "interrupted":
        how = (f"resume with: weightlapse train --resume {run.path}"
               if run.has_checkpoint else "no checkpoint to resume from")
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
    band = band_text(preset, run.settings, fm) if preset else ""
    if band:
        parts.append(band)
    if info.get("message"):
        parts.append(info["message"])
    return "; ".join(parts)


def cmd_diagnose(args) -> int:
    import json
    from .api_many import diagnose
    from .diagnosis import json_report, text_report
    reports = diagnose(args.runs, args.output,
                       dpi=120 if args.dpi is None else dpi_of(args, "figure"))
    if args.json:
        print(json.dumps(json_report(reports), indent=1, allow_nan=False))
    else:
        print("\n\n".join(text_report(r) for r in reports))
        if args.output:
            print(args.output)
    return 0


def cmd_render(args) -> int:
    from .api import render
    from .viz.draw_options import DrawOptions
    print(render(args.run, args.output, options=DrawOptions.from_args(args),
                 dpi=dpi_of(args, "video"), progress=not args.quiet))
    return 0


def cmd_figure(args) -> int:
    from .api import figure
    from .viz.draw_options import DrawOptions
    size, args.size = args.size, None      # the figure's size, not a film's
    print(figure(args.run, args.output, snapshot=args.snapshot, size=size,
                 options=DrawOptions.from_args(args), dpi=dpi_of(args, "figure")))
    return 0


def cmd_graph(args) -> int:
    from .api import graph
    from .viz.draw_options import DrawOptions
    G = graph(args.run, args.output, snapshot=args.snapshot,
              options=DrawOptions.from_args(args), all_snapshots=args.all_snapshots)
    which = ("every snapshot, timed by step" if args.all_snapshots
             else f"snapshot {G.graph['snapshot']}")
    print(f"{G.number_of_nodes()} nodes, {G.number_of_edges()} edges "
          f"({which}, {G.graph['color']})", file=sys.stderr)
    print(args.output)
    return 0


def cmd_demo(args) -> int:
    from .api import demo
    run, video, fig = demo(out=args.out, progress=not args.quiet, size=args.size,
                             snapshot_every=args.snapshot_every)
    print(summary(run, "spiral"), file=sys.stderr)
    if video is None:  # Ctrl-C while training: stop there, as train does
        how = (f"; resume the training with: weightlapse train --resume {run.path}"
               if run.status == "interrupted" and run.has_checkpoint else "")
        print(f"weightlapse: {run.info.get('message')}; nothing was rendered{how}",
              file=sys.stderr)
        return 130 if run.status == "interrupted" else 1
    print(f"video:  {video}\nfigure: {fig}")
    return 0


def cmd_compare(args) -> int:
    from .api_many import compare
    from .viz.draw_options import DrawOptions
    result = compare(args.runs, args.output, diff=args.diff, align=args.align,
                     video=args.video, table=args.table, options=DrawOptions.from_args(args),
                     dpi=None if args.dpi is None else dpi_of(args, "figure"),
                     progress=args.video and not args.quiet)
    print(result.table.to_string(index=False, na_rep="", float_format=lambda v: f"{v:.4g}"))
    for rec in result.report:
        if "layer" in rec:
            print(f"aligned hidden layer {rec['layer']}: {rec['moved']} of {rec['units']} "
                  f"units moved; distance between matched units (what the matching "
                  f"minimises) {rec['distance_before']:.4g} -> {rec['distance_after']:.4g}",
                  file=sys.stderr)
        else:
            print(f"relative difference ||B - A|| / ||A|| = {rec['relative_difference']:.3f}",
                  file=sys.stderr)
    for f in result.files:
        print(f)
    return 0


COMMANDS = {"runs": cmd_runs, "train": cmd_train, "predict": cmd_predict, "render": cmd_render,
            "figure": cmd_figure, "graph": cmd_graph, "demo": cmd_demo, "compare": cmd_compare,
            "sweep": cmd_sweep, "report": cmd_report, "diagnose": cmd_diagnose}


def _terminate(signum, frame):
    # Outside training (which stops itself cleanly), SIGTERM ends the command
    # like Ctrl-C: temporary files are removed on the way out.
    raise KeyboardInterrupt


def _one_line_warning(message, category, filename, lineno, line=None):
    return f"weightlapse: warning: {message}\n"


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    args.quiet = args.quiet or args.quiet_all     # weightlapse -q CMD or CMD -q
    previous = warnings.formatwarning
    warnings.formatwarning = _one_line_warning     # warnings as one line, while we run
    try:
        return _dispatch(args)
    finally:
        warnings.formatwarning = previous


def _dispatch(args) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return COMMANDS[args.command](args)
    except WeightlapseError as e:
        # The message names settings as flags: --snapshot-every, not snapshot_every.
        print(f"weightlapse {args.command}: error: {e.render(flags_for(args.command))}",
              file=sys.stderr)
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
