"""The per-frame pieces the films share besides the network: title text
drawn straight into the canvas, and decision regions."""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps


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
        self._cache = {}          # text drawn -> its coverage, for texts that repeat

    def draw(self, buffer, text, tail=""):
        """Draw ``text`` + ``tail``; if too wide, ``text`` is cut short ("…")
        and ``tail`` kept whole."""
        from PIL import Image, ImageDraw
        w, h = self.box
        a = self._cache.get((text, tail))
        if a is None:
            full = text, tail
            text = self._fit(text, w - self.font.getlength(tail)) + tail
            img = Image.new("L", (w, h))
            ImageDraw.Draw(img).text((w / 2, 0), text, font=self.font, fill=255, anchor="ma")
            a = np.asarray(img, np.float32)[..., None] * (1 / 255)
            if len(self._cache) > 32:
                self._cache.clear()
            self._cache[full] = (a, text)
        else:
            a, text = a
        self.text = text
        region = buffer[self.top:self.top + h, self.left:self.left + w, :3]
        a = a[:region.shape[0], :region.shape[1]]
        region[...] = (region * (1 - a)).astype(np.uint8)  # black text over the background

    def fits(self, text, tail=""):
        """Whether ``text`` + ``tail`` fits the sprite's box whole, with a
        margin of half a character each side."""
        return self.font.getlength(text + tail) + self.font.size <= self.box[0]

    def extent(self):
        """(x0, y0, x1, y1) in canvas pixels, rows from the top: the ink of
        the text drawn last."""
        l, t, r, b = self.font.getbbox(self.text, anchor="ma")
        cx = self.left + self.box[0] / 2
        return (cx + l, self.top + t, cx + r, self.top + min(b, self.box[1]))

    def _fit(self, text, width):
        """``text``, or its longest start that fits ``width`` px with "…"
        after it (a comparison's labels grow with the settings that differ)."""
        if self.font.getlength(text) <= width:
            return text
        lo, hi = 0, len(text)                 # the longest start that fits, by halving
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.font.getlength(text[:mid].rstrip() + "\u2026") <= width:
                lo = mid
            else:
                hi = mid - 1
        return text[:lo].rstrip() + "\u2026"


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


class RegionLayer:
    """The decision regions of a film, drawn straight into the canvas: each
    frame's g x g grid of colours (``region_rgb``) scaled to the axes' pixels
    bilinearly, with the data points laid over it from a layer drawn once
    (matplotlib resampled the image and redrew 400 scatter markers every
    frame: 15 ms of a 2-D film's frame). ``ax`` shows ``extent``; the points
    are drawn as ``ax.scatter(*points_xy, **scatter_kw)`` would draw them."""

    def __init__(self, ax, extent, g, points_xy, scatter_kw):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        fig = ax.get_figure(root=True)
        x0, x1, y0, y1 = extent
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        H = int(round(fig.bbox.height))
        b = ax.get_window_extent()
        ax.spines[:].set_visible(False)           # the regions fill the axes, edge to edge
        self.left, self.right = int(round(b.x0)), int(round(b.x1))
        self.top, self.bottom = H - int(round(b.y1)), H - int(round(b.y0))
        cols = (np.arange(self.left, self.right) + 0.5 - b.x0) / b.width      # 0..1
        rows = (H - (np.arange(self.top, self.bottom) + 0.5) - b.y0) / b.height  # 0..1, up
        self.ix, fx = _bilinear(cols, g)
        self.iy, fy = _bilinear(rows, g)
        self.fx, self.fy = fx[:, None], fy[:, None, None]
        # The points, once, on a transparent copy of the axes.
        over = Figure(figsize=fig.get_size_inches(), dpi=fig.dpi, facecolor="none")
        canvas = FigureCanvasAgg(over)
        oax = over.add_axes(ax.get_position().bounds, facecolor="none")
        oax.set_axis_off()
        oax.set_xlim(x0, x1)
        oax.set_ylim(y0, y1)
        oax.scatter(*points_xy, **scatter_kw)
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())[self.top:self.bottom, self.left:self.right]
        alpha = rgba[..., 3:].astype(np.float32) / 255
        self.keep = 1 - alpha                                   # what shows of the regions
        self.points = rgba[..., :3].astype(np.float32) * alpha  # the points' share, 0..255

    def draw(self, buffer, rgb):
        """Write the regions ``rgb`` ((g, g, 3) floats in [0, 1], rows from the
        bottom) and the points into ``buffer`` (the canvas, H x W x 4)."""
        a = rgb[self.iy] * (1 - self.fy) + rgb[self.iy + 1] * self.fy      # (h, g, 3)
        a = a[:, self.ix] * (1 - self.fx) + a[:, self.ix + 1] * self.fx    # (h, w, 3)
        a *= 255 * self.keep
        a += self.points + 0.5
        buffer[self.top:self.bottom, self.left:self.right, :3] = a.astype(np.uint8)


def _bilinear(t, g):
    """Lower grid index and weight of the upper one, for positions ``t`` in
    [0, 1] on a grid of g samples spanning it."""
    u = np.clip(t, 0, 1) * (g - 1)
    i = np.minimum(u.astype(np.intp), g - 2)
    return i, (u - i).astype(np.float32)
