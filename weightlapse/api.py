"""The Python API (SPEC §2b): the command line is a thin layer over this."""
from __future__ import annotations

from .core.config import RunConfig
from .core.errors import ConfigError
from .core.pipeline import train_run
from .core.presets import preset_settings
from .core.run import Run, load_run

__all__ = ["train", "load_run", "predict", "render", "figure", "demo"]


def train(X=None, y=None, *, dataset=None, preset=None, X_val=None, y_val=None,
          progress=False, callbacks=(), **settings) -> Run:
    """Train a network and record it; returns the :class:`Run`.

    X: (n_samples, n_features), y: (n_samples,) class labels (floats with
    ``task="regression"``); or ``dataset="spiral"|"moons"|...|"mnist"``.
    ``preset`` fills in settings that are not given explicitly. Settings (see
    README): hidden, activation, init, dtype, dropout, optimizer, lr, momentum,
    batch_size, epochs, l2, lr_schedule, seed, val_fraction, snapshot_every,
    out, name, ...
    """
    merged = preset_settings(preset) if preset else {}
    if dataset is not None:
        merged["dataset"] = dataset
    if settings.get("data") is not None and dataset is None:
        merged.pop("dataset", None)  # a CSV given explicitly replaces the preset's dataset
    if X is not None:
        if y is None:
            raise ConfigError("y is required with X")
        merged.pop("dataset", None)
    merged.update({k: v for k, v in settings.items() if v is not None})
    cfg = RunConfig.from_settings(**merged)
    cbs = list(callbacks)
    factory = None
    if progress:
        from .progress import ProgressBar, download_bar
        cbs.append(ProgressBar())
        factory = download_bar
    return train_run(cfg, X, y, X_val, y_val, callbacks=cbs, progress_factory=factory)


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


def render(run, path, *, fps=30, size=(1280, 720), dpi=100, smooth=0, edges="all",
           progress=False):
    """Film a run: one frame per snapshot (``smooth`` interpolated frames
    between), as .mp4 (H.264) or .gif. Returns the path, which a notebook
    shows inline."""
    from .media import Media
    from .viz.video import render_video
    run = load_run(run)
    bar = None
    if progress:
        from .progress import counter
        bar = counter("frames")
    try:
        out = render_video(run, path, fps=fps, size=tuple(size), dpi=dpi, smooth=smooth,
                           edges=edges, progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    return Media(out)


def figure(run, path, *, snapshot=-1, edges="all", dpi=200):
    """A static weight diagram of a run (final weights by default) as .png,
    .svg or .pdf. Returns the path, which a notebook shows inline."""
    from .media import Media
    from .viz.figure import render_figure
    return Media(render_figure(load_run(run), path, snapshot=snapshot, edges=edges, dpi=dpi))


def demo(out="outputs", name="demo", progress=False):
    """The main job: train the built-in spiral network, film it and draw its
    final weights. Returns (run, video path, figure path)."""
    run = train(preset="spiral", out=out, name=name, snapshot_every=2, progress=progress)
    video = render(run, run.path / "training.mp4", smooth=1, progress=progress)
    fig = figure(run, run.path / "final.png")
    return run, video, fig