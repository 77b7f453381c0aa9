"""The numbers a report holds: which units and snapshots, quantised to bytes.

Stages (each a small function): ``keep_snapshots`` thins a run to at most N
evenly spaced snapshots; the drawn graph (viz.drawn) says which units' weights
the page holds (those it shows); ``collect`` reads the held weights of the
kept snapshots, one snapshot at a time (never the whole run in memory);
``quantise`` turns each layer's values into 8-bit codes on that layer's own
scale.

Codes: 0 marks a non-finite value (a diverged run); 1..255 stand for
``(code - 128) / 127 * q`` where ``q`` is the layer's largest finite |value|,
so a decoded value is within ``q / 254`` of the recorded one.
"""
from __future__ import annotations

import base64

import numpy as np



def keep_snapshots(n: int, limit: int) -> np.ndarray:
    """Indices of at most ``limit`` evenly spaced snapshots of ``n``, always
    including the first and the last. Returns (k,) int, increasing."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(int))


def quantise(values: np.ndarray):
    """values: any shape, float -> (codes uint8 of that shape, q float).

    q is the largest finite |value| (1e-30 when all are 0)."""
    v = np.asarray(values, np.float64)
    finite = np.isfinite(v)
    q = float(np.abs(v[finite]).max()) if finite.any() else 0.0
    q = q if q > 0 else 1e-30
    codes = np.clip(np.rint(np.where(finite, v, 0) / q * 127), -127, 127) + 128
    return np.where(finite, codes, 0).astype(np.uint8), q


def collect(run, keep, held):
    """Read the held weights and biases of the kept snapshots.

    keep: (S,) snapshot indices; held: per layer l, (rows, cols) index arrays
    into W[l] (rows into layer l's units, cols into layer l+1's; a conv
    kernel is read as its (C * k * k, O) matrix).
    Returns per layer a dict of float arrays: ``w`` (S, r, c), ``b`` (S, c),
    ``uw``/``ub`` the same shapes (change per step since the previous
    recorded snapshot, 0 for snapshot 0), and ``w0``/``b0`` (snapshot 0).
    """
    snaps = run.snapshots
    S = len(keep)
    out = [{"w": np.empty((S, len(r), len(c)), np.float32),
            "b": np.empty((S, len(c)), np.float32),
            "uw": np.zeros((S, len(r), len(c)), np.float32),
            "ub": np.zeros((S, len(c)), np.float32)} for r, c in held]
    steps = snaps.steps
    prev = None
    from ..drawn_conv import as_matrix       # a kernel (O, C, k, k) as (C k k, O)

    def mats(snap):
        return [as_matrix(W) for W in snap.weights]
    for k, t in enumerate(keep):
        snap = snaps[int(t)]
        weights = mats(snap)
        if t > 0:
            before = prev if prev is not None and prev.index == t - 1 else snaps[int(t) - 1]
            dt = max(int(steps[t] - steps[t - 1]), 1)
        before_w = mats(before) if t > 0 else None
        for l, (r, c) in enumerate(held):
            W, b = weights[l], snap.biases[l]
            out[l]["w"][k] = W[np.ix_(r, c)]
            out[l]["b"][k] = b[c]
            if t > 0:
                with np.errstate(all="ignore"):
                    out[l]["uw"][k] = (W[np.ix_(r, c)] - before_w[l][np.ix_(r, c)]) / dt
                    out[l]["ub"][k] = (b[c] - before.biases[l][c]) / dt
        prev = snap
    first = snaps[0] if keep[0] != 0 else None
    for l, (r, c) in enumerate(held):
        out[l]["w0"] = out[l]["w"][0] if first is None else \
            as_matrix(first.weights[l])[np.ix_(r, c)]
        out[l]["b0"] = out[l]["b"][0] if first is None else first.biases[l][c]
    return out


def encode_layer(vals: dict) -> dict:
    """One layer's held values -> what the page embeds: ``w0``/``b0`` as raw
    float32, change and update as 8-bit codes (base64), each with its
    quantisation scale ``q``."""
    with np.errstate(all="ignore"):
        cw, cb = vals["w"] - vals["w0"], vals["b"] - vals["b0"]
    enc = {}
    for name, arr in (("cw", cw), ("cb", cb), ("uw", vals["uw"]), ("ub", vals["ub"])):
        codes, q = quantise(arr)
        enc[name] = {"q": q, "data": b64(codes)}
    enc["w0"] = b64(np.asarray(vals["w0"], "<f4"))
    enc["b0"] = b64(np.asarray(vals["b0"], "<f4"))
    return enc


def b64(arr: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode("ascii")


def hex_colours(rgb) -> list:
    """"#rrggbb" of each row of an (n, 3) table of 0..1 colours, for the page."""
    return ["#%02x%02x%02x" % tuple(int(round(c * 255)) for c in v) for v in rgb]


def thinned(n: int, limit: int):
    """(rows, snaps): at most ``limit`` of ``n`` kept snapshots to hold data
    for (:func:`keep_snapshots`), and for each kept snapshot the position in
    ``rows`` of the nearest one at or before it."""
    rows = keep_snapshots(n, limit)
    return rows, np.searchsorted(rows, np.arange(n), side="right") - 1
