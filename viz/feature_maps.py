"""Conv runs with a sample (``--sample``, issue 21): each shown channel's
feature map on that input, drawn as a small heatmap just right of the
channel's unit (its kernel tile is on the left), in films and figures;
the graph export carries it as ``feature_map``.

A channel's map is its activation over the image (after the activation
function, before pooling: ``map_shape`` of the conv layer), at the snapshot
drawn. One owner for them, in the manner of :mod:`.unit_maps` (whose
painter draws them):

- ``place(G, run)`` (from :func:`.drawn.build_drawn_graph`, after the sample
  is attached): each shown channel's ``fmap`` box, as tall as the units'
  spacing allows and as wide as the room before the next column's tiles
  (no maps where that is under MIN_SIDE px); ``fmap_px``, ``fmap_grid``
  (the map's side in cells) per column; ``fmap_range``, the colour range
  over the maps of the snapshots the scales are sampled from (fixed for the
  film, as the 2-D maps' ranges are), comes from :func:`channel_ranges`,
  which :func:`.sample.attach` calls on its own forward passes;
- ``cut(G, maps)``: the shown channels' maps of one forward pass
  (:attr:`.sample.SampleForward.maps`), per column, rows from the bottom.
"""
from __future__ import annotations

import numpy as np

from .decor import unit_radius

MIN_SIDE = 8           # px; narrower room: no maps in that column
MAX_SIDE = 0.12        # at most this share of the panel's height


def place(G, run):
    """Set the feature-map boxes of G's conv columns (see the module)."""
    conv = G.graph.get("conv")
    if not conv or G.graph.get("sample") is None or G.graph["color"] == "difference":
        return
    pw, ph = G.graph["panel_px"]
    xs, shown = G.graph["x"], G.graph["shown"]
    L = len(G.graph["sizes"])
    G.graph.update(fmap_px=[0.0] * L, fmap_grid=[0] * L)   # fmap_range: from the sample
    for l in range(1, len(conv) + 1):
        _, h, w = conv[l - 1]["map_shape"]
        units, pitch = shown[l], G.graph["pitch"][l]
        if h != w or not units or l + 1 >= L:
            continue
        r = unit_radius(pitch)
        nxt = [G.nodes[f"{l + 1}:{u}"]["tile"][0] for u in shown[l + 1]
               if "tile" in G.nodes[f"{l + 1}:{u}"]]
        right = min(nxt) if nxt else xs[l + 1]
        room = (right - xs[l]) * pw - r - 3 - 5
        side = float(np.floor(min(pitch - 3, room, MAX_SIDE * ph)))
        if side < MIN_SIDE:
            continue
        G.graph["fmap_px"][l], G.graph["fmap_grid"][l] = side, int(h)
        for u in units:
            node = G.nodes[f"{l}:{u}"]
            x0 = xs[l] + (r + 3) / pw
            node["fmap"] = (x0, node["y"] - 0.5 * side / ph, x0 + side / pw,
                            node["y"] + 0.5 * side / ph)


def channel_ranges(G, activation, maps):
    """``fmap_range``: per drawn column, None or the colour range of its
    shown channels' maps (:func:`.unit_maps.layer_range`) over ``maps``, one
    :attr:`.sample.SampleForward.maps` per snapshot the scales are sampled
    from (the sample's forward passes, :func:`.sample.attach`)."""
    from .unit_maps import layer_range
    out = [None] * len(G.graph["sizes"])
    for l in range(1, len(G.graph.get("conv") or ()) + 1):
        samples = [m[l - 1][G.graph["shown"][l]] for m in maps if m[l - 1] is not None]
        out[l] = layer_range(activation, samples) if samples else None
    return out


def cut(G, maps):
    """Per drawn column, None or the shown channels' maps (n_shown, g, g),
    float32, rows from the bottom (as the painter draws a map); ``maps``: per
    hidden layer of the network, None or the (C, H, W) maps of one input."""
    out = [None] * len(G.graph["sizes"])
    px = G.graph.get("fmap_px") or []
    for l, M in enumerate(maps or [], start=1):
        if M is not None and l < len(px) and px[l]:
            out[l] = np.ascontiguousarray(M[G.graph["shown"][l], ::-1], np.float32)
    return out


def write(H, maps):
    """Onto a drawn graph copy ``H``: each shown channel's ``feature_map``
    (rows from the top, as the image), when the drawing has them."""
    if maps is None or not H.graph.get("fmap_px"):
        return
    for l, M in enumerate(maps):
        if M is None or not H.graph["fmap_px"][l]:
            continue
        for o, u in enumerate(H.graph["shown"][l]):
            H.nodes[f"{l}:{u}"]["feature_map"] = M[o][::-1].astype(float).tolist()
