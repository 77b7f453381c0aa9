"""The effect of each swept setting: final validation accuracy and loss
against the setting's values, one line per value of the other swept
settings, error bars across seeds, a log axis for log-spaced settings.

Stages: ``effect_points`` reads each run's final metrics (one row per run),
``aggregate`` takes mean and standard deviation over seeds, ``draw_effects``
draws them on a grid of axes (rows: metrics; columns: settings), and
``effect_figure`` saves the figure.
"""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from .outputs import check_output, write

MAX_LINES = 10   # more groups than this (random search): points, no lines


def label(value) -> str:
    """A setting's value as text: layer lists as 32x32, floats short."""
    if isinstance(value, (list, tuple)):
        return "x".join(map(str, value)) or "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


def effect_points(runs, keys) -> pd.DataFrame:
    """One row per run: its value of each key in ``keys`` (as in its
    config), ``seed``, ``split`` ("val", or "train" where nothing was held
    out), and the final ``acc`` and ``loss`` (the last row of metrics.csv
    that has them; acc is NaN for regression)."""
    rows = []
    for run in runs:
        m, s = run.metrics, run.settings
        split = "val" if m["val_loss"].notna().any() else "train"
        acc, loss = m[f"{split}_acc"].dropna(), m[f"{split}_loss"].dropna()
        rows.append({"run": run.name, **{k: _scalar(s.get(k)) for k in keys},
                     "seed": s.get("seed"),
                     "split": split, "acc": float(acc.iloc[-1]) if len(acc) else np.nan,
                     "loss": float(loss.iloc[-1]) if len(loss) else np.nan})
    return pd.DataFrame(rows)


def _scalar(value):
    """One hidden layer's width as a number (an axis), deeper lists as they are."""
    return value[0] if isinstance(value, (list, tuple)) and len(value) == 1 else value


def aggregate(points: pd.DataFrame, keys, extra=()) -> pd.DataFrame:
    """Mean and standard deviation (ddof=1; NaN for one seed) of acc and loss
    (and of the columns ``extra``, as ``<column>_mean``/``_std``, over the
    runs that have them) over the runs that share every key's value; ``n``
    runs each."""
    frame = points.assign(**{f"_{k}": points[k].map(label) for k in keys})
    groups = frame.groupby([f"_{k}" for k in keys], sort=False, dropna=False)
    more = {f"{c}_{f}": (c, f) for c in extra for f in ("mean", "std")}
    out = groups.agg(n=("run", "size"), acc_mean=("acc", "mean"), acc_std=("acc", "std"),
                     loss_mean=("loss", "mean"), loss_std=("loss", "std"), **more)
    firsts = groups[list(keys)].first()
    return pd.concat([firsts, out], axis=1).reset_index(drop=True)


def is_numeric(values) -> bool:
    return all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
               for v in values)


def is_log_spaced(values) -> bool:
    """Positive numbers spanning at least a factor of 10."""
    v = [float(x) for x in values]
    return is_numeric(values) and min(v) > 0 and max(v) / min(v) >= 10


def error_bars(mean, std, metric):
    """(below, above) the mean: ± std, cut at what the metric can reach
    (an accuracy in [0, 1], a loss >= 0)."""
    mean, std = np.asarray(mean, float), np.asarray(std, float)
    below = np.minimum(std, np.maximum(mean, 0.0))
    above = np.minimum(std, np.maximum(1.0 - mean, 0.0)) if metric == "acc" else std
    return np.vstack([below, above])


