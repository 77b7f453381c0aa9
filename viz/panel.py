"""The network panel, repainted fast every frame, and the other per-frame
pieces the films share (title text, decision regions, weight tiles)."""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.collections import LineCollection

from .colors import lut, lut_index
from .graph import MAX_DRAWN_NODES, edge_mask, layer_names, layout
from .raster import EdgeField

LINE_EDGES_MAX = 1500      # up to this many edges: antialiased matplotlib lines
BG = (1.0, 1.0, 1.0)
INPUT_GREY = (0.55, 0.55, 0.55)


class NetworkPanel:
    """A layered network drawn in ``ax`` (axes units [0, 1]), repainted per
    frame without rebuilding anything: edge colours and widths, node colours.

    Create it before the figure's first draw (its artists are animated, so the
    saved background holds only the layer labels); then ``draw(buffer,
    weights, biases)`` after each ``restore_region``.
    """

    def __init__(self, ax, sizes, scale, canvas_size, edges="all", fontsize=10,
                 activation=None, labels=True):
        self.ax, self.sizes, self.scale, self.edges = ax, list(sizes), scale, edges
        self.lut = lut()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_axis_off()
        self.pos = layout(self.sizes)
        if labels:
            for (x, _), text in zip(self.pos, layer_names(self.sizes, activation)):
                ax.text(x, -0.02, text, ha="center", va="top", fontsize=fontsize,
                        transform=ax.transData, clip_on=False)
        self.size = canvas_size
        self._build_edges_and_nodes()

    def _build_edges_and_nodes(self):
        ax, fig = self.ax, self.ax.get_figure(root=True)
        bbox = ax.get_window_extent()
        H = self.size[1]
        x0, x1 = int(round(bbox.x0)), int(round(bbox.x1))
        top, bottom = H - int(round(bbox.y1)), H - int(round(bbox.y0))
        self.rect = (top, bottom, x0, x1)
        self.lines = self.field = None
        # Per gap between layers: antialiased lines while there are few edges,
        # the fan rasteriser for dense gaps (a 784-input layer).
        gaps = list(zip(self.pos[:-1], self.pos[1:]))
        n_lines = sum(len(a[1]) * len(b[1]) for a, b in gaps)
        self.raster_gaps = [k for k, (a, b) in enumerate(gaps)
                            if n_lines > LINE_EDGES_MAX and len(a[1]) * len(b[1]) > 2000]
        self.line_gaps = [k for k in range(len(gaps)) if k not in self.raster_gaps]
        segs = [((xa, ya[i]), (xb, yb[j]))
                for k in self.line_gaps for (xa, ya), (xb, yb) in [gaps[k]]
                for i in range(len(ya)) for j in range(len(yb))]
        if segs:
            self.lines = LineCollection(segs, animated=True, capstyle="round", zorder=1)
            ax.add_collection(self.lines)
            # widths grow with |w|; fewer edges can afford bolder lines
            self.line_scale = 1.0 if len(segs) <= 120 else 0.45 if len(segs) <= 400 else 0.3
        if self.raster_gaps:
            w, h = x1 - x0, bottom - top
            px = [(x * w, (1 - ys) * h) for x, ys in self.pos]
            self.field = EdgeField([(px[k], px[k + 1]) for k in self.raster_gaps], (h, w))
        self.nodes = []
        for l, ((x, ys), n) in enumerate(zip(self.pos, self.sizes)):
            if n > MAX_DRAWN_NODES:  # a compact column instead of n dots
                bar = ax.plot([x, x], [ys.min(), ys.max()], color=INPUT_GREY, lw=3,
                              solid_capstyle="butt", animated=True)[0]
                self.nodes.append(bar)
                continue
            gap = (ys[0] - ys[1]) if n > 1 else 0.1
            size_pt = np.clip(gap * bbox.height * 72 / fig.dpi * 0.6, 4, 16) ** 2
            sc = ax.scatter(np.full(n, x), ys, s=size_pt, zorder=3, animated=True,
                            c=[INPUT_GREY] * n, edgecolors="0.2", linewidths=0.6)
            self.nodes.append(sc)

    def draw(self, buffer, weights, biases):
        """Paint edges and nodes into the canvas ``buffer`` (H, W, 4)."""
        s = self.scale
        if self.field is not None:
            Wr = [weights[k] for k in self.raster_gaps]
            masks = None if self.edges == "all" else [edge_mask(Wl, self.edges) for Wl in Wr]
            top, bottom, x0, x1 = self.rect
            self.field.render(Wr, s, self.lut, BG, masks, out=buffer[top:bottom, x0:x1])
        if self.lines is not None:
            Wl_ = [weights[k] for k in self.line_gaps]
            w = np.concatenate([np.ravel(Wl) for Wl in Wl_])
            if self.edges != "all":
                keep = np.concatenate([edge_mask(Wl, self.edges).ravel() for Wl in Wl_])
            else:
                keep = 1.0
            a = np.clip(np.abs(w) / s, 0, 1)
            rgba = np.empty((len(w), 4), np.float32)
            rgba[:, :3] = self.lut[lut_index(w, s)]
            rgba[:, 3] = (0.1 + 0.8 * a) * keep
            self.lines.set_color(rgba)
            self.lines.set_linewidth(0.4 + 3.6 * a * self.line_scale)
            self.ax.draw_artist(self.lines)
        for l, art in enumerate(self.nodes):
            if l > 0 and not hasattr(art, "set_xdata"):
                art.set_facecolor(self.lut[lut_index(biases[l - 1], s)])
            self.ax.draw_artist(art)


