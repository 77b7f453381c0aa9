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
        from weightlapse.media import Media
        parts = [f"<p>sweep {escape(str(self.path))}: {len(self.runs)} runs finished, "
                 f"{len(self.failed)} did not</p>"]
        if self.table is not None:
            parts.append(formatted(self.table).to_html(index=False))
        parts += [Media(f).html() for f in self.files if Path(f).suffix == ".png"]
        parts += [f"<p>run {escape(name)} did not finish: {escape(str(message))}</p>"
                  for name, message in self.failed]
        return "".join(parts)


def sweep_table(agg: pd.DataFrame, keys, split="val") -> pd.DataFrame:
    """``agg`` (viz.sweep_figure.aggregate: keys, n, acc_mean/std, loss_mean/std)
    -> a table sorted by accuracy (by loss where there is none): the keys'
    values as text, ``runs``, and ``<split> acc``, ``<split> acc std``,
    ``<split> loss``, ``<split> loss std``."""
    import pandas as pd
    from weightlapse.viz.sweep_figure import label
    table = pd.DataFrame({k: agg[k].map(label) for k in keys})
    table["runs"] = agg["n"].to_numpy()
    for m in ("acc", "loss"):
        table[f"{split} {m}"] = agg[f"{m}_mean"].to_numpy()
        table[f"{split} {m} std"] = agg[f"{m}_std"].to_numpy()
    if table[f"{split} acc"].notna().any():
        table = table.sort_values(f"{split} acc", ascending=False, na_position="last")
    else:
        table = table.drop(columns=[f"{split} acc", f"{split} acc std"])
        table = table.sort_values(f"{split} loss", na_position="last")
    return table.reset_index(drop=True)


def formatted(table: pd.DataFrame) -> pd.DataFrame:
    """The table with each metric as text, ``mean ± std`` where there are
    several seeds."""
    out = table.copy()
    for col in [c for c in table.columns if c.endswith(" std")]:
        mean = col[:-4]
        out[mean] = [_pm(m, s) for m, s in zip(table[mean], table[col])]
        out = out.drop(columns=[col])
    return out


def _pm(mean, std):
    if mean is None or not np.isfinite(mean):
        return ""
    return f"{mean:.4f}" if std is None or not np.isfinite(std) else f"{mean:.4f} ± {std:.4f}"


def markdown(table: pd.DataFrame) -> str:
    text = formatted(table).astype(str)
    lines = ["| " + " | ".join(text.columns) + " |", "|" + "---|" * len(text.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in text.itertuples(index=False)]
    return "\n".join(lines) + "\n"