def _log_axis(ax, values):
    """A log axis labelled at 1, 2, 5 x 10^k (every digit over less than a
    decade), so even a random search's span shows several numbers."""
    v = [float(x) for x in values]
    subs = (1.0, 2.0, 5.0) if max(v) / min(v) >= 10 else tuple(range(1, 10))
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=subs))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def draw_effects(points: pd.DataFrame, keys, fig=None, log_keys=(), sampled=()):
    """Draw each key's effect; returns {(metric, key): [ErrorbarContainer]},
    one container per line (its points are the means over seeds).
    ``sampled``: keys drawn from a distribution (random search): never a
    line per value, since no two settings share one."""
    metrics = [m for m in ("acc", "loss") if points[m].notna().any()]
    split = "validation" if (points["split"] == "val").any() else "training"
    if fig is None:
        fig = Figure(figsize=(4.0 * len(keys) + 0.6, 3.0 * len(metrics) + 0.9))
        FigureCanvasAgg(fig)
    axes = fig.subplots(len(metrics), len(keys), squeeze=False)
    table = aggregate(points, keys)
    artists, scattered = {}, False
    for col, key in enumerate(keys):
        others = [k for k in keys if k != key and k not in sampled]
        values = _ordered(points[key])
        numeric = is_numeric(values)
        xs = {label(v): (float(v) if numeric else i) for i, v in enumerate(values)}
        groups = table.groupby([table[k].map(label) for k in others], sort=False) \
            if others else [((), table)]
        # numbers in order in the legend; categories as first seen (a stable sort)
        groups = sorted(groups, key=lambda item: tuple(
            (0, float(v)) if is_numeric([v]) else (1, 0.0)
            for v in (item[1][k].iloc[0] for k in others)))
        # Other sampled settings vary from point to point: no line joins them.
        lines = len(groups) <= MAX_LINES and len(others) == len(keys) - 1
        scattered |= not lines
        for row, metric in enumerate(metrics):
            ax = axes[row][col]
            made = []
            for g, (gkey, part) in enumerate(groups):
                # categories: lines side by side, so their error bars do not hide each other
                dodge = 0.0 if numeric or not lines else 0.06 * (g - (len(groups) - 1) / 2)
                part = part.assign(_x=part[key].map(lambda v: xs[label(v)] + dodge))
                part = part.sort_values("_x")
                err = error_bars(part[f"{metric}_mean"], part[f"{metric}_std"].fillna(0),
                                 metric) if (part["n"] > 1).any() else None
                colour = colormaps["tab10"](g % 10) if lines else "tab:blue"
                gkey = gkey if isinstance(gkey, tuple) else (gkey,)
                name = ", ".join(f"{k}={v}" for k, v in zip(others, gkey)) or None
                made.append(ax.errorbar(
                    part["_x"], part[f"{metric}_mean"], yerr=err, color=colour,
                    marker="o", ms=4, lw=1.4 if lines else 0, capsize=3, elinewidth=1,
                    label=name if lines and len(groups) > 1 else None,
                    alpha=1.0 if lines else 0.7))
            artists[(metric, key)] = made
            if numeric and (key in log_keys or is_log_spaced(values)):
                _log_axis(ax, values)
            if numeric and len(xs) <= 8:   # a few values (a grid): label each one
                ax.set_xticks(list(xs.values()), list(xs))
                ax.minorticks_off()
            if not numeric:
                ax.set_xticks(list(xs.values()), list(xs))
                ax.set_xlim(-0.5, len(xs) - 0.5)
            ax.set_xlabel(key, fontsize=9)
            ax.set_ylabel(f"final {split} {'accuracy' if metric == 'acc' else 'loss'}",
                          fontsize=9)
            ax.tick_params(labelsize=8)
            ax.grid(alpha=0.3)
        if lines and others and len(groups) > 1:
            axes[0][col].legend(fontsize=7, framealpha=0.8, loc="best")
    repeats = int(table["n"].max()) if len(table) else 1
    how = f"mean ± std over {repeats} seeds" if repeats > 1 else "one run each"
    if scattered:
        how += "; each point a setting, the others vary"
    # Wrapped to the figure's width: one swept setting makes a narrow figure.
    width_chars = max(30, int(fig.get_figwidth() * 13))
    fig.suptitle(textwrap.fill(f"effect of each swept setting on the final {split} metrics "
                               f"({how})", width_chars), fontsize=10)
    fig.tight_layout()
    return artists


def _ordered(column) -> list:
    """The distinct values of a column: numbers sorted, others in first-seen order."""
    seen = {}
    for v in column:
        seen.setdefault(label(v), v)
    values = list(seen.values())
    return sorted(values) if is_numeric(values) else values


def effect_figure(runs, keys, path, log_keys=(), sampled=(), dpi=150):
    """Write the effect figure of ``runs`` over the swept ``keys``; returns the path."""
    path = check_output(path, "figure")
    points = effect_points(runs, keys)
    fig = Figure()
    FigureCanvasAgg(fig)
    metrics = sum(points[m].notna().any() for m in ("acc", "loss"))
    fig.set_size_inches(4.0 * len(keys) + 0.6, 3.0 * metrics + 0.9)
    draw_effects(points, keys, fig=fig, log_keys=log_keys, sampled=sampled)
    write("figure", path, fig, dpi=dpi)
    return path
