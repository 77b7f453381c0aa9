"""The Python API (SPEC §2b) for many runs: compare, sweep, list, report and
diagnose them. What works on one run is in :mod:`.api`."""
from __future__ import annotations

import os

from .api import _check_dpi, _frame_bar, _merge, draw_options, load_run
from .api_args import path_arg, runs_arg
from .core.errors import ConfigError, arg, switch

__all__ = ["compare", "sweep", "runs", "report", "diagnose", "Comparison", "Report"]


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
        return "".join(f.html() for f in self.files) + self.table.to_html(index=False)


def compare(runs, path, *, diff=False, align=False, video=False, table=None, color=None,
            scale=None, units=None, edges=None, duration=None, fps=None, size=None,
            sample=None, dpi=None, options=None, progress=None):
    """Compare runs: a list (any iterable) of paths or Run objects.

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
    runs = runs_arg("runs", runs, single=False,
                    example="wl.compare(['runs/a', 'runs/b'], 'compare.png')")
    path_arg("path", path)
    if dpi is not None:
        _check_dpi(dpi)
    opts = draw_options(options, color=color, scale=scale, units=units, edges=edges,
                        duration=duration, fps=fps, size=size, sample=sample)
    if table is not None:
        path_arg("table", table)
    # Every file the comparison writes is checked before any is drawn or written.
    _check_compare_outputs(path, table, curves=not (diff or video), video=video)
    runs = [load_run(r) for r in runs]
    report = []
    if diff:
        from .viz.diff import diff_figure
        if len(runs) != 2:
            raise ConfigError(f"{switch('diff')} takes exactly two runs, A and B "
                              f"(got {len(runs)})")
        out, report = diff_figure(runs[0], runs[1], path, align=align, dpi=dpi or 200,
                                  options=opts)
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


def _check_compare_outputs(path, table, curves, video):
    """The figure (and its ``-curves`` twin) or video at ``path``, and
    ``table``: a .csv (its Markdown copy goes beside it as .md) that is none
    of the files the comparison draws."""
    from pathlib import Path
    from .viz.outputs import check_output
    path = check_output(path, "video" if video else "figure")
    drawn = [path] + ([path.with_name(f"{path.stem}-curves{path.suffix}")] if curves else [])
    for d in drawn[1:]:
        if d.is_dir():
            raise ConfigError(f"{arg('path')} {path}: its curves figure {d} is a folder; "
                              "move it away or give another name")
    if table is None:
        return
    table = Path(table)
    if table.suffix.lower() != ".csv":
        raise ConfigError(f"{arg('table')} must name a .csv file (got {table}); its Markdown "
                          f"copy is written beside it as {table.with_suffix('.md').name}")
    for written in (table, table.with_suffix(".md")):
        if written.is_dir():
            raise ConfigError(f"{arg('table')} {table}: {written} is a folder; the table is "
                              f"written as {table.name} and {table.with_suffix('.md').name}")
        check_output(written, "table", "table")
        if any(os.path.abspath(written) == os.path.abspath(d) for d in drawn):
            raise ConfigError(f"{arg('table')} {table} would overwrite the figure {written}; "
                              "give the table another name")


def sweep(grid=None, *, jobs=None, scheduler=None, random=None, repeat=1, resume=None,
          retries=1, shared_out=False, blas_threads=1, connect_timeout=10.0, best=6,
          out=None, name=None, preset=None, dataset=None, log=None, progress=False,
          **settings):
    """Train many runs over hyperparameters, then analyse them.

    ``grid``: {setting: values} trains every combination (values: a list or
    any iterable, or a distribution); with ``random=N``, N settings sampled
    (reproducibly from ``seed``) from the lists and from distributions
    written ``"log:1e-4:1e-1"``, ``"lin:0:0.5"`` or ``"int:16:128"``.
    ``repeat=K`` trains each setting with seeds seed, seed+1, ... seed+K-1
    (else all runs share the seed, so they start from the same weights).
    Other keywords are the shared settings; the sweep goes to ``out/name``
    (default outputs/sweep).

    Where: ``jobs`` local worker processes (the default, no extra
    dependency); ``scheduler="local"`` a Dask LocalCluster of ``jobs``
    workers (writing into ``out``); ``scheduler="tcp://HOST:8786"`` an
    existing Dask cluster, whose workers send each finished run back unless
    ``shared_out`` says they see ``out`` too. A run whose worker dies is
    trained again up to ``retries`` times. ``resume=SWEEP_DIR`` continues
    that sweep: interrupted runs from their checkpoints, failed or cancelled
    ones from the start; finished runs are kept.

    Writes, beside ``index.json`` in the sweep folder: ``effects.png``,
    ``table.csv``/``table.md`` (one row per setting, best first, mean ± std
    across seeds), ``runs.csv`` and, for the ``best`` runs,
    ``compare.png``/``compare-curves.png``. Returns a :class:`SweepResult`.
    """
    from pathlib import Path
    from .sweeps import resume_sweep, run_sweep
    from .sweeps.options import check_data_files, check_sweep_options
    from .sweeps.space import check_grid
    how = dict(jobs=jobs, scheduler=scheduler, retries=retries, shared_out=shared_out,
               blas_threads=blas_threads, connect_timeout=connect_timeout, log=log,
               progress=progress)
    check_sweep_options(best=best, name=name, **how)
    if out is not None:
        path_arg("out", out)
    if resume is not None:
        path_arg("resume", resume)
        given = sorted(k for k, v in settings.items() if v is not None)
        given += [k for k, v in (("grid", grid), ("random", random), ("preset", preset),
                                 ("dataset", dataset), ("out", out), ("name", name))
                  if v is not None]
        given += ["repeat"] if repeat != 1 else []
        if given:
            raise ConfigError(f"{arg('resume')} trains a sweep again with its own "
                              f"settings; drop {', '.join(arg(k) for k in given)}")
        return resume_sweep(resume, best=best, **how)
    grid = check_grid(grid)            # iterables materialised once, here
    base = _merge(preset, dataset, settings)
    devices = grid.get("device", [])
    if "gpu" in [base.get("device"), *(devices if isinstance(devices, list) else [])]:
        from .core.backend import array_module
        array_module("gpu")  # a missing GPU is one line now, not a failure per run
    for key in ("data", "data_dir"):  # workers may start elsewhere
        if isinstance(base.get(key), os.PathLike):
            base[key] = os.fspath(base[key])       # index.json holds text
        if isinstance(base.get(key), str) and Path(base[key]).exists():
            base[key] = str(Path(base[key]).resolve())
    check_data_files(base, grid)
    return run_sweep(grid, base, out="outputs" if out is None else out,
                     name="sweep" if name is None else name, random=random, repeat=repeat,
                     best=best, **how)


def runs(folder="outputs", sort=None, reverse=False):
    """A table of the runs under ``folder`` (and one level down, for sweeps):
    run, status, data, network, epochs, train/val/test accuracy, val loss,
    snapshots, created, then one column per setting. ``sort``: a column name
    (``reverse`` for descending)."""
    from .listing import runs_table, sort_table
    return sort_table(runs_table(path_arg("folder", folder)), sort, reverse)


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
           sample=None, options=None):
    """One self-contained HTML page to replay and explore runs: ``runs`` is a
    run (path or Run), a sweep folder, or a list (any iterable) of them. Written to ``path``
    (atomically) when given. ``snapshots``: at most this many evenly spaced
    snapshots are kept; ``color`` (auto|weight|change|update; the page can
    switch), ``scale``, ``units``, ``edges``, ``sample`` (the one shown
    first; the page offers 16 held-out rows to click): as for :func:`render`.
    Returns a :class:`Report`, which a notebook shows inline."""
    from pathlib import Path
    from .viz.report import build_report
    if path is not None:
        path_arg("path", path)
    if not isinstance(snapshots, int) or isinstance(snapshots, bool) or snapshots < 2:
        raise ConfigError(f"{arg('snapshots')} must be a whole number of at least 2 "
                          f"(got {snapshots!r})")
    opts = draw_options(options, color=color, scale=scale, units=units, edges=edges,
                        sample=sample)
    runs = runs_arg("runs", runs)    # one run, or any iterable of runs (a generator too)
    html = build_report(runs, path, snapshots=snapshots, options=opts)
    return Report(html, Path(path) if path is not None else None)


def diagnose(runs, path=None, *, dpi=120) -> list:
    """Is each run learning well? A report per run (``layers``: the table's
    rows; ``findings``: what is wrong, in words, with what to try; ``healthy``);
    with ``path``, the health figure (.png, .svg or .pdf), runs overlaid."""
    from .diagnosis import diagnose_run
    runs = runs_arg("runs", runs)
    if not runs:
        raise ConfigError(f"{arg('runs')} must name at least one run (got an empty list)")
    if path is not None:
        from .viz.outputs import check_output
        check_output(path_arg("path", path), "figure")
        _check_dpi(dpi)
    reports = [diagnose_run(load_run(r)) for r in runs]
    if path is not None:
        from .viz.health_figure import health_figure
        health_figure([r["_health"] for r in reports], path, dpi=dpi)
    return reports
