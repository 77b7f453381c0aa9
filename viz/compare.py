"""Comparing runs: final weights side by side, each gap on one colour scale
shared by the runs, their curves overlaid, and a summary table."""
from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from weightlapse.core.align import align_hidden
from weightlapse.core.errors import ConfigError, RunError

from .drawn import ValueSource, build_drawn_graph, share_scales
from .drawn_conv import same_architecture
from .outputs import check_output, write
from .frame import caption
from .draw_options import DrawOptions
from .painter import DrawnPanel
from .unit_maps import draw_legend as draw_map_legend

IGNORED = {"name", "out", "data_dir"}   # where a run lives, not how it learned


def differing_settings(runs) -> list:
    """The settings whose values differ between runs, in config order. Runs
    recorded from other frameworks know only some settings: a setting one of
    them lacks is not a difference; their ``framework`` is, when it differs."""
    flat = [run_settings(r) for r in runs]
    keys = [k for k in flat[0] if k not in IGNORED]
    keys += [k for f in flat[1:] for k in f if k not in keys and k not in IGNORED]
    partial = any(r.config.get("recorded_from") for r in runs)
    return [k for k in keys if len({repr(f.get(k)) for f in flat
                                    if k in f or not partial}) > 1]


def run_settings(run) -> dict:
    """run.settings, with the framework of a recorded run (or of runs beside one)."""
    rec = run.config.get("recorded_from")
    return {"framework": rec["framework"] if rec else "weightlapse", **run.settings}


def _fmt(v):
    if isinstance(v, list):
        return "-".join(map(str, v)) or "none"
    return f"{v:g}" if isinstance(v, float) else str(v)


def run_label(run, keys) -> str:
    s = run_settings(run)
    return ", ".join(f"{k}={_fmt(s.get(k))}" for k in keys) or run.name


def summary_table(runs, healths=None) -> pd.DataFrame:
    """One row per run: the differing settings, final and best validation
    accuracy (training accuracy where nothing was held out), final loss,
    epochs, seconds, parameter count, and the final dead (and saturated) %
    and log10 update ratio of the worst layer (core.health_summary; NaN for
    a run without them). ``healths``: the runs' Health when already read."""
    from weightlapse.core.health_summary import health_cells
    keys = differing_settings(runs)
    rows = []
    for r, cells in zip(runs, health_cells(runs, healths)):
        m, info = r.metrics, r.info
        split = "val" if m["val_loss"].notna().any() else "train"
        acc = m[f"{split}_acc"].dropna()
        loss = m[f"{split}_loss"].dropna()
        row = {"run": r.name, **{k: _fmt(run_settings(r).get(k)) for k in keys},
               "status": info.get("status"),
               f"final {split} acc": acc.iloc[-1] if len(acc) else np.nan,
               f"best {split} acc": acc.max() if len(acc) else np.nan,
               f"final {split} loss": loss.iloc[-1] if len(loss) else np.nan,
               "epochs": info.get("epochs_completed"),
               "seconds": info.get("elapsed_s"),
               "params": r.config["network"]["n_params"], **cells}
        rows.append(row)
    return pd.DataFrame(rows)


def write_table(table: pd.DataFrame, path):
    """Save the table as CSV at ``path`` and as Markdown beside it (.md)."""
    path = Path(path)
    write("table", path, table.to_csv(index=False), "table")
    write("table", path.with_suffix(".md"), markdown(table), "table")
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


def drawn_graphs(runs, options, panel_px, align=False, shared=True):
    """One drawn graph per run on shared per-gap scales (``shared=False``:
    each on its own, as its film draws it). Runs of the first
    run's architecture reuse its shown units and their order, matched to its
    hidden units first with ``align`` (core.align on the final weights)."""
    options = options.for_runs(list(runs))      # --color auto: one quantity for all
    ref = build_drawn_graph(runs[0], options, panel_px)
    graphs, a = [ref], runs[0].snapshots[-1]
    for run in runs[1:]:
        if not same_architecture(run, runs[0]):
            graphs.append(build_drawn_graph(run, options, panel_px))
            continue
        perms = None
        if align:
            b = run.snapshots[-1]
            perms = align_hidden(a.weights, a.biases, b.weights, b.biases)[2]
        graphs.append(build_drawn_graph(run, options, panel_px, reference=ref, perms=perms))
    if shared:
        share_scales(graphs, runs)
    return graphs


def scales_shared_text(graphs, shared=True) -> str:
    """How the panels' scales are shared, for the caption."""
    if not shared:
        return "each run on its own"
    if all(G.graph.get("shared_scales", True) for G in graphs):
        return "shared by every run"
    if all(G.graph.get("scale_sharers", 2) == 1 for G in graphs):
        return "each run on its own (their layers differ)"
    return "shared by the runs of one architecture"


