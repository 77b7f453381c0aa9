"""The report's dead and saturated units and update-ratio strips (issue 18),
as plain data for marks.js: the same states as the film's
(:mod:`..unit_health`) and the same strips (:mod:`..ratio_strip`).

``marks_payload(run, G, keep)``: None when the run has no marks, else
``kind`` ("dead" or "saturated"), ``legend`` (what a hollow or ringed unit
means) and per hidden layer ``layer`` (its index in the scene), ``counts``
(units bearing the mark at each kept snapshot, over all of the layer's
units) and ``flags`` (base64 uint8, kept snapshot x shown unit: 1 dead,
2 saturated). ``strip_payload(run)``: :func:`..ratio_strip.page_entry`.
"""
from __future__ import annotations

import numpy as np

from . import data as qd
from ..ratio_strip import page_entry, ratio_series
from ..unit_health import unit_health


def marks_payload(run, G, keep):
    uh = unit_health(run)
    if uh.marks is None:
        return None
    shown = G.graph["shown"]
    layers = []
    for l in range(1, len(shown) - 1):
        idx = np.asarray(shown[l])
        flags = np.zeros((len(keep), len(idx)), np.uint8)
        counts = []
        for k, i in enumerate(keep):
            st = uh.at(int(i))[l - 1]
            flags[k] = st.dead[idx] * 1 + st.saturated[idx] * 2
            counts.append(int(getattr(st, uh.marks).sum()))
        layers.append({"layer": l, "counts": counts, "flags": qd.b64(flags)})
    return {"kind": uh.marks, "legend": uh.legend()[0][1], "layers": layers}


def strip_payload(run):
    return page_entry(ratio_series(run))
