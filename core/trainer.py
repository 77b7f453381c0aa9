"""The training loop. It fires callbacks and never touches files or plots.

Callbacks are objects with any of ``on_train_start(trainer)``,
``on_step_end(trainer)``, ``on_epoch_end(trainer)`` and
``on_train_end(trainer)``; the recorder (which also measures) and the
progress bar are callbacks. Ctrl-C handling is :func:`.signals.stop_on_signals`.

The loop runs on the model's device (its array module ``xp``: NumPy, or CuPy
on a GPU) and reads nothing back per step on a GPU: the loss stays a device
scalar, and divergence is checked at the points where callbacks read the
weights (see ``check_every``).
"""
from __future__ import annotations

import math
import time

import numpy as np

from .backend import is_host, to_host


class Trainer:
    """Mini-batch (or full-batch, ``batch_size=0``) training of ``model``.

    X: (n_train, n_in), y: (n_train,) int labels or (n_train, n_out) targets;
    X_val/y_val may be empty. The optimizer sets its own learning rate from
    its schedule. State readable by callbacks: ``epoch`` (completed epochs,
    fractional mid-epoch via :attr:`epoch_float`), ``step`` (updates done),
    ``lr``, ``last_loss``, ``last_outputs`` (b, n_out) and ``last_targets`` of
    the last batch, ``status`` ("running", "finished", "interrupted",
    "diverged", "failed") and ``message``. ``last_loss`` is a float (on a GPU,
    reading it waits for the GPU); ``last_loss_value`` is the loss as computed:
    a float on the CPU, a 0-d device array on a GPU (reading it never waits).

    The arrays are the model's (``model.xp``): on a GPU, X and y are moved to
    the device once by the caller. A non-finite loss stops training: on the
    CPU it is seen at the step it happens (reading the loss is free); on a GPU
    it is checked every ``check_every`` steps (0: never mid-epoch; or a set:
    at those steps), at every epoch end and before stopping, since each check
    waits for the GPU. Give the recorder's snapshot steps, so no non-finite
    weights are recorded.
    ``read_back`` ("step" or "checks") overrides the device's choice; with
    NumPy arrays "checks" runs the GPU's bookkeeping on the CPU (the tests do).
    """

    def __init__(self, model, optimizer, X, y, X_val=None, y_val=None, *, epochs,
                 batch_size=64, rng=None, callbacks=(), check_every=0, read_back=None):
        self.model, self.optimizer = model, optimizer
        self.xp = getattr(model, "xp", np)
        if read_back not in (None, "step", "checks"):
            raise ValueError(f"read_back must be 'step' or 'checks' (got {read_back!r})")
        # Read the loss back every step where that is free (NumPy), else only at checks.
        self.read_each_step = read_back == "step" if read_back else is_host(self.xp)
        self.check_every = check_every
        self.X, self.y = X, y
        self.X_val = X_val if X_val is not None else X[:0]
        self.y_val = y_val if y_val is not None else y[:0]
        self.epochs = epochs
        n = len(X)
        self.batch_size = n if batch_size in (0, None) or batch_size >= n else batch_size
        self.steps_per_epoch = math.ceil(n / self.batch_size)
        self.total_steps = self.steps_per_epoch * epochs
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.callbacks = list(callbacks)
        self.epoch = 0
        self.step = 0
        self.lr = optimizer.lr
        self.status = "running"
        self.message = ""
        self.elapsed = 0.0
        self.last_loss_value = float("nan")
        self.last_outputs = self.last_targets = None
        self._loss_check = self.xp.zeros((), np.float64)  # GPU: losses since the last check
        self._checked_step = 0                            # GPU: the step last checked
        self.stop_requested = False
        self.consistent = True
        self._in_step = False
        self._batch = 0                                   # next batch of this epoch
        self._epoch_rng_state = self.rng.bit_generator.state  # before this epoch's shuffle

    @property
    def last_loss(self) -> float:
        """The mean loss of the last batch (on a GPU, reading it waits for the GPU)."""
        return float(self.last_loss_value)

    @property
    def epoch_float(self) -> float:
        return self.step / self.steps_per_epoch

    def _fire(self, event, quiet=False):
        """Call ``event`` on every callback; with ``quiet``, a callback's error
        does not stop the others (used while another error is on its way)."""
        for cb in self.callbacks:
            fn = getattr(cb, event, None)
            if fn is None:
                continue
            try:
                fn(self)
            except Exception:  # noqa: BLE001 - re-raised unless quiet
                if not quiet:
                    raise

    def request_stop(self):
        """Stop cleanly after the current step (what Ctrl-C and SIGTERM do)."""
        self.stop_requested = True

    def fit(self) -> str:
        """Train for the remaining epochs. Returns the final status.

        A KeyboardInterrupt inside a step stops training; the run is kept but
        its final state is not trusted (``consistent`` is False).
        """
        t0 = time.perf_counter() - self.elapsed
        self._t0 = t0
        self.stop_requested = False
        self.consistent = True
        # Overflow is reported as divergence below, not as NumPy warnings.
        with np.errstate(over="ignore", invalid="ignore"):
            self._fire("on_train_start")
            try:
                self._loop()
            except KeyboardInterrupt:
                # Raised inside a step, the update may be half done: the run
                # keeps its snapshots but no final state is trusted.
                self.consistent = not self._in_step
                self.status = "interrupted"
                if self.consistent and not self.read_each_step:
                    self._finite_since_check()  # a divergence first: "diverged"
            except Exception:
                # A callback failed (a full disk, say): let every callback
                # close (the progress bar, the files), then report it.
                self.status, self.consistent = "failed", False
                self.elapsed = time.perf_counter() - t0
                self._fire("on_train_end", quiet=True)  # the first error is reported
                raise
        if self.status == "interrupted":
            # The same count as status.json's epochs_completed.
            self.message = (f"interrupted after {self.epoch} completed epochs "
                            f"(step {self.step} of {self.total_steps})")
        self.elapsed = time.perf_counter() - t0
        self._fire("on_train_end")
        return self.status

    def _loop(self):
        X, y, bs, n = self.X, self.y, self.batch_size, len(self.X)
        t0, clock = self._t0, time.perf_counter
        opt = self.optimizer
        train_step, schedule_lr = self.model.train_step, opt.schedule_lr
        # The per-step callbacks, looked up once: on MNIST a step is about
        # 0.25 ms, so each Python call in it costs about 0.1-0.3% (issue 19).
        step_hooks = [cb.on_step_end for cb in self.callbacks
                      if getattr(cb, "on_step_end", None) is not None]
        # NumPy: a full batch's rows are gathered into one reused array (a
        # copy either way, so the same bits); nothing keeps it past its step.
        gather = np.take if is_host(self.xp) and bs < n else None
        rows_buf = np.empty((bs,) + X.shape[1:], X.dtype) if gather else None
        self._in_step = False
        while self.epoch < self.epochs and self.status == "running":
            first = self._batch
            if first == 0:
                self._epoch_rng_state = self.rng.bit_generator.state
            else:  # resuming mid-epoch: draw this epoch's order again
                self.rng.bit_generator.state = self._epoch_rng_state
            # Full batch: no shuffle and no copy; the mean gradient is order-free.
            # The order is drawn on the host (the same on every device) and
            # copied to the device once per epoch (8 bytes a sample).
            order = self.xp.asarray(self.rng.permutation(n)) if bs < n else None
            for start in range(first * bs, n, bs):
                if order is None:
                    Xb, yb = X, y
                else:
                    idx = order[start:start + bs]
                    yb = y[idx]
                    Xb = gather(X, idx, 0, rows_buf, "clip") \
                        if gather and len(idx) == bs else X[idx]
                self.lr = schedule_lr(self.step, self.total_steps, self.steps_per_epoch)
                self._in_step = True
                loss, Z = train_step(Xb, yb, opt)
                if self.read_each_step:  # NumPy: reading the loss costs nothing
                    loss = float(loss)
                    if not math.isfinite(loss):
                        self._diverge(f"at epoch {self.epoch + 1}, step {self.step + 1} "
                                      f"(loss {loss})", self.step == 0)
                        return
                else:  # a device scalar: summed here, read back at the checks
                    self._loss_check += loss
                self.step += 1
                self._batch += 1
                self.last_loss_value, self.last_outputs, self.last_targets = loss, Z, yb
                self._in_step = False
                if not self.read_each_step and (self.stop_requested or self._check_due()) \
                        and not self._finite_since_check():
                    return
                self.elapsed = clock() - t0
                for hook in step_hooks:
                    hook(self)
                if self.stop_requested and self._batch < self.steps_per_epoch:
                    self.status = "interrupted"
                    return
            if not self.read_each_step and not self._finite_since_check():
                return
            self.epoch += 1
            self._batch = 0
            self._epoch_rng_state = self.rng.bit_generator.state
            self._fire("on_epoch_end")
            if self.stop_requested and self.epoch < self.epochs:
                self.status = "interrupted"
                return
        self.status = "finished"

    def _diverge(self, where, before_any_update=False):
        self.status = "diverged"
        self.consistent = False
        self.message = f"training diverged {where}; " + (
            "the loss was not finite before any update: scale the data down"
            if before_any_update else "try a lower learning rate")

    def _check_due(self) -> bool:
        """GPU: is the loss read back after this step (see ``check_every``)?"""
        c = self.check_every
        return self.step in c if isinstance(c, (set, frozenset)) else bool(
            c and self.step % c == 0)

    def _finite_since_check(self) -> bool:
        """GPU: were the losses since the last check all finite? One read-back.
        The losses are >= 0, so their sum is finite exactly when each is."""
        total = float(self._loss_check)
        self._loss_check[...] = 0
        first, self._checked_step = self._checked_step + 1, self.step
        if math.isfinite(total):
            return True
        self._diverge(f"at epoch {self.epoch + 1}, between steps {first} and {self.step} "
                      "(a non-finite loss)")
        return False

    # -- exact resumption --------------------------------------------------
    def state_dict(self) -> dict:
        """Everything of the loop needed to continue exactly from here:
        counters, the shuffle and dropout random states, and the optimizer's
        state (arrays under ``opt.<name>``)."""
        meta = {"epoch": self.epoch, "step": self.step, "batch": self._batch,
                "elapsed": self.elapsed, "shuffle_state": self._epoch_rng_state,
                "dropout_state": [l.rng.bit_generator.state for l in self.model.layers
                                  if hasattr(l, "rate")][:1],
                "optimizer_t": getattr(self.optimizer, "t", 0)}
        arrays = {f"opt.{k}": to_host(v) for k, v in self.optimizer.state.items()}
        return {"meta": meta, "arrays": arrays}

    def load_state_dict(self, state: dict):
        meta = state["meta"]
        self.epoch, self.step, self._batch = meta["epoch"], meta["step"], meta["batch"]
        self.elapsed = meta["elapsed"]
        self._epoch_rng_state = meta["shuffle_state"]
        self.rng.bit_generator.state = meta["shuffle_state"]
        for layer in self.model.layers:
            if hasattr(layer, "rate") and meta["dropout_state"]:
                layer.rng.bit_generator.state = meta["dropout_state"][0]
        self._checked_step = self.step
        if hasattr(self.optimizer, "t"):
            self.optimizer.t = meta["optimizer_t"]
        # A checkpoint holds host arrays: it resumes on either device.
        self.optimizer.state = {k[4:]: self.xp.array(v) for k, v in state["arrays"].items()
                                if k.startswith("opt.")}
