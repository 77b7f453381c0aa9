"""Static figures for reports: the network at one snapshot, drawn with real
vector artists (PNG, SVG and PDF; vector formats stay vector)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from weightlapse.core.errors import ConfigError
from weightlapse.core.io import atomic_path, check_output_path

from .colors import CMAP, weight_scale
from .frame import class_colours, region_grid, region_rgb, tile_mosaic
from .graph import MAX_DRAWN_NODES, edge_mask, layer_names, layout, parse_edges

FORMATS = (".png", ".svg", ".pdf")


def draw_network(weights, biases, scale, ax=None, edges="all", labels=None, fontsize=9):
    """Draw a layered network on ``ax`` (a new figure's axes if None).

    weights[l]: (n_l, n_{l+1}); biases[l]: (n_{l+1},). Edges are coloured by
    signed weight on a symmetric scale ``scale``, wider and more opaque as
    |w| grows, strongest drawn last; nodes are coloured by bias. Returns a dict
    of the artists made: ``edges`` (LineCollection), ``nodes`` (list), ``labels``.
    """
    if ax is None:
        fig = Figure(figsize=(6, 4))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
    parse_edges(edges)
    sizes = [weights[0].shape[0]] + [w.shape[1] for w in weights]
    pos = layout(sizes)
    cmap, norm = colormaps[CMAP], Normalize(-scale, scale)
    segs, vals = [], []
    for l, Wl in enumerate(weights):
        (xa, ya), (xb, yb) = pos[l], pos[l + 1]
        i, j = np.nonzero(edge_mask(Wl, edges))
        segs.append(np.stack([np.c_[np.full(len(i), xa), ya[i]],
                              np.c_[np.full(len(j), xb), yb[j]]], axis=1))
        vals.append(np.asarray(Wl)[i, j])
    segs, vals = np.concatenate(segs), np.concatenate(vals)
    order = np.argsort(np.abs(vals))            # strongest on top
    segs, vals = segs[order], vals[order]
    a = np.clip(np.abs(vals) / scale, 0, 1)
    rgba = cmap(norm(vals))
    dense = len(vals) > 3000
    rgba[:, 3] = (0.03 + 0.5 * a) if dense else (0.15 + 0.85 * a)
    widths = (0.15 + 0.6 * a) if dense else (0.3 + 2.2 * a)
    lc = LineCollection(segs, colors=rgba, linewidths=widths, capstyle="round", zorder=1)
    ax.add_collection(lc)
    nodes = []
    for l, ((x, ys), n) in enumerate(zip(pos, sizes)):
        if n > MAX_DRAWN_NODES:
            nodes.append(ax.plot([x, x], [ys.min(), ys.max()], color="0.55", lw=3,
                                 solid_capstyle="butt", zorder=2)[0])
            continue
        face = ["0.55"] * n if l == 0 else cmap(norm(np.asarray(biases[l - 1])))
        size = float(np.clip(180 / max(n, 1) * 4, 12, 140))
        nodes.append(ax.scatter(np.full(n, x), ys, s=size, c=face, edgecolors="0.2",
                                linewidths=0.5, zorder=3))
    texts = []
    for l, (x, _) in enumerate(pos):
        name = labels[l] if labels else str(sizes[l])
        texts.append(ax.text(x, -0.02, name, ha="center", va="top", fontsize=fontsize))
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.12, 1.0)
    ax.set_axis_off()
    return {"edges": lc, "nodes": nodes, "labels": texts}


def check_output(path, formats, kind) -> Path:
    """An output path with a known extension, in a folder that exists."""
    path = check_output_path(path)     # a folder, or a missing one: say so first
    if path.suffix.lower() not in formats:
        choices = ", ".join(formats[:-1]) + " or " + formats[-1]
        raise ConfigError(f"unknown {kind} format {path.suffix or '(none)'!r} for {path}; "
                          f"use {choices}")
    return path


def render_figure(run, path, snapshot=-1, edges="all", dpi=200):
    """Write the weight diagram of ``run`` at ``snapshot`` (default: final)."""
    path = check_output(path, FORMATS, "figure")
    n = len(run.snapshots)
    snap = run.snapshot(snapshot)
    scale = weight_scale(run.snapshots)
    data = run.config["data"]
    samples = run.samples() if data["task"] == "classification" else None
    tiles = data.get("input_shape") and len(run.sizes) > 2
    side = samples is not None or tiles
    fig = Figure(figsize=(7.2 if side else 6.0, 3.8), constrained_layout=False)
    FigureCanvasAgg(fig)
    ax = fig.add_axes([0.01, 0.25, 0.62 if side else 0.98, 0.63])
    labels = layer_names(run.sizes, run.settings["activation"])
    draw_network(snap.weights, snap.biases, scale, ax=ax, edges=edges, labels=labels, fontsize=8)
    cax = fig.add_axes([0.08, 0.15, 0.48 if side else 0.84, 0.03])
    from matplotlib.colorbar import ColorbarBase
    cb = ColorbarBase(cax, cmap=colormaps[CMAP], norm=Normalize(-scale, scale),
                      orientation="horizontal")
    cb.set_label("weight (edges) and bias (nodes)", fontsize=8)
    cb.ax.tick_params(labelsize=7)
    m = run.metrics
    row = m.iloc[max(int(np.searchsorted(m["step"].to_numpy(), snap.step, "right")) - 1, 0)]
    what = "final weights" if snapshot in (-1, n - 1) else f"snapshot {snapshot}"
    title = f"{run.name}: {what}, epoch {snap.epoch:g}"
    acc = row.get("val_acc", np.nan)
    if np.isfinite(acc):
        title += f", val acc {acc:.1%}"
    fig.suptitle(title, fontsize=10, y=0.97)
    if samples is not None:
        X, y = samples
        axr = fig.add_axes([0.68, 0.22, 0.29, 0.29 * 7.2 / 3.8])
        grid, extent = region_grid(X, 200)
        palette, light = class_colours(run.sizes[-1])
        model = run.network(snapshot)
        axr.imshow(region_rgb(model, grid, light), origin="lower", extent=extent,
                   aspect="auto", interpolation="bilinear")
        axr.scatter(X[:, 0], X[:, 1], c=palette[y % 10], s=3, edgecolors="none")
        axr.set_title("decision regions", fontsize=8)
        axr.set_xticks([])
        axr.set_yticks([])
    elif tiles:
        h, w = data["input_shape"]
        k = min(run.sizes[1], 32)
        cols = 8
        W0 = np.asarray(snap.weights[0])
        ts = float(np.percentile(np.abs(W0), 99.5)) or 1.0
        axt = fig.add_axes([0.67, 0.2, 0.31, 0.6])
        axt.imshow(tile_mosaic(W0, k, -(-k // cols), cols, h, w),
                   cmap=colormaps[CMAP].with_extremes(bad="white"), vmin=-ts, vmax=ts,
                   interpolation="nearest")
        axt.set_title(f"weights into hidden units 1-{k}\n(scale ±{ts:.2g})", fontsize=8)
        axt.set_axis_off()
    return save_atomic(fig, path, dpi)


def save_atomic(fig, path, dpi=200):
    """Save a figure via a uniquely named temporary file renamed into place."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=path.suffix[1:].lower())
    return path
