"""The recorder: a trainer callback that writes the run directory (SPEC §2).

``config.json`` (written by the caller), ``metrics.csv`` (a row per evaluation
point, appended and flushed as it happens), ``snapshots.bin`` (see
:mod:`.snapshots`) and ``status.json`` (running -> finished / interrupted /
diverged).
"""
from __future__ import annotations

import csv
import math
import os
from pathlib import Path

from .io import atomic_write_json
from .snapshots import FILENAME, SnapshotWriter, layout

METRIC_COLUMNS = ["epoch", "step", "train_loss", "train_acc", "val_loss", "val_acc",
                  "lr", "elapsed_s"]


class Recorder:
    """Snapshots at step 0 (before any update), then every epoch
    (``every="epoch"``) or every ``every`` steps, and the final weights; a
    metrics row at each snapshot and at every epoch end."""

    def __init__(self, run_dir, sizes, dtype, every="epoch"):
        self.dir = Path(run_dir)
        self.every = every
        self.writer = SnapshotWriter(self.dir / FILENAME, layout(sizes), dtype)
        self._metrics = open(self.dir / "metrics.csv", "w", newline="")
        self._csv = csv.writer(self._metrics)
        self._csv.writerow(METRIC_COLUMNS)
        self._metrics.flush()
        self._row_step = -1
        self._snap_step = -1
        self.last_row = None
        self._status("running")

    # -- callback events ---------------------------------------------------
    def on_train_start(self, t):
        if self._snap_step < 0:
            self._snapshot(t)

    def on_step_end(self, t):
        if self.every != "epoch" and t.step % self.every == 0:
            self._snapshot(t)

    def on_epoch_end(self, t):
        self._row(t)
        if self.every == "epoch":
            self._snapshot(t)

    def on_train_end(self, t):
        # The final weights are always the last frame, unless they are not
        # finite (a diverged run keeps what it recorded before).
        if t.status != "diverged" and t.step != self._snap_step:
            self._snapshot(t)
        self.close()
        self._status(t.status, t)

    # -- writing -----------------------------------------------------------
    def _row(self, t):
        if self._row_step == t.step:
            return
        self._row_step = t.step
        row = t.evaluate()
        self.last_row = row
        self._csv.writerow(["" if row.get(c) is None or (isinstance(row[c], float)
                                                         and math.isnan(row[c]))
                            else _fmt(row[c]) for c in METRIC_COLUMNS])
        self._metrics.flush()

    def _snapshot(self, t):
        self._row(t)
        self.writer.append(t.epoch_float, t.step, t.model.params.values())
        self._snap_step = t.step

    def _status(self, status, t=None):
        info = {"status": status}
        if t is not None:
            info.update(message=t.message, epochs_completed=t.epoch, steps=t.step,
                        snapshots=self.writer.count, elapsed_s=round(t.elapsed, 3))
            if self.last_row:
                info["final_metrics"] = {k: v for k, v in self.last_row.items()
                                         if v is not None}
        atomic_write_json(self.dir / "status.json", info)

    def close(self):
        self.writer.close()
        if not self._metrics.closed:
            self._metrics.close()


def _fmt(v):
    # repr round-trips floats exactly, so metrics.csv loses nothing.
    return repr(float(v)) if isinstance(v, float) else str(v)


def remove_partial(run_dir):
    """Delete a run folder that failed before training started."""
    for p in Path(run_dir).glob("*"):
        os.unlink(p)
    os.rmdir(run_dir)
