"""The recorder: a trainer callback that writes the run directory (SPEC §2).

``config.json`` (written by the caller), ``metrics.csv`` (a row per evaluation
point, appended and flushed as it happens), ``snapshots.bin`` (see
:mod:`.snapshots`) and ``status.json`` (running -> finished / interrupted /
diverged).
"""
from __future__ import annotations

import csv
import json
import math
import os
import socket
from pathlib import Path

import numpy as np

from .io import atomic_write_json, atomic_write_npz
from .snapshots import FILENAME, SnapshotWriter, layout

CHECKPOINT = "checkpoint.npz"

METRIC_COLUMNS = ["epoch", "step", "train_loss", "train_acc", "val_loss", "val_acc",
                  "lr", "elapsed_s"]


class Recorder:
    """Snapshots at step 0 (before any update), then every epoch
    (``every="epoch"``) or every ``every`` steps, and the final weights; a
    metrics row at each snapshot and at every epoch end."""

    def __init__(self, run_dir, sizes, dtype, every="epoch", resume=None):
        """``resume=(n_snapshots, snapshot_step, row_step)``: continue a run
        whose files were cut back to its checkpoint (see
        :func:`..pipeline.resume_run`)."""
        self.dir = Path(run_dir)
        self.every = every
        keep, snap_step, row_step = resume if resume else (None, -1, -1)
        self.writer = SnapshotWriter(self.dir / FILENAME, layout(sizes), dtype, keep=keep)
        self._metrics = open(self.dir / "metrics.csv", "a" if resume else "w", newline="")
        self._csv = csv.writer(self._metrics)
        if not resume:
            self._csv.writerow(METRIC_COLUMNS)
        self._metrics.flush()
        self._row_step = row_step
        self._snap_step = snap_step
        self._checkpoint_step = -1
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
        self._checkpoint(t)

    def on_train_end(self, t):
        if t.status == "failed":  # the caller records the failure; write nothing more
            self.close()
            return
        # The final weights are always the last frame, unless they cannot be
        # trusted: not finite (diverged), or cut mid-update by a second Ctrl-C.
        # The checkpoint comes first: it holds the regular sequence of frames
        # and rows, so a resumed run replays exactly what an uninterrupted one
        # records; the frame taken here, where training stopped, is dropped then.
        if t.consistent and t.status in ("finished", "interrupted") and \
                self._checkpoint_step != t.step:  # the last epoch end may have written it
            self._checkpoint(t)
        if t.consistent and t.step != self._snap_step:
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
        self.writer.append(t.epoch_float, t.step, t.model.host_params().values())
        self._snap_step = t.step

    def _checkpoint(self, t):
        """``checkpoint.npz``: weights, optimizer and random state, written
        atomically, so ``train --resume`` continues exactly from here."""
        state = t.state_dict()
        meta = dict(state["meta"], snapshots=self.writer.count, snapshot_step=self._snap_step,
                    row_step=self._row_step)
        arrays = {f"param.{k}": v for k, v in t.model.host_params().items()}
        arrays.update(state["arrays"])
        atomic_write_npz(self.dir / CHECKPOINT, meta=np.array(json.dumps(meta)), **arrays)
        self._checkpoint_step = t.step

    def _status(self, status, t=None):
        # The pid lets a reader tell a run still going from one that was killed.
        info = {"status": status, "pid": os.getpid(), "host": socket.gethostname()}
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
