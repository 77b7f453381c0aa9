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
    """A robust symmetric scale: the ``percentile`` of |w| over every weight of
    (up to ``max_snapshots`` evenly spaced) snapshots, so one outlier does not
    wash out the colours and the scale is the same in every frame."""
    n = len(snapshots)
    if n == 0:
        return 1.0
    idx = np.unique(np.linspace(0, n - 1, min(n, max_snapshots)).round().astype(int))
    recs = snapshots.records
    mask = None
    absw = []
    for i in idx:
        p = np.asarray(recs[i]["params"])
        if mask is None:
            mask = weight_mask(snapshots.shapes)
        absw.append(np.abs(p[mask]))
    s = float(np.percentile(np.concatenate(absw), percentile))
    return s if np.isfinite(s) and s > 0 else 1.0


def weight_mask(shapes) -> np.ndarray:
    """Boolean mask over a snapshot's flat params selecting the weights (not biases)."""
    parts = [np.full(int(np.prod(s)), k % 2 == 0) for k, s in enumerate(shapes)]
    return np.concatenate(parts)
