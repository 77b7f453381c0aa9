"""The drawn values of a snapshot: the colour quantity (one of
:mod:`.quantities`) of the shown edges and units, read once per snapshot."""
from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from . import feature_maps, quantities
from .sample import SampleForward, write_values


class DrawnValues:
    """``gaps[l]``: (len(shown[l]), len(shown[l+1])) float32 values of gap l;
    ``nodes[l]``: (len(shown[l]),) bias quantity (None for l = 0);
    ``epoch`` (float), ``step`` (int); ``maps``: None, or per layer the shown
    hidden units' outputs over the input plane (:mod:`.unit_maps`); ``acts``:
    with a sample (:mod:`.sample`), per layer the activations of every unit
    on it (None for the inputs; the outputs as class probabilities), else None."""

    __slots__ = ("gaps", "nodes", "epoch", "step", "maps", "acts")

    def __init__(self, gaps, nodes, epoch, step, maps=None, acts=None):
        self.gaps, self.nodes, self.epoch, self.step = gaps, nodes, float(epoch), int(step)
        self.maps, self.acts = maps, acts

    def lerp(self, other, t):
        """The values a fraction ``t`` of the way to ``other``."""
        def mix(a, b):
            return None if a is None else a + np.float32(t) * (b - a)
        return DrawnValues([mix(a, b) for a, b in zip(self.gaps, other.gaps)],
                           [mix(a, b) for a, b in zip(self.nodes, other.nodes)],
                           self.epoch + t * (other.epoch - self.epoch),
                           int(round(self.step + t * (other.step - self.step))),
                           None if self.maps is None else
                           [mix(a, b) for a, b in zip(self.maps, other.maps)],
                           None if self.acts is None else
                           [mix(a, b) for a, b in zip(self.acts, other.acts)])


class ValueSource:
    """Values of a drawn graph ``G`` over the snapshots of ``run``.

    ``at(i)``: snapshot i (an int), or between two snapshots (a float: 2.5 is
    half way from 2 to 3, interpolated linearly). Reads each snapshot once
    while ``at`` moves forward (a few recent ones are cached).
    """

    def __init__(self, G, run, cache=4):
        self.run = run
        self.quantity = quantities.get(G.graph["color"])
        self.cut = ShownCut(G)
        self.steps = run.snapshots.steps
        x = G.graph.get("sample_input")
        self.forward = None if x is None else SampleForward(run, x)
        self._raw_cache = OrderedDict()
        self._size = cache
        self._base = None
        self.maps = None
        self.G, self.fmaps = G, any(G.graph.get("fmap_px") or ())
        if "response_grid" in G.graph:
            from .unit_maps import MapSource
            self.maps = MapSource(G)

    def __len__(self):
        return len(self.run.snapshots)

    def _raw(self, i):
        """(gaps, biases, epoch, step) of snapshot i, cut to the shown units, float32."""
        if i in self._raw_cache:
            self._raw_cache.move_to_end(i)
            return self._raw_cache[i]
        snap = self.run.snapshots[i]
        raw = self.cut(snap.weights, snap.biases, snap.epoch, snap.step)
        if self.maps is not None:
            raw.maps = self.maps(snap.weights, snap.biases)
        if self.forward is not None:    # the sample's activations, once per snapshot read
            raw.acts = self.forward(snap.weights, snap.biases)
            if self.fmaps:                  # a conv run's feature maps on it
                raw.maps = feature_maps.cut(self.G, self.forward.maps)
        self._raw_cache[i] = raw
        if len(self._raw_cache) > self._size:
            self._raw_cache.popitem(last=False)
        return raw

    def at(self, i) -> DrawnValues:
        n = len(self.run.snapshots)
        if isinstance(i, (float, np.floating)) and not float(i).is_integer():
            lo = int(math.floor(i))
            return self.at(lo).lerp(self.at(min(lo + 1, n - 1)), float(i) - lo)
        i = int(i)
        if i < 0:
            i += n
        raw = self._raw(i)
        q = self.quantity
        if not q.needs:
            return raw
        base = prev = None
        steps = 1
        if "first" in q.needs:
            if self._base is None:
                self._base = self._raw(0)
            base = self._base
        if "previous" in q.needs and i > 0:
            prev, steps = self._raw(i - 1), int(self.steps[i] - self.steps[i - 1])

        def one(a, k, arrays):
            return q.compute(a, None if base is None else getattr(base, arrays)[k],
                             None if prev is None else getattr(prev, arrays)[k], steps)
        return DrawnValues([one(a, k, "gaps") for k, a in enumerate(raw.gaps)],
                           [None] + [one(a, k, "nodes") for k, a in enumerate(raw.nodes)
                                     if k > 0],
                           raw.epoch, raw.step, raw.maps, raw.acts)


