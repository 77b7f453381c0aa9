"""What the report draws and where, taken from the drawn graph (viz.drawn),
the one model the film, figure and comparison draw from: the shown units of
each layer in their order, "+N more", the input grid and receptive-field
tiles of image data, top:K edge masks and the per-gap colour scales.

``scene(G)`` turns the graph's axes-unit positions (y up) into canvas pixels
of a WIDTH x HEIGHT design (y down), which the page scales to its canvas.
"""
from __future__ import annotations

import numpy as np

from ..drawn import build_drawn_graph
from ..quantities import NAMES as COLORS   # the concrete quantities (not auto)

WIDTH, HEIGHT = 960, 600
PANEL = (960, 500)      # the drawn graph's panel in canvas pixels
TOP = 40                # room above it for the per-gap colour bars
TILE_GAP_X = 10         # between the tile columns, and the near one and the units
TILE_GAP_Y = 6          # the least white between a connector and the next tiles
FAN = 40                # the grid's fan of lines to the tiles


def drawn_graphs(run, options, reference=None):
    """The drawn graph of ``run`` for ``options`` and, for the page's colour
    switch, one per colour quantity on the same units. Returns (G, {color: G})."""
    G = build_drawn_graph(run, options, panel_px=PANEL, reference=reference)
    per = {options.color: G}
    for c in COLORS:
        if c not in per:
            per[c] = build_drawn_graph(run, options.with_(color=c), panel_px=PANEL, reference=G)
    return G, per


def _xy(x, y):
    return float(x) * PANEL[0], TOP + (1.0 - float(y)) * PANEL[1]


def _box(b):
    x0, y0 = _xy(b[0], b[3])
    x1, y1 = _xy(b[2], b[1])
    return x0, y0, x1 - x0, y1 - y0


def scene(G) -> dict:
    """The drawing as plain data for the page: per layer its column ``x``,
    ``units`` (indices, top to bottom), their ``y``, radius ``r``, ``more``
    and where its "+N more" goes, ``label``, ``names``; the input ``grid``
    and the first layer's ``tiles`` for image data."""
    g = G.graph
    sizes, shown = g["sizes"], g["shown"]
    image = g.get("image_shape") is not None
    layers = []
    for l, idx in enumerate(shown):
        label = g["layer_labels"][l].replace("\n", " · ")
        layer = {"x": _xy(g["x"][l], 0)[0], "n": int(sizes[l]), "units": [int(u) for u in idx],
                 "more": int(g["more"][l]), "label": label,
                 "shown": f"({len(idx)} shown)" if g["more"][l] else ""}
        if l == 0 and image:
            layer["kind"] = "grid"
        else:
            pitch = g["pitch"][l]
            layer.update(kind="units", y=[_xy(0, G.nodes[f"{l}:{u}"]["y"])[1] for u in idx],
                         r=float(np.clip(pitch * 0.36 * PANEL[1] / g["panel_px"][1], 3.5, 9.0)))
            if g["more"][l]:
                m = G.nodes[f"{l}:more"]
                layer["moreAt"] = list(_xy(m["x"], m["y"]))
            names = (g.get("feature_names") if l == 0 else
                     g.get("class_names") if l == len(sizes) - 1 else None)
            if names:
                layer["names"] = [str(names[u]) for u in idx]
        layers.append(layer)
    conv = bool(g.get("conv"))
    out = {"width": WIDTH, "height": HEIGHT, "layers": layers, "image": image,
           "conv": conv, "tileGaps": [],
           "quantity": g.get("quantity", ""), "importance": g.get("importance", "")}
    if image:
        h, w = g["image_shape"]
        x, y, bw, bh = _box(G.nodes["0:grid"]["box"])
        out["grid"] = {"x": x, "y": y, "s": bw, "sh": bh, "h": int(h), "w": int(w)}
        out["tiles"] = (_boxes(G, 1) if conv else _tiles(G, out["grid"], layers[1]))
    for l, M in enumerate(g.get("tile_maps") or []):
        if M is not None:   # each unit's tile: a picture of positions into the gap's rows
            out["tileGaps"].append({"gap": l, "h": int(M.shape[0]), "w": int(M.shape[1]),
                                    "block": [int(v) for v in g["tile_block"][l]],
                                    "map": [int(v) for v in M.ravel()],
                                    "tiles": out["tiles"] if l == 0 else _boxes(G, l + 1)})
    return out


def _boxes(G, layer) -> list:
    """The tiles of a column's shown units, as the drawn graph places them."""
    out = []
    for u in G.graph["shown"][layer]:
        x, y, bw, bh = _box(G.nodes[f"{layer}:{u}"]["tile"])
        out.append({"x": x, "y": y, "s": bw, "sh": bh})
    return out


def _tiles(G, grid, first) -> list:
    """The first layer's tiles, as the film lays them: two zig-zag columns
    beside the units, each tile level with its unit and at most two unit
    pitches tall, so that every tile's connector to its unit runs through
    the gap between the next column's tiles and no two tiles touch (the
    drawn graph packs up to three columns 3 px apart, which on the page reads
    as stripes of noise); a tile is as large as that allows, at most 84 px.
    A unit's tile in full is shown beside the grid when it is hovered."""
    tiles = []
    for u in first["units"]:
        x, y, bw, bh = _box(G.nodes[f"1:{u}"]["tile"])
        tiles.append({"x": x, "y": y, "s": bw, "sh": bh})
    if len(first["y"]) < 2:
        return tiles
    pitch = abs(first["y"][1] - first["y"][0])
    aspect = grid["w"] / grid["h"]
    near = first["x"] - first["r"] - TILE_GAP_X          # right edge of the near column
    room = near - (grid["x"] + grid["s"]) - FAN         # leave the grid's fan its room
    side = min(2 * pitch - TILE_GAP_Y, 84.0, (room - TILE_GAP_X) / (2 * aspect))
    if side < 12:       # a crowded column: the drawn graph's own boxes
        return tiles
    w = side * aspect
    return [{"x": near - w - (w + TILE_GAP_X) * (k % 2), "y": y - side / 2, "s": w, "sh": side}
            for k, y in enumerate(first["y"])]


def held_entries(G) -> list:
    """Per weight matrix l: (rows, cols) index arrays, the shown units on
    either side (for an image input: every pixel; for a conv run's tile
    gaps: the fan-in entries its tiles show, ``tile_rows``)."""
    shown = G.graph["shown"]
    rows = G.graph.get("tile_rows") or [None] * (len(shown) - 1)
    return [(np.asarray(shown[l] if rows[l] is None else rows[l]), np.asarray(shown[l + 1]))
            for l in range(len(shown) - 1)]


def masks(G) -> list:
    """Per gap: None (every held edge drawn) or (rows, cols) bool of top:K."""
    return [None if m is None else np.asarray(m, bool) for m in G.graph["masks"]]
