"""The report's diagnose panels (issue 18): the quantities of the health
figure (viz.health_figure), per weight matrix, as plain data the page draws
(health.js): read through core.health_read, thinned, rounded.

Per weight matrix ``W[l]``: its records' ``epoch``, ``ratio`` (log10 update
ratio; null where not recorded) and ``grad`` (gradient RMS); at its probe
records (taken at snapshots, as often as their cost allows; every snapshot
for a run derived from its snapshots), ``pe`` (their epochs), ``wp`` (the weights'
percentiles 2-16-50-84-98) and ``wh`` (the weight histogram on the run's
fixed bins ``wbins``); for the hidden layer it feeds, ``dead`` and ``sat``
(% of units / activations; null where not measured), ``ap`` and ``ah`` (the
activations' percentiles and histogram on ``abins``).
"""
from __future__ import annotations

import math

import numpy as np

from ..health_figure import hist_percentiles
from . import data as qd

MAX_RECORDS = 1000       # metrics records kept per layer (evenly thinned)
NO_RECORD = "no health record"


def health_payload(health, error, limit) -> dict:
    """What the page's panels hold for one run: ``health`` a Health (or None,
    with ``error`` the line saying why), probes thinned to ``limit``."""
    if health is None:
        return {"error": error, "layers": []}
    recorded = health.table["update_ratio"].notna().any()
    probes = health.probes
    keep = qd.keep_snapshots(len(probes), limit) if probes else np.arange(0)
    probes = [probes[int(k)] for k in keep]
    pe = [_r(p["epoch"]) for p in probes]
    layers = []
    for i in range(health.n_layers):
        d = health.table[health.table.layer == i]
        d = d.iloc[qd.keep_snapshots(len(d), MAX_RECORDS)] if len(d) else d
        ratio = d.update_ratio.to_numpy(float)
        with np.errstate(all="ignore"):
            log_ratio = np.where(ratio > 0, np.log10(np.where(ratio > 0, ratio, 1)), np.nan)
        L = {"epoch": _list(d.epoch), "ratio": _list(log_ratio), "grad": _list(d.grad_rms),
             "pe": pe, "wbins": health.bins[f"W{i}"],
             "wh": [p["hist"][f"W{i}"] for p in probes],
             "wp": [_list(hist_percentiles(p["hist"][f"W{i}"], health.bins[f"W{i}"]))
                    for p in probes],
             "hidden": i < health.n_layers - 1}
        if L["hidden"]:
            stats = [p["layers"][i] if i < len(p["layers"]) else {} for p in probes]
            L["dead"] = [_pct(s.get("dead_fraction")) for s in stats]
            L["sat"] = [_pct(s.get("saturated_fraction")) for s in stats]
            L["abins"] = health.bins[f"a{i}"]
            L["ah"] = [s.get("act_hist") for s in stats]
            L["ap"] = [None if s.get("act_hist") is None else
                       _list(hist_percentiles(s["act_hist"], health.bins[f"a{i}"]))
                       for s in stats]
        layers.append(L)
    return {"error": None, "recorded": bool(recorded), "missing": health.missing,
            "activation": health.activation, "layers": layers}


def _r(v, digits=5):
    """A float rounded to ``digits`` significant digits; None if not finite."""
    if v is None:
        return None
    v = float(v)
    if not math.isfinite(v):
        return None
    return float(f"{v:.{digits}g}")


def _pct(v):
    return None if v is None else _r(100 * v, 4)


def _list(values) -> list:
    return [_r(v) for v in np.asarray(values, float)]
