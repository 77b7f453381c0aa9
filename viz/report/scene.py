"""What the report draws and where: the shown units of each layer, their
positions on the page's canvas, the input grid and receptive-field tiles of
image data, and the "+N more" counts.

Positions are in canvas pixels of a WIDTH x HEIGHT design; the page scales
them to its canvas. ``held`` says which entries of each weight matrix the
report keeps: the edges between shown units (for image data, every input
pixel into each shown first-layer unit: its receptive field).
"""
from __future__ import annotations

import numpy as np

WIDTH, HEIGHT = 960, 600
TOP, BOTTOM = 50, 522          # units live between these y's
MAX_FULL = 64                  # a layer this small is always shown whole


def importance(weights, l: int) -> np.ndarray:
    """How much hidden unit j of layer l (1..L-1) carries: the norm of its
    incoming weights times the norm of its outgoing weights (final snapshot).
    weights[l]: (n_l, n_{l+1}). Returns (n_l,)."""
    w_in = np.nan_to_num(np.asarray(weights[l - 1], np.float64))
    w_out = np.nan_to_num(np.asarray(weights[l], np.float64))
    return np.linalg.norm(w_in, axis=0) * np.linalg.norm(w_out, axis=1)


def shown_units(weights, sizes, units, image: bool) -> list:
    """Per layer, the sorted indices of the units drawn. ``units``: K or
    "all". Inputs: all for image data or small layers; else the K with the
    largest outgoing weights. Outputs: all unless huge."""
    shown = []
    L = len(sizes)
    for l, n in enumerate(sizes):
        if units == "all" or n <= units or (l == 0 and image):
            shown.append(np.arange(n))
            continue
        if l == 0:
            score = np.linalg.norm(np.nan_to_num(np.asarray(weights[0], np.float64)), axis=1)
        elif l == L - 1:
            score = np.linalg.norm(np.nan_to_num(np.asarray(weights[-1], np.float64)), axis=0)
        else:
            score = importance(weights, l)
        k = n if l == L - 1 and n <= MAX_FULL else units
        shown.append(np.sort(np.argsort(-score, kind="stable")[:k]))
    return shown


def build_scene(sizes, shown, input_shape=None, labels=None, activation=None) -> dict:
    """The drawing as plain data for the page (see module docstring)."""
    image = input_shape is not None and len(sizes) > 2
    L = len(sizes)
    x_first = 420 if image else 70
    xs = np.linspace(x_first, WIDTH - 70, L - (1 if image else 0))
    xs = ([40.0] if image else []) + list(xs)
    layers = []
    for l, (n, idx) in enumerate(zip(sizes, shown)):
        k = len(idx)
        name = "input" if l == 0 else ("output" if l == L - 1 else f"hidden {l}")
        label = f"{name} · {n}" + (f" {activation}" if activation and 0 < l < L - 1 else "")
        if k < n:
            label += f" ({k} shown)"
        layer = {"x": float(xs[l]), "label": label, "n": int(n), "more": int(n - k),
                 "units": [int(i) for i in idx]}
        if l == 0 and image:
            layer.update(kind="grid")
        else:
            gap = min((BOTTOM - TOP) / max(k - 1, 1), 40.0)
            mid = (TOP + BOTTOM) / 2
            layer.update(kind="units",
                         y=[float(mid - gap * ((k - 1) / 2 - i)) for i in range(k)],
                         r=float(np.clip(gap * 0.36, 3.5, 9.0)), gap=float(gap))
            if labels is not None and l == L - 1:
                layer["names"] = [str(labels[i]) for i in idx]
        layers.append(layer)
    scene = {"width": WIDTH, "height": HEIGHT, "layers": layers, "image": image}
    if image:
        h, w = input_shape
        side = 150.0
        scene["grid"] = {"x": 20.0, "y": (TOP + BOTTOM) / 2 - side / 2, "s": side,
                         "h": int(h), "w": int(w)}
        first = layers[1]
        g = first["gap"]
        cols = 1 if g >= 40 else 3             # staggered columns of tiles
        t = float(np.clip(cols * g - 4, 12, 56))
        x_unit = first["x"]
        scene["tiles"] = [{"x": x_unit - 16 - t - (t + 8) * (cols - 1 - k % cols),
                           "y": y - t / 2, "s": t} for k, y in enumerate(first["y"])]
    return scene


def held_entries(shown) -> list:
    """Per weight matrix l: (rows, cols), the shown units on either side."""
    return [(shown[l], shown[l + 1]) for l in range(len(shown) - 1)]
