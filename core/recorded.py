"""Recording a network that another framework trains (PyTorch, Keras) into a
run directory that every weightlapse view reads (SPEC §2).

A framework's recorder (``weightlapse.torch``, ``weightlapse.keras``) finds
the chain of dense layers in the user's model, describes it as a
:class:`Chain` (sizes, activation, how to read its weights) and reports the
training's events; :class:`ExternalRecorder`, framework-free, does the rest:
it checks the user's arguments, creates the run directory through
:class:`~.rundir.RunDir`, counts steps and epochs, takes snapshots on the
cadence asked for (through :class:`~.snapshots.SnapshotWriter`), writes the
metrics rows and the run's status.
"""
from __future__ import annotations

import shutil
import time
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Optional

import numpy as np

from ._version import __version__
from .errors import ConfigError, RunError, arg
from .recorded_args import (check_every, check_image_shape, check_names, check_out,
                            check_probe, check_task, metric_row)
from .recorder import run_status
from .schedule import auto_due
from .rundir import FORMAT, SNAPSHOTS, RunDir, network_info
from .snapshots import SnapshotWriter, layout


@dataclass
class Chain:
    """A model as weightlapse draws it.

    ``sizes``: [n_in, *hidden, n_out] of its dense layers, named ``layers``
    (the framework's paths, e.g. ["0", "2"]); ``activation``: the one
    element-wise activation between them (a weightlapse name); ``dtype``:
    float32 or float64, how its snapshots are stored. ``read()`` returns the
    weights on the host in snapshot layout (W0: (n_in, n_out), b0, W1, ...,
    as arrays or one flat array); ``check()`` raises RunError when the model
    no longer has this shape; ``lr()`` is the learning rate now (or None).
    ``details`` goes into config.json's ``recorded_from`` (framework,
    version, model, ...); ``training`` holds the training settings known
    (optimizer, lr, momentum, in weightlapse's names).
    """
    sizes: list
    activation: str
    dtype: str
    layers: list
    read: Callable
    check: Callable
    details: dict
    training: dict = field(default_factory=dict)
    dropout: Optional[float] = None
    lr: Callable = lambda: None


