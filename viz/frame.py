"""One frame of the film, drawn fast: the figure is laid out and drawn once;
per frame only the parts that change are redrawn over a saved background.

Layout (1280x720 by default): the drawn network on the left (a compact
colour legend over each gap, layer names under the columns, class names by
the outputs), what the colours show under it, loss and accuracy curves with
an epoch cursor on the right (their legend sits above them, so the cursor
never crosses it), and below them the decision regions for 2-D data with a
class legend beside them.
"""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .decor import legend_height_px
from .drawn import FILM_PANEL, ValueSource, build_drawn_graph
from .labels import epoch_text, short, steps_per_epoch, training_line
from .draw_options import DrawOptions
from .painter import DrawnPanel
from .ratio_strip import RatioStrips, ratio_series, strip_rects
from .unit_health import unit_health
from .unit_maps import applies as has_maps, draw_legend as draw_map_legend
from . import health_marks
from .sample import answer_text
from .sample_paint import caption as sample_caption
from .sprites import RegionLayer, TextSprite, class_colours, region_grid, region_rgb

PANEL_RECT = (0.015, 0.17, FILM_PANEL[0], FILM_PANEL[1])


CLIPPED = "\u25b8 at a colour bar's end: values beyond it, drawn in its end colour"


def caption(G, fixed="fixed for the whole film", joined=False) -> str:
    """What the colours of lines, tiles and units show and how they are
    scaled, for under a picture; a line on the colour bars' arrow ends where
    some values lie beyond a bar (``joined``: on the first line, for wide
    pictures such as the figure)."""
    scale = ("one scale per gap" if G.graph["scale"] == "layer" else "one scale for all gaps")
    text = f"{G.graph['quantity']}  \u00b7  {scale}, {fixed}"
    if any(lo or hi for lo, hi in G.graph.get("clipped") or ()):
        text += ("; " if joined else "\n") + CLIPPED
    if G.graph.get("conv"):
        from .drawn_conv import tile_caption
        text += "\n" + tile_caption(G)
    sample = sample_caption(G)
    return text + (f"\n{sample}" if sample else "")


