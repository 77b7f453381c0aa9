"""The network as a NetworkX graph, and its layered left-to-right layout."""
from __future__ import annotations

import networkx as nx
import numpy as np

MAX_DRAWN_NODES = 64   # layers larger than this are drawn as a compact column


def layout(sizes, x0=0.06, x1=0.94, y0=0.04, y1=0.96, max_gap=0.09):
    """Node positions in axes units [0, 1]: layer l at evenly spaced x, its nodes
    evenly spaced in y (top to bottom), centred, at most ``max_gap`` apart.

    Returns a list, per layer, of (x, ys) with ys: (n,) decreasing.
    """
    xs = np.linspace(x0, x1, len(sizes))
    out = []
    mid, span = (y0 + y1) / 2, y1 - y0
    for x, n in zip(xs, sizes):
        gap = min(span / max(n - 1, 1), max_gap)
        ys = mid + gap * ((n - 1) / 2 - np.arange(n))
        out.append((float(x), ys))
    return out


def network_graph(snapshot, sizes=None) -> nx.DiGraph:
    """A DiGraph of one snapshot: nodes ``(layer, index)`` with attributes
    ``layer``, ``index``, ``bias`` (None for inputs) and ``pos``; edges
    ``(layer, i) -> (layer + 1, j)`` with attribute ``weight`` = W[layer][i, j]."""
    W, b = snapshot.weights, snapshot.biases
    sizes = sizes or [W[0].shape[0]] + [w.shape[1] for w in W]
    pos = layout(sizes)
    G = nx.DiGraph()
    for l, n in enumerate(sizes):
        x, ys = pos[l]
        for i in range(n):
            G.add_node((l, i), layer=l, index=i, pos=(x, float(ys[i])),
                       bias=None if l == 0 else float(b[l - 1][i]))
    for l, Wl in enumerate(W):
        src, dst = np.nonzero(np.ones(Wl.shape, bool))
        G.add_weighted_edges_from(
            ((l, int(i)), (l + 1, int(j)), float(w)) for i, j, w in zip(src, dst, Wl.ravel()))
    return G


def edge_mask(W: np.ndarray, edges="all") -> np.ndarray:
    """Which edges of a layer to draw: all, or ``top:K`` — the K strongest |w|
    into each node."""
    if edges == "all":
        return np.ones(W.shape, bool)
    k = parse_edges(edges)
    if k >= W.shape[0]:
        return np.ones(W.shape, bool)
    top = np.argpartition(-np.abs(W), k - 1, axis=0)[:k]
    mask = np.zeros(W.shape, bool)
    np.put_along_axis(mask, top, True, axis=0)
    return mask


def parse_edges(edges) -> int:
    if edges == "all":
        return 0
    try:
        kind, k = str(edges).split(":")
        k = int(k)
        if kind != "top" or k < 1:
            raise ValueError
        return k
    except ValueError:
        from weightlapse.core.errors import ConfigError, arg
        raise ConfigError(f"{arg('edges')} must be 'all' or 'top:K' with K >= 1 (got {edges!r})") \
            from None
