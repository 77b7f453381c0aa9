"""The colour scale: one symmetric diverging scale for a whole run."""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps

CMAP = "RdBu_r"          # blue negative, red positive; readable for most colour vision
LUT_SIZE = 256


def lut(cmap=CMAP) -> np.ndarray:
    """(LUT_SIZE, 3) float32 RGB in [0, 1]."""
    return colormaps[cmap](np.linspace(0, 1, LUT_SIZE))[:, :3].astype(np.float32)


def lut_index(values: np.ndarray, scale: float) -> np.ndarray:
    """Map values in [-scale, scale] (clipped) to LUT indices, 0 in the middle."""
    x = np.asarray(values, np.float32) * (0.5 / scale) + 0.5
    return np.clip(x * (LUT_SIZE - 1) + 0.5, 0, LUT_SIZE - 1).astype(np.intp)


def weight_scale(snapshots, percentile: float = 99.0, max_snapshots: int = 200) -> float:
    """One robust symmetric scale for a whole run: for each layer, the
    ``percentile`` of |w| over (up to ``max_snapshots`` evenly spaced)
    snapshots, and their geometric mean over layers. A percentile keeps one
    outlier from washing out the colours; the per-layer geometric mean keeps a
    784-input layer's 25,000 small weights from saturating the later layers,
    and their larger weights from bleaching it."""
    n = len(snapshots)
    if n == 0:
        return 1.0
    idx = np.unique(np.linspace(0, n - 1, min(n, max_snapshots)).round().astype(int))
    params = np.asarray(snapshots.records["params"][idx])
    layers, start = [], 0
    for k, shape in enumerate(snapshots.shapes):
        size = int(np.prod(shape))
        if k % 2 == 0:  # W0, b0, W1, b1, ...: the weights
            layers.append(params[:, start:start + size])
        start += size
    return layer_scale(layers, percentile)


def layer_scale(layers, percentile: float = 99.0) -> float:
    """Geometric mean over layers of each layer's ``percentile`` of |w|
    (``layers``: one array of weights per layer, any shape)."""
    per_layer = [np.percentile(np.abs(np.asarray(w)), percentile) for w in layers]
    s = float(np.exp(np.mean(np.log(np.maximum(per_layer, 1e-12)))))
    return s if np.isfinite(s) and s > 0 else 1.0
