"""The report's unit maps (2-D data, issue 19): each shown hidden unit's
output over the input plane, as :mod:`..unit_maps` computes and colours it,
coarser so the page stays small.

``map_payload(run, G, keep)`` returns None (no maps) or ``{"g", "legend",
"lut", "snaps", "layers"}``: ``lut`` the maps' 256 colours (hex), ``snaps``
for each kept snapshot the row of ``data`` it shows (the nearest of at most
MAP_SNAPSHOTS), and per hidden layer ``boxes`` (x, y, w, h in the scene's
pixels, one per shown unit, in order) and ``data``: base64 uint8 colour
indices, (len(snaps rows), units, g, g), rows from the top (y falling).
"""
from __future__ import annotations

import numpy as np

from .. import unit_maps as um
from .data import b64, hex_colours, thinned
from .scene import _box

GRID = 12                # points per side: 64 units x 40 snapshots stay under 0.4 MB
MAP_SNAPSHOTS = 40


def map_payload(run, G, keep):
    g = G.graph
    if "response_grid" not in g or not any(g["map_px"]):
        return None
    layers = [l for l in range(len(g["sizes"])) if g["map_px"][l] and g["response_range"][l]]
    rows, snaps = thinned(len(keep), MAP_SNAPSHOTS)
    src = um.MapSource(G, GRID)
    table = um.lut()
    data = {l: [] for l in layers}
    for k in rows:
        s = run.snapshots[int(keep[k])]
        maps = src(s.weights, s.biases)
        for l in layers:
            idx = um.map_index(maps[l][:, ::-1], g["response_range"][l])
            data[l].append(idx.astype(np.uint8))
    return {"g": GRID, "legend": um.legend_text(G).split(": ", 1)[1],
            "lut": hex_colours(table), "snaps": snaps.tolist(),
            "layers": [{"layer": l, "boxes": [list(_box(G.nodes[f"{l}:{u}"]["map"]))
                                              for u in g["shown"][l]],
                        "data": b64(np.stack(data[l]))} for l in layers]}