class TextSprite:
    """A line of bold text that changes every frame, drawn with PIL's FreeType
    renderer (the DejaVu font matplotlib uses) straight into the canvas:
    matplotlib's text layout took 5 ms of a 25 ms frame."""

    def __init__(self, size, dpi, x, y, fontsize, width=0.62, bold=True):
        from matplotlib.font_manager import FontProperties, findfont
        from PIL import ImageFont
        W, H = size
        px = max(int(round(fontsize * dpi / 72)), 6)
        weight = "bold" if bold else "normal"
        self.font = ImageFont.truetype(findfont(FontProperties(weight=weight)), px)
        self.cx, self.top = x * W, int(round((1 - y) * H))
        self.box = (int(width * W), int(px * 1.5))
        self.left = max(int(self.cx - self.box[0] / 2), 0)

    def draw(self, buffer, text):
        from PIL import Image, ImageDraw
        w, h = self.box
        img = Image.new("L", (w, h))
        ImageDraw.Draw(img).text((w / 2, 0), text, font=self.font, fill=255, anchor="ma")
        a = np.asarray(img, np.float32)[..., None] * (1 / 255)
        region = buffer[self.top:self.top + h, self.left:self.left + w, :3]
        a = a[:region.shape[0], :region.shape[1]]
        region[...] = (region * (1 - a)).astype(np.uint8)  # black text over the background


def region_grid(X, g=120):
    """A g x g grid over the data's range (padded), as (g*g, 2) points, and its extent."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.08 * (hi - lo + 1e-9)
    lo, hi = lo - pad, hi + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], g), np.linspace(lo[1], hi[1], g))
    return np.c_[gx.ravel(), gy.ravel()], (lo[0], hi[0], lo[1], hi[1])


def class_colours(k):
    """(k, 3) class colours for points, and lightened ones for regions."""
    palette = colormaps["tab10"](np.arange(k) % 10)[:, :3]
    return palette, (0.55 * palette + 0.45).astype(np.float32)


def region_rgb(model, grid, class_rgb):
    """(g, g, 3) colours of the decision regions: class colours mixed by the
    predicted probabilities, so uncertain borders blend."""
    Z = model.predict_outputs(grid)
    Z = np.exp(Z - Z.max(axis=1, keepdims=True))
    P = Z / Z.sum(axis=1, keepdims=True)
    g = int(round(np.sqrt(len(grid))))
    return (P @ class_rgb).reshape(g, g, 3).clip(0, 1)


def tile_mosaic(W0, n, rows, cols, h, w):
    """The first n columns of W0 (n_in, n_hidden) as h x w tiles in a
    rows x cols mosaic with 1-pixel NaN gaps."""
    mosaic = np.full((rows * (h + 1), cols * (w + 1)), np.nan, np.float32)
    block = mosaic.reshape(rows, h + 1, cols, w + 1)
    full = np.full((rows * cols, h, w), np.nan, np.float32)
    full[:n] = np.asarray(W0)[:, :n].T.reshape(n, h, w)
    block[:, :h, :, :w] = full.reshape(rows, cols, h, w).transpose(0, 2, 1, 3)
    return mosaic[:-1, :-1]
