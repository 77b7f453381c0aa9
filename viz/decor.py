"""The still parts of a drawn network: layer, class and feature labels, the
"+N more" marks, the input grid, tile frames, and one compact colour legend
per gap. Drawn once (into the film's saved background)."""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.colorbar import ColorbarBase
from matplotlib.colors import Normalize
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle

from . import quantities
from .colors import CMAP
from .labels import short

GRID_FACE, GRID_LINE, FAN = "0.94", "0.82", "0.78"
MIN_PT = 6.0          # no text of a picture is smaller (8 px at 100 dpi)
BAR_GAP, BAR_PX = 11, 7   # px from the panel's top to a colour bar, and its height


def unit_radius(pitch) -> float:
    """A unit's radius in px for units ``pitch`` px apart: 0.31 x the
    spacing, 3..9 px (6..18 px across); columns denser than 6 px per unit
    get small dots."""
    return float(np.clip(0.31 * pitch, 3.0, 9.0)) if pitch >= 9.7 else max(0.45 * pitch, 0.6)


def pt(size):
    """A font size, never below MIN_PT."""
    return max(size, MIN_PT)


def tick_pt(fontsize):
    """Font size of the colour bars' tick labels."""
    return pt(fontsize * 0.75)


def legend_height_px(fontsize, dpi):
    """Pixels the colour bars take above a panel (bars, ticks and their labels):
    what a layout must leave free between a panel and the text above it."""
    return BAR_GAP + BAR_PX + 3 + 1.3 * tick_pt(fontsize) * dpi / 72 + 2


def fmt_scale(s: float) -> str:
    """A compact number for a legend: 0.34, 0.0052, 4.3e-05."""
    return f"{s:.2g}" if s >= 1e-3 else f"{s:.1e}".replace("e-0", "e-")


def draw_labels(ax, G, fontsize, radius_px):
    """Layer labels under the columns, class names right of the outputs,
    feature names left of the inputs, "+N more" under cut columns."""
    bbox = ax.get_window_extent()
    dx = 1 / bbox.width
    texts = []
    for l, (x, name) in enumerate(zip(G.graph["x"], G.graph["layer_labels"])):
        texts.append(ax.text(x, -0.015, name, ha="center", va="top", fontsize=pt(fontsize),
                             clip_on=False))
    for n, d in G.nodes(data=True):
        r = radius_px.get(d["layer"], 4) + 4
        if d["kind"] == "output" and G.graph["class_names"]:
            texts.append(ax.text(d["x"] + r * dx, d["y"], short(d["label"]), ha="left",
                                 va="center", fontsize=pt(fontsize * 0.9), clip_on=False))
        elif d["kind"] == "input" and G.graph["feature_names"]:
            texts.append(ax.text(d["x"] - r * dx, d["y"], short(d["label"]), ha="right",
                                 va="center", fontsize=pt(fontsize * 0.85), clip_on=False))
        elif d["kind"] == "more":     # hung under its tiles where they set a "top"
            hang = "top" in d
            y = min(d["top"], d["y"] + 7 / G.graph["panel_px"][1]) if hang else d["y"]
            texts.append(ax.text(d["x"], y, d["label"], ha="center",
                                 va="top" if hang else "center",
                                 fontsize=pt(fontsize * 0.85), color="0.3", style="italic",
                                 clip_on=False, bbox=dict(boxstyle="round,pad=0.2",
                                                          fc="white", ec="0.75", lw=0.6)))
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
    tiled = [f"{l + 1}:{j}" for l, M in enumerate(G.graph.get("tile_maps") or [])
             if M is not None for j in G.graph["shown"][l + 1]]
    for n in tiled:
        t = G.nodes[n]["tile"]
        fan.append(((t[2], 0.5 * (t[1] + t[3])), (G.nodes[n]["x"], G.nodes[n]["y"])))
    arts.append(ax.add_collection(LineCollection(fan, colors=FAN, linewidths=0.6, zorder=0)))
    for n in tiled:
        t = G.nodes[n]["tile"]
        arts.append(ax.add_patch(Rectangle((t[0], t[1]), t[2] - t[0], t[3] - t[1], fc="none",
                                           ec="0.55", lw=0.6, zorder=2)))
    conv = G.graph.get("conv")
    note = ("tiles: kernels\nslid over\nthese pixels" if conv else
            "tiles: each unit's\nweights from\nthese pixels")
    arts.append(ax.text(0.5 * (x0 + x1), y1 + 0.015, note, ha="center", va="bottom",
                        fontsize=pt(fontsize * 0.85), color="0.3"))
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
    h = BAR_PX / fig.bbox.height
    tick = tick_pt(fontsize)
    FW = fig.bbox.width
    renderer = fig.canvas.get_renderer()

    def text_px(text):
        return renderer.get_text_width_height_descent(text, FontProperties(size=tick),
                                                      ismath=False)[0]
    bars = []
    for (a, b), s, (lo, hi) in zip(spans, scales, clipped):
        low, high, both = (f"\u2212{fmt_scale(s)}", f"+{fmt_scale(s)}",
                           f"\u00b1{fmt_scale(s)}")
        span = (b - a) * pos.width * FW                    # px
        end = max(text_px(low), text_px(high))
        need = end + text_px("0") + 8                      # three labels, 4 px apart
        room = span - end - 6                              # end labels hang out by half
        width = min(max(0.55 * span, need), max(150.0, need), room)
        if width >= need:
            ticks, names, hang = [-s, 0, s], [low, "0", high], text_px(low) / 2
        else:       # too narrow for three labels: one, "±scale", in the middle
            width = max(min(max(0.55 * span, text_px(both) + 8), 150.0, span - 6), 2.0)
            ticks, names, hang = [0], [both], 0.0
        cx = pos.x0 + 0.5 * (a + b) * pos.width
        cax = fig.add_axes([cx - width / FW / 2, pos.y1 + BAR_GAP / fig.bbox.height,
                            width / FW, h])
        extend = {(True, True): "both", (True, False): "min", (False, True): "max"}.get(
            (lo, hi), "neither")
        cb = ColorbarBase(cax, cmap=colormaps[CMAP], norm=Normalize(-s, s),
                          orientation="horizontal", extend=extend, extendfrac=0.12,
                          ticks=ticks)
        cb.ax.xaxis.set_ticks_position("top")
        cb.ax.set_xticklabels(names)
        cb.ax.tick_params(labelsize=tick, length=2, pad=1)
        cb.outline.set_linewidth(0.5)
        if not bars:   # name the quantity once, left of the first bar and its first label
            first = cax.xaxis.get_majorticklabels()[0]
            cax.annotate(quantities.get(G.graph["color"]).short, xy=(0, 0.5),
                         xycoords=(first if hang else cax.transAxes, cax.transAxes),
                         xytext=(-4 if hang else -0.12 * width * 72 / fig.dpi - 4, 0),
                         textcoords="offset points", ha="right", va="center",
                         fontsize=pt(fontsize * 0.8), color="0.2")
        bars.append(cb)
    return bars
