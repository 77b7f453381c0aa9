"""The still parts of a drawn network: layer, class and feature labels, the
"+N more" marks, the input grid, tile frames, and one compact colour legend
per gap. Drawn once (into the film's saved background)."""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.colorbar import ColorbarBase
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle

from . import quantities
from .colors import CMAP
from .labels import short

GRID_FACE, GRID_LINE, FAN = "0.94", "0.82", "0.78"


def fmt_scale(s: float) -> str:
    """A compact number for a legend: 0.34, 0.0052, 4.3e-05."""
    return f"{s:.2g}" if s >= 1e-3 else f"{s:.1e}".replace("e-0", "e-")


def draw_labels(ax, G, fontsize, radius_px):
    """Layer labels under the columns, class names right of the outputs,
    feature names left of the inputs, "+N more" under cut columns."""
    fig = ax.get_figure(root=True)
    bbox = ax.get_window_extent()
    dx = 1 / bbox.width
    texts = []
    for l, (x, name) in enumerate(zip(G.graph["x"], G.graph["layer_labels"])):
        texts.append(ax.text(x, -0.015, name, ha="center", va="top", fontsize=fontsize,
                             clip_on=False))
    for n, d in G.nodes(data=True):
        r = radius_px.get(d["layer"], 4) + 4
        if d["kind"] == "output" and G.graph["class_names"]:
            texts.append(ax.text(d["x"] + r * dx, d["y"], short(d["label"]), ha="left",
                                 va="center", fontsize=fontsize * 0.9, clip_on=False))
        elif d["kind"] == "input" and G.graph["feature_names"]:
            texts.append(ax.text(d["x"] - r * dx, d["y"], short(d["label"]), ha="right",
                                 va="center", fontsize=fontsize * 0.85, clip_on=False))
        elif d["kind"] == "more":
            texts.append(ax.text(d["x"], d["y"], d["label"], ha="center", va="center",
                                 fontsize=fontsize * 0.85, color="0.3", style="italic",
                                 clip_on=False, bbox=dict(boxstyle="round,pad=0.2",
                                                          fc="white", ec="0.75", lw=0.6)))
    del fig
    return texts


def draw_grid(ax, G, fontsize):
    """The image input as its pixel grid, and a faint fan from it to each tile."""
    if "0:grid" not in G:
        return []
    x0, y0, x1, y1 = G.nodes["0:grid"]["box"]
    h, w = G.graph["image_shape"]
    arts = [ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fc=GRID_FACE, ec="0.45",
                                   lw=0.8, zorder=1))]
    xs, ys = np.linspace(x0, x1, w + 1)[1:-1], np.linspace(y0, y1, h + 1)[1:-1]
    from matplotlib.collections import LineCollection
    segs = [((x, y0), (x, y1)) for x in xs] + [((x0, y), (x1, y)) for y in ys]
    arts.append(ax.add_collection(LineCollection(segs, colors=GRID_LINE, linewidths=0.3,
                                                 zorder=1)))
    fan = []
    for n in G.successors("0:grid"):
        t = G.nodes[n]["tile"]
        fan.append(((x1, 0.5 * (y0 + y1)), (t[0], 0.5 * (t[1] + t[3]))))
        fan.append(((t[2], 0.5 * (t[1] + t[3])), (G.nodes[n]["x"], G.nodes[n]["y"])))
    arts.append(ax.add_collection(LineCollection(fan, colors=FAN, linewidths=0.6, zorder=0)))
    for n in G.successors("0:grid"):
        t = G.nodes[n]["tile"]
        arts.append(ax.add_patch(Rectangle((t[0], t[1]), t[2] - t[0], t[3] - t[1], fc="none",
                                           ec="0.55", lw=0.6, zorder=2)))
    arts.append(ax.text(0.5 * (x0 + x1), y1 + 0.015, "tiles: each unit's\nweights from\n"
                        "these pixels", ha="center", va="bottom", fontsize=fontsize * 0.85,
                        color="0.3"))
    return arts


def draw_gap_legends(ax, G, fontsize):
    """A small colour bar over each gap (one over the panel with a global
    scale), ticks at -scale, 0, +scale; ends extended where values clip."""
    fig = ax.get_figure(root=True)
    pos = ax.get_position()
    xs, scales, clipped = G.graph["x"], G.graph["scales"], G.graph["clipped"]
    spans = [(xs[l], xs[l + 1]) for l in range(len(xs) - 1)]
    if "0:grid" in G:
        spans[0] = (G.nodes["0:grid"]["box"][2], xs[1])
    if G.graph["scale"] == "global":
        spans, scales = [(xs[0], xs[-1])], scales[:1]
        clipped = [(any(c[0] for c in clipped), any(c[1] for c in clipped))]
    h = 7 / fig.bbox.height
    bars = []
    for (a, b), s, (lo, hi) in zip(spans, scales, clipped):
        width = min(0.55 * (b - a) * pos.width, 150 / fig.bbox.width)
        cx = pos.x0 + 0.5 * (a + b) * pos.width
        cax = fig.add_axes([cx - width / 2, pos.y1 + 4 / fig.bbox.height + h, width, h])
        extend = {(True, True): "both", (True, False): "min", (False, True): "max"}.get(
            (lo, hi), "neither")
        cb = ColorbarBase(cax, cmap=colormaps[CMAP], norm=Normalize(-s, s),
                          orientation="horizontal", extend=extend, extendfrac=0.12,
                          ticks=[-s, 0, s])
        cb.ax.xaxis.set_ticks_position("top")
        cb.ax.set_xticklabels([f"\u2212{fmt_scale(s)}", "0", f"+{fmt_scale(s)}"])
        cb.ax.tick_params(labelsize=fontsize * 0.75, length=2, pad=1)
        cb.outline.set_linewidth(0.5)
        if not bars:   # name the quantity once, left of the first bar
            cax.text(-0.16, 0.5, quantities.get(G.graph["color"]).short, transform=cax.transAxes, ha="right",
                     va="center", fontsize=fontsize * 0.8, color="0.2")
        bars.append(cb)
    return bars
