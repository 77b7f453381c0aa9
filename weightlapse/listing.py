"""``weightlapse runs``: one row per run found in a folder (and in its sweeps),
with its status, data, network, accuracies and every setting; a run recorded
from PyTorch or Keras names its framework and version ("PyTorch 2.13.0")."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .core.config import PART_TYPES, SETTING_NAMES
from .core.errors import ConfigError, RunError, arg
from .core.run import load_run
from .core.rundir import FRAMEWORK_NAMES, find_runs
from .core.synthetic import SYNTHETIC

FIXED = ["run", "status", "framework", "data", "network", "epochs_done", "train_acc", "val_acc",
         "test_acc", "val_loss", "snapshots", "created"]
# Setting columns whose name a fixed column has: the CSV file read.
RENAMED = {"data": "data_file"}
SETTING_COLUMNS = [RENAMED.get(k, k) for k in SETTING_NAMES]
# Settings that say where a run lives or what it read, not how it trained.
# Settings of the synthetic sets only, left empty for other runs.
SYNTHETIC_ONLY = ("n_samples", "noise", "classes")
NOT_SHOWN = ("out", "name", "data_file", "data_dir", "dataset", "label_column")


def runs_table(folder) -> pd.DataFrame:
    """FIXED columns, then one column per setting (SETTING_NAMES order).
    An unreadable run is a row with status "unreadable"."""
    root = Path(folder)
    if not root.is_dir():
        raise RunError(f"folder {root} {'is a file' if root.exists() else 'not found'}")
    rows = []
    for folder in find_runs(root, depth=2):
        name = str(folder.relative_to(root))
        try:
            run = load_run(folder)
            rows.append(_row(name, run))
        except (RunError, OSError, ValueError, KeyError, TypeError, AttributeError):
            rows.append({"run": name, "status": "unreadable"})
    return pd.DataFrame(rows, columns=FIXED + SETTING_COLUMNS)


def _row(name, run) -> dict:
    from .core.convnet import describe
    info, c = run.info, run.config
    fm = info.get("final_metrics") or {}
    row = {"run": name, "status": run.status, "data": c["data"]["name"],
           "network": describe(run.layers), "epochs_done": info.get("epochs_completed"),
           "snapshots": len(run.snapshots), "created": c.get("created", "")}
    rec = run.recorded_from
    if rec:   # runs trained by weightlapse leave it empty (the text view hides it then)
        row["framework"] = f"{FRAMEWORK_NAMES[rec['framework']]} {rec['version']}"
    row.update({k: fm.get(k) for k in ("train_acc", "val_acc", "test_acc", "val_loss")})
    settings = c.get("settings") or {}
    synthetic = (settings.get("data") or {}).get("dataset") in SYNTHETIC
    for part in PART_TYPES:
        for key, value in (settings.get(part) or {}).items():
            if key in SYNTHETIC_ONLY and not synthetic:
                continue        # a CSV or MNIST run: n_samples, noise, classes mean nothing
            if key in SETTING_NAMES:
                row[RENAMED.get(key, key)] = ",".join(map(str, value)) if isinstance(value, list) else value
    return row


def shown_columns(table: pd.DataFrame) -> list:
    """For the text view: the fixed columns that have a value, then the
    settings whose value differs between runs (all of them in --csv/--json)."""
    cols = [c for c in FIXED if c in ("run", "status") or table[c].notna().any()]
    readable = table[table["status"] != "unreadable"]
    if len(readable) > 1:
        cols += [k for k in SETTING_COLUMNS if k not in NOT_SHOWN
                 and readable[k].astype(str).nunique() > 1]
    return cols


def sort_table(table: pd.DataFrame, key=None, reverse=False) -> pd.DataFrame:
    if key is None:
        return table
    if not isinstance(key, str) or key not in table.columns:
        raise ConfigError(f"{arg('sort')} {key!r} is not a column; choose one of "
                          f"{', '.join(table.columns)}")
    return table.sort_values(key, ascending=not reverse, na_position="last",
                             kind="stable").reset_index(drop=True)
