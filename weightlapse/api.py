"""The Python API (SPEC §2b): the command line is a thin layer over this."""
from __future__ import annotations

import os
from contextlib import contextmanager

from .core.config import RunConfig
from .core.errors import ConfigError, arg, switch
from .core.pipeline import train_run
from .core.presets import preset_settings
from .args import frame_args, int_arg, number_arg, path_arg
from .core.run import Run
from .core.run import load_run as _load_run

__all__ = ["train", "load_run", "predict", "render", "figure", "demo", "compare", "sweep",
           "runs"]


def load_run(path) -> Run:
    """Open the run directory at ``path`` (a Run is returned as it is);
    snapshots are read lazily. Raises RunError for a missing or damaged run."""
    return _load_run(path_arg("path", path, run=True))


def train(X=None, y=None, *, dataset=None, preset=None, X_val=None, y_val=None,
          progress=False, callbacks=(), resume=None, **settings) -> Run:
    """Train a network and record it; returns the :class:`Run`.

    X: (n_samples, n_features), y: (n_samples,) class labels (floats with
    ``task="regression"``); or ``dataset="spiral"|"moons"|...|"mnist"``.
    ``preset`` fills in settings that are not given explicitly. Settings (see
    README): hidden, activation, init, dtype, dropout, optimizer, lr, momentum,
    batch_size, epochs, l2, lr_schedule, seed, val_fraction, snapshot_every,
    out, name, device ("cpu", or "gpu" with CuPy: the gpu extra), ...

    ``resume=path`` continues that run from its checkpoint instead (only
    ``epochs`` and ``device`` may change; pass the same X, y for a run
    trained on arrays).
    """
    if resume is not None:
        path_arg("resume", resume, run=True)
    try:
        cbs = list(callbacks)
    except TypeError:
        raise ConfigError(f"{arg('callbacks')} must be a list of callback objects "
                          f"(got {callbacks!r})") from None
    factory = None
    if progress:
        from .progress import ProgressBar, download_bar
        cbs.append(ProgressBar())
        factory = download_bar
    if resume is not None:
        from .core.resume import resume_run
        extra = sorted(k for k, v in settings.items()
                       if v is not None and k not in ("epochs", "device"))
        if extra or dataset or preset:
            given = [arg(k) for k in extra] + [arg(k) for k, v in (("dataset", dataset),
                                                                   ("preset", preset)) if v]
            raise ConfigError(f"{arg('resume')} continues a run with its own settings; only "
                              f"{arg('epochs')} and {arg('device')} may change "
                              f"(got {', '.join(given)})")
        return resume_run(resume, settings.get("epochs"), X, y, X_val, y_val, cbs, factory,
                          device=settings.get("device"))
    merged = _merge(preset, dataset, settings)
    if X is not None:
        if y is None:
            raise ConfigError("y is required with X")   # Python only: the CLI has no arrays
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
    from .core.io import atomic_write_text, check_output_path
    from .core.predict import predict_csv
    path_arg("run", run, run=True)
    path_arg("data", data)
    int_arg("snapshot", snapshot)
    if out is not None:
        check_output_path(path_arg("out", out), "out")
        if os.path.abspath(out) == os.path.abspath(data):
            raise ConfigError(f"{arg('out')} {out} is the data file itself; writing the "
                              "predictions there would destroy it: give another name")
    table = predict_csv(run, data, snapshot)
    if out is not None:
        atomic_write_text(out, table.to_csv(index=False))
    return table


def render(run, path, *, fps=30, size=(1280, 720), dpi=100, smooth=0, edges="all",
           progress=False):
    """Film a run: one frame per snapshot (``smooth`` interpolated frames
    between), as .mp4 (H.264) or .gif. Returns the path, which a notebook
    shows inline."""
    from .media import Media
    from .viz.video import render_video
    path_arg("run", run, run=True)
    path_arg("path", path)
    size = frame_args(fps, size, dpi, smooth)
    run = load_run(run)
    with _frame_bar(progress) as update:
        out = render_video(run, path, fps=fps, size=tuple(size), dpi=dpi, smooth=smooth,
                           edges=edges, progress=update)
    return Media(out)


@contextmanager
def _frame_bar(enabled):
    """A frames progress bar's ``update(done, total)``, or None; closed after."""
    if not enabled:
        yield None
        return
    from .progress import counter
    bar = counter("frames", label="filming")
    try:
        yield bar.update
    except BaseException:
        bar.close(failed=True)   # the error line says what happened
        raise
    bar.close()


def figure(run, path, *, snapshot=-1, edges="all", dpi=200):
    """A static weight diagram of a run (final weights by default) as .png,
    .svg or .pdf. Returns the path, which a notebook shows inline."""
    from .media import Media
    from .viz.figure import render_figure
    path_arg("run", run, run=True)
    path_arg("path", path)
    int_arg("snapshot", snapshot)
    number_arg("dpi", dpi, 20, 600)
    return Media(render_figure(load_run(run), path, snapshot=snapshot, edges=edges, dpi=dpi))


