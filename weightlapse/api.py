"""The Python API (SPEC §2b): the command line is a thin layer over this."""
from __future__ import annotations

from contextlib import contextmanager

from .core.config import RunConfig
from .core.errors import ConfigError
from .core.pipeline import train_run
from .core.presets import preset_settings
from .core.run import Run, load_run

__all__ = ["train", "load_run", "predict", "render", "figure", "graph", "demo", "compare",
           "sweep", "runs", "draw_options", "report"]


def train(X=None, y=None, *, dataset=None, preset=None, X_val=None, y_val=None,
          progress=False, callbacks=(), resume=None, **settings) -> Run:
    """Train a network and record it; returns the :class:`Run`.

    X: (n_samples, n_features), y: (n_samples,) class labels (floats with
    ``task="regression"``); or ``dataset="spiral"|"moons"|...|"mnist"``.
    ``preset`` fills in settings that are not given explicitly. Settings (see
    README): hidden, activation, init, dtype, dropout, optimizer, lr, momentum,
    batch_size, epochs, l2, lr_schedule, seed, val_fraction, snapshot_every,
    out, name, ...

    ``resume=path`` continues that run from its checkpoint instead (only
    ``epochs`` may change; pass the same X, y for a run trained on arrays).
    """
    cbs = list(callbacks)
    factory = None
    if progress:
        from .progress import ProgressBar, download_bar
        cbs.append(ProgressBar())
        factory = download_bar
    if resume is not None:
        from .core.pipeline import resume_run
        extra = sorted(k for k, v in settings.items() if v is not None and k != "epochs")
        if extra or dataset or preset:
            raise ConfigError(f"resume continues a run with its own settings; only epochs "
                              f"may change (got {', '.join(extra or ['dataset/preset'])})")
        return resume_run(resume, settings.get("epochs"), X, y, X_val, y_val, cbs, factory)
    merged = _merge(preset, dataset, settings)
    if X is not None:
        if y is None:
            raise ConfigError("y is required with X")
        merged.pop("dataset", None)
    cfg = RunConfig.from_settings(**merged)
    return train_run(cfg, X, y, X_val, y_val, callbacks=cbs, progress_factory=factory)


def _merge(preset, dataset, settings) -> dict:
    """A preset's settings, overridden by what is given explicitly."""
    merged = preset_settings(preset) if preset else {}
    if dataset is not None:
        merged["dataset"] = dataset
    if settings.get("data") is not None and dataset is None:
        merged.pop("dataset", None)  # a CSV given explicitly replaces the preset's dataset
    merged.update({k: v for k, v in settings.items() if v is not None})
    return merged


def predict(run, data, out=None, snapshot: int = -1):
    """Predict each row of the CSV ``data`` with a run's weights (the last
    snapshot, or ``snapshot``). Digit data gives Kaggle's ``ImageId,Label``;
    anything else ``row,prediction``. Writes ``out`` (atomically) if given and
    returns the DataFrame."""
    from .core.io import atomic_write_text
    from .core.predict import predict_csv
    table = predict_csv(run, data, snapshot)
    if out is not None:
        atomic_write_text(out, table.to_csv(index=False))
    return table


def draw_options(options=None, **kw):
    """A validated :class:`~weightlapse.viz.options.DrawOptions` from
    ``options`` (or the defaults) with the keyword values that are not None."""
    from .viz.options import DrawOptions
    if options is None:
        return DrawOptions.create(**kw)
    if not isinstance(options, DrawOptions):
        raise ConfigError(f"options must be a DrawOptions (got {type(options).__name__})")
    return options.with_(**kw)


def render(run, path, *, color=None, scale=None, units=None, edges=None, duration=None,
           fps=None, size=None, dpi=100, options=None, progress=False):
    """Film a run as .mp4 (H.264) or .gif: about ``duration`` seconds (default
    12) whatever the number of snapshots, interpolating between them, first
    and last frames held. ``color``: weight|change|update; ``scale``:
    layer|global; ``units``: "auto", "all" or K; ``edges``: "auto", "all" or
    "top:K"; ``size``: (width, height). Returns the path, which a notebook
    shows inline."""
    from .media import Media
    from .viz.video import render_video
    opts = draw_options(options, color=color, scale=scale, units=units, edges=edges,
                        duration=duration, fps=fps, size=size)
    run = load_run(run)
    with _frame_bar(progress) as update:
        out = render_video(run, path, opts, dpi=dpi, progress=update)
    return Media(out)


