"""Several runs' films side by side, in sync: every panel shows its run at the
same epoch, on one colour scale."""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colorbar import ColorbarBase
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from weightlapse.core.errors import ConfigError, RunError

from .colors import CMAP
from .compare import differing_settings, grid_shape, run_label, shared_scale
from .panel import NetworkPanel, TextSprite
from .video import check_video_options, write_video

MAX_FRAMES = 900


class CompareRenderer:
    """Frames of ``runs`` side by side at a given epoch."""

    def __init__(self, runs, size=(1280, 720), dpi=100, edges="all"):
        self.runs = runs
        self.keys = differing_settings(runs)
        self.scale = s = shared_scale(runs, final_only=False)
        W, H = size
        self.fig = fig = Figure(figsize=(W / dpi, H / dpi), dpi=dpi, facecolor="white")
        self.canvas = FigureCanvasAgg(fig)
        cols, rows = grid_shape(len(runs))
        fs = max(6.0, 9.0 * min(W / 1280, H / 720) * 100 / dpi)
        top, bottom = 0.90, 0.16
        cell_h = (top - bottom) / rows
        self.panels, self.labels = [], []
        for k, run in enumerate(runs):
            r, c = divmod(k, cols)
            y0 = top - (r + 1) * cell_h
            ax = fig.add_axes([c / cols + 0.01, y0 + 0.02, 1 / cols - 0.02, cell_h - 0.09])
            self.panels.append(NetworkPanel(ax, run.sizes, s, size, edges, fs * 0.8,
                                            labels=False))
            self.labels.append(TextSprite(size, dpi, (c + 0.5) / cols, y0 + cell_h - 0.005,
                                          fs, width=0.95 / cols, bold=False))
        self.title = TextSprite(size, dpi, 0.5, 0.985, fs * 1.4)
        cax = fig.add_axes([0.3, 0.085, 0.4, 0.02])
        cb = ColorbarBase(cax, cmap=colormaps[CMAP], norm=Normalize(-s, s),
                          orientation="horizontal")
        cb.set_label("weight (edges) and bias (nodes), one scale for every run", fontsize=fs)
        cb.ax.tick_params(labelsize=fs * 0.9)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(fig.bbox)
        self.buffer = np.asarray(self.canvas.buffer_rgba())
        self.epochs = [r.snapshots.epochs for r in runs]

    def timeline(self, max_frames=MAX_FRAMES) -> np.ndarray:
        """The epochs to show: every run's snapshot epochs, thinned evenly."""
        t = np.unique(np.concatenate(self.epochs))
        if len(t) > max_frames:
            t = t[np.unique(np.linspace(0, len(t) - 1, max_frames).round().astype(int))]
        return t

    def frame(self, epoch) -> np.ndarray:
        self.canvas.restore_region(self.background)
        for run, panel, label, ep in zip(self.runs, self.panels, self.labels, self.epochs):
            i = max(int(np.searchsorted(ep, epoch, side="right")) - 1, 0)
            snap = run.snapshots[i]
            panel.draw(self.buffer, snap.weights, snap.biases)
            m = run.metrics
            row = m.iloc[max(int(np.searchsorted(m["step"].to_numpy(), snap.step, "right")) - 1, 0)]
            acc = row["val_acc"] if np.isfinite(row.get("val_acc", np.nan)) else row["train_acc"]
            text = run_label(run, self.keys)
            if np.isfinite(acc):
                text += f"  ·  acc {acc:.1%}"
            if snap.epoch < epoch and i == len(ep) - 1:
                text += "  ·  done"
            label.draw(self.buffer, text)
        self.title.draw(self.buffer, f"epoch {epoch:.1f}")
        return self.buffer


def render_compare_video(runs, path, fps=30, size=(1280, 720), dpi=100, edges="all",
                         progress=None):
    """Film ``runs`` side by side, in sync, to ``path`` (.mp4 or .gif)."""
    check_video_options(path, fps, size, dpi, 0)
    if len(runs) < 2:
        raise ConfigError("compare needs at least two runs")
    if len(runs) > 9:
        raise ConfigError(f"a side-by-side video holds at most 9 runs (got {len(runs)})")
    for r in runs:
        if len(r.snapshots) == 0:
            raise RunError(f"run {r.path} has no snapshots to film")
    renderer = CompareRenderer(runs, size, dpi, edges)
    times = renderer.timeline()
    return write_video(path, (renderer.frame(t) for t in times), len(times), size, fps,
                       progress)
