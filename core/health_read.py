"""Reading a run's health back (issue 18): health.jsonl as a table, or for a
run recorded before it, what the snapshots (and a probe set) let us derive.

:func:`load_health` returns a :class:`Health`: ``table`` (a DataFrame, one row
per weight matrix per record), ``probes`` (each snapshot's histograms and
layer statistics), ``bins`` and ``missing`` (one line naming what could not
be had, or None). Records stop at the last finite one (a diverged run).
"""
from __future__ import annotations

import math

import numpy as np

from .errors import RunError
from .health_record import N_BINS, hidden_activations, make_header, probe_record
from .rundir import HEALTH

COLUMNS = ["step", "epoch", "layer", "update_ratio", "grad_rms", "weight_rms",
           "bias_update_ratio", "bias_grad_rms", "bias_rms", "dead_fraction",
           "saturated_fraction", "act_mean", "act_std"]


class Health:
    def __init__(self, run, header, rows, probes, missing):
        self.run = run
        self.header = header
        self.activation = header["activation"]
        self.bins = header["bins"]
        self.n_layers = len(run.layers)   # layers with parameters, conv ones first
        self.probes = probes
        self.missing = missing
        self.table = self._table(rows, probes)

    def _table(self, rows, probes):
        import pandas as pd
        by_step = {p["step"]: p for p in probes}
        out = []
        for r in rows:
            p = by_step.get(r["step"])
            for i in range(self.n_layers):
                w, b = 2 * i, 2 * i + 1
                stats = p["layers"][i] if p is not None and i < len(p["layers"]) else {}
                out.append([r["step"], r["epoch"], i, r["update_ratio"][w], r["grad_rms"][w],
                            r["rms"][w], r["update_ratio"][b], r["grad_rms"][b], r["rms"][b],
                            stats.get("dead_fraction"), stats.get("saturated_fraction"),
                            stats.get("act_mean"), stats.get("act_std")])
        df = pd.DataFrame(out, columns=COLUMNS)
        for c in COLUMNS[3:]:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
        df["step"] = df["step"].astype(np.int64)
        df["layer"] = df["layer"].astype(np.int64)
        return df


def load_health(run) -> Health:
    """The run's health: from health.jsonl, or derived from its snapshots."""
    records = run.files.read_health()
    if records is None or len(records) < 2:
        return _derive(run, empty=records is not None)
    path = run.files.file(HEALTH)
    header = records[0]
    n = len(run.layers)
    _check_header(header, n, path)
    rows, probes = [], []
    for i, rec in enumerate(records[1:], 2):
        if rec["kind"] == "header":
            raise RunError(f"{path} is damaged at line {i} (a second header); delete it "
                           "to diagnose the run from its snapshots")
        if rec["kind"] == "row":
            _check_row(rec, 2 * n, path, i)
            if not _finite_row(rec):
                break           # the weights stopped being finite: a diverged run
            rows.append(rec)
        else:
            _check_probe(rec, header, n, path, i)
            probes.append(rec)
    last = rows[-1]["step"] if rows else -1
    probes = [p for p in probes if p["step"] <= last]
    return Health(run, header, rows, probes, None)


def _finite_row(rec) -> bool:
    return all(v is not None for v in rec["rms"]) and (
        rec.get("steps", 0) == 0 or all(v is not None for v in rec["grad_rms"]))


def _number(v) -> bool:
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))


def _damaged(path, line, what):
    return RunError(f"{path} is damaged at line {line} ({what}); delete it to diagnose "
                    "the run from its snapshots")


def _check_header(h, n, path):
    names = [f"{k}{i}" for i in range(n) for k in "Wb"]
    bins = h.get("bins")
    ok = h.get("format") == 1 and h.get("params") == names and \
        isinstance(h.get("activation"), str) and h.get("n_bins") == N_BINS and \
        isinstance(bins, dict) and all(
            isinstance(bins.get(k), list) and len(bins[k]) == 2 and
            all(isinstance(x, (int, float)) for x in bins[k]) and bins[k][0] < bins[k][1]
            for k in [*names, *(f"a{i}" for i in range(n - 1))])
    if not ok:
        raise _damaged(path, 1, "its header does not match the run's network")


def _check_row(r, m, path, line):
    if not (isinstance(r.get("epoch"), (int, float)) and all(
            isinstance(r.get(k), list) and len(r[k]) == m and all(_number(v) for v in r[k])
            for k in ("update_ratio", "grad_rms", "rms"))):
        raise _damaged(path, line, "a row without one number per array")


def _check_probe(p, header, n, path, line):
    hist, layers = p.get("hist"), p.get("layers")
    ok = isinstance(p.get("epoch"), (int, float)) and isinstance(hist, dict) and \
        all(isinstance(hist.get(k), list) and len(hist[k]) == N_BINS
            for k in header["params"]) and isinstance(layers, list) and \
        len(layers) == n - 1 and all(
            isinstance(s, dict) and isinstance(s.get("act_hist"), list) and
            len(s["act_hist"]) == N_BINS and all(
                _number(s.get(k)) for k in ("dead_fraction", "saturated_fraction",
                                            "act_mean", "act_std"))
            for s in layers)
    if not ok:
        raise _damaged(path, line, "a snapshot record that does not match the network")


