"""The Python API (SPEC §2b): the command line is a thin layer over this."""
from __future__ import annotations

import os
from contextlib import contextmanager

from .core.config import RunConfig
from .core.errors import ConfigError, arg, switch
from .core.pipeline import train_run
from .core.presets import preset_settings
from .api_args import int_arg, path_arg, runs_arg
from .core.run import Run
from .core.run import load_run as _load_run

__all__ = ["train", "load_run", "load_dataset", "predict", "render", "figure", "graph", "demo",
           "compare", "sweep", "runs", "draw_options", "report", "diagnostics", "diagnose"]


def load_run(path) -> Run:
    """Open the run directory at ``path`` (a Run is returned as it is);
    snapshots are read lazily. Raises RunError for a missing or damaged run."""
    return _load_run(path_arg("path", path, run=True))


def load_dataset(name, data_dir=None, seed=0):
    """A named dataset as arrays, for training elsewhere (PyTorch, Keras) or
    with :func:`train`: ``.X`` (n, n_features) float32, pixels scaled to
    [0, 1]; ``.y`` (n,) class indices; ``.X_test``, ``.y_test`` (the official
    test split, or None); ``.input_shape`` ((28, 28) for images, else None);
    ``.class_names``. MNIST and Fashion-MNIST are read from
    ``<data_dir>/<name>/`` (``data_dir``, else $WEIGHTLAPSE_DATA, else
    ./data) and downloaded when missing; the 2-D sets are drawn from ``seed``."""
    from .core.data import DATASET_NAMES, load_named
    from .core.pipeline import seeded_rngs
    if not isinstance(name, str) or name not in DATASET_NAMES:
        raise ConfigError(f"{arg('name')} must be one of {', '.join(DATASET_NAMES)} "
                          f"(got {name!r})")
    cfg = RunConfig.from_settings(dataset=name, data_dir=data_dir, seed=seed)
    return load_named(cfg.data, seeded_rngs(seed)["data"])


def train(X=None, y=None, *, dataset=None, preset=None, X_val=None, y_val=None,
          progress=None, callbacks=(), resume=None, **settings) -> Run:
    """Train a network and record it; returns the :class:`Run`.

    X: (n_samples, n_features), y: (n_samples,) class labels (floats with
    ``task="regression"``); or ``dataset="spiral"|"moons"|...|"mnist"``.
    ``preset`` fills in settings that are not given explicitly. Settings (see
    README): hidden, activation, init, dtype, dropout, optimizer, lr, momentum,
    batch_size, epochs, l2, lr_schedule, seed, val_fraction, snapshot_every,
    out, name, device ("cpu", or "gpu" with CuPy: the gpu extra), ...

    ``progress``: a progress bar while training; None (the default) shows
    the notebook's own bar in a notebook and nothing in a script.
    ``callbacks``: objects with any of ``on_train_start``, ``on_step_end``,
    ``on_epoch_end``, ``on_train_end`` (each called with the trainer).

    ``resume=path`` continues that run from its checkpoint instead (only
    ``epochs`` and ``device`` may change; pass the same X, y for a run
    trained on arrays).
    """
    if resume is not None:
        path_arg("resume", resume, run=True)
    cbs = _callbacks(callbacks)
    factory = None
    if _progress(progress):
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
    _check_out_folder(merged.get("out"))
    if X is not None:
        if y is None:
            raise ConfigError("y is required with X")   # Python only: the CLI has no arrays
        merged.pop("dataset", None)
    cfg = RunConfig.from_settings(**merged)
    return train_run(cfg, X, y, X_val, y_val, callbacks=cbs, progress_factory=factory)


HOOKS = ("on_train_start", "on_step_end", "on_epoch_end", "on_train_end")


def _callbacks(callbacks) -> list:
    """A list of trainer callbacks: objects with at least one of HOOKS."""
    from collections.abc import Iterable, Mapping
    if isinstance(callbacks, (str, bytes, Mapping)) or not isinstance(callbacks, Iterable):
        raise ConfigError(f"{arg('callbacks')} must be a list of callback objects "
                          f"(got {type(callbacks).__name__})")
    cbs = list(callbacks)
    for i, cb in enumerate(cbs):
        if not any(callable(getattr(cb, h, None)) for h in HOOKS):
            raise ConfigError(f"{arg(f'callbacks[{i}]')} is not a callback: it has none of "
                              f"the methods {', '.join(HOOKS)} (got {type(cb).__name__})")
    return cbs


