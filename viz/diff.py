"""The weight difference of two runs (``compare A B --diff``): B - A of one
architecture, after matching B's hidden units to A's with ``align``. Every
unit and edge is drawn (a difference has no film to fix a selection)."""
from __future__ import annotations

import textwrap

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colorbar import ColorbarBase
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from weightlapse.core.align import align_hidden
from weightlapse.core.errors import ConfigError, switch

from .colors import CMAP
from .outputs import check_output, write
from .graph import MAX_DRAWN_NODES, edge_mask, layout, parse_edges


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



def diff_figure(run_a, run_b, path, align=False, dpi=200, edges="all"):
    """The final weights of B minus A (same architecture). With ``align``,
    B's hidden units are first matched to A's. Returns (path, report)."""
    path = check_output(path, "figure")
    if run_a.sizes != run_b.sizes:
        raise ConfigError(f"{switch('diff')} needs runs of the same architecture: "
                          f"{'-'.join(map(str, run_a.sizes))} vs "
                          f"{'-'.join(map(str, run_b.sizes))}")
    a, b = run_a.snapshots[-1], run_b.snapshots[-1]
    Wb, bb = [np.asarray(w, float) for w in b.weights], [np.asarray(x, float) for x in b.biases]
    report = []
    if align:
        Wb, bb, _, report = align_hidden(a.weights, a.biases, Wb, bb)
    dW = [w2 - w1 for w1, w2 in zip(a.weights, Wb)]
    db = [x2 - x1 for x1, x2 in zip(a.biases, bb)]
    flat = np.abs(np.concatenate([w.ravel() for w in dW]))
    s = float(np.percentile(flat, 99)) or 1.0
    fig = Figure(figsize=(6.5, 4.2))
    FigureCanvasAgg(fig)
    ax = fig.add_axes([0.01, 0.22, 0.98, 0.66])
    draw_network(dW, db, s, ax=ax, edges=edges, fontsize=8,
                 labels=[str(v) for v in run_a.sizes])
    cax = fig.add_axes([0.15, 0.1, 0.7, 0.03])
    cb = ColorbarBase(cax, cmap=colormaps[CMAP], norm=Normalize(-s, s), orientation="horizontal")
    cb.set_label(f"weight difference {run_b.name} − {run_a.name}", fontsize=8)
    cb.ax.tick_params(labelsize=7)
    rel = np.sqrt(sum((d ** 2).sum() for d in dW) / sum((np.asarray(w) ** 2).sum()
                                                           for w in a.weights))
    head = textwrap.fill(f"{run_b.name} − {run_a.name}", 70)
    fig.suptitle(f"{head}\n{'hidden units aligned; ' if align else ''}relative difference "
                 f"||B − A|| / ||A|| = {rel:.2f}", fontsize=9)
    write("figure", path, fig, dpi=dpi)
    report.append({"relative_difference": float(rel)})
    return path, report
