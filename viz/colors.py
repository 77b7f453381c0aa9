"""The diverging colour map and its lookup table (values on a symmetric scale)."""
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