class FrameRenderer:
    """Renders frames of ``run`` with ``options`` (a DrawOptions; its size).

    ``frame_at(position)`` returns the canvas as an (H, W, 4) uint8 RGBA
    array (a view: copy it to keep it) at a snapshot position (a float
    interpolates between snapshots). ``G`` is the drawn graph.
    """

    def __init__(self, run, options=None, dpi=100):
        self.run = run
        self.opts = opts = (options or DrawOptions()).for_runs(run)
        W, H = self.size = opts.size
        fs = max(6.0, 10.0 * min(W / 1280, H / 720) * 100 / dpi)
        px = dpi / 72                                   # pixels per point
        # From the top, in pixels: the title, the subtitle under it, the colour
        # bars over the panel; on small frames the panel gives way to them.
        sub_top = max(0.075 * H, 0.025 * H + 1.25 * fs * 1.45 * px)
        panel_top = max((1 - PANEL_RECT[1] - PANEL_RECT[3]) * H,
                        sub_top + 1.25 * fs * px + legend_height_px(fs, dpi) + 2)
        # Unit marks and update-ratio strips (issue 18) need a count line under
        # the layer labels and a legend row over the caption: the panel rises.
        self.health = unit_health(run)
        self.series = ratio_series(run)
        items = health_marks.legend_items(self.health.marks, self.series is not None,
                                          fs * 0.85)
        ncol = health_marks.legend_columns(items, 0.6 * W, fs * 0.85, dpi) if items else 1
        rows = -(-len(items) // ncol) if items else 0
        maps = has_maps(run, run.sizes, bool(run.config["data"].get("input_shape")))
        # caption lines: the colour bars' arrow ends (nearly every run: each
        # scale is a percentile), a conv run's tiles, a followed sample
        extra = 1 + int(run.is_conv) + int(follows_sample(run, opts))
        below = room_below(H, fs, px, bool(self.health.marks), rows, maps, extra,
                           sample_row=follows_sample(run, opts) and not maps)
        bottom = max(PANEL_RECT[1], below / H)
        rect = (PANEL_RECT[0], bottom, PANEL_RECT[2],
                max(1 - panel_top / H - bottom, 0.3))
        self.G = build_drawn_graph(run, opts, panel_px=(rect[2] * W, rect[3] * H))
        self.values = ValueSource(self.G, run)
        self.fig = Figure(figsize=(W / dpi, H / dpi), dpi=dpi, facecolor="white")
        self.canvas = FigureCanvasAgg(self.fig)
        data = run.config["data"]
        self.classify = data["task"] == "classification"
        self.samples = run.samples() if self.classify else None
        self.fs = fs
        self.per_epoch = steps_per_epoch(run)
        ax = self.fig.add_axes(rect)
        self.panel = DrawnPanel(ax, self.G, fs, fast=True, health=self.health)
        self.title = TextSprite(self.size, dpi, 0.31, 0.975, fs * 1.45)
        self.fig.text(0.31, 1 - sub_top / H, self._subtitle(), ha="center", va="top", fontsize=fs,
                      color="0.35")
        cap = self.fig.text(0.31, 0.012, caption(self.G), ha="center", va="bottom",
                            fontsize=fs * 0.85, color="0.25", wrap=True)
        # 2-D data: what the units' maps show, over the caption
        lines = caption(self.G).count("\n") + 1        # a conv run or a sample adds a line
        over = draw_map_legend(self.fig, self.G, fs * 0.85, 0.31,
                               (0.012 * H + lines * 1.4 * fs * 0.85 * px + 9) / H)
        self._build_health(fs, items, ncol, over or cap)
        self.extra = "regions" if self.samples is not None else None
        self._build_metrics(fs)
        if self.extra:
            self._build_regions(fs)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.buffer = np.asarray(self.canvas.buffer_rgba())

    # -- layout, drawn once ------------------------------------------------
    def _build_health(self, fs, items, ncol, cap):
        """The update-ratio strips in the gaps between the layer labels, and
        the legend of the marks and strips over the caption."""
        self.strips = None
        W, H = self.size
        renderer = self.canvas.get_renderer()
        sizes = self.G.graph["sizes"]          # per column (a conv run's conv layers too)
        labels = self.panel.label_texts[:len(sizes)]
        if self.series is not None and labels:
            boxes = [t.get_window_extent(renderer) for t in labels]
            top = H - max(b.y1 for b in boxes)
            bottom = max(H - min(b.y0 for b in boxes),
                         self.panel.counts.bottom_px if self.panel.counts else 0)
            widest = [0.0] * len(labels)
            if self.health.marks:
                from matplotlib.font_manager import FontProperties
                font = FontProperties(size=labels[0].get_fontsize())
                for l in range(1, len(labels) - 1):
                    widest[l] = renderer.get_text_width_height_descent(
                        f"{sizes[l]} {self.health.marks}", font, ismath=False)[0]
            rects = strip_rects(self.panel, widest, top, bottom)
            self.strips = RatioStrips(self.fig, self.series, rects, top, bottom, fs) or None
        if not self.strips:
            items = [it for it in items if it[1] != health_marks.strip_legend()]
        if items:
            cb = cap.get_window_extent(renderer)
            health_marks.draw_legend(self.fig, items, 0.31, (cb.y1 + 3) / H, fs * 0.85, ncol)

    def _subtitle(self):
        return training_line(self.run)

    def _build_metrics(self, fs):
        m = self.run.metrics
        top = 0.86
        h = (0.17 if self.extra else 0.33) if self.classify else (0.28 if self.extra else 0.66)
        self.ax_loss = self.fig.add_axes([0.685, top - h, 0.295, h])
        axes = [self.ax_loss]
        if self.classify:
            self.ax_acc = self.fig.add_axes([0.685, top - 2 * h - 0.03, 0.295, h],
                                            sharex=self.ax_loss)
            axes.append(self.ax_acc)
        for ax, col, label in zip(axes, ("loss", "acc"), ("loss", "accuracy")):
            for split, style in (("train", "-"), ("val", "--")):
                y = m.get(f"{split}_{col}")
                if y is not None and y.notna().any():
                    ax.plot(m["epoch"], y, style, lw=1.5, label=split,
                            color="C0" if split == "train" else "C1")
            ax.set_ylabel(label, fontsize=fs)
            ax.tick_params(labelsize=fs * 0.9)
            ax.grid(alpha=0.3)
        # The legend sits above the curves, outside them: the cursor never crosses it.
        self.ax_loss.legend(fontsize=fs * 0.85, loc="lower right", bbox_to_anchor=(1, 1),
                            ncol=2, frameon=False, borderaxespad=0.1)
        axes[-1].set_xlabel("epoch", fontsize=fs)
        if self.classify:
            self.ax_loss.tick_params(labelbottom=False)
        loss = m["train_loss"].dropna()
        if len(loss) and (loss > 0).all() and loss.max() / loss.min() > 30:
            from matplotlib.ticker import LogLocator, NullFormatter
            self.ax_loss.set_yscale("log")
            self.ax_loss.yaxis.set_major_locator(LogLocator(numticks=4))
            self.ax_loss.yaxis.set_minor_formatter(NullFormatter())
        self._metrics_bottom = top - (2 * h + 0.03 if self.classify else h)
        self.cursors = [ax.axvline(0, color="k", lw=1, animated=True) for ax in axes]

    def _build_regions(self, fs):
        X, y = self.samples
        W, H = self.size
        px = self.fig.dpi / 72
        # Under the curves' tick labels and "epoch", with room for the title.
        below = (3.5 + 3.5 + 4) * px + 1.25 * 1.9 * fs * px
        title = 6 * px + 1.25 * fs * px
        h = max(min(0.33, self._metrics_bottom - (below + title + 2) / H - 0.04), 0.1)
        h = min(h, 0.2 * W / H)                       # a tall frame: as wide as fits
        ax = self.ax_extra = self.fig.add_axes([0.70, 0.04, h * H / W, h])
        self.grid, extent = region_grid(X)
        k = self.run.sizes[-1]
        palette, self.class_rgb = class_colours(k)
        show = slice(None, None, max(1, len(X) // 400))
        self.regions = RegionLayer(ax, extent, int(round(np.sqrt(len(self.grid)))),
                                   (X[show, 0], X[show, 1]),
                                   dict(c=palette[y[show] % 10], s=6, edgecolors="white",
                                        linewidths=0.3))
        ax.set_title("decision regions", fontsize=fs)
        ax.set_xticks([])
        ax.set_yticks([])
        names = self.G.graph["class_names"]
        ax.legend([Patch(fc=palette[c % 10]) for c in range(k)],
                  [short(n, 12) for n in names], title="class", fontsize=fs * 0.85,
                  title_fontsize=fs * 0.85, loc="center left", bbox_to_anchor=(1.02, 0.5),
                  frameon=False, handlelength=1.0)
        self.model = self.run.network(0)
        self._full = {}

    # -- per frame ---------------------------------------------------------
    def frame_at(self, position) -> np.ndarray:
        v = self.values.at(position)
        self.canvas.restore_region(self.background)
        self.panel.update(v, position)
        self.panel.paint(self.buffer)
        self._draw_metrics(v.epoch, v.step, answer_text(self.G, v.acts))
        if self.strips:
            self.strips.draw(v.step, self.buffer)
        if self.extra == "regions":
            self.model.set_weights(*self._full_weights(position))
            self.regions.draw(self.buffer, region_rgb(self.model, self.grid, self.class_rgb))
        self.title.draw(self.buffer, self.title_text)
        return self.buffer

    def _full_weights(self, position):
        """All weights and biases at a position (2-D data: small networks)."""
        lo = int(np.floor(position))
        hi = min(lo + 1, len(self.run.snapshots) - 1)
        t = float(position) - lo
        for i in (lo, hi):
            if i not in self._full:
                s = self.run.snapshots[i]
                self._full[i] = (s.weights, s.biases)
        self._full = {i: self._full[i] for i in (lo, hi)}
        (Wa, ba), (Wb, bb) = self._full[lo], self._full[hi]
        return ([a + t * (b - a) for a, b in zip(Wa, Wb)],
                [a + t * (b - a) for a, b in zip(ba, bb)])

    def _draw_metrics(self, epoch, step, answer=""):
        m = self.run.metrics
        i = int(np.searchsorted(m["step"].to_numpy(), step, side="right")) - 1
        row = m.iloc[max(i, 0)]
        parts = {"epoch": epoch_text(step, self.per_epoch), "step": f"step {step:,}"}
        has_val = np.isfinite(row.get("val_loss", np.nan))
        which = "val" if has_val else "train"
        loss = row[f"{which}_loss"]
        if np.isfinite(loss):
            parts["loss"] = f"{which} loss {loss:.3f}"
        acc = row.get(f"{which}_acc", np.nan)
        if self.classify and np.isfinite(acc):
            parts["acc"] = f"{which} acc {acc:.1%}"
        if answer:       # what the network says of the sample
            parts["sample"] = answer
        self.title_text = title_that_fits(self.title, parts)
        for c in self.cursors:
            c.set_xdata([epoch, epoch])
            c.axes.draw_artist(c)


def follows_sample(run, opts) -> bool:
    """Whether the film follows a sample (``--sample``) through ``run``."""
    import warnings
    from .sample import resolve
    with warnings.catch_warnings():     # a damaged probe set: said once, when drawn
        warnings.simplefilter("ignore")
        return resolve(run, opts.sample) is not None


def room_below(H, fs, px, counts, legend_rows, maps, caption_extra=0,
               sample_row=False) -> float:
    """Pixels the film needs under its network panel: the layer labels (two
    lines, and a count line with unit marks), the sample's legend row, the
    health legend's rows, the maps' legend (2-D data) and the caption (one
    line, and ``caption_extra`` more), from the bottom up."""
    from .decor import pt
    small = pt(fs * 0.85) * px
    lines = 1 + caption_extra
    top = 0.012 * H + (lines * 1.4 - 0.15) * fs * 0.85 * px        # the caption's top
    if maps:                          # the maps' legend, centred as unit_maps draws it
        top = 0.012 * H + lines * 1.4 * fs * 0.85 * px + 9 + max(0.6 * small, 3.5)
    legend = legend_rows * 1.45 * small + 3 if legend_rows else 0
    labels = (2 + counts) * 1.2 * pt(fs) * px + 1.5 + 0.015 * 0.6 * H
    row = 1.6 * small + 2 if sample_row else 0
    return top + legend + labels + row + 4


def title_that_fits(sprite, parts):
    """The frame's title from ``parts`` (epoch, step, loss, acc): whole when
    it fits, else without the step, then without the loss, so that a small
    film never shows a number cut short ("val acc 100…"); the sample's
    answer ("says 7, 93%") goes last, as long as anything fits."""
    for drop in ((), ("step",), ("step", "loss"), ("step", "loss", "acc")):
        text = "  \u00b7  ".join(v for k, v in parts.items() if k not in drop)
        if sprite.fits(text):
            return text
    return " \u00b7 ".join(v for k, v in parts.items() if k in ("epoch", "acc", "sample"))