@contextmanager
def _frame_bar(enabled):
    """A frames progress bar's ``update(done, total)``, or None; closed after."""
    if not enabled:
        yield None
        return
    from .progress import counter
    bar = counter("frames")
    try:
        yield bar.update
    finally:
        bar.close()


def figure(run, path, *, snapshot=-1, color=None, scale=None, units=None, edges=None,
           dpi=200, options=None):
    """The drawn network of a run at one snapshot (final by default) as .png,
    .svg or .pdf, drawn as the film draws it (same drawing options). Returns
    the path, which a notebook shows inline."""
    from .media import Media
    from .viz.figure import render_figure
    opts = draw_options(options, color=color, scale=scale, units=units, edges=edges)
    return Media(render_figure(load_run(run), path, snapshot=snapshot, options=opts, dpi=dpi))


def graph(run, path=None, *, snapshot=-1, color=None, scale=None, units=None, edges=None,
          options=None):
    """The drawn NetworkX graph of a run (the units a film shows, positions,
    per-gap scales) with snapshot ``snapshot``'s values as attributes
    (``weight`` on edges, ``value`` on units). Writes ``path`` (.graphml,
    .gexf or .json) when given. Returns the ``networkx.DiGraph``."""
    from .viz.drawn import build_drawn_graph, graph_with_values
    opts = draw_options(options, color=color, scale=scale, units=units, edges=edges)
    run = load_run(run)
    if path is not None:
        from .viz.export import FORMATS
        from .viz.figure import check_output
        check_output(path, FORMATS, "graph")
    i = run.snapshot(snapshot).index
    G = graph_with_values(build_drawn_graph(run, opts), run, i)
    if path is not None:
        from .viz.export import export_graph
        export_graph(G, path)
    return G


def demo(out="outputs", name="demo", progress=False):
    """The main job: train the built-in spiral network, film it and draw its
    final weights. Returns (run, video path, figure path)."""
    run = train(preset="spiral", out=out, name=name, snapshot_every=2, progress=progress)
    video = render(run, run.path / "training.mp4", progress=progress)
    fig = figure(run, run.path / "final.png")
    return run, video, fig


class Comparison:
    """What :func:`compare` made: ``files`` (paths that show inline in a
    notebook), ``table`` (a DataFrame, one row per run) and ``report``
    (for ``align``: how well the hidden units matched)."""

    def __init__(self, files, table, report=None):
        self.files, self.table, self.report = files, table, report or []

    def _repr_html_(self):
        return "".join(f._repr_html_() for f in self.files) + self.table.to_html(index=False)


def compare(runs, path, *, diff=False, align=False, video=False, table=None, color=None,
            scale=None, units=None, edges=None, duration=None, fps=None, size=None,
            dpi=None, options=None, progress=False):
    """Compare runs (paths or Run objects).

    Default: their final weights side by side, drawn as films draw them with
    each gap on one scale shared by the runs (``path``: .png/.svg/.pdf), and
    their curves overlaid (``<stem>-curves<ext>``). Panels of one
    architecture show the same units in the same order; ``align`` first
    matches each run's hidden units to the first run's. ``diff``: the weight
    difference B - A of two runs of one architecture (``align``: matched
    first). ``video``: their films side by side in sync (.mp4/.gif), paced
    like a film (``duration``, ``fps``, ``size``). ``table``: also save the
    summary table as CSV and Markdown. Drawing options as for :func:`render`.
    """
    from .media import Media
    from .viz import compare as cmp
    opts = draw_options(options, color=color, scale=scale, units=units, edges=edges,
                        duration=duration, fps=fps, size=size)
    runs = [load_run(r) for r in runs]
    report = []
    if diff:
        from .viz.diff import diff_figure
        if len(runs) != 2:
            raise ConfigError(f"diff takes exactly two runs, A and B (got {len(runs)})")
        out, report = diff_figure(runs[0], runs[1], path, align=align,
                                  edges="all" if opts.edges == "auto" else opts.edges,
                                  dpi=dpi or 200)
        files = [out]
    elif video:
        from .viz.compare_video import render_compare_video
        with _frame_bar(progress) as update:
            files = [render_compare_video(runs, path, opts, dpi=dpi or 100, align=align,
                                          progress=update)]
    else:
        files = list(cmp.compare_figure(runs, path, opts, align=align, dpi=dpi or 200))
    summary = cmp.summary_table(runs)
    if table is not None:
        files += list(cmp.write_table(summary, table))
    return Comparison([Media(f) for f in files], summary, report)


