"""The health figure of ``weightlapse diagnose -o``: one row per weight matrix,
five panels: the weight distribution over time (percentile bands, as
TensorBoard draws histograms), log10 update ratio with the healthy band
shaded, gradient RMS, dead and saturated fractions of the units it feeds,
and their activation distribution. Several runs overlay, a colour per run."""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .outputs import check_output, write

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
          "#17becf"]
PERCENTILES = (2, 16, 50, 84, 98)
PANELS = ("weights (percentiles 2-16-50-84-98)", "log10 update ratio",
          "gradient RMS", "dead / saturated units", "activations (percentiles)")


def hist_percentiles(counts, bins, q=PERCENTILES) -> np.ndarray:
    """The percentiles ``q`` of values binned as ``counts`` on equal bins over
    ``bins`` = [lo, hi] (linear within a bin); NaN for an empty histogram."""
    counts = np.asarray(counts, float)
    total = counts.sum()
    if total <= 0:
        return np.full(len(q), np.nan)
    edges = np.linspace(bins[0], bins[1], len(counts) + 1)
    cum = np.concatenate([[0], np.cumsum(counts)]) / total
    return np.interp(np.asarray(q) / 100, cum, edges)


def _bands(ax, x, P, color, label=None):
    if not len(x):
        return
    ax.fill_between(x, P[:, 0], P[:, 4], color=color, alpha=0.12, lw=0)
    ax.fill_between(x, P[:, 1], P[:, 3], color=color, alpha=0.28, lw=0)
    ax.plot(x, P[:, 2], color=color, lw=1.3, label=label)


def _drawn(ax) -> bool:
    return any(len(line.get_xdata()) for line in ax.lines)


def health_figure(healths, path, dpi=120):
    """Draw the runs' :class:`~weightlapse.core.health_read.Health` into ``path``."""
    path = check_output(path, "figure")
    n_layers = max(h.n_layers for h in healths)
    fig = Figure(figsize=(16, 2.5 * n_layers + 0.9))
    FigureCanvasAgg(fig)
    axes = fig.subplots(n_layers, len(PANELS), squeeze=False)
    for ci, h in enumerate(healths):
        color = COLORS[ci % len(COLORS)]
        df = h.table
        ep = np.array([p["epoch"] for p in h.probes])
        for i in range(h.n_layers):
            row = axes[i]
            d = df[df.layer == i]
            if h.probes:
                P = np.array([hist_percentiles(p["hist"][f"W{i}"], h.bins[f"W{i}"])
                              for p in h.probes])
                _bands(row[0], ep, P, color)
            r = d.dropna(subset=["update_ratio"])
            r = r[r.update_ratio > 0]
            row[1].plot(r.epoch, np.log10(r.update_ratio), color=color, lw=1.3)
            g = d.dropna(subset=["grad_rms"])
            g = g[g.grad_rms > 0]
            row[2].plot(g.epoch, g.grad_rms, color=color, lw=1.3)
            if i < h.n_layers - 1:
                p = d.dropna(subset=["act_mean"])
                row[3].plot(p.epoch, 100 * p.dead_fraction, color=color, lw=1.5)
                row[3].plot(p.epoch, 100 * p.saturated_fraction, color=color, lw=1.3, ls="--")
                acts = [(pr["epoch"], pr["layers"][i]) for pr in h.probes
                        if pr["layers"][i].get("act_hist")]
                if acts:
                    A = np.array([hist_percentiles(s["act_hist"], h.bins[f"a{i}"])
                                  for _, s in acts])
                    _bands(row[4], np.array([e for e, _ in acts]), A, color)
    for i, row in enumerate(axes):
        # A run recorded without health.jsonl (or a probe set) has nothing to
        # draw in some panels: say so rather than leave an empty plot.
        blank = {1: "not recorded", 2: "not recorded"}
        if i < n_layers - 1:
            blank[3] = "no probe set"
        for j, why in blank.items():
            if not _drawn(row[j]):
                row[j].text(0.5, 0.5, why, ha="center", va="center",
                            transform=row[j].transAxes, fontsize=9, color="0.45")
                row[j].set_xlim(row[0].get_xlim())
                row[j].set_yticks([])
        for j, ax in enumerate(row):
            ax.tick_params(labelsize=8)
            ax.grid(alpha=0.25, lw=0.5)
            if i == 0:
                ax.set_title(PANELS[j], fontsize=10)
            if i == n_layers - 1:
                ax.set_xlabel("epoch", fontsize=9)
        name = f"W[{i}]"
        if any(getattr(h.run, "is_conv", False) for h in healths) and i < n_layers - 1:
            from weightlapse.diagnosis import feeds      # into a conv layer: say which
            name += "\n" + feeds(healths[0].run.layers, i)[0]
        row[0].set_ylabel(name, fontsize=11, rotation=0, ha="right", va="center",
                          labelpad=10)
        if _drawn(row[1]):
            row[1].axhspan(-4, -2, color="#2ca02c", alpha=0.08, lw=0)
            row[1].axhline(-3, color="#2ca02c", lw=0.8, ls=":")
        if _drawn(row[2]):
            row[2].set_yscale("log")
        row[3].set_ylim(-3, 103)
        row[3].set_ylabel("%", fontsize=8)
        if i == n_layers - 1:
            for ax in row[3:]:
                ax.text(0.5, 0.5, "output layer:\nno hidden units", ha="center",
                        va="center", transform=ax.transAxes, fontsize=9, color="0.45")
                ax.set_yticks([])
                ax.set_xticks([])
                ax.set_ylabel("")
                ax.grid(False)
    handles = [Line2D([], [], color=COLORS[c % len(COLORS)], lw=2) for c in
               range(len(healths))]
    labels = [h.run.name for h in healths]
    handles += [Line2D([], [], color="0.3", lw=1.5), Line2D([], [], color="0.3", ls="--")]
    labels += ["dead (ReLU units zero on every probe row)", "saturated (tanh/sigmoid)"]
    fig.legend(handles, labels, loc="upper center", ncol=min(len(labels), 6), fontsize=9,
               frameon=False, bbox_to_anchor=(0.5, 1.0))
    fig.text(0.5, 0.005, "green band: update ratio 10^-4 to 10^-2 (10^-3 dotted) is the "
             "usual healthy range", ha="center", fontsize=8, color="0.35")
    fig.tight_layout(rect=(0, 0.02, 1, 1 - 0.5 / fig.get_figheight()))
    return write("figure", path, fig, dpi=dpi)