def _derive(run, empty=False) -> Health:
    """An old run: weight norms and histograms from the snapshots, probe
    statistics where a probe set is stored; update ratios and gradients missing."""
    snaps = run.snapshots
    if len(snaps) == 0:
        raise RunError(f"run {run.path} has no snapshots yet; nothing to diagnose")
    probe = run.files.read_probe(run.n_in)
    if probe is None:
        probe = _probe_from_data(run)
    activation = run.settings.get("activation", "relu")
    first = snaps[0]
    params0 = _params(first)
    model = run.network(0) if probe is not None else None
    acts0 = hidden_activations(model, probe[0]) if model is not None else \
        [np.zeros((1, s)) for s in _hidden_units(run)]
    header = make_header(params0, acts0, activation)
    rows, probes = [], []
    for i in range(len(snaps)):
        s = snaps[i]
        params = _params(s)
        if not all(np.isfinite(a).all() for a in params.values()):
            break
        rms = [math.sqrt(float(np.mean(np.square(a, dtype=np.float64)))) for a in
               params.values()]
        m = len(rms)
        rows.append({"kind": "row", "step": int(s.step), "epoch": float(s.epoch),
                     "steps": 0, "update_ratio": [None] * m, "grad_rms": [None] * m,
                     "rms": rms})
        if model is not None:
            model.set_weights(s.weights, s.biases)
            rec = probe_record(s.step, s.epoch, params, hidden_activations(model, probe[0]),
                               header)
        else:
            rec = probe_record(s.step, s.epoch, params, [], header)
            rec["layers"] = [{} for _ in _hidden_units(run)]
        probes.append(rec)
    rec = run.recorded_from
    if rec:       # the PyTorch and Keras recorders keep snapshots, not updates
        from .rundir import FRAMEWORK_NAMES
        source = f"was recorded from {FRAMEWORK_NAMES[rec['framework']]}, without {HEALTH}"
        no_probe = "no probe set: pass probe= to the Recorder"
    elif empty:   # killed before its first row (or its header torn by the kill)
        source = f"has no record in its {HEALTH} yet"
    else:
        source = f"has no {HEALTH} (recorded before diagnostics)"
        no_probe = "no probe set, and its data cannot be loaded"
    what = "update ratios and gradient RMS" + (
        "" if probe is not None else f", dead and saturated units ({no_probe})")
    missing = (f"{run.path} {source}: {what} are missing; weight norms and histograms "
               "come from its snapshots")
    return Health(run, header, rows, probes, missing)


def _probe_from_data(run):
    """For a trained run without probe.npz: the probe set drawn as training
    draws it, from the run's data loaded again (a named set or a CSV, never
    downloaded); None when that cannot be done."""
    import os
    from .config import RunConfig
    from .errors import WeightlapseError
    from .pipeline import prepare_data, seeded_rngs
    if "recorded_from" in run.config:
        return None
    offline = os.environ.get("WEIGHTLAPSE_OFFLINE")
    os.environ["WEIGHTLAPSE_OFFLINE"] = "1"
    try:
        cfg = RunConfig.from_dict(run.config["settings"])
        if cfg.data.dataset is None and cfg.data.data is None:
            return None
        (Xt, _), (Xv, _), _, _ = prepare_data(cfg, seeded_rngs(cfg.training.seed))
    except (WeightlapseError, OSError, ValueError, MemoryError):
        return None
    finally:
        if offline is None:
            os.environ.pop("WEIGHTLAPSE_OFFLINE", None)
        else:
            os.environ["WEIGHTLAPSE_OFFLINE"] = offline
    X = Xv if len(Xv) else Xt
    if X.ndim != 2 or X.shape[1] != run.n_in:
        return None
    rows = np.sort(np.random.default_rng(0).permutation(len(X))[:512])
    return np.asarray(X[rows], np.float32), None


def _hidden_units(run) -> list:
    """Units of each layer with an activation: a conv layer's channels, a
    hidden dense layer's units."""
    return [l["out_channels"] if l["kind"] == "conv" else l["n_out"] for l in run.layers[:-1]]


def _params(snap) -> dict:
    out = {}
    for i, (W, b) in enumerate(zip(snap.weights, snap.biases)):
        out[f"W{i}"], out[f"b{i}"] = np.asarray(W), np.asarray(b)
    return out


def diagnostics(run):
    """One row per weight matrix per metrics row (see :data:`COLUMNS`); the
    DataFrame's ``attrs["missing"]`` names what an old run could not give."""
    h = load_health(run)
    df = h.table
    df.attrs["missing"] = h.missing
    df.attrs["activation"] = h.activation
    return df
