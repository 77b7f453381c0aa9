"""Recording a run's health (issue 18): how each layer learns, written to
``health.jsonl`` through :class:`~.rundir.RunDir` (its format is in the README).

Per parameter array (``W0, b0, W1, ...``), at every metrics row:

* ``update_ratio``: the mean of ``||dW|| / ||W||`` over the *measured* steps
  since the previous row (Frobenius norms; ``dW`` the update actually applied
  at that step, taken as the difference of the weights after and before it,
  so it is right for every optimizer; ``W`` the weights before it). The
  measured steps are every MEASURE_EVERY-th (32nd) step and the step each
  row follows: all of them when rows are every step, else a regular sample
  (``steps`` in the record says how many);
* ``grad_rms``: the root mean square of the gradient over those steps;
* ``rms``: the root mean square of the weights at the row.

Why a sample: measuring every step costs, at the least (SGD, whose update is
``lr * g``: one dot product per array for ``||g||^2`` and one for
``||W||^2``), +4.6% of a mnist-mlp epoch (784-128-10, batch 64, CPU time,
``python scripts/bench_health.py --repeats 5 --every-step``; +6.1% on a
loaded host), about as much as all the other recording of a one-epoch run
together; every 32nd step costs about 0.6% (30 measured
updates in an epoch of 938 steps, 1.8 ms). Against the mean over every
step (from every-step float64 snapshots: MNIST 784-32-10, 422 steps an
epoch, 2 epochs), the sample's mean was within 9% (0.04 of a decade) for
Adam lr 0.001 and SGD lr 0.1, and within 32% (0.12 of a decade) for Adam
lr 0.05, whose ratio jumps from step to step: small beside the decades that
``diagnose``'s thresholds are apart.

At each snapshot, on the run's probe set (``probe.npz``, up to 512 held-out
rows): each hidden layer's activations (mean, std, dead and saturated
fractions, per-unit mean and active share) and histograms of weights, biases
and activations on bins fixed for the whole run (in the file's header).

A measured update costs one copy and one dot product per array after the
step before it, and one subtraction and two dot products after it, while the
arrays are in cache; on a GPU the sums stay on the device and are read back
once per row. Which updates are measured, and how often the probe set is run,
is said in :class:`HealthRecorder`.
"""
from __future__ import annotations

import math

import numpy as np

from .backend import is_host, to_host
from .evaluation import seeded_sample

FORMAT = 1
N_BINS = 40
MEASURE_EVERY = 32        # updates measured: every 32nd step, and each one a row follows
PROBE_BUDGET = 0.03       # probe records cost at most this share of training time
SATURATION = 0.97          # tanh: |a| > 0.97; sigmoid: a outside [0.03, 0.97]
DEAD_ACTIVATIONS = ("relu",)
SATURATING = ("tanh", "sigmoid")


def param_names(n_layers: int) -> list:
    return [f"{k}{i}" for i in range(n_layers) for k in "Wb"]


# -- probe statistics (shared with the reader, which derives them for old runs) --

def hidden_activations(model, X) -> list:
    """The output of each hidden layer's activation for the rows X (host
    arrays: (n, units) float64; a conv layer's maps (n, C, H, W))."""
    from .layers import ACTIVATIONS
    acts = []
    A = model.xp.asarray(X, dtype=model.dtype)
    kinds = tuple(ACTIVATIONS.values())
    for layer in model.layers:
        A = layer.forward(A, False)
        if type(layer) in kinds:
            # a conv layer's maps stay (n, C, H, W) in the model's dtype (a
            # float64 copy would cost more than the forward pass)
            a = to_host(A)
            acts.append(np.array(a) if a.ndim == 4 else np.asarray(a, np.float64))
    return acts


def saturated(A, activation):
    """Boolean mask of saturated activations (tanh |a| > 0.97; sigmoid outside
    [0.03, 0.97]); None for activations that do not saturate."""
    if activation == "tanh":
        return np.abs(A) > SATURATION
    if activation == "sigmoid":
        return (A < 1 - SATURATION) | (A > SATURATION)
    return None


def active(A, activation):
    """Where a unit is active: a > 0 for ReLU and leaky ReLU, unsaturated for
    tanh and sigmoid, everywhere for identity."""
    if activation in ("relu", "leaky_relu"):
        return A > 0
    sat = saturated(A, activation)
    return np.ones(A.shape, bool) if sat is None else ~sat


