"""The Python API (SPEC §2b) for one run: train, load, predict, draw it.
What works on many runs (compare, sweep, runs, report, diagnose) is in
:mod:`.api_many`. The command line is a thin layer over both."""
from __future__ import annotations

import os
from contextlib import contextmanager

from .core.config import RunConfig
from .core.errors import ConfigError, arg, switch
from .core.pipeline import train_run
from .core.presets import preset_settings
from .api_args import int_arg, path_arg
from .core.run import Run
from .core.run import load_run as _load_run

__all__ = ["train", "load_run", "load_dataset", "predict", "render", "figure", "graph", "demo",
           "draw_options", "diagnostics"]


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
    README): hidden, activation, init, dtype, dropout, conv ("8x5,16x5" or
    [[8, 5], [16, 5]]: conv layers before the hidden ones, image data only),
    pool, conv_stride, conv_padding, optimizer, lr, momentum, batch_size,
    epochs, l2, lr_schedule, seed, val_fraction, snapshot_every ("auto", the
    default: about 100 snapshots, densest early; "log", "epoch" or a number
    of steps), out, name, device ("cpu", or "gpu" with CuPy: the gpu extra), ...

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
    and last frames held. ``color``: auto (the default: change for image runs
    whose initial weights outweigh what they learn, see DrawOptions), weight,
    change or update; ``scale``: layer|global; ``units``: "auto", "all" or K; ``edges``: "auto", "all" or
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


def demo(out="outputs", name="demo", progress=None, size=(1280, 720), snapshot_every="auto"):
    """The main job: train the built-in spiral network, film it and draw its
    final weights. ``size``: the film's (width, height) in pixels;
    ``snapshot_every``: when to record the weights, as in :func:`train`. Returns (run, video path,
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


def _check_dpi(dpi):
    from .viz.outputs import check_dpi
    check_dpi(dpi)
