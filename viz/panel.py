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
