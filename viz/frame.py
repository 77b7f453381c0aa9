"""One frame of the film, drawn fast: the figure is laid out and drawn once;
per frame only the parts that change are redrawn over a saved background.

Layout (1280x720 by default): the network on the left (edges coloured by
weight, opacity and width growing with |w|; nodes coloured by bias), a
labelled colour bar under it, loss and accuracy curves with a cursor on the
right, and below them the decision regions (2-D data) or the first hidden
layer's incoming weights as 28x28 tiles (image data).
"""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colorbar import ColorbarBase
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from .colors import CMAP, weight_scale
from .graph import parse_edges
from .panel import NetworkPanel, TextSprite, class_colours, region_grid, region_rgb, tile_mosaic


class FrameRenderer:
    """Renders frames of ``run`` at ``size`` = (width, height) pixels.

    ``frame(weights, biases, epoch, step)`` returns the canvas as an (H, W, 4)
    uint8 RGBA array (a view: copy it to keep it). The colour scale is fixed
    for the whole run (:func:`weight_scale`) and shared by every frame.
    """

    def __init__(self, run, size=(1280, 720), dpi=100, edges="all", scale=None):
        self.run = run
        self.sizes = run.sizes
        self.edges = edges
        parse_edges(edges)
        self.scale = float(scale) if scale else weight_scale(run.snapshots)
        W, H = size
        self.size = (W, H)
        self.fig = Figure(figsize=(W / dpi, H / dpi), dpi=dpi, facecolor="white")
        self.canvas = FigureCanvasAgg(self.fig)
        data = run.config["data"]
        self.classify = data["task"] == "classification"
        self.samples = run.samples()
        self.image_shape = data.get("input_shape")
        extra = ("regions" if self.samples is not None and self.classify else
                 "tiles" if self.image_shape and len(self.sizes) > 2 else None)
        fs = max(7.0, 10.0 * min(W / 1280, H / 720) * 100 / dpi)
        self.fs = fs
        self._build(extra, fs)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.buffer = np.asarray(self.canvas.buffer_rgba())

    # -- layout, drawn once ------------------------------------------------
    def _build(self, extra, fs):
        fig, run = self.fig, self.run
        s = self.scale
        self.ax = ax = fig.add_axes([0.01, 0.2, 0.60, 0.68])
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_axis_off()
        self.panel = NetworkPanel(ax, self.sizes, s, self.size, self.edges, fs,
                                  run.settings.get("activation"))
        cax = fig.add_axes([0.09, 0.07, 0.44, 0.022])
        cb = ColorbarBase(cax, cmap=colormaps[CMAP], norm=Normalize(-s, s),
                          orientation="horizontal")
        cb.set_label("weight (edges) and bias (nodes); scale fixed for the whole film",
                     fontsize=fs)
        cb.ax.tick_params(labelsize=fs * 0.9)
        self.title = TextSprite(self.size, fig.dpi, 0.31, 0.965, fs * 1.5)
        fig.text(0.31, 0.915, self._subtitle(), ha="center", va="top", fontsize=fs,
                 color="0.35")
        self._build_metrics(extra, fs)
        if extra == "regions":
            self._build_regions(fs)
        elif extra == "tiles":
            self._build_tiles(fs)
        self.extra = extra

    def _subtitle(self):
        st = self.run.settings
        net = "-".join(map(str, self.sizes))
        bs = "full batch" if st["batch_size"] == 0 else f"batch {st['batch_size']}"
        return (f"{self.run.config['data']['name']} · {net} {st['activation']} · "
                f"{st['optimizer']} lr {st['lr']:g} · {bs}")

    def _build_metrics(self, extra, fs):
        m = self.run.metrics
        top = 0.88
        h = 0.17 if extra else 0.33
        self.ax_loss = self.fig.add_axes([0.69, top - h, 0.29, h])
        axes = [self.ax_loss]
        if self.classify:
            self.ax_acc = self.fig.add_axes([0.69, top - 2 * h - 0.05, 0.29, h],
                                            sharex=self.ax_loss)
            axes.append(self.ax_acc)
        for ax, col, label in zip(axes, ("loss", "acc"), ("loss", "accuracy")):
            for split, style in (("train", "-"), ("val", "--")):
                y = m.get(f"{split}_{col}")
                if y is not None and y.notna().any():
                    ax.plot(m["epoch"], y, style, lw=1.5, label=split)
            ax.set_ylabel(label, fontsize=fs)
            ax.tick_params(labelsize=fs * 0.9)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=fs * 0.85, loc="best", frameon=False)
        if self.classify:
            self.ax_acc.set_xlabel("epoch", fontsize=fs)
            self.ax_loss.tick_params(labelbottom=False)
        else:
            self.ax_loss.set_xlabel("epoch", fontsize=fs)
        loss = m["train_loss"].dropna()
        if len(loss) and (loss > 0).all() and loss.max() / loss.min() > 30:
            from matplotlib.ticker import LogLocator, NullFormatter
            self.ax_loss.set_yscale("log")
            self.ax_loss.yaxis.set_major_locator(LogLocator(numticks=4))
            self.ax_loss.yaxis.set_minor_formatter(NullFormatter())
        self.cursors = [ax.axvline(0, color="k", lw=1, animated=True) for ax in axes]

    def _build_regions(self, fs):
        X, y = self.samples
        W, H = self.size
        side = 0.36 * H / W
        ax = self.ax_extra = self.fig.add_axes([0.835 - side / 2, 0.035, side, 0.36])
        self.grid, extent = region_grid(X)
        palette, self.class_rgb = class_colours(self.sizes[-1])
        self.regions = ax.imshow(np.ones((2, 2, 3)), origin="lower", animated=True,
                                 extent=extent, aspect="auto", interpolation="bilinear")
        show = slice(None, None, max(1, len(X) // 400))
        self.points = ax.scatter(X[show, 0], X[show, 1], c=palette[y[show] % 10], s=6,
                                 edgecolors="white", linewidths=0.3, animated=True)
        ax.set_title("decision regions", fontsize=fs)
        ax.set_xticks([])
        ax.set_yticks([])
        self.model = self.run.network(0)

    def _build_tiles(self, fs):
        n = min(self.sizes[1], 32)
        cols = 8
        rows = -(-n // cols)
        h, w = self.image_shape
        self.tile_geom = (n, rows, cols, h, w)
        W0 = self.run.snapshots.records["params"][:, :self.sizes[0] * self.sizes[1]]
        pick = np.unique(np.linspace(0, len(W0) - 1, min(len(W0), 50)).astype(int))
        self.tile_scale = float(np.percentile(np.abs(W0[pick]), 99.5)) or 1.0
        ax = self.ax_extra = self.fig.add_axes([0.69, 0.035, 0.29, 0.33])
        mosaic = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan)
        cmap = colormaps[CMAP].with_extremes(bad="white")
        self.tiles = ax.imshow(mosaic, cmap=cmap, vmin=-self.tile_scale,
                               vmax=self.tile_scale, interpolation="nearest", animated=True)
        ax.set_title(f"weights into hidden units 1-{n} (scale ±{self.tile_scale:.2g})",
                     fontsize=fs)
        ax.set_axis_off()

    # -- per frame ---------------------------------------------------------
    def frame(self, weights, biases, epoch, step) -> np.ndarray:
        self.canvas.restore_region(self.background)
        self.panel.draw(self.buffer, weights, biases)
        self._draw_metrics(epoch, step)
        if self.extra == "regions":
            self.model.set_weights(weights, biases)
            self.regions.set_data(region_rgb(self.model, self.grid, self.class_rgb))
            self.ax_extra.draw_artist(self.regions)
            self.ax_extra.draw_artist(self.points)
        elif self.extra == "tiles":
            self.tiles.set_data(tile_mosaic(weights[0], *self.tile_geom))
            self.ax_extra.draw_artist(self.tiles)
        self.title.draw(self.buffer, self.title_text)
        return self.buffer

    def _draw_metrics(self, epoch, step):
        m = self.run.metrics
        i = int(np.searchsorted(m["step"].to_numpy(), step, side="right")) - 1
        row = m.iloc[max(i, 0)]
        parts = [f"epoch {epoch:.1f}", f"step {step:,}"]
        loss = row["val_loss"] if np.isfinite(row.get("val_loss", np.nan)) else row["train_loss"]
        which = "val" if np.isfinite(row.get("val_loss", np.nan)) else "train"
        if np.isfinite(loss):
            parts.append(f"{which} loss {loss:.3f}")
        acc = row.get(f"{which}_acc", np.nan)
        if self.classify and np.isfinite(acc):
            parts.append(f"{which} acc {acc:.1%}")
        self.title_text = "  ·  ".join(parts)
        for c in self.cursors:
            c.set_xdata([epoch, epoch])
            c.axes.draw_artist(c)

    def snapshot_frame(self, i: int) -> np.ndarray:
        snap = self.run.snapshots[i]
        return self.frame(snap.weights, snap.biases, snap.epoch, snap.step)
