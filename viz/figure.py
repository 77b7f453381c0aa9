"""Static figures for reports: the drawn network at one snapshot, drawn the
same way as the film (same units, tiles, per-gap scales and legends) but
with ordinary vector artists (PNG, SVG and PDF; vector formats stay vector)."""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .labels import epoch_text, short, steps_per_epoch
from .draw_options import DrawOptions
from .outputs import check_output, check_size, formats, write

FORMATS = formats("figure")
FIG_SIZE = (10.0, 6.4)       # inches; the network panel is 6.8 x 4.2


def render_figure(run, path, snapshot=-1, options=None, dpi=200, size=None):
    """Write the drawn network of ``run`` at ``snapshot`` (default: final)
    to ``path``; decision regions with a class legend beside it for 2-D data.
    ``size``: (width, height) in pixels at ``dpi`` (default 10 x 6.4 inches;
    7.4 x 6.4 without decision regions), e.g. 1920x1080 for a 16:9 slide."""
    from .drawn import ValueSource, build_drawn_graph
    from .frame import caption
    from . import health_marks
    from .painter import DrawnPanel
    from .unit_health import unit_health
    from .unit_maps import draw_legend as draw_map_legend
    from .sample import answer_text
    path = check_output(path, "figure")
    if size is not None:
        size = check_size(size)
    opts = options or DrawOptions()
    n = len(run.snapshots)
    snap = run.snapshot(snapshot)
    i = snap.index
    data = run.config["data"]
    samples = run.samples() if data["task"] == "classification" else None
    fw, fh = FIG_SIZE if samples is not None else (FIG_SIZE[0] - 2.6, FIG_SIZE[1])
    if size is not None:
        fw, fh = size[0] / dpi, size[1] / dpi
    # The layout of the default size, in inches, scaled to fit the figure.
    zoom = min(fw / (FIG_SIZE[0] if samples is not None else FIG_SIZE[0] - 2.6),
               fh / FIG_SIZE[1])
    # The network panel keeps the default's 6.8:4.2 shape (the drawing is laid
    # out for it: tiles stay square), centred in the room left of the regions.
    room = fw - (3.2 if samples is not None else 0.6) * zoom         # 6.8 at the default
    width = min(room, 0.66 * fh * 6.8 / 4.2)
    rect = [(0.015 * fw + (room - width) / 2) / fw, 0.17, width / fw, 0.66]
    G = build_drawn_graph(run, opts)     # the units the film at this size shows
    fig = Figure(figsize=(fw, fh))
    FigureCanvasAgg(fig)
    fs = 8.0 * max(zoom, 0.6)
    ax = fig.add_axes(rect)
    health = unit_health(run)
    panel = DrawnPanel(ax, G, fs, fast=False, health=health)
    values = ValueSource(G, run).at(i)
    panel.update(values, i)
    text = caption(G, "taken over the whole run", joined=True)
    cap = fig.text(rect[0] + rect[2] / 2, 0.012, text,
                   ha="center", va="bottom", fontsize=fs * 0.8, color="0.25")
    lines = text.count("\n") + 1                  # a sample adds a line
    over = draw_map_legend(fig, G, fs * 0.8, rect[0] + rect[2] / 2,
                           0.012 + (0.26 + 0.16 * (lines - 1)) * zoom / fh)
    items = health_marks.legend_items(health.marks, False, fs * 0.8)
    if items:      # what a hollow or a ringed unit means, over the caption (and maps' legend)
        cb = (over or cap).get_window_extent(fig.canvas.get_renderer())
        health_marks.draw_legend(fig, items, rect[0] + rect[2] / 2,
                                 (cb.y1 + 3) / fig.bbox.height, fs * 0.8, len(items))
    m = run.metrics
    row = m.iloc[max(int(np.searchsorted(m["step"].to_numpy(), snap.step, "right")) - 1, 0)]
    what = "final" if i == n - 1 else f"snapshot {i}"
    title = f"{run.name}: {what} {G.graph['color']}s, {epoch_text(snap.step, steps_per_epoch(run))}"
    acc = row.get("val_acc", np.nan)
    if np.isfinite(acc):
        title += f", val acc {acc:.1%}"
    answer = answer_text(G, values.acts)     # --sample: what the network says of it
    if answer:
        title += f"; held-out {G.graph['sample']} {answer}"
    fig.suptitle(title, fontsize=10 * max(zoom, 0.6), y=0.985)
    if samples is not None:
        _regions(fig, run, samples, i, G, fs, fw, fh, zoom)
    return write("figure", path, fig, dpi=dpi)


def _regions(fig, run, samples, i, G, fs, fw, fh, zoom=1.0):
    from .sprites import class_colours, region_grid, region_rgb
    X, y = samples
    side = 2.5 * zoom                          # inches, at the right edge
    axr = fig.add_axes([(fw - 2.8 * zoom) / fw, 0.3, side / fw, side / fh])
    grid, extent = region_grid(X, 200)
    k = run.sizes[-1]
    palette, light = class_colours(k)
    axr.imshow(region_rgb(run.network(i), grid, light), origin="lower", extent=extent,
               aspect="auto", interpolation="bilinear")
    axr.scatter(X[:, 0], X[:, 1], c=palette[y % 10], s=3, edgecolors="none")
    axr.set_title("decision regions", fontsize=fs)
    axr.set_xticks([])
    axr.set_yticks([])
    axr.legend([Patch(fc=palette[c % 10]) for c in range(k)],
               [short(n, 12) for n in G.graph["class_names"]], title="class",
               fontsize=fs * 0.85, title_fontsize=fs * 0.85, loc="upper center",
               bbox_to_anchor=(0.5, -0.02), ncol=min(k, 5), frameon=False, handlelength=1.0)