def layer_stats(A, activation, bins) -> dict:
    """One hidden layer's probe statistics from its activations A: (n, units),
    or a conv layer's maps (n, C, H, W), whose units are its channels, each
    seen at every pixel: a dead channel is zero at every pixel of every row."""
    axes = (0, 2, 3) if A.ndim == 4 else 0
    on = active(A, activation)
    sat = saturated(A, activation)
    dead = float((~on.any(axis=axes)).mean()) if activation in DEAD_ACTIVATIONS else None
    return {"dead_fraction": dead,
            "saturated_fraction": None if sat is None else float(sat.mean()),
            "act_mean": float(A.mean(dtype=np.float64)),
            "act_std": float(A.std(dtype=np.float64)),
            "unit_mean": [round(float(v), 6) for v in A.mean(axis=axes, dtype=np.float64)],
            "unit_active": [round(float(v), 4) for v in on.mean(axis=axes)],
            "act_hist": histogram(A, bins)}


def histogram(a, bins) -> list:
    """Counts of ``a`` on ``N_BINS`` equal bins over [lo, hi]; values outside
    fall in the end bins, non-finite ones are left out."""
    lo, hi = bins
    a = np.asarray(a).ravel()
    if not np.isfinite(a).all():
        a = a[np.isfinite(a)]
    x = (a - a.dtype.type(lo)) * a.dtype.type(N_BINS / (hi - lo))
    np.clip(x, 0, N_BINS - 1, out=x)
    return np.bincount(x.astype(np.intp), minlength=N_BINS).tolist()


def weight_bins(W) -> list:
    """Bins for a layer's weights (and biases): symmetric, three times the
    largest initial weight, so growth stays on the scale."""
    m = float(np.abs(np.asarray(W, np.float64)).max()) if np.size(W) else 0.0
    m = 3 * m if m > 0 and math.isfinite(m) else 1.0
    return [-m, m]


def activation_bins(A, activation) -> list:
    if activation == "tanh":
        return [-1.0, 1.0]
    if activation == "sigmoid":
        return [0.0, 1.0]
    finite = A[np.isfinite(A)]
    m = float(np.abs(finite).max()) if finite.size else 0.0
    m = 3 * m if m > 0 else 1.0
    return [0.0, m] if activation == "relu" else [-m, m]


def make_header(params, acts, activation) -> dict:
    """The header: activation, array names and each histogram's fixed bins,
    chosen from the first snapshot (``params``: name -> host array)."""
    names = list(params)
    bins = {}
    for k in names:
        bins[k] = weight_bins(params["W" + k[1:]])
    for i, A in enumerate(acts):
        bins[f"a{i}"] = activation_bins(A, activation)
    return {"kind": "header", "format": FORMAT, "activation": activation,
            "params": names, "n_bins": N_BINS, "bins": bins}


def probe_record(step, epoch, params, acts, header) -> dict:
    """A snapshot's record: histograms of every array and each layer's stats."""
    bins, act = header["bins"], header["activation"]
    return {"kind": "probe", "step": int(step), "epoch": float(epoch),
            "hist": {k: histogram(v, bins[k]) for k, v in params.items()},
            "layers": [layer_stats(A, act, bins[f"a{i}"]) for i, A in enumerate(acts)]}


def probe_gap(n_probe: int, batch_size: int) -> int:
    """Steps at least between two probe records: a probe record costs about
    ``4 * n_probe / (3 * batch)`` training steps (a forward pass of the probe
    rows and the histograms, against a step's forward and backward passes:
    5 steps of mnist-mlp measured), so this keeps probing within
    PROBE_BUDGET of the training time."""
    return max(1, math.ceil(4 * n_probe / (3 * max(batch_size, 1)) / PROBE_BUDGET))