def sweep(grid, *, jobs=1, out="outputs", name="sweep", preset=None, dataset=None,
          log=None, **settings):
    """Train every combination of ``grid`` ({setting: [values]}) over the
    given settings, ``jobs`` at a time in worker processes, then compare them.
    All runs share the seed unless the grid varies it. Returns a SweepResult
    (``path``, ``runs``, ``failed``, ``table``, ``files``)."""
    from .sweeps import SweepResult, run_sweep
    from .viz import compare as cmp
    base = _merge(preset, dataset, settings)
    grid = {k: list(v) for k, v in grid.items()}
    path, records = run_sweep(grid, base, jobs=jobs, out=out, name=name, log=log)
    result = SweepResult(path)
    for rec in records:
        if rec.get("path"):
            run = load_run(rec["path"])
            if len(run.snapshots):
                result.runs.append(run)
        if rec["status"] == "failed":
            result.failed.append((rec["name"], rec.get("message", "")))
    if len(result.runs) >= 2:
        result.files = list(cmp.compare_figure(result.runs, path / "compare.png"))
        result.table = cmp.summary_table(result.runs)
        result.files += list(cmp.write_table(result.table, path / "table.csv"))
    elif result.runs:
        result.table = cmp.summary_table(result.runs)
    return result


def runs(folder="outputs"):
    """A table of the runs under ``folder`` (and one level down, for sweeps):
    name, status, data, network, epochs, final accuracy, snapshots, created."""
    import pandas as pd
    from pathlib import Path
    from .core.errors import RunError
    root = Path(folder)
    if not root.is_dir():
        raise RunError(f"folder {root} not found")
    rows = []
    for cfg in sorted(list(root.glob("*/config.json")) + list(root.glob("*/*/config.json"))):
        try:
            run = load_run(cfg.parent)
            info, c = run.info, run.config
        except (RunError, OSError, ValueError, KeyError):
            rows.append({"run": str(cfg.parent.relative_to(root)), "status": "unreadable"})
            continue
        fm = info.get("final_metrics", {})
        acc = fm.get("test_acc", fm.get("val_acc", fm.get("train_acc")))
        rows.append({"run": str(run.path.relative_to(root)), "status": run.status,
                     "data": c["data"]["name"], "network": "-".join(map(str, run.sizes)),
                     "epochs": info.get("epochs_completed"),
                     "accuracy": acc, "snapshots": len(run.snapshots),
                     "created": c.get("created", "")})
    return pd.DataFrame(rows, columns=["run", "status", "data", "network", "epochs",
                                       "accuracy", "snapshots", "created"])

class Report:
    """What :func:`report` made: ``path`` (None when not written) and
    ``html``, the whole page; a notebook shows it inline (in an iframe, so
    its scripts and styles stay its own)."""

    def __init__(self, html, path=None):
        self.html, self.path = html, path

    def _repr_html_(self):
        import html as _html
        return (f'<iframe srcdoc="{_html.escape(self.html, quote=True)}" width="100%" '
                'height="900" style="border:1px solid #ddd" '
                'sandbox="allow-scripts"></iframe>')

    def __repr__(self):
        return f"Report({str(self.path) if self.path else 'in memory'}, {len(self.html):,} bytes)"


def report(runs, path=None, *, snapshots=200, color=None, scale=None, units=None, edges=None,
           options=None):
    """One self-contained HTML page to replay and explore runs: ``runs`` is a
    run (path or Run), a sweep folder, or a list of them. Written to ``path``
    (atomically) when given. ``snapshots``: at most this many evenly spaced
    snapshots are kept; ``color`` (weight|change|update; the page can
    switch), ``scale``, ``units``, ``edges``: as for :func:`render`.
    Returns a :class:`Report`, which a notebook shows inline."""
    from pathlib import Path
    from .viz.report import build_report
    opts = draw_options(options, color=color, scale=scale, units=units, edges=edges)
    if isinstance(runs, (str, Run)) or hasattr(runs, "__fspath__"):
        runs = [runs]
    html = build_report(list(runs), path, snapshots=snapshots, options=opts)
    return Report(html, Path(path) if path is not None else None)