class ShownCut:
    """Cuts a snapshot's arrays to the units a drawn graph ``G`` shows:
    ``cut(weights, biases, epoch, step)`` -> :class:`DrawnValues` (float32),
    as they are (the quantity is computed from them afterwards). A conv
    kernel (O, C, k, k) is read as its (C * k * k, O) matrix; a tile gap's
    rows are its ``tile_rows`` (see :mod:`.drawn_conv`)."""

    def __init__(self, G):
        shown, sizes = G.graph["shown"], G.graph["sizes"]
        tile_rows = G.graph.get("tile_rows") or [None] * (len(sizes) - 1)
        full = [len(s) == n and list(s) == list(range(n)) for s, n in zip(shown, sizes)]
        self.rows = [np.asarray(tile_rows[l]) if tile_rows[l] is not None else
                     None if full[l] else np.asarray(shown[l]) for l in range(len(sizes) - 1)]
        self.cols = [None if full[l] else np.asarray(shown[l]) for l in range(1, len(sizes))]

    def __call__(self, weights, biases, epoch=0.0, step=0):
        gaps, nodes = [], [None]
        for W, b, r, c in zip(weights, biases, self.rows, self.cols):
            if W.ndim == 4:           # kernels: cut the output channels first
                W = W if c is None else W[c]
                M = W.reshape(W.shape[0], -1).T
                M = M if r is None else M[r]
            else:
                M = W if r is None else W[r]
                M = M if c is None else M[:, c]
            gaps.append(np.asarray(M, np.float32))
            nodes.append(np.asarray(b if c is None else b[c], np.float32))
        return DrawnValues(gaps, nodes, epoch, step)


def graph_with_values(G, run, i=-1):
    """A copy of ``G`` with snapshot ``i``'s values as attributes: on edges
    ``weight`` (and ``value``), the colour quantity; on units ``value`` (the
    bias quantity; None for inputs); on field edges (image tiles) ``norm``,
    the L2 norm of the unit's incoming values, and ``weights``, those values
    (one per pixel, row-major over ``image_shape``; for a conv run, over the
    first conv layer's kernel), and on a conv run's ``slice`` edges (input
    channel -> unit, one per tile cell) the cell's values and their ``norm``
    likewise (row-major over ``tile_block[gap]``); on hidden units of 2-D
    data ``response``, the unit's map (:func:`.unit_maps.write_responses`);
    with a sample, the unit's ``activation`` on it (``probability`` on
    outputs), see :func:`.sample.write_values`. Graph attributes
    ``snapshot``, ``epoch``, ``step`` say which."""
    n = len(run.snapshots)
    i = i + n if i < 0 else i
    v = ValueSource(G, run).at(i)
    H = G.copy()
    H.graph.update(snapshot=int(i), epoch=v.epoch, step=v.step)
    shown = G.graph["shown"]
    for l, idx in enumerate(shown):
        for o, u in enumerate(idx):
            node = f"{l}:{u}"
            if node in H:
                H.nodes[node]["value"] = None if l == 0 else float(v.nodes[l][o])
    cells = G.graph.get("tile_block") or []
    for a, b, d in H.edges(data=True):
        if d.get("kind") == "field":
            col = shown[1].index(int(b.split(":")[1]))
            d["norm"] = float(np.linalg.norm(v.gaps[0][:, col]))
            d["weights"] = v.gaps[0][:, col].astype(float)   # every pixel, row-major
        elif d.get("kind") == "slice":       # one input channel's cell of a tile
            n = int(np.prod(cells[d["gap"]]))
            w = v.gaps[d["gap"]][d["cell"] * n:(d["cell"] + 1) * n, d["col"]]
            d["norm"] = float(np.linalg.norm(w))
            d["weights"] = w.astype(float)                  # row-major over tile_block
        else:
            d["value"] = d["weight"] = float(v.gaps[d["gap"]][d["row"], d["col"]])
    write_values(H, v.acts)
    if v.maps is not None and any(H.graph.get("fmap_px") or ()):
        feature_maps.write(H, v.maps)       # a conv run's channels on the sample
    elif v.maps is not None:
        from .unit_maps import write_responses
        write_responses(H, v)
    return H