class ExternalRecorder:
    """Writes the run of a model trained elsewhere: snapshot 0 and a first
    metrics row (step 0, no measurement) when created; then :meth:`step`
    after each optimizer step, :meth:`epoch_end` after each epoch (a metrics
    row), :meth:`close` at the end (the final snapshot and the status).

    ``every``: a snapshot every N steps, at each epoch end ("epoch"), or
    "auto" (every epoch end, and within epochs at gaps growing with the step
    count: see :func:`.schedule.auto_due`). A snapshot's ``epoch`` is the
    completed epochs plus the fraction of the current one (an epoch's length
    is known once it ends; the first epoch's snapshots are dated then).
    """

    def __init__(self, chain: Chain, *, out="outputs", name=None, every="epoch",
                 image_shape=None, class_names=None, feature_names=None, probe=None,
                 task=None, dataset=None, steps_per_epoch=None):
        n_in, n_out = chain.sizes[0], chain.sizes[-1]
        first = f"the first dense layer ({chain.layers[0]})"
        self.every = check_every(every)
        out = check_out(out)
        task = check_task(task, n_out)
        shape = check_image_shape(image_shape, n_in, first)
        classes = check_names("class_names", class_names, n_out, "output unit")
        if classes is not None and task != "classification":
            raise ConfigError(f"{arg('class_names')} are for classification; this run's "
                              "task is regression")
        features = check_names("feature_names", feature_names, n_in, "input of " + first)
        probe = check_probe(probe, n_in, n_out, task)
        if dataset is not None and not isinstance(dataset, str):
            raise ConfigError(f"{arg('dataset')} must be the data's name, text "
                              f"(got {dataset!r})")
        self.chain = chain
        fw = chain.details["framework"]
        name = name if name is not None else (dataset or fw)
        columns = features or [f"{'pixel' if shape else 'x'}{i}" for i in range(n_in)]
        config = {
            "format": FORMAT, "weightlapse_version": __version__, "run_id": uuid.uuid4().hex,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "recorded_from": chain.details,
            "settings": {
                "data": {"task": task},
                "model": {"hidden": list(chain.sizes[1:-1]), "activation": chain.activation,
                          "dtype": chain.dtype,
                          **({} if chain.dropout is None else {"dropout": chain.dropout})},
                "training": dict(chain.training),
                "recording": {"snapshot_every": self.every, "out": str(out), "name": name}},
            "data": {"name": dataset or "arrays", "task": task, "n_features": n_in,
                     "n_outputs": n_out, "input_shape": shape,
                     "class_names": (classes if classes is not None else list(range(n_out)))
                     if task == "classification" else [],
                     "columns": columns, "transform": None},
            "network": network_info(chain.sizes, chain.dtype)}
        self.dir = self._create(out, name, config, probe)
        self.path = self.dir.path
        self.step_count, self.epochs = 0, 0
        self._epoch_start, self._epoch_len = 0, steps_per_epoch
        self._undated = []          # (record index, step) of snapshots awaiting their epoch
        self._snap_step = -1
        self.last_row = None
        self.status = "running"
        self.message = ""
        self._t0 = time.perf_counter()
        try:
            self._snapshot()
            self._row({})
        except BaseException:
            self._abandon()
            raise

    def _create(self, out, name, config, probe) -> RunDir:
        """The run directory with its config, probe set, empty snapshot and
        metrics files and a "running" status; on any failure, nothing."""
        try:
            run_dir = RunDir.create(out, name)
        except OSError as e:
            raise ConfigError(f"{arg('out')} {out} cannot be written "
                              f"({e.strerror or e})") from None
        self.dir = run_dir
        self.writer = self._metrics = None
        try:
            run_dir.write_config(config)
            if probe is not None:
                run_dir.write_probe(*probe)
            self.writer = SnapshotWriter(run_dir.file(SNAPSHOTS), layout(self.chain.sizes),
                                         self.chain.dtype)
            self._metrics = run_dir.open_metrics()
            run_dir.write_status(run_status("running"))
        except BaseException as e:
            self._abandon()
            if isinstance(e, OSError):
                raise ConfigError(f"{arg('out')} {out} cannot be written "
                                  f"({e.strerror or e})") from None
            raise
        return run_dir

    def _abandon(self):
        """Close and remove a run directory whose creation failed."""
        for f in (self.writer, self._metrics):
            if f is not None:
                f.close()
        shutil.rmtree(self.dir.path, ignore_errors=True)

    # -- events ------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self.status != "running"

    def _check_open(self):
        if self.closed:
            raise RunError(f"this recorder is closed (run {self.path} is {self.status}); "
                           "make a new Recorder to record more")

    def step(self, in_epoch=None):
        """One optimizer step is done (``in_epoch``: the steps done in the
        current epoch, when the framework counts them); a snapshot if due."""
        if self.closed or self.message:
            return
        self.step_count = self._epoch_start + in_epoch if in_epoch else self.step_count + 1
        e = self.every
        if (e == "auto" and auto_due(self.step_count, self._snap_step)) or \
                (type(e) is int and self.step_count % e == 0):
            self._take()

    def epoch_end(self, metrics: dict):
        """An epoch is done: its metrics row (numbers or one-element tensors),
        and a snapshot for every="epoch" or "auto"."""
        self._check_open()
        row = metric_row(metrics)
        if self.message:    # diverged: nothing more is recorded
            return
        n = self.step_count - self._epoch_start
        for index, step in self._undated:
            self.writer.set_epoch(index, self.epochs + (step - self._epoch_start) / max(n, 1))
        self._undated = []
        self.epochs += 1
        if n > 0:
            self._epoch_len = n
        self._epoch_start = self.step_count
        self._take(row)

    def close(self, status="finished", message="", consistent=True):
        """End the run: the final snapshot (unless the weights cannot be
        trusted: mid-update, or the model changed), then the status (a
        divergence seen earlier stays "diverged"). Closing twice does nothing."""
        if self.closed:
            return
        self.status = status
        try:
            if consistent and not self.message and self.step_count != self._snap_step:
                self._snapshot()
        except RunError as e:   # the model changed shape: the run ends failed
            status, message = "failed", str(e)
        finally:
            self.writer.close()
            self._metrics.close()
            if self.message:
                status, message = "diverged", self.message
            self.status = status
            self.dir.write_status(run_status(
                status, message=message, epochs=self.epochs, steps=self.step_count,
                snapshots=self.writer.count, elapsed=time.perf_counter() - self._t0,
                last_row=self.last_row))

    def fail(self, exc: BaseException, consistent=True):
        """Close after an exception: "interrupted" for Ctrl-C, else "failed";
        everything recorded is kept."""
        interrupted = isinstance(exc, KeyboardInterrupt)
        what = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}".strip().rstrip(":")
        where = f"at step {self.step_count}, epoch {self.epochs + 1}"
        self.close("interrupted" if interrupted else "failed",
                   f"interrupted {where}" if interrupted else f"{what} ({where})",
                   consistent=consistent and not isinstance(exc, RunError))

    # -- writing -----------------------------------------------------------
    def _epoch_now(self) -> float:
        done = self.step_count - self._epoch_start
        return self.epochs + (done / self._epoch_len if self._epoch_len else 0.0)

    def _take(self, row=None):
        """The epoch's metrics row (``row``) and snapshot, or a snapshot; a
        model that changed shape or a write that failed ends the run failed,
        everything recorded before kept, in one line."""
        try:
            if row is not None:
                self._row(row)
                if self.every not in ("epoch", "auto"):
                    return
            if self.step_count != self._snap_step:
                self._snapshot()
        except RunError as e:
            self.close("failed", str(e), consistent=False)
            raise
        except OSError as e:
            msg = (f"could not write to {self.path} ({e.strerror or e}); what was recorded "
                   "before is kept")
            try:
                self.close("failed", msg, consistent=False)
            except OSError:
                pass
            raise RunError(msg) from None

    def _snapshot(self):
        self.chain.check()
        arrays = self.chain.read()
        bad = [i for i, a in enumerate(arrays) if not np.isfinite(a).all()]
        if bad:
            self._diverged(arrays, bad[0])
            return
        if self.step_count > self._epoch_start and not self._epoch_len:
            self._undated.append((self.writer.count, self.step_count))
        self.writer.append(self._epoch_now(), self.step_count, arrays)
        self._snap_step = self.step_count

    def _diverged(self, arrays, i):
        # the first non-finite value's place in the snapshot: which layer it is in
        at = sum(np.size(a) for a in arrays[:i]) + int(np.argmin(np.isfinite(arrays[i])))
        ends = np.cumsum([np.prod(s) for s in layout(self.chain.sizes)])
        layer = f" of {self.chain.layers[int(np.searchsorted(ends, at, 'right')) // 2]}"
        self.message = (f"the weights{layer} became non-finite between steps "
                        f"{self._snap_step} and {self.step_count}; recording stopped there "
                        "and what was recorded before is kept")
        warnings.warn(f"run {self.path}: {self.message}", RuntimeWarning, stacklevel=4)

    def _row(self, metrics):
        row = {"epoch": float(self.epochs), "step": self.step_count, "lr": self.chain.lr(),
               **metrics, "elapsed_s": time.perf_counter() - self._t0}
        self._metrics.write(row)
        self.last_row = row
