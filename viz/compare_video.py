"""Several runs' films side by side, in sync: every panel shows its run at the
same epoch, drawn as the film draws it, each gap on one scale shared by the
runs; paced like a film (about ``duration`` seconds, ends held)."""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from weightlapse.core.errors import ConfigError, RunError

from .compare import (differing_settings, drawn_graphs, grid_cells, grid_shape, run_label,
                      scales_shared_text)
from .decor import legend_height_px, pt
from .drawn import ValueSource
from .frame import caption, follows_sample
from .labels import steps_per_epoch
from .draw_options import DrawOptions
from .pacing import film_epochs
from .painter import DrawnPanel
from . import unit_maps
from .sprites import TextSprite
from .video import check_video_options, write_video


class CompareRenderer:
    """Frames of ``runs`` side by side at a given epoch."""

    def __init__(self, runs, options=None, dpi=100, align=False):
        self.runs = runs
        self.opts = opts = options or DrawOptions()
        self.keys = differing_settings(runs)
        W, H = size = opts.size
        self.fig = fig = Figure(figsize=(W / dpi, H / dpi), dpi=dpi, facecolor="white")
        self.canvas = FigureCanvasAgg(fig)
        cols, rows = grid_shape(len(runs))
        fs = max(6.0, 9.0 * min(W / 1280, H / 720) * 100 / dpi)
        px = dpi / 72                                   # pixels per point
        # Laid out in pixels from the fonts, so that small frames keep their
        # text legible and apart: title, then per cell its label, the colour
        # bars, the panel and the layer labels under it; the caption last.
        title_bottom = 1 - (0.01 * H + 1.5 * fs * 1.4 * px) / H
        cell_w = 1 / cols - 0.03
        # The caption's lines (the colour bars' arrows, conv tiles and a
        # followed sample add one each) are known once the graphs are drawn,
        # and the graphs are drawn for the panel's height, which depends on
        # them: draw them for the lines the first run predicts, and again
        # only where the caption turns out otherwise.
        maps = any(unit_maps.applies(r, r.sizes, bool(r.config["data"].get("input_shape")))
                   for r in runs)
        above = (1.5 * fs * px + legend_height_px(fs * 0.8, dpi) + 2) / H
        below = (2 * 1.35 * pt(fs * 0.8) * px + 10) / H

        def layout(lines):
            bottom = (0.01 * H + (0.1 + 1.2 * lines) * pt(fs * 0.85) * px) / H
            bottom += maps * 1.3 * pt(fs * 0.85) * px / H  # a line for the maps' legend
            t, b = max(title_bottom, 0.6), min(bottom, 0.25)     # tiny frames: cramped, not broken
            cell_h = (t - b) / rows
            return t, cell_h, max(cell_h - above - below, 0.3 * cell_h)

        def drawn(lines):
            graphs = drawn_graphs(runs, opts, (cell_w * W, layout(lines)[2] * H), align)
            return graphs, caption(graphs[0], scales_shared_text(graphs))

        guess = 2 + int(runs[0].is_conv) + int(follows_sample(runs[0], opts))
        self.graphs, text = drawn(guess)
        lines = text.count("\n") + 1
        if lines != guess:
            self.graphs, text = drawn(lines)
        top, cell_h, ax_h = layout(lines)
        ax_w = cell_w
        self.panels, self.labels, self.sources = [], [], []
        for k, ((run, G), (c, r)) in enumerate(zip(zip(runs, self.graphs),
                                                   grid_cells(len(runs)))):
            y0 = top - (r + 1) * cell_h
            ax = fig.add_axes([c / cols + 0.015, y0 + below, ax_w, ax_h])
            # the sample's per-column legends are left to the caption: under
            # several panels they would crowd its lines
            self.panels.append(DrawnPanel(ax, G, fs * 0.8, fast=True, sample_legends=False))
            self.sources.append(ValueSource(G, run))
            self.labels.append(TextSprite(size, dpi, (c + 0.5) / cols, y0 + cell_h,
                                          fs, width=0.95 / cols, bold=False))
        self.title = TextSprite(size, dpi, 0.5, 0.99, fs * 1.4)
        fig.text(0.5, 0.01, text,
                 ha="center", va="bottom", fontsize=pt(fs * 0.85), color="0.25")
        unit_maps.draw_legend(fig, self.graphs[0], fs * 0.85, 0.5,
                              (0.01 * H + (0.7 + 1.2 * lines) * pt(fs * 0.85) * px) / H)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(fig.bbox)
        self.buffer = np.asarray(self.canvas.buffer_rgba())
        self.epochs = [r.snapshots.epochs for r in runs]
        self.whole = all(steps_per_epoch(r) == 1 for r in runs)

    def timeline(self) -> np.ndarray:
        """The epoch of each frame: about ``duration`` seconds, ends held."""
        return film_epochs(np.concatenate(self.epochs), self.opts.duration, self.opts.fps)

    def position(self, k, epoch) -> float:
        """Run k's snapshot position at ``epoch`` (fractions interpolate)."""
        ep = self.epochs[k]
        return float(np.interp(epoch, ep, np.arange(len(ep))))

    def frame(self, epoch) -> np.ndarray:
        self.canvas.restore_region(self.background)
        for k, (run, panel, label) in enumerate(zip(self.runs, self.panels, self.labels)):
            v = self.sources[k].at(self.position(k, epoch))
            panel.update(v)
            panel.paint(self.buffer)
            m = run.metrics
            row = m.iloc[max(int(np.searchsorted(m["step"].to_numpy(), v.step, "right")) - 1,
                             0)]
            acc = row["val_acc"] if np.isfinite(row.get("val_acc", np.nan)) else row["train_acc"]
            tail = f"  \u00b7  acc {acc:.1%}" if np.isfinite(acc) else ""
            if epoch > self.epochs[k][-1]:
                tail += "  \u00b7  done"
            label.draw(self.buffer, run_label(run, self.keys), tail)
        # runs of one step per epoch: whole epochs (no "epoch 150.5" between steps)
        self.title.draw(self.buffer, f"epoch {epoch:.0f}" if self.whole else f"epoch {epoch:.1f}")
        return self.buffer


def render_compare_video(runs, path, options=None, dpi=100, align=False, progress=None):
    """Film ``runs`` side by side, in sync, to ``path`` (.mp4 or .gif)."""
    opts = options or DrawOptions()
    check_video_options(path, opts, dpi)
    if len(runs) < 2:
        raise ConfigError("compare needs at least two runs")
    if len(runs) > 9:
        raise ConfigError(f"a side-by-side video holds at most 9 runs (got {len(runs)})")
    for r in runs:
        if len(r.snapshots) == 0:
            raise RunError(f"run {r.path} has no snapshots to film")
    renderer = CompareRenderer(runs, opts, dpi, align)
    times = renderer.timeline()
    return write_video(path, (renderer.frame(t) for t in times), len(times), opts.size,
                       opts.fps, progress)
