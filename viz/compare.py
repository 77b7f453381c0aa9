"""Comparing runs: final weights side by side on one colour scale, their
curves overlaid, a summary table, and the weight difference of two runs."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colorbar import ColorbarBase
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from weightlapse.core.align import align_hidden
from weightlapse.core.errors import ConfigError, RunError

from .colors import CMAP, layer_scale, weight_scale
from .figure import FORMATS, check_output, draw_network, save_atomic

IGNORED = {"name", "out", "data_dir"}   # where a run lives, not how it learned


def differing_settings(runs) -> list:
    """The settings whose values differ between runs, in config order."""
    flat = [r.settings for r in runs]
    keys = [k for k in flat[0] if k not in IGNORED]
    keys += [k for f in flat[1:] for k in f if k not in keys and k not in IGNORED]
    return [k for k in keys if len({repr(f.get(k)) for f in flat}) > 1]


def _fmt(v):
    if isinstance(v, list):
        return "-".join(map(str, v)) or "none"
    return f"{v:g}" if isinstance(v, float) else str(v)


def run_label(run, keys) -> str:
    return ", ".join(f"{k}={_fmt(run.settings.get(k))}" for k in keys) or run.name


def summary_table(runs) -> pd.DataFrame:
    """One row per run: the differing settings, final and best validation
    accuracy (training accuracy where nothing was held out), final loss,
    epochs, seconds and parameter count."""
    keys = differing_settings(runs)
    rows = []
    for r in runs:
        m, info = r.metrics, r.info
        split = "val" if m["val_loss"].notna().any() else "train"
        acc = m[f"{split}_acc"].dropna()
        loss = m[f"{split}_loss"].dropna()
        row = {"run": r.name, **{k: _fmt(r.settings.get(k)) for k in keys},
               "status": info.get("status"),
               f"final {split} acc": acc.iloc[-1] if len(acc) else np.nan,
               f"best {split} acc": acc.max() if len(acc) else np.nan,
               f"final {split} loss": loss.iloc[-1] if len(loss) else np.nan,
               "epochs": info.get("epochs_completed"),
               "seconds": info.get("elapsed_s"),
               "params": r.config["network"]["n_params"]}
        rows.append(row)
    return pd.DataFrame(rows)


def write_table(table: pd.DataFrame, path):
    """Save the table as CSV at ``path`` and as Markdown beside it (.md)."""
    from weightlapse.core.io import atomic_write_text
    path = Path(path)
    atomic_write_text(path, table.to_csv(index=False))
    atomic_write_text(path.with_suffix(".md"), markdown(table))
    return path, path.with_suffix(".md")


def markdown(table: pd.DataFrame) -> str:
    def cell(v):
        if isinstance(v, float):
            return "" if np.isnan(v) else f"{v:.4g}"
        return str(v)
    lines = ["| " + " | ".join(map(str, table.columns)) + " |",
             "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def shared_scale(runs, final_only=True) -> float:
    """One colour scale for all runs: the largest of their own scales (of their
    final weights, or of their whole films), so no run is drawn more saturated
    than on its own."""
    if final_only:
        return max(layer_scale(r.snapshots[-1].weights) for r in runs)
    return max(weight_scale(r.snapshots) for r in runs)


def grid_shape(n):
    """(columns, rows) of a grid of n panels: square-ish, at most 3 columns."""
    cols = min(3, int(np.ceil(np.sqrt(n))))
    return cols, -(-n // cols)


def compare_figure(runs, path, edges="all", dpi=200):
    """The runs' final weights in a grid on one colour scale with one colour
    bar, each panel titled by its differing settings and final accuracy; and
    ``<stem>-curves<ext>`` overlaying their loss and accuracy curves.
    Returns (figure path, curves path)."""
    path = check_output(path, FORMATS, "figure")
    if len(runs) < 2:
        raise ConfigError("compare needs at least two runs")
    for r in runs:
        if len(r.snapshots) == 0:
            raise RunError(f"run {r.path} has no snapshots to compare")
    keys = differing_settings(runs)
    table = summary_table(runs)
    acc_col = next(c for c in table.columns if c.startswith("final") and c.endswith("acc"))
    s = shared_scale(runs)
    n = len(runs)
    cols, rows = grid_shape(n)
    panel_h, top_in, bottom_in = 2.7, 0.45, 0.75     # inches
    H = rows * panel_h + top_in + bottom_in
    fig = Figure(figsize=(4.0 * cols, H))
    FigureCanvasAgg(fig)
    for k, run in enumerate(runs):
        r, c = divmod(k, cols)
        bottom = (bottom_in + (rows - 1 - r) * panel_h) / H
        ax = fig.add_axes([c / cols + 0.01, bottom, 1 / cols - 0.02, (panel_h - 0.45) / H])
        snap = run.snapshots[-1]
        draw_network(snap.weights, snap.biases, s, ax=ax, edges=edges, fontsize=7,
                     labels=[str(v) for v in run.sizes])
        acc = table[acc_col].iloc[k]
        ax.set_title(f"{run_label(run, keys)}\n{acc_col} {acc:.1%}" if np.isfinite(acc)
                     else run_label(run, keys), fontsize=8)
    cax = fig.add_axes([0.25, 0.42 / H, 0.5, 0.12 / H])
    cb = ColorbarBase(cax, cmap=colormaps[CMAP], norm=Normalize(-s, s), orientation="horizontal")
    cb.set_label("final weight (edges) and bias (nodes), one scale for every run", fontsize=8)
    cb.ax.tick_params(labelsize=7)
    fig.suptitle("final weights: " + (", ".join(keys) if keys else "runs"), fontsize=10,
                 y=1 - 0.12 / H)
    save_atomic(fig, path, dpi)
    return path, curves_figure(runs, keys, path.with_name(f"{path.stem}-curves{path.suffix}"),
                               dpi)


def curves_figure(runs, keys, path, dpi=200):
    fig = Figure(figsize=(9, 3.4))
    FigureCanvasAgg(fig)
    classify = any(r.metrics["train_acc"].notna().any() for r in runs)
    axes = fig.subplots(1, 2 if classify else 1, squeeze=False)[0]
    for k, run in enumerate(runs):
        m = run.metrics
        colour = colormaps["tab10"](k % 10)
        label = run_label(run, keys)
        for ax, col in zip(axes, ("loss", "acc")):
            for split, style, alpha in (("val", "-", 1.0), ("train", ":", 0.7)):
                y = m[f"{split}_{col}"]
                if y.notna().any():
                    ax.plot(m["epoch"], y, style, color=colour, alpha=alpha, lw=1.4,
                            label=label if split == "val" or m["val_loss"].isna().all()
                            else None)
    for ax, name in zip(axes, ("loss", "accuracy")):
        ax.set_xlabel("epoch", fontsize=8)
        ax.set_ylabel(name, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    if (pd.concat([r.metrics["train_loss"] for r in runs]).dropna() > 0).all():
        axes[0].set_yscale("log")
    axes[-1].legend(fontsize=7, frameon=False, title="validation solid, training dotted",
                    title_fontsize=7)
    fig.tight_layout()
    save_atomic(fig, path, dpi)
    return path


def diff_figure(run_a, run_b, path, align=False, dpi=200, edges="all"):
    """The final weights of B minus A (same architecture). With ``align``,
    B's hidden units are first matched to A's. Returns (path, report)."""
    path = check_output(path, FORMATS, "figure")
    if run_a.sizes != run_b.sizes:
        raise ConfigError(f"--diff needs runs of the same architecture: "
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
    import textwrap
    head = textwrap.fill(f"{run_b.name} − {run_a.name}", 70)
    fig.suptitle(f"{head}\n{'hidden units aligned; ' if align else ''}relative difference "
                 f"||B − A|| / ||A|| = {rel:.2f}", fontsize=9)
    save_atomic(fig, path, dpi)
    report.append({"relative_difference": float(rel)})
    return path, report
