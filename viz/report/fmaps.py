"""The report's conv feature maps (issue 21): for each sample of the strip
(:mod:`.samples`), each shown channel's map on it, coloured as the film
colours it (:mod:`..feature_maps`, :mod:`..unit_maps`), coarser and at
fewer snapshots so the page stays small.

``fmap_payload(run, G, keep, rows)`` returns None (no maps: not a conv run,
no sample, or no room beside the units) or ``{"lut", "snaps", "layers"}``:
``lut`` the 256 colours (hex); ``snaps`` for each kept snapshot the row of
``data`` it shows (the nearest of at most FMAP_SNAPSHOTS); per conv column
``layer``, ``g`` (cells a side), ``boxes`` (x, y, w, h in the scene's pixels,
one per shown channel) and ``data``: base64 uint8 colour indices, (snapshot
rows, samples, channels, g, g), rows from the top as the image.
"""
from __future__ import annotations

import numpy as np

from .. import unit_maps as um
from ..sample import SampleForward, held_out
from .data import b64, hex_colours, thinned
from .scene import _box

FMAP_SNAPSHOTS = 10      # 16 samples x 10 snapshots of mnist-cnn's maps: about 0.35 MB
MAX_CELLS = 12           # a map is block-averaged down to at most this many cells a side


def fmap_payload(run, G, keep, rows):
    g = G.graph
    if not any(g.get("fmap_px") or ()) or not rows:
        return None
    layers = [l for l, px in enumerate(g["fmap_px"]) if px and g["fmap_range"][l]]
    X = held_out(run)[0][list(rows)]
    forward = SampleForward(run, X)
    picks, snaps = thinned(len(keep), FMAP_SNAPSHOTS)
    data = {l: [] for l in layers}
    for k in picks:
        s = run.snapshots[int(keep[k])]
        forward(s.weights, s.biases)
        for l in layers:
            A = forward.raw[l - 1][:, g["shown"][l]]             # (samples, channels, H, W)
            data[l].append(um.map_index(_coarse(A), g["fmap_range"][l]).astype(np.uint8))
    return {"lut": hex_colours(um.lut()), "snaps": snaps.tolist(),
            "layers": [{"layer": l, "g": int(data[l][0].shape[-1]),
                        "boxes": [list(_box(G.nodes[f"{l}:{u}"]["fmap"])) for u in g["shown"][l]],
                        "data": b64(np.stack(data[l]))} for l in layers]}


def _coarse(A):
    """(…, H, W) maps block-averaged to at most MAX_CELLS a side."""
    h = A.shape[-1]
    f = -(-h // MAX_CELLS)
    if f == 1:
        return A
    n = h // f * f
    A = A[..., :n, :n]
    return A.reshape(*A.shape[:-2], n // f, f, n // f, f).mean(axis=(-3, -1))