def _check_out_folder(out) -> None:
    """``out`` is a folder or does not exist yet (it is made), never a file."""
    from pathlib import Path
    if isinstance(out, (str, os.PathLike)) and not isinstance(out, bytes) and \
            os.fspath(out) and "\x00" not in os.fspath(out):
        if Path(out).exists() and not Path(out).is_dir():
            raise ConfigError(f"{arg('out')} {out} is a file; give the folder the runs "
                              "go into")


def _progress(progress) -> bool:
    """``progress``: True, False or None (the default: shown in a notebook)."""
    from .progress import wanted
    return wanted(progress)


def _merge(preset, dataset, settings) -> dict:
    """A preset's settings, overridden by what is given explicitly."""
    if preset is not None and not isinstance(preset, str):
        raise ConfigError(f"{arg('preset')} must be a preset's name (got "
                          f"{type(preset).__name__})")
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
        check_output_path(path_arg("out", out), "out", ext=".csv")
        if os.path.abspath(out) == os.path.abspath(data):
            raise ConfigError(f"{arg('out')} {out} is the data file itself; writing the "
                              "predictions there would destroy it: give another name")
    table = predict_csv(run, data, snapshot)
    if out is not None:
        atomic_write_text(out, table.to_csv(index=False))
    return table


def draw_options(options=None, **kw):
    """A validated :class:`~weightlapse.viz.draw_options.DrawOptions` from
    ``options`` (or the defaults) with the keyword values that are not None."""
    from .viz.draw_options import DrawOptions
    if options is None:
        return DrawOptions.create(**kw)
    if not isinstance(options, DrawOptions):
        raise ConfigError(f"{arg('options')} must be a DrawOptions (got {type(options).__name__})")
    return options.with_(**kw)


def render(run, path, *, color=None, scale=None, units=None, edges=None, duration=None,
           fps=None, size=None, sample=None, dpi=100, options=None, progress=None):
    """Film a run as .mp4 (H.264) or .gif: about ``duration`` seconds (default
    12) whatever the number of snapshots, interpolating between them, first
    and last frames held. ``color``: weight|change|update; ``scale``:
    layer|global; ``units``: "auto", "all" or K; ``edges``: "auto", "all" or
    "top:K"; ``size``: (width, height); ``sample``: N, "auto" or "none", the
    held-out input followed through the network (auto: row 0 for image and
    table data). Returns the path, which a notebook shows inline."""
    from .media import Media
    from .viz.video import render_video
    path_arg("run", run, run=True)
    path_arg("path", path)
    _check_dpi(dpi)
    opts = draw_options(options, color=color, scale=scale, units=units, edges=edges,
                        duration=duration, fps=fps, size=size, sample=sample)
    run = load_run(run)
    with _frame_bar(progress) as update:
        out = render_video(run, path, opts, dpi=dpi, progress=update)
    return Media(out)


@contextmanager
def _frame_bar(enabled):
    """A frames progress bar's ``update(done, total)``, or None; closed after."""
    if not _progress(enabled):
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


def figure(run, path, *, snapshot=-1, color=None, scale=None, units=None, edges=None,
           sample=None, dpi=200, size=None, options=None):
    """The drawn network of a run at one snapshot (final by default) as .png,
    .svg or .pdf, drawn as the film draws it (same drawing options).
    ``size``: (width, height) in pixels at ``dpi``, e.g. (1920, 1080) for a
    16:9 slide (default 10 x 6.4 inches). Returns the path, which a notebook
    shows inline."""
    from .media import Media
    from .viz.figure import render_figure
    path_arg("run", run, run=True)
    path_arg("path", path)
    int_arg("snapshot", snapshot)
    _check_dpi(dpi)
    opts = draw_options(options, color=color, scale=scale, units=units, edges=edges,
                        sample=sample)
    if size is not None:
        from .viz.outputs import check_size
        size = check_size(size)
    return Media(render_figure(load_run(run), path, snapshot=snapshot, options=opts, dpi=dpi,
                               size=size))


