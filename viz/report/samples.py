"""The report's strip of held-out samples (``--sample``, :mod:`..sample`):
up to STRIP held-out rows to click, and for each of them, at every kept
snapshot, the shown units' activations and the output probabilities, which
the page draws as the film does (unit fills, probability bars, the answer).

``strip(run, G, keep)`` -> the page's ``samples`` entry of a run (None for
a run without held-out rows, and for 2-D data, whose units show maps,
unless ``--sample N`` asks for a point):

- ``rows``: the held-out row numbers offered (0..15, and ``--sample N`` if
  beyond them); ``first``: the position shown first (None: ``--sample none``);
- ``labels``: each one's true class name (or None);
- ``image``: for image runs, the rows as 8-bit grey (0 white .. 255 black),
  base64; ``values``: for tables, the rows' input values;
- ``layers``: per layer 1..L, ``lo``/``hi``: per sample the colour range
  (:func:`..sample.ranges` over the snapshots held, the film's own range for
  the ``--sample`` row) and ``data``: base64 uint8 codes of (S, n_rows,
  shown units), ``lo[k] + code / 255 * (hi[k] - lo[k])`` for sample k;
- ``probability``: whether the last layer holds class probabilities;
- ``answers``: per kept snapshot and sample, over every output (shown or
  not): a classifier's ``class`` (index) and ``probability``; a
  regression's first output ``value`` and the sample's ``target``;
  ``lut``/``signed``: the page's colour tables for 0..max and signed ranges.
"""
from __future__ import annotations

import numpy as np

from .. import sample as smp
from ..sample_paint import table
from .data import b64, hex_colours

STRIP = 16


def strip(run, G, keep):
    if smp.is_plane(run) and G.graph.get("sample") is None:
        return None         # 2-D data follows a point only when asked (--sample N)
    rows = smp.held_out(run)
    if rows is None:
        return None
    X, y = rows
    chosen = G.graph.get("sample")
    picks = list(range(min(STRIP, len(X))))
    if chosen is not None and chosen not in picks:
        picks.append(int(chosen))
    forward = smp.SampleForward(run, X[picks])
    shown = G.graph["shown"]
    L = len(shown) - 1
    acts = [np.empty((len(keep), len(picks), len(shown[l]))) for l in range(L + 1)]
    task = run.config["data"]["task"]
    classify = task == "classification"
    said = np.zeros((len(keep), len(picks)), int)         # the answer, over every output
    sure = np.zeros((len(keep), len(picks)))
    predicted = np.zeros((len(keep), len(picks)))          # a regression's first output
    for k, t in enumerate(keep):
        snap = run.snapshots[int(t)]
        out = forward(snap.weights, snap.biases)
        for l in range(1, L + 1):
            acts[l][k] = out[l][:, shown[l]]
        if classify:
            said[k], sure[k] = out[L].argmax(axis=1), out[L].max(axis=1)
        else:
            predicted[k] = out[L][:, 0]
    # Each sample's colours span its own range, as a film of it would; the
    # sample the page opens on (--sample) has exactly its film's range.
    activation = run.settings.get("activation", "identity")
    per = [smp.ranges(activation, task, [None] + [a[:, j] for a in acts[1:]])
           for j in range(len(picks))]
    film = G.graph.get("sample_scales")
    if chosen is not None and film:
        per[picks.index(int(chosen))] = [None] + [tuple(r) for r in film[1:]]
    layers = []
    for l in range(1, L + 1):
        lo = np.array([p[l][0] for p in per])[None, :, None]
        hi = np.array([p[l][1] for p in per])[None, :, None]
        with np.errstate(all="ignore"):
            codes = np.clip(np.rint((acts[l] - lo) / np.maximum(hi - lo, 1e-12) * 255), 0, 255)
        layers.append({"lo": [float(p[l][0]) for p in per], "hi": [float(p[l][1]) for p in per],
                       "data": b64(np.nan_to_num(codes).astype(np.uint8))})
    names = run.config["data"].get("class_names") or []
    labels = [smp.Sample(run, i, X[i], None if y is None else y[i]).label_name for i in picks]
    out = {"rows": picks, "first": None if chosen is None else picks.index(int(chosen)),
           "labels": labels, "layers": layers,
           "probability": classify, "classes": [str(n) for n in names],
           "lut": hex_colours(table(0)), "signed": hex_colours(table(-1))}
    if classify:
        out["answers"] = {"class": said.tolist(), "probability": np.round(sure, 4).tolist()}
    else:                       # the prediction and the target, as the network sees them
        target = None if y is None else np.asarray(y, float).reshape(len(X), -1)[picks, 0]
        out["answers"] = {"value": _rounded(predicted), "target":
                          None if target is None else _rounded(target)}
    if G.graph.get("image_shape") is not None:
        img = X[picks].astype(np.float64)
        lo, hi = min(float(img.min()), 0.0), max(float(img.max()), 1e-12)
        out["image"] = b64(np.rint((img - lo) / (hi - lo) * 255).astype(np.uint8))
    elif G.graph.get("sample_at_inputs") == "values":
        out["values"] = np.round(X[picks][:, shown[0]].astype(float), 4).tolist()
    return out


def _rounded(a):
    return [float(f"{v:.4g}") if np.isfinite(v) else None for v in np.ravel(a)] \
        if np.ndim(a) == 1 else [_rounded(r) for r in a]
