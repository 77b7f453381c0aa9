"""A sweep's table: one row per setting, sorted best first, with the mean and
standard deviation of the final metrics across seeds."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:   # pandas loads on first use: sweep workers import this package
    import pandas as pd


@dataclass
class SweepResult:
    """What a sweep made: its folder ``path``, ``index`` (index.json),
    ``runs`` (the finished Run objects), ``failed`` ([(name, message)] of the
    runs that did not finish), ``table`` (one row per setting, best first)
    and ``files`` (the figures and tables written)."""
    path: Path
    index: dict = field(default_factory=dict, repr=False)
    runs: list = field(default_factory=list, repr=False)
    failed: list = field(default_factory=list)
    table: object = field(default=None, repr=False)
    files: list = field(default_factory=list, repr=False)

    def __repr__(self):
        return (f"SweepResult({str(self.path)!r}, runs={len(self.runs)}, "
                f"failed={len(self.failed)}, files={len(self.files)})")

    def _repr_html_(self):
        from html import escape
        from ..media import Media
        parts = [f"<p>sweep {escape(str(self.path))}: {len(self.runs)} runs finished, "
                 f"{len(self.failed)} did not</p>"]
        if self.table is not None:
            parts.append(formatted(self.table).to_html(index=False))
        parts += [Media(f).html() for f in self.files if Path(f).suffix == ".png"]
        parts += [f"<p>run {escape(name)} did not finish: {escape(str(message))}</p>"
                  for name, message in self.failed]
        return "".join(parts)


def sweep_table(agg: pd.DataFrame, keys, split="val", extra=()) -> pd.DataFrame:
    """``agg`` (viz.sweep_figure.aggregate: keys, n, acc_mean/std, loss_mean/std
    and the ``extra`` columns' _mean/_std) -> a table sorted by accuracy (by
    loss where there is none): the keys' values as text, ``runs``, and
    ``<split> acc``, ``<split> acc std``, ``<split> loss``, ``<split> loss
    std``, then each extra column's mean (the health cells of
    core.health_summary: NaN where no run of the setting has one)."""
    import pandas as pd
    from ..viz.sweep_figure import label
    table = pd.DataFrame({k: agg[k].map(label) for k in keys})
    table["runs"] = agg["n"].to_numpy()
    for m in ("acc", "loss"):
        table[f"{split} {m}"] = agg[f"{m}_mean"].to_numpy()
        table[f"{split} {m} std"] = agg[f"{m}_std"].to_numpy()
    for c in extra:           # the mean only: the table prints in 80 columns
        table[c] = agg[f"{c}_mean"].to_numpy()
    if table[f"{split} acc"].notna().any():
        table = table.sort_values(f"{split} acc", ascending=False, na_position="last")
    else:
        table = table.drop(columns=[f"{split} acc", f"{split} acc std"])
        table = table.sort_values(f"{split} loss", na_position="last")
    return table.reset_index(drop=True)


def formatted(table: pd.DataFrame) -> pd.DataFrame:
    """The table with each metric as text, ``mean ± std`` where there are
    several seeds (the health cells: their mean, empty where none)."""
    from ..core.health_summary import DEAD, RATIO, SATURATED
    out = table.copy()
    for col in [c for c in table.columns if c.endswith(" std")]:
        mean = col[:-4]
        out[mean] = [_pm(m, s) for m, s in zip(table[mean], table[col])]
        out = out.drop(columns=[col])
    for col, digits in ((DEAD, 1), (SATURATED, 1), (RATIO, 2)):
        if col in table:
            out[col] = [_pm(m, None, digits) for m in table[col]]
    return out


def _pm(mean, std, digits=4):
    if mean is None or not np.isfinite(mean):
        return ""
    if std is None or not np.isfinite(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def markdown(table: pd.DataFrame) -> str:
    text = formatted(table).astype(str)
    lines = ["| " + " | ".join(text.columns) + " |", "|" + "---|" * len(text.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in text.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def analysis(path, index, best) -> SweepResult:
    """Load a sweep's finished runs and write its analysis beside index.json:
    table.csv/.md, effects.png, runs.csv/.md and, for the ``best`` runs,
    compare.png/compare-curves.png."""
    import pandas as pd
    from ..core.health_summary import health_cells, read_health
    from ..core.io import atomic_write_text
    from ..core.run import load_run
    from ..viz import compare as cmp
    from ..viz import sweep_figure as effects
    from .runner import KEPT
    path = Path(path)
    result = SweepResult(path, index=index)
    for rec in index["runs"]:
        if rec.get("status") in KEPT and rec.get("path"):
            run = load_run(path / rec["name"])
            if len(run.snapshots):
                result.runs.append(run)
                continue
        if rec.get("status") not in KEPT or not rec.get("path"):
            result.failed.append((rec["name"], rec.get("message") or rec.get("status", "")))
    if not result.runs:
        return result
    keys = list(index["grid"])
    from .space import is_distribution
    log_keys = [k for k, v in index["grid"].items() if isinstance(v, str) and v.startswith("log:")]
    sampled = [k for k, v in index["grid"].items() if is_distribution(v)]
    points = effects.effect_points(result.runs, keys)
    split = points["split"].iloc[0]
    healths = [read_health(r)[0] for r in result.runs]
    cells = pd.DataFrame(health_cells(result.runs, healths), index=points.index)
    points = pd.concat([points, cells], axis=1)
    result.table = sweep_table(effects.aggregate(points, keys, cells.columns), keys, split,
                               cells.columns)
    atomic_write_text(path / "table.csv", result.table.to_csv(index=False))
    atomic_write_text(path / "table.md", markdown(result.table))
    result.files = [effects.effect_figure(result.runs, keys, path / "effects.png",
                                          log_keys=log_keys, sampled=sampled),
                    path / "table.csv",
                    path / "table.md"]
    result.files += list(cmp.write_table(cmp.summary_table(result.runs, healths),
                                         path / "runs.csv"))
    score = points["acc"] if points["acc"].notna().any() else -points["loss"]
    order = score.fillna(-float("inf")).to_numpy().argsort(kind="stable")[::-1]
    top = [result.runs[i] for i in order[:best]]
    if len(top) >= 2:
        # Each run on its own scales: settings as far apart as SGD and Adam
        # differ tenfold in their weights, and one scale washes the smaller out.
        result.files += list(cmp.compare_figure(top, path / "compare.png", shared=False))
    return result