class HealthRecorder:
    """Measures the network around updates and writes health.jsonl.

    Driven by the :class:`~.recorder.Recorder`: :meth:`start` before the first
    step, :meth:`step` after each, :meth:`row` with every metrics row,
    :meth:`snapshot` with every snapshot, :meth:`close` at the end.

    To stay cheap, the updates measured are those of every MEASURE_EVERY-th
    step and of each step a metrics row follows (with rows every step, every
    step): ``update_ratio`` and ``grad_rms`` are means over the measured steps
    since the previous row (``steps`` in the record). Probe records are taken
    at snapshots at least :func:`probe_gap` steps (or an epoch) apart, and at
    the first and the last snapshot.
    """

    def __init__(self, run_dir, resume_step=None):
        self.dir = run_dir
        self.plan = None          # the run's snapshot schedule, given at start
        self.activation = None
        self._writer = run_dir.open_health(resume_step)
        self.header = self._writer.header
        self._probe = None
        self._prev, self._ww = {}, {}
        self._armed = False
        self._next = 0            # the next step whose update is measured
        self.due = 0
        self._last_probe = None
        self._header_acts = (None, None)   # (step, activations) the header was made from
        self._reset()

    def _reset(self):
        self._n = 0
        self._ratio = {}   # name -> (sum of ratios, steps counted)
        self._grad = {}    # name -> sum of mean squared gradients

    def _next_due(self, step, t) -> int:
        """The first step after ``step`` whose update is measured."""
        return min(min((step // c + 1) * c for c in (MEASURE_EVERY, t.steps_per_epoch)),
                   self.plan.next_after(step))

    def _arm(self, t):
        """Keep a copy of the weights before the next update, if it is measured."""
        self._armed = t.step + 1 == self._next
        if self._armed:
            for k, p in t.model.params.items():
                prev = self._prev.get(k)
                if prev is None:
                    self._prev[k] = p.copy()
                else:
                    prev[...] = p
                self._ww[k] = self._sq(p)

    def start(self, t, plan):
        """Before the first step; ``plan``: the run's :class:`~.schedule.Schedule`."""
        self.plan = plan
        from .layers import ACTIVATIONS
        names = {cls: name for name, cls in ACTIVATIONS.items()}
        self.activation = next((names[type(l)] for l in t.model.layers if type(l) in names),
                               "identity")
        self._xp = t.model.xp
        self._host = is_host(self._xp)
        probe = self.dir.read_probe(t.model.n_in)
        if probe is None:
            X = t.X_val if len(t.X_val) else t.X
            y = t.y_val if len(t.X_val) else t.y
            rows = self._xp.asarray(seeded_sample(len(X)))
            X, y = to_host(X[rows]), to_host(y[rows])
            self.dir.write_probe(X, y)
            probe = (np.asarray(X, np.float32), y)
        self._probe = probe[0]
        # At least one probe record an epoch, however short the epochs.
        self._gap = min(probe_gap(len(self._probe), t.batch_size), t.steps_per_epoch)
        if self.header is None:
            host = {k: np.asarray(v) for k, v in t.model.host_params().items()}
            acts = hidden_activations(t.model, self._probe)
            self.header = make_header(host, acts, self.activation)
            self._writer.write(self.header)
            self._header_acts = (t.step, acts)   # the first probe record's, too
        self._next = self._next_due(t.step, t)
        self._arm(t)
        self._set_due()

    def _sq(self, a):
        a = a.ravel()
        return float(np.dot(a, a)) if self._host else self._xp.vdot(a, a)

    def step(self, t):
        """After each update; with ``t.step`` below :attr:`due` it has
        nothing to do (the recorder skips the call then)."""
        if self._armed:
            self._measure(t)
            self._armed = False
            self._next = self._next_due(t.step, t)
        if t.step + 1 == self._next:
            self._arm(t)
        self._set_due()

    def _set_due(self):
        # The step count from which step() has work: measure the update, or arm.
        self.due = self._next if self._armed else self._next - 1

    def _measure(self, t):
        xp, host = self._xp, self._host
        for k, p in t.model.params.items():
            prev = self._prev[k]
            xp.subtract(p, prev, out=prev)          # prev now holds the applied update
            dd, ww = self._sq(prev), self._ww[k]
            s, c = self._ratio.get(k, (0.0, 0))
            if host:
                if ww > 0:
                    s, c = s + math.sqrt(dd / ww), c + 1
            else:
                ok = ww > 0
                s = s + xp.where(ok, xp.sqrt(dd / xp.where(ok, ww, 1)), 0)
                c = c + ok.astype(np.int64)
            self._ratio[k] = (s, c)
            self._grad[k] = self._grad.get(k, 0.0) + self._sq(t.model.grads[k]) / p.size
        self._n += 1

    def row(self, t):
        ratio, grad, rms = [], [], []
        for k, p in t.model.params.items():
            s, c = self._ratio.get(k, (0.0, 0))
            s, c = float(s), int(c)
            ratio.append(s / c if c else None)
            grad.append(math.sqrt(float(self._grad[k]) / self._n) if self._n else None)
            # Armed for the next step, the squared norm of these weights is known.
            ww = self._ww[k] if self._armed else self._sq(p)
            rms.append(math.sqrt(float(ww) / p.size))
        self._writer.write({"kind": "row", "step": int(t.step), "epoch": float(t.epoch_float),
                            "steps": self._n, "update_ratio": ratio, "grad_rms": grad,
                            "rms": rms})
        self._reset()

    def snapshot(self, t):
        last = t.status != "running" or t.step >= t.total_steps
        if self._last_probe is not None and t.step - self._last_probe < self._gap \
                and not last:
            return
        self._last_probe = t.step
        params = {k: np.asarray(v) for k, v in t.model.host_params().items()}
        acts = self._activations(t)
        self._writer.write(probe_record(t.step, t.epoch_float, params, acts, self.header))

    def _activations(self, t) -> list:
        """The probe set's hidden activations for the weights at ``t.step``:
        the header's bins and the first probe record (both before the first
        update) come from one forward pass."""
        step, acts = self._header_acts
        self._header_acts = (None, None)
        return acts if step == t.step else hidden_activations(t.model, self._probe)

    def close(self):
        self._writer.close()
