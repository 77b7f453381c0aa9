"""``weightlapse diagnose``: is a run learning well? A per-layer table and
findings in plain words (each with its threshold, when it began and what to
try), from the run's health (see :mod:`weightlapse.core.health_read`).

The thresholds are the usual ones: an update-to-weight ratio near 10^-3 is
healthy, above 10^-2 unstable, below 10^-4 slow (CS231n; DL4J's training UI);
ReLU units active on no probe row are dead; tanh/sigmoid activations beyond
0.97 (0.03..0.97) are saturated.
"""
from __future__ import annotations

import math

import numpy as np

RATIO_HIGH, RATIO_LOW, RATIO_STOPPED = 1e-2, 1e-4, 1e-5
DEAD, SATURATED, GROWTH = 0.10, 0.20, 5.0


def log10(v) -> str:
    """``10^-3.2``; to two decimals where one would print a value beside a
    threshold as the threshold itself (9.2e-5 is 10^-4.04, not "10^-4.0,
    under 10^-4.0")."""
    if v is None or not np.isfinite(v) or v < 0:
        return "–"
    if v == 0:
        return "0"
    e = math.log10(v)
    for digits in (1, 2, 3):
        text = f"{e:.{digits}f}"
        if float(text) not in _THRESHOLD_EXPONENTS or e == float(text):
            break
    return f"10^{text}"


_THRESHOLD_EXPONENTS = {round(math.log10(t), 1) for t in (RATIO_HIGH, RATIO_LOW, RATIO_STOPPED)}


def pct(v) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{100 * v:.0f}%"


def _since(epochs, flags):
    """The epoch from which ``flags`` hold to the end (None when the last is False)."""
    if not len(flags) or not flags[-1]:
        return None
    i = len(flags) - 1
    while i > 0 and flags[i - 1]:
        i -= 1
    return float(epochs[i])


def _ep(e) -> str:
    """An epoch as a learner reads it: one decimal, none for a whole epoch."""
    return f"{float(e):.1f}".removesuffix(".0")


def feeds(layers, layer) -> tuple:
    """(name, what its units are) of the layer weight array ``layer`` feeds:
    ("conv 2", "channels") for a conv layer (its channels are its units: a
    dead channel is zero at every pixel of every probe row), ("hidden 1",
    "units") for a hidden dense layer. ``layers``: the run's
    ``network.layers`` (None: dense only)."""
    n_conv = sum(1 for L in layers or [] if L["kind"] == "conv")
    if layer < n_conv:
        return f"conv {layer + 1}", "channels"
    return f"hidden {layer - n_conv + 1}", "units"


def layer_summary(df, layer, activation, layers=None) -> tuple:
    """(the table's row, the findings) of weight matrix ``layer`` (``layers``:
    the run's network.layers, to name conv layers)."""
    d = df[df.layer == layer]
    r = d.dropna(subset=["update_ratio"])
    ratios, epochs = r.update_ratio.to_numpy(), r.epoch.to_numpy()
    p = d.dropna(subset=["act_mean"])
    dead = p.dead_fraction.to_numpy()
    sat = p.saturated_fraction.to_numpy()
    rms = d.weight_rms.to_numpy()
    growth = float(rms[-1] / rms[0]) if len(rms) and rms[0] > 0 else None
    row = {"layer": int(layer), "name": f"W[{layer}]",
           "update_ratio": float(ratios[-1]) if len(ratios) else None,
           "update_ratio_min": float(ratios.min()) if len(ratios) else None,
           "update_ratio_max": float(ratios.max()) if len(ratios) else None,
           "dead_fraction": float(dead[-1]) if len(dead) and np.isfinite(dead[-1]) else None,
           "saturated_fraction": float(sat[-1]) if len(sat) and np.isfinite(sat[-1])
           else None,
           "weight_rms_growth": growth}
    found = []
    name, units = feeds(layers, layer)
    hidden = f"{name} ({activation})"
    if row["dead_fraction"] is not None and row["dead_fraction"] >= DEAD:
        since = _since(p.epoch.to_numpy(), dead >= DEAD)
        found.append(_finding("dead", layer, row["dead_fraction"], DEAD, since,
                              f"{hidden}: {pct(row['dead_fraction'])} of {units} dead since "
                              f"epoch {_ep(since)} (threshold {pct(DEAD)})",
                              "lower the learning rate, or use leaky_relu"))
    if row["saturated_fraction"] is not None and row["saturated_fraction"] >= SATURATED:
        since = _since(p.epoch.to_numpy(), sat >= SATURATED)
        found.append(_finding("saturated", layer, row["saturated_fraction"], SATURATED, since,
                              f"{hidden}: {pct(row['saturated_fraction'])} of activations "
                              f"saturated since epoch {_ep(since)} (threshold "
                              f"{pct(SATURATED)})",
                              "scale the inputs, lower the learning rate, or use relu"))
    if len(ratios):
        high = ratios > RATIO_HIGH
        if high[-1] or high.mean() >= 0.25:
            i = int(np.argmax(ratios))
            found.append(_finding("ratio_high", layer, float(ratios[i]), RATIO_HIGH,
                                  float(epochs[np.argmax(high)]),
                                  f"W[{layer}]: update ratio {log10(ratios[i])} at epoch "
                                  f"{_ep(epochs[i])}, above 10^-2 "
                                  f"(on {pct(high.mean())} of records)",
                                  "the learning rate is likely too high: lower it"))
        elif ratios[-1] < RATIO_LOW:
            stopped = ratios[-1] < RATIO_STOPPED
            thr = RATIO_STOPPED if stopped else RATIO_LOW
            since = _since(epochs, ratios < thr)
            found.append(_finding("stopped" if stopped else "ratio_low", layer,
                                  float(ratios[-1]), thr, since,
                                  f"W[{layer}]: update ratio {log10(ratios[-1])} from epoch "
                                  f"{_ep(since)}, under {log10(thr)}",
                                  "this layer has stopped learning" if stopped else
                                  "it learns too slowly: raise the learning rate"))
    if growth is not None and growth >= GROWTH:
        found.append(_finding("growth", layer, growth, GROWTH, None,
                              f"W[{layer}]: weight RMS grew {growth:.1f}x (threshold "
                              f"{GROWTH:g}x)", "add l2, or lower the learning rate"))
    return row, found