def graph(run, path=None, *, snapshot=-1, color=None, scale=None, units=None, edges=None,
          sample=None, options=None, all_snapshots=False):
    """The drawn NetworkX graph of a run (the units a film shows, positions,
    per-gap scales) with snapshot ``snapshot``'s values as attributes
    (``weight`` on edges, ``value`` on units) and, with a ``sample``, its
    ``activation`` on each shown hidden unit and ``probability`` on each output
    (graph attributes ``sample_input``, ``sample_label``). Writes ``path`` (.graphml,
    .gexf or .json) when given. Returns the ``networkx.DiGraph``.

    ``all_snapshots=True``: a dynamic graph instead, every snapshot's values
    as ``(value, start, end)`` lists timed by step (see
    :mod:`.viz.export_dynamic`); ``path`` must then be a .gexf."""
    from .viz.drawn import build_drawn_graph, graph_with_values
    path_arg("run", run, run=True)
    int_arg("snapshot", snapshot)
    if not isinstance(all_snapshots, bool):
        raise ConfigError(f"{arg('all_snapshots')} takes True or False "
                          f"(got {all_snapshots!r})")
    opts = draw_options(options, color=color, scale=scale, units=units, edges=edges,
                        sample=sample)
    if path is not None:
        from .viz.outputs import check_output
        path_arg("path", path)
        check_output(path, "graph")
        if all_snapshots and os.path.splitext(str(path))[1].lower() != ".gexf":
            raise ConfigError(f"{switch('all_snapshots')} writes a dynamic GEXF: give a .gexf "
                              f"path (got {os.path.basename(str(path))})")
    run = load_run(run)
    if all_snapshots:
        from .viz.export_dynamic import dynamic_graph
        G = dynamic_graph(build_drawn_graph(run, opts), run)
    else:
        G = graph_with_values(build_drawn_graph(run, opts), run, run.snapshot(snapshot).index)
    if path is not None:
        from .viz.export import export_graph
        export_graph(G, path)
    return G


def demo(out="outputs", name="demo", progress=None, size=(1280, 720), snapshot_every=2):
    """The main job: train the built-in spiral network, film it and draw its
    final weights. ``size``: the film's (width, height) in pixels;
    ``snapshot_every``: steps between snapshots. Returns (run, video path,
    figure path); when training did not finish (Ctrl-C), nothing is
    rendered: (run, None, None)."""
    from .viz.draw_options import DrawOptions
    from .viz.outputs import check_size
    opts = DrawOptions.create(size=size)          # checked before anything trains
    size = check_size(opts.size, ext=".mp4")
    run = train(preset="spiral", out=out, name=name, snapshot_every=snapshot_every,
                progress=progress)
    if run.status != "finished":
        return run, None, None
    video = render(run, run.path / "training.mp4", size=size, progress=progress)
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


def _check_dpi(dpi):
    from .viz.outputs import check_dpi
    check_dpi(dpi)


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
    snapshots are kept; ``color`` (weight|change|update; the page can
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


def diagnostics(run):
    """How each layer learns: a DataFrame with one row per weight matrix per
    metrics row: ``step, epoch, layer`` (as in ``W[layer]``), ``update_ratio``
    (mean ||dW||/||W|| over the steps since the previous row), ``grad_rms``,
    ``weight_rms``, the same for the biases (``bias_update_ratio``,
    ``bias_grad_rms``, ``bias_rms``), and at snapshots ``dead_fraction``,
    ``saturated_fraction``, ``act_mean``, ``act_std`` of the units the matrix
    feeds (NaN for the output layer, or where they do not apply). A run
    recorded before diagnostics gives what its snapshots hold;
    ``attrs["missing"]`` says what is missing (None when nothing is)."""
    from .core.health_read import diagnostics as _diagnostics
    return _diagnostics(load_run(run))


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
