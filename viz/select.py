"""Which units a picture shows and in what order.

Stages of the drawn graph (see :mod:`.drawn`): how many units fit (``auto_units``), which are most important
(``importance``), and similar units side by side (``similarity_order``).
"""
from __future__ import annotations

import numpy as np

MIN_PITCH_ALL = 12.0   # px between unit centres when every unit of a layer is shown
MIN_PITCH = 16.0       # px between unit centres of a layer cut to its K most important
MAX_AUTO_UNITS = 24    # at most this many units of a cut layer (legible lines)
MAX_FULL_LAYER = 32    # a layer up to this size is shown whole when it fits


def auto_units(n, usable_px, cut=True):
    """How many of a layer's ``n`` units to show in a column ``usable_px`` tall:
    all when they fit at MIN_PITCH_ALL and n <= MAX_FULL_LAYER, else the K
    that fit at MIN_PITCH (at most MAX_AUTO_UNITS); one slot is kept free for
    the "+N more" label."""
    if n <= MAX_FULL_LAYER and n * MIN_PITCH_ALL <= usable_px:
        return n
    if not cut:
        return n
    return int(max(2, min(MAX_AUTO_UNITS, usable_px // MIN_PITCH - 1, n)))


def importance(Q, layer):
    """Importance of each unit of ``layer`` (0 = inputs) from the final
    quantity arrays ``Q`` (list of (n_l, n_{l+1})): the product of the L2 norms
    of its incoming and outgoing weights (one side for inputs and outputs).

    A unit with small incoming or small outgoing weights passes little signal
    through, so it matters little to the picture; the measure is taken once,
    from the final snapshot, and so fixed for the whole film.
    """
    out = np.linalg.norm(Q[layer], axis=1) if layer < len(Q) else 1.0
    inc = np.linalg.norm(Q[layer - 1], axis=0) if layer > 0 else 1.0
    return np.asarray(inc * out, np.float64)


def choose(scores, k):
    """Indices of the k highest ``scores`` (all when k >= n), ascending."""
    n = len(scores)
    if k >= n:
        return np.arange(n)
    return np.sort(np.argsort(-np.asarray(scores), kind="stable")[:k])


def similarity_order(vectors):
    """An order of rows of ``vectors`` (n, d) that puts similar rows together:
    a greedy chain on cosine similarity, starting from the row least like the
    others and always stepping to the most similar row not yet placed."""
    V = np.asarray(vectors, np.float64)
    n = len(V)
    if n <= 2:
        return np.arange(n)
    V = V / np.maximum(np.linalg.norm(V, axis=1, keepdims=True), 1e-12)
    S = V @ V.T
    np.fill_diagonal(S, -np.inf)
    current = int(np.argmin(np.where(np.isfinite(S), S, 0).sum(axis=1)))
    order, used = [current], np.zeros(n, bool)
    used[current] = True
    for _ in range(n - 1):
        sim = np.where(used, -np.inf, S[current])
        current = int(np.argmax(sim))
        used[current] = True
        order.append(current)
    return np.array(order)


def top_k_mask(M, k):
    """(rows, cols) bool: the k largest |M| in each column (all when k = 0)."""
    M = np.asarray(M)
    if k <= 0 or k >= M.shape[0]:
        return np.ones(M.shape, bool)
    top = np.argpartition(-np.abs(M), k - 1, axis=0)[:k]
    mask = np.zeros(M.shape, bool)
    np.put_along_axis(mask, top, True, axis=0)
    return mask


def robust_scale(samples, percentile=99.0):
    """A symmetric scale from value samples (any arrays): the ``percentile``
    of |value|, with the largest |value| as a fallback when that is zero, and
    1 when everything is zero. Returns (scale, clipped_low, clipped_high)."""
    flat = np.concatenate([np.abs(np.ravel(s)) for s in samples]) if samples else np.zeros(1)
    signed = np.concatenate([np.ravel(s) for s in samples]) if samples else np.zeros(1)
    s = float(np.percentile(flat, percentile)) if flat.size else 0.0
    if not np.isfinite(s) or s <= 0:
        s = float(flat.max()) if flat.size and np.isfinite(flat.max()) and flat.max() > 0 else 1.0
    return s, bool((signed < -s).any()), bool((signed > s).any())
