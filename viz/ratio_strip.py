"""The update-ratio strips under a drawn network (issue 18): for each weight
matrix W[i], log10 of its update ratio ||dW|| / ||W|| over training (from
:func:`~weightlapse.core.health_read.load_health`'s table), the healthy band
10^-4..10^-2 shaded with 10^-3 dotted, and a cursor at the frame's step.

A run without update ratios (recorded before ``health.jsonl``, or from
PyTorch or Keras, or with a damaged file) has no strips: :func:`ratio_series`
returns None and nothing is drawn or said.

The film places one strip in each gap between two columns' labels, level
with them (:func:`strip_rects`); the report draws the same series (its
payload: :func:`page_entry`) under its network.
"""
from __future__ import annotations

import math

import numpy as np

from weightlapse.core.errors import RunError

BAND = (-4.0, -2.0)          # log10 update ratio: healthy between, about -3
HEALTHY = -3.0
Y_RANGE = (-5.0, -1.0)       # at least this much of the axis is shown
BAND_COLOR, LINE_COLOR, CURSOR_COLOR = "#d9efd9", "0.15", "#d62728"
MIN_WIDTH_PX = 28            # a narrower gap gets no strip
LEGEND = ("strips: log10 update ratio per W[i]; healthy "
          "10\u207b\u2074..10\u207b\u00b2 shaded, 10\u207b\u00b3 dotted")


class RatioSeries:
    """``steps[i]`` and ``log10[i]`` ((k,) float arrays, finite values only) of
    each weight matrix W[i]; ``ylim`` shared by all; ``last_step``."""

    def __init__(self, steps, log10, last_step):
        self.steps, self.log10, self.last_step = steps, log10, int(last_step)
        lo = min([Y_RANGE[0]] + [float(v.min()) for v in log10 if len(v)])
        hi = max([Y_RANGE[1]] + [float(v.max()) for v in log10 if len(v)])
        self.ylim = (max(math.floor(lo), -9.0), min(math.ceil(hi), 1.0))

    def __len__(self):
        return len(self.log10)


def ratio_series(run):
    """The run's :class:`RatioSeries`, or None when it has no update ratios."""
    from weightlapse.core.health_read import load_health
    from weightlapse.core.rundir import HEALTH
    if not run.files.file(HEALTH).is_file():
        return None
    try:
        df = load_health(run).table
    except (RunError, ValueError, KeyError):
        return None
    if df.empty or not np.isfinite(df["update_ratio"]).any():
        return None
    steps, logs = [], []
    with np.errstate(all="ignore"):
        for i in range(len(run.layers)):          # every weight array, conv ones too
            d = df[df.layer == i]
            r = d["update_ratio"].to_numpy(float)
            ok = np.isfinite(r) & (r > 0)
            steps.append(d["step"].to_numpy(float)[ok])
            logs.append(np.log10(r[ok]))
    last = max(int(run.snapshots.steps[-1]), int(df["step"].max()))
    return RatioSeries(steps, logs, last)


def page_entry(series) -> dict:
    """The strips as the report's page holds them (None: no strips)."""
    if series is None:
        return None
    return {"band": list(BAND), "healthy": HEALTHY, "ylim": list(series.ylim),
            "last": series.last_step, "legend": LEGEND,
            "layers": [{"steps": s.astype(int).tolist(),
                        "log10": [round(float(v), 3) for v in y]}
                       for s, y in zip(series.steps, series.log10)]}


def strip_rects(panel, reserve_px, top_px, bottom_px):
    """Per gap, (x0, x1) in canvas pixels for its strip, between the labels
    of the two columns (each taken ``reserve_px[l]`` wide at least, the
    widest its label may grow to), or None where there is no room."""
    fig = panel.ax.get_figure(root=True)
    renderer = fig.canvas.get_renderer()
    xs = []
    for l, t in enumerate(panel.label_texts[:len(panel.G.graph["sizes"])]):
        b = t.get_window_extent(renderer)
        half = max(b.width, reserve_px[l]) / 2
        xs.append((b.x0 + b.width / 2 - half, b.x0 + b.width / 2 + half))
    out = []
    for l in range(len(xs) - 1):
        x0, x1 = xs[l][1] + 6, xs[l + 1][0] - 6
        w = min(x1 - x0, 220.0)
        c = (x0 + x1) / 2
        out.append((c - w / 2, c + w / 2) if w >= MIN_WIDTH_PX and
                   bottom_px - top_px >= 14 else None)
    return out


class RatioStrips:
    """The strips as matplotlib axes in ``fig``, drawn once (films: into the
    saved background); ``draw(step)`` moves the cursors (films: draws them)."""

    def __init__(self, fig, series, rects, top_px, bottom_px, fontsize, fast=True):
        W, H = fig.bbox.width, fig.bbox.height
        self.fast = fast
        self.axes, self.cursors = [], []
        size = max(fontsize * 0.7, 5.0)
        for i, rect in enumerate(rects):
            if rect is None or i >= len(series):
                continue
            x0, x1 = rect
            ax = fig.add_axes([x0 / W, 1 - bottom_px / H, (x1 - x0) / W,
                               (bottom_px - top_px) / H])
            ax.axhspan(*BAND, color=BAND_COLOR, lw=0, zorder=0)
            ax.axhline(HEALTHY, color="#4a9a4a", lw=0.6, ls=":", zorder=1)
            ax.plot(series.steps[i], series.log10[i], color=LINE_COLOR, lw=0.9, zorder=2)
            span = max(series.last_step, 1)    # padded: the cursor shows at both ends
            ax.set_xlim(-0.02 * span, 1.02 * span)
            ax.set_ylim(*series.ylim)
            ax.set_xticks([])
            ax.set_yticks([])
            for s in ax.spines.values():
                s.set_linewidth(0.5)
                s.set_color("0.6")
            ax.text(0.02, 0.04, f"W[{i}]", transform=ax.transAxes, ha="left", va="bottom",
                    fontsize=size, color="0.3", zorder=4,
                    bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none", alpha=0.7))
            self.axes.append(ax)
            if not fast:
                self.cursors.append(ax.axvline(0, color=CURSOR_COLOR, lw=1.0, zorder=3))
        # Films write the cursors straight into the canvas: a column of pixels
        # inside each strip's frame (matplotlib's draw_artist took ~0.3 ms each).
        self.width = max(1, int(round(fig.dpi / 100)))
        self.rgb = np.array([int(CURSOR_COLOR[k:k + 2], 16) for k in (1, 3, 5)], np.uint8)
        self.boxes = []
        for ax in self.axes:
            b = ax.get_window_extent()
            x0, x1 = ax.get_xlim()
            self.boxes.append((int(round(H - b.y1)) + 1, int(round(H - b.y0)) - 1,
                               b.x0, b.width / (x1 - x0), x0, int(b.x0) + 1,
                               int(b.x1) - 1 - self.width))

    def __len__(self):
        return len(self.axes)

    def columns(self, step) -> list:
        """The canvas column of each strip's cursor at ``step``."""
        return [min(max(int(px0 + (step - x0) * scale), lo), hi)
                for _, _, px0, scale, x0, lo, hi in self.boxes]

    def draw(self, step, buffer=None):
        """Move the cursors to ``step``; films draw them into ``buffer``."""
        if not self.fast:
            for c in self.cursors:
                c.set_xdata([step, step])
            return
        for (top, bottom, *_), col in zip(self.boxes, self.columns(step)):
            buffer[top:bottom, col:col + self.width, :3] = self.rgb