def grid_shape(n, max_cols=3):
    """(columns, rows) of a grid of n panels, at most ``max_cols`` columns:
    the fewest empty cells plus rows, then the most columns (2: 2x1, 3: 3x1,
    4: 2x2, 5 and 6: 3x2, 7 to 9: 3x3)."""
    cols = min(range(1, max_cols + 1),
               key=lambda c: (c * -(-n // c) - n + -(-n // c), -c))
    return cols, -(-n // cols)


def grid_cells(n, max_cols=3):
    """(column, row) of each of n panels; a last row that is not full is
    centred (half-column steps), so the grid has no empty cell at its end."""
    cols, rows = grid_shape(n, max_cols)
    out = []
    for k in range(n):
        r, c = divmod(k, cols)
        left = n - r * cols
        shift = (cols - left) / 2 if left < cols else 0.0
        out.append((c + shift, r))
    return out


def compare_figure(runs, path, options=None, align=False, dpi=200, shared=True):
    """The runs' final weights in a grid, drawn as the film draws them, each
    gap on one scale shared by every run, each panel titled by its differing
    settings and final accuracy; and ``<stem>-curves<ext>`` overlaying their
    loss and accuracy curves. ``shared=False``: each run on its own per-gap
    scales (its colour bars say which). Returns (figure path, curves path)."""
    path = check_output(path, "figure")
    opts = (options or DrawOptions()).for_runs(list(runs))
    if len(runs) < 2:
        raise ConfigError("compare needs at least two runs")
    for r in runs:
        if len(r.snapshots) == 0:
            raise RunError(f"run {r.path} has no snapshots to compare")
    keys = differing_settings(runs)
    table = summary_table(runs)
    acc_col = next(c for c in table.columns if c.startswith("final") and c.endswith("acc"))
    cols, rows = grid_shape(len(runs))
    pw, ph = 5.6, 3.2                                   # inches per panel
    top_in, bottom_in, title_in = 0.35, 0.35, 0.75
    W, H = cols * pw, rows * (ph + title_in) + top_in + bottom_in
    fig = Figure(figsize=(W, H))
    FigureCanvasAgg(fig)
    axw, axh = 0.92 * pw, ph - 0.55
    graphs = drawn_graphs(runs, opts, (axw * 100, axh * 100), align, shared)
    for k, ((run, G), (c, r)) in enumerate(zip(zip(runs, graphs), grid_cells(len(runs)))):
        y0 = H - top_in - (r + 1) * (ph + title_in) + 0.5
        ax = fig.add_axes([(c * pw + 0.04 * pw) / W, y0 / H, axw / W, axh / H])
        DrawnPanel(ax, G, 7, fast=False).update(ValueSource(G, run).at(-1))
        acc = table[acc_col].iloc[k]
        # Wrapped to the panel (8 pt: about 14 characters an inch), at most 3 lines.
        title = textwrap.fill(run_label(run, keys), int(pw * 14), max_lines=3,
                              placeholder=" …")
        title += f"\n{acc_col} {acc:.1%}" if np.isfinite(acc) else ""
        fig.text((c + 0.5) * pw / W, (y0 + axh + title_in - 0.05) / H, title, ha="center",
                 va="top", fontsize=8)
    fig.text(0.5, 0.08 / H, caption(graphs[0], scales_shared_text(graphs, shared), joined=True),
             ha="center", va="bottom", fontsize=7.5, color="0.25")
    draw_map_legend(fig, graphs[0], 7.5, 0.5, 0.34 / H)
    fig.suptitle(textwrap.shorten("final " + opts.color + "s: "
                                  + (", ".join(keys) if keys else "runs")
                                  + ("  (hidden units aligned)" if align else ""),
                                  int(W * 12), placeholder=" …"), fontsize=10, y=1 - 0.08 / H)
    write("figure", path, fig, dpi=dpi)
    return path, curves_figure(runs, keys, path.with_name(f"{path.stem}-curves{path.suffix}"),
                               dpi)


def setting_colours(runs, keys):
    """Per run: (its setting's label, colour, how many runs share the
    setting). A setting is the differing ``keys`` but the seed, so the seeds
    of one setting share a colour (and one legend entry)."""
    setting_keys = [k for k in keys if k != "seed"]
    labels = [run_label(r, setting_keys) for r in runs]
    order = list(dict.fromkeys(labels))
    return [(lab, colormaps["tab10"](order.index(lab) % 10), labels.count(lab))
            for lab in labels]


def curves_figure(runs, keys, path, dpi=200):
    # Constrained layout keeps the legend below the curves however long the
    # runs' labels are (many differing settings), instead of squeezing them.
    fig = Figure(figsize=(9, 3.4), layout="constrained")
    FigureCanvasAgg(fig)
    classify = any(r.metrics["train_acc"].notna().any() for r in runs)
    axes = fig.subplots(1, 2 if classify else 1, squeeze=False)[0]
    settings = setting_colours(runs, keys)
    labelled = set()
    for run, (setting, colour, seeds) in zip(runs, settings):
        m = run.metrics
        label = None if setting in labelled else textwrap.fill(
            setting + (f" ({seeds} seeds)" if seeds > 1 else ""), 60)
        labelled.add(setting)
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
        ax.tick_params(which="both", labelsize=7)      # a log axis labels minor ticks too
        ax.grid(alpha=0.3)
    if (pd.concat([r.metrics["train_loss"] for r in runs]).dropna() > 0).all():
        axes[0].set_yscale("log")
    fig.legend(*axes[-1].get_legend_handles_labels(), loc="outside lower center",
               ncol=min(len(labelled), 2), fontsize=7, frameon=False,
               title="validation solid, training dotted", title_fontsize=7)
    write("figure", path, fig, dpi=dpi)
    return path