def demo(out="outputs", name="demo", progress=False, size=(1280, 720), snapshot_every=2):
    """The main job: train the built-in spiral network, film it and draw its
    final weights. ``size``: the film's (width, height) in pixels;
    ``snapshot_every``: steps between snapshots, one frame each (plus one
    blended frame between). Returns (run, video path, figure path); when
    training did not finish (Ctrl-C), nothing is rendered: (run, None, None)."""
    size = frame_args(size=size)
    run = train(preset="spiral", out=out, name=name, snapshot_every=snapshot_every,
                progress=progress)
    if run.status != "finished":
        return run, None, None
    video = render(run, run.path / "training.mp4", smooth=1, size=size, progress=progress)
    fig = figure(run, run.path / "final.png")
    return run, video, fig


class Comparison:
    """What :func:`compare` made: ``files`` (paths that show inline in a
    notebook), ``table`` (a DataFrame, one row per run) and ``report``
    (for ``align``: how well the hidden units matched)."""

    def __init__(self, files, table, report=None):
        self.files, self.table, self.report = files, table, report or []

    def __repr__(self):
        return (f"Comparison(files={[str(f) for f in self.files]}, "
                f"runs={len(self.table)})")

    def _repr_html_(self):
        return "".join(f._repr_html_() for f in self.files) + self.table.to_html(index=False)


def compare(runs, path, *, diff=False, align=False, video=False, table=None, edges="all",
            fps=30, size=(1280, 720), dpi=None, progress=False):
    """Compare runs (paths or Run objects).

    Default: their final weights side by side on one colour scale (``path``:
    .png/.svg/.pdf) and their curves overlaid (``<stem>-curves<ext>``).
    ``diff``: the weight difference B - A of two runs of one architecture,
    after matching B's hidden units to A's with ``align``. ``video``: their
    films side by side in sync (``path``: .mp4/.gif). ``table``: also save the
    summary table as CSV and Markdown.
    """
    from .core.errors import ConfigError
    from .media import Media
    from .viz import compare as cmp
    if isinstance(runs, (str, os.PathLike, Run)):
        runs = [runs]       # one run: the "at least two runs" error says what is missing
    path_arg("path", path)
    frame_args(fps, size, 100 if dpi is None else dpi)
    if table is not None:
        path_arg("table", table)     # checked before anything is drawn or written
        _check_table_path(table, path, curves=not (diff or video))
    runs = [load_run(r) for r in runs]
    if align and not diff:
        raise ConfigError(f"{switch('align')} goes with {switch('diff')}: it matches B's "
                          "hidden units to A's before drawing B - A")
    report = []
    if diff:
        if len(runs) != 2:
            raise ConfigError(f"{switch('diff')} takes exactly two runs, A and B "
                              f"(got {len(runs)})")
        out, report = cmp.diff_figure(runs[0], runs[1], path, align=align, edges=edges,
                                      dpi=dpi or 200)
        files = [out]
    elif video:
        from .viz.compare_video import render_compare_video
        with _frame_bar(progress) as update:
            files = [render_compare_video(runs, path, fps=fps, size=tuple(size), dpi=dpi or 100,
                                          edges=edges, progress=update)]
    else:
        files = list(cmp.compare_figure(runs, path, edges=edges, dpi=dpi or 200))
    summary = cmp.summary_table(runs)
    if table is not None:
        files += list(cmp.write_table(summary, table))
    return Comparison([Media(f) for f in files], summary, report)


def _check_table_path(table, path, curves):
    """``table``: a .csv (its Markdown copy goes beside it as .md) that is
    none of the files the comparison draws."""
    from pathlib import Path
    from .core.io import check_output_path
    table, path = Path(table), Path(path)
    if table.suffix.lower() != ".csv":
        raise ConfigError(f"{arg('table')} must name a .csv file (got {table}); its Markdown "
                          f"copy is written beside it as {table.with_suffix('.md').name}")
    check_output_path(table, "table")
    drawn = {path} | ({path.with_name(f"{path.stem}-curves{path.suffix}")} if curves else set())
    for written in (table, table.with_suffix(".md")):
        if any(os.path.abspath(written) == os.path.abspath(d) for d in drawn):
            raise ConfigError(f"{arg('table')} {table} would overwrite the figure {written}; "
                              "give the table another name")


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
    if "gpu" in [base.get("device"), *grid.get("device", [])]:
        from .core.backend import array_module
        array_module("gpu")  # a missing GPU is one line now, not a failure per run
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


def runs(folder="outputs", sort=None, reverse=False):
    """A table of the runs under ``folder`` (and one level down, for sweeps):
    run, status, data, network, epochs, train/val/test accuracy, val loss,
    snapshots, created, then one column per setting. ``sort``: a column name
    (``reverse`` for descending)."""
    from .listing import runs_table, sort_table
    return sort_table(runs_table(path_arg("folder", folder)), sort, reverse)
