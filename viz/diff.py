"""The weight difference of two runs (``compare A B --diff``): B - A of one
architecture, after matching B's hidden units to A's with ``align``, drawn
from the drawn graph like every other picture: receptive-field tiles for
image inputs, class and feature labels, one colour scale per gap and
"+N more" for the units not shown. Units and edges are chosen by the size
of their difference (a difference has no film to fix a selection)."""
from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from weightlapse.core.align import align_hidden
from weightlapse.core.errors import ConfigError, switch

from .draw_options import DrawOptions
from .drawn_conv import same_architecture
from .drawn import build_drawn_graph, set_scales
from .outputs import check_output, write
from .frame import caption
from .painter import DrawnPanel
from .values import ShownCut

FIG_IN = (7.4, 5.6)          # inches: the network panel is 6.8 x 3.7


def weight_difference(run_a, run_b, align=False):
    """(dW, db, report): the final weights and biases of B minus A, B's
    hidden units first matched to A's with ``align`` (report: what moved)."""
    if not same_architecture(run_a, run_b):
        raise ConfigError(f"{switch('diff')} needs runs of the same architecture: "
                          f"{'-'.join(map(str, run_a.sizes))} vs "
                          f"{'-'.join(map(str, run_b.sizes))}")
    a, b = run_a.snapshots[-1], run_b.snapshots[-1]
    Wb = [np.asarray(w, np.float64) for w in b.weights]
    bb = [np.asarray(x, np.float64) for x in b.biases]
    report = []
    if align:
        Wb, bb, _, report = align_hidden(a.weights, a.biases, Wb, bb)
    dW = [w2 - np.asarray(w1, np.float64) for w1, w2 in zip(a.weights, Wb)]
    db = [x2 - np.asarray(x1, np.float64) for x1, x2 in zip(a.biases, bb)]
    return dW, db, report


def diff_graph(run_a, dW, db, options=None, panel_px=None):
    """The drawn graph of B - A (A's layout and labels, units chosen by
    |difference|, per-gap scales of the difference) and its DrawnValues."""
    opts = options or DrawOptions()
    G = build_drawn_graph(run_a, opts.with_(color="weight"), panel_px, quantity="difference",
                          basis=dW, sample_scales=False)
    values = ShownCut(G)(dW, db, run_a.snapshots.epochs[-1], int(run_a.snapshots.steps[-1]))
    masks = G.graph["masks"]
    set_scales(G, [[M if m is None else M[m]] for M, m in zip(values.gaps, masks)])
    return G, values


def diff_figure(run_a, run_b, path, align=False, dpi=200, options=None):
    """The final weights of B minus A (same architecture). With ``align``,
    B's hidden units are first matched to A's. Returns (path, report)."""
    path = check_output(path, "figure")
    dW, db, report = weight_difference(run_a, run_b, align)
    fw, fh = FIG_IN
    rect = [0.04, 0.16, 6.8 / fw, 0.62]
    G, values = diff_graph(run_a, dW, db, options, (rect[2] * fw * 100, rect[3] * fh * 100))
    fig = Figure(figsize=(fw, fh))
    FigureCanvasAgg(fig)
    fs = 8.0
    DrawnPanel(fig.add_axes(rect), G, fs, fast=False).update(values)
    rel = np.sqrt(sum((d ** 2).sum() for d in dW) / max(sum(
        (np.asarray(w, np.float64) ** 2).sum() for w in run_a.snapshots[-1].weights), 1e-300))
    head = textwrap.shorten(f"{run_b.name} \u2212 {run_a.name}", int(fw * 11), placeholder=" …")
    fig.suptitle(f"{head}: final weights\n{'hidden units aligned; ' if align else ''}"
                 f"relative difference ||B \u2212 A|| / ||A|| = {rel:.2f}", fontsize=10,
                 y=0.985)
    fig.text(0.5, 0.012, "\n".join(textwrap.fill(line, int(fw * 15))
                                   for line in caption(G, "of the final weights").split("\n")),
             ha="center", va="bottom", fontsize=fs * 0.8, color="0.25")
    write("figure", path, fig, dpi=dpi)
    report.append({"relative_difference": float(rel)})
    return path, report
