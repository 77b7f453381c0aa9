"""The streaming writers of a run's files, opened by :class:`.rundir.RunDir`
(``open_metrics``, ``open_health``): each line is flushed as it comes, so a
crash loses at most the line being written."""
from __future__ import annotations

import csv
import json
import math
import os

import numpy as np

METRIC_COLUMNS = ["epoch", "step", "train_loss", "train_acc", "val_loss", "val_acc",
                  "lr", "elapsed_s"]


class MetricsWriter:
    """Appends rows to metrics.csv, flushed as they come (a crash loses at
    most the row being written)."""

    def __init__(self, path, keep_text=None):
        if keep_text is None:
            self._f = open(path, "w", newline="")
            self._f.write(",".join(METRIC_COLUMNS) + "\n")
        else:
            self._f = open(path, "r+", newline="")
            self._f.seek(0)
            self._f.write(keep_text)
            self._f.truncate()
        self._f.flush()
        self._csv = csv.writer(self._f, lineterminator="\n")

    def write(self, row: dict) -> None:
        self._csv.writerow(["" if row.get(c) is None or (isinstance(row[c], float)
                                                         and math.isnan(row[c]))
                            else _fmt(row[c]) for c in METRIC_COLUMNS])
        self._f.flush()

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()


class HealthWriter:
    """Appends JSON records to health.jsonl, one a line, flushed as they come
    (a crash loses at most the record being written). Non-finite numbers are
    written as null. ``header``: the kept header when resuming, else None."""

    def __init__(self, path, keep=None):
        self.header = None
        if keep is None or not os.path.exists(path):
            self._f = open(path, "w")
        else:
            # Resuming: the kept records overwrite the file's start in place
            # and the rest is cut (as metrics.csv is), so a kill meanwhile
            # never leaves an emptied file.
            self._f = open(path, "r+")
            self._f.seek(0)
        for rec in keep or ():
            self._f.write(self._line(rec))
            if rec["kind"] == "header":
                self.header = rec
        self._f.truncate()
        self._f.flush()

    @staticmethod
    def _line(record: dict) -> str:
        return json.dumps(finite(record), separators=(",", ":")) + "\n"

    def write(self, record: dict) -> None:
        self._f.write(self._line(record))
        self._f.flush()

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()


def _fmt(v):
    # repr round-trips floats exactly, so metrics.csv loses nothing.
    return repr(float(v)) if isinstance(v, float) else str(v)


def finite(obj):
    """JSON has no Infinity or NaN: non-finite numbers are written as null."""
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    if isinstance(obj, (float, np.floating)) and not math.isfinite(obj):
        return None
    return obj
