"""The recorder: a trainer callback that measures the network and writes the
run directory (SPEC §2) through :class:`~.rundir.RunDir`.

It writes ``metrics.csv`` (a row per evaluation point, appended and flushed as
it happens), ``snapshots.bin`` (see :mod:`.snapshots`), ``checkpoint.npz`` and
``status.json`` (running -> finished / interrupted / diverged). It also owns
the metrics: the running training sums between rows, and the evaluation of
the validation split.
"""
from __future__ import annotations

import os
import socket
import time

import numpy as np

from .convnet import layout as conv_layout
from .evaluation import SAMPLE_SIZE, RunningMetrics, score, seeded_sample
from .health_record import HealthRecorder
from .rundir import SNAPSHOTS, RunDir
from .schedule import Schedule
from .snapshots import SnapshotWriter, layout


def run_status(status, *, message=None, epochs=None, steps=None, snapshots=None,
               elapsed=None, last_row=None) -> dict:
    """status.json's content: the status with this process's pid and host
    (which let a reader tell a run still going from one that was killed),
    and once the run has ended what it did and its last metrics row."""
    info = {"status": status, "pid": os.getpid(), "host": socket.gethostname()}
    if steps is not None:
        info.update(message=message or "", epochs_completed=epochs, steps=steps,
                    snapshots=snapshots, elapsed_s=round(elapsed, 3))
        if last_row:
            info["final_metrics"] = {k: v for k, v in last_row.items() if v is not None}
    return info


class Recorder:
    """Snapshots at step 0 (before any update), then as ``every`` says (see
    :mod:`.schedule`: "auto", "log", "epoch" or every N steps), and the final
    weights; a metrics row at each snapshot and at every epoch end.

    ``sample``: indices of the training rows scored at step 0 (before any
    batch); ``classify``: whether accuracy is measured; ``health``: whether
    to record health.jsonl (see :mod:`.health_record`).
    """

    def __init__(self, run_dir, sizes, dtype, every="auto", *, classify=True,
                 sample=None, resume=None, metrics_keep=None, run_id=None, xp=np,
                 health=True, layers=None):
        """``resume``: the checkpoint's meta, to continue a run whose files are
        cut back to it; ``metrics_keep``: metrics.csv's text up to it; ``xp``:
        the model's array module (the running sums stay on its device);
        ``layers``: the network's layers (config.json's ``network.layers``),
        when it has conv layers (else ``sizes`` says it all)."""
        self.dir = run_dir if isinstance(run_dir, RunDir) else RunDir(run_dir)
        self.every = every
        self.sample = sample
        self.run_id = run_id
        keep = resume["snapshots"] if resume else None
        shapes = conv_layout(layers) if layers else layout(sizes)
        self.writer = SnapshotWriter(self.dir.file(SNAPSHOTS), shapes, dtype, keep=keep)
        try:
            self._metrics = self.dir.open_metrics(metrics_keep if resume else None)
            self.health = HealthRecorder(self.dir, resume and resume["row_step"]) \
                if health else None
        except BaseException:
            self.writer.close()
            if hasattr(self, "_metrics"):
                self._metrics.close()
            raise
        self.running = RunningMetrics(classify, resume["running"] if resume else None, xp,
                                      window=resume.get("running_window", ()) if resume else ())
        self._rows = resume.get("rows", 0) if resume else 0
        self._row_step = resume["row_step"] if resume else -1
        self._snap_step = resume["snapshot_step"] if resume else -1
        self._checkpoint_step = -1
        self._every, self._at = 0, None     # the schedule's cadence and steps, once known
        self._t0 = None
        self.last_row = None
        self._status("running")

    # -- callback events ---------------------------------------------------
    def on_train_start(self, t):
        self._t0 = time.perf_counter() - t.elapsed
        plan = Schedule(self.every, t.total_steps, t.steps_per_epoch)
        self._every, self._at = plan.every, plan.at
        if self.health:
            self.health.start(t, plan)
        if self._snap_step < 0:
            self._snapshot(t)

    def on_step_end(self, t):
        self.running.add(t.last_loss_value, t.last_outputs, t.last_targets)
        health = self.health
        if health is not None and t.step >= health.due:
            health.step(t)
        n, at = self._every, self._at
        if (n and t.step % n == 0) or (at is not None and t.step in at):
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

    # -- measuring ---------------------------------------------------------
    def evaluate(self, t) -> dict:
        """Metrics now: training loss/accuracy averaged over the batches since
        the last evaluation, reaching back over earlier batches to cover at
        least 512 samples (or the whole training set, if smaller); on a random
        sample of up to 512 training rows when training has not seen that many
        yet (step 0, the first steps); and loss/accuracy on the validation split."""
        row = {"epoch": t.epoch_float, "step": t.step}
        train = self.running.take(min(SAMPLE_SIZE, len(t.X)))
        if train is None:
            if self.sample is None:
                self.sample = seeded_sample(len(t.X))
            rows = self.running.xp.asarray(self.sample)   # to the device on a GPU
            train = score(t.model, t.X[rows], t.y[rows], self.running.classify)
        row["train_loss"], row["train_acc"] = train
        if len(t.X_val):
            row["val_loss"], row["val_acc"] = score(t.model, t.X_val, t.y_val,
                                                    self.running.classify)
        else:
            row["val_loss"] = row["val_acc"] = None
        row["lr"] = t.lr
        row["elapsed_s"] = time.perf_counter() - self._t0
        return row

    # -- writing -----------------------------------------------------------
    def _row(self, t):
        if self._row_step == t.step:
            return
        self._row_step = t.step
        row = self.evaluate(t)
        self.last_row = row
        self._metrics.write(row)
        if self.health:
            self.health.row(t)
        self._rows += 1

    def _snapshot(self, t):
        self._row(t)
        self.writer.append(t.epoch_float, t.step, t.model.host_params().values())
        if self.health:
            self.health.snapshot(t)
        self._snap_step = t.step

    def _checkpoint(self, t):
        """``checkpoint.npz``: weights, optimizer and random state, written
        atomically, so ``train --resume`` continues exactly from here."""
        state = t.state_dict()
        meta = dict(state["meta"], snapshots=self.writer.count, snapshot_step=self._snap_step,
                    row_step=self._row_step, rows=self._rows, running=self.running.state(),
                    running_window=self.running.window(),
                    run_id=self.run_id)
        arrays = {f"param.{k}": v for k, v in t.model.host_params().items()}
        arrays.update(state["arrays"])
        self.dir.write_checkpoint(meta, arrays)
        self._checkpoint_step = t.step

    def _status(self, status, t=None):
        info = run_status(status) if t is None else run_status(
            status, message=t.message, epochs=t.epoch, steps=t.step,
            snapshots=self.writer.count, elapsed=t.elapsed, last_row=self.last_row)
        self.dir.write_status(info)

    def close(self):
        self.writer.close()
        self._metrics.close()
        if getattr(self, "health", None):
            self.health.close()