def _finding(kind, layer, value, threshold, since, text, advice) -> dict:
    return {"kind": kind, "layer": int(layer), "value": value, "threshold": threshold,
            "since_epoch": since, "text": f"{text}: {advice}"}


def diagnose_run(run) -> dict:
    """The report of one run: its status, table rows, findings, health."""
    from .core.health_read import load_health
    h = load_health(run)
    df = h.table
    rows, findings = [], []
    for layer in range(h.n_layers):
        row, found = layer_summary(df, layer, h.activation, getattr(run, "layers", None))
        if layer == h.n_layers - 1:
            row["dead_fraction"] = row["saturated_fraction"] = None
        rows.append(row)
        findings += found
    status = run.status
    if status == "diverged":
        findings.insert(0, {"kind": "diverged", "layer": None, "value": None,
                            "threshold": None, "since_epoch": None,
                            "text": f"the run diverged ({run.info.get('message', '')}); "
                            "its diagnostics stop at the last finite record"})
    return {"run": str(run.path), "status": status, "activation": h.activation,
            "missing": h.missing, "layers": rows, "findings": findings,
            "healthy": not findings, "_health": h}


def text_report(report) -> str:
    lines = [f"{report['run']} ({report['status']}, {report['activation']})"]
    if report["status"] == "running":
        lines[0] += ": still training; what is recorded so far"
    if report["missing"]:
        lines.append(f"  note: {report['missing']}")
    lines.append(f"  {'layer':6s} {'ratio now':>10s} {'ratio range':>20s} {'dead':>6s} "
                 f"{'saturated':>10s} {'RMS growth':>11s}")
    for r in report["layers"]:
        span = f"{log10(r['update_ratio_min'])}..{log10(r['update_ratio_max'])}" \
            if r["update_ratio_min"] is not None else "–"
        growth = "–" if r["weight_rms_growth"] is None else f"{r['weight_rms_growth']:.2f}x"
        lines.append(f"  {r['name']:6s} {log10(r['update_ratio']):>10s} {span:>20s} "
                     f"{pct(r['dead_fraction']):>6s} {pct(r['saturated_fraction']):>10s} "
                     f"{growth:>11s}")
    if report["healthy"]:
        lines.append("  " + healthy_line(report["layers"]))
    for f in report["findings"]:
        lines.append(f"  - {f['text']}")
    return "\n".join(lines)


def healthy_line(rows) -> str:
    """What a run without findings was found healthy in: only what was measured
    (a run without update ratios or a probe set is not called healthy in them)."""
    def any_(key):
        return any(r[key] is not None for r in rows)
    signs = ([] if not any_("update_ratio") else ["update ratios between 10^-4 and 10^-2"]) + (
        [f"under {pct(DEAD)} dead units, under {pct(SATURATED)} saturated activations"]
        if any_("dead_fraction") or any_("saturated_fraction") else [])
    if not signs:
        return f"no finding in what is recorded (weight RMS growth under {GROWTH:g}x)"
    return ("healthy: " if len(signs) == 2 else "healthy in what is recorded: ") + \
        ", ".join(signs)


def json_report(reports) -> dict:
    def clean(v):
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items() if not k.startswith("_")}
        if isinstance(v, list):
            return [clean(x) for x in v]
        if isinstance(v, float) and not math.isfinite(v):
            return None
        return v
    return {"runs": [clean(r) for r in reports]}
