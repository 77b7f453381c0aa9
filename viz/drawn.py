"""The drawn graph: the one model that film, figure, comparison, report and
graph export draw from. Build it once per picture, then draw it many ways.

    G = build_drawn_graph(run, DrawOptions.create(color="change"))
    values = ValueSource(G, run)
    v = values.at(i)            # snapshot i; values.at(2.5) interpolates

``build_drawn_graph(run, options=None, panel_px=None, reference=None, perms=None)``
returns a ``networkx.DiGraph`` of the units actually shown. Positions are in
the network panel's axes units: x in [0, 1] left to right, y in [0, 1]
bottom to top. ``panel_px`` = (width, height) of that panel in pixels (it
decides how many units fit; default: the film's panel at the options' size).

Graph attributes (``G.graph``), lists indexed by layer l (0 = inputs) or gap
l (between layers l and l + 1):

- ``sizes``: every layer's size; ``color``: the colour quantity's name
  (:mod:`.quantities`); ``scale``:
  layer|global; ``units``, ``edges``: the options as given.
- ``shown[l]``: the unit indices shown, top to bottom (for an image input
  drawn as a grid: all pixels, in order); ``more[l]``: how many are not shown.
- ``gap_kind[l]``: "lines" (one line per drawn edge), "dense" (every edge,
  rasterised: ``--units all`` on big layers) or "tiles" (image input: each
  shown unit's incoming weights as an image tile placed with the unit).
- ``masks[l]``: None (every edge between shown units), or a
  (len(shown[l]), len(shown[l+1])) bool array for ``--edges top:K`` (the K
  strongest by final |value| into each unit, fixed for the film); with
  ``--edges auto`` (the default) a gap of more than AUTO_EDGES edges keeps
  the AUTO_EDGES // len(shown[l+1]) strongest into each unit.
- ``scales[l]``: the gap's symmetric colour scale (±scale), fixed for the
  whole film; its edges and the biases of layer l + 1 use it.
  ``clipped[l]``: (below, above), whether values beyond it occur (colour-bar
  ends are then extended).
- ``x[l]``: the column's x; ``pitch``: px between shown units per layer.
- ``image_shape``: (h, w) for image inputs drawn as a grid, else None.
- 2-D data only (:mod:`.unit_maps`): ``response_grid`` (g: the maps are
  g x g), ``response_extent`` (x0, x1, y0, y1: the input range the maps and
  the decision regions cover), ``response_range[l]`` ((lo, hi), the colour
  range of hidden layer l's maps, fixed for the film; None for inputs and
  outputs), ``map_px[l]`` (a map's side in px), ``activation``.
- ``sample`` (the held-out row followed through the network, ``--sample``;
  None when none is), ``sample_input`` (the network's input vector after
  preprocessing, float64), ``sample_label`` (its class index, or target
  vector; None when the run kept no labels), ``sample_label_name``,
  ``sample_scales`` (per layer the (low, high) of the unit fills, None for
  the inputs): see :mod:`.sample`.
- ``class_names``, ``feature_names`` (None when not labelled),
  ``layer_labels``, ``quantity`` (legend text), ``importance`` (how units
  were chosen), ``n_snapshots``, ``panel_px``.

Nodes: ids ``"l:i"`` (layer l, unit i), ``"l:more"`` for "+N more", and
``"0:grid"`` for the input grid. Attributes: ``layer``, ``index`` (-1 for
grid and more), ``kind`` (input|hidden|output|more|grid), ``label``, ``x``,
``y``, ``order`` (row in its column), ``importance``; ``count`` on "more";
``box`` = (x0, y0, x1, y1) on the grid and on units carrying a tile
(``tile`` box too); ``map`` = (x0, y0, x1, y1), where a hidden unit's map
is drawn (2-D data).

Edges: ``"l:i" -> "l+1:j"`` with ``gap``, ``i``, ``j`` (indices into W[gap]),
``kind`` (line|dense); and ``"0:grid" -> "1:j"`` with kind "field" for tiles.

Values of snapshot i: ``ValueSource(G, run).at(i)`` returns a
:class:`DrawnValues` with ``gaps[l]``: (len(rows), len(shown[l+1])) array of
the colour quantity for the rows ``G.graph["shown"][l]`` and shown columns
(an edge's value is ``gaps[gap][row, col]`` where ``row``/``col`` are its
positions in ``shown``, given as edge attributes ``row``/``col``);
``nodes[l]``: (len(shown[l]),) bias quantity (None for inputs); ``epoch``,
``step``; ``maps[l]`` (2-D data): (len(shown[l]), g, g) outputs of the shown
hidden units over the grid (rows bottom to top), None for inputs and
outputs; ``acts`` with a sample: per layer every unit's activation on it
(the outputs as class probabilities), one forward pass of the snapshot's
weights. ``graph_with_values(G, run, i)`` writes them onto a copy as
``value`` attributes (``weight`` on edges, for exporters), on hidden units
of 2-D data ``response`` (the unit's map as g lists of g floats) and, with
a sample, ``activation`` on each shown hidden unit, ``probability`` on each
output unit (``activation`` for a regression's outputs) and graph
attributes ``sample_prediction`` and ``sample_probability``, all at
snapshot i.
"""
from __future__ import annotations

import networkx as nx
import numpy as np

from . import labels as lb
from . import quantities, sample, unit_maps
from .draw_options import DrawOptions
from .select import (auto_units, choose, importance, robust_scale,
                     similarity_order, top_k_mask)
from .values import DrawnValues, ValueSource, graph_with_values  # noqa: F401 (API)

AUTO_EDGES = 150          # --edges auto: a gap keeps about this many lines
DENSE_EDGES = 2000        # a gap with more drawn edges than this is rasterised
SCALE_SAMPLES = 40        # snapshots sampled (evenly, with the last) for the scales
PERCENTILE = 99.0
FILM_PANEL = (0.58, 0.66)  # the film's network panel as a share of the frame
IMPORTANCE = ("units chosen by importance = |incoming| x |outgoing| (L2 norms of the "
              "final {q}); similar units (cosine of incoming weights) ordered together")


def check_drawable(run) -> None:
    """Conv runs are not drawn yet (issue 21, part 5): one line, not a traceback."""
    if getattr(run, "is_conv", False):
        from weightlapse.core.convnet import conv_text
        from weightlapse.core.errors import RunError
        raise RunError(f"run {run.path} has conv layers "
                       f"({conv_text(run.settings.get('conv', []))}); this version draws "
                       "dense layers only, so it cannot film or draw it yet (train, "
                       "predict, diagnose and resume work)")


def build_drawn_graph(run, options=None, panel_px=None, reference=None, perms=None,
                      quantity=None, basis=None, sample_scales=True):
    """The drawn graph of ``run`` (see the module docstring). ``reference``:
    another run's drawn graph whose shown units and order to reuse (same
    architecture); ``perms``: per hidden layer, the alignment permutation
    (aligned unit i = this run's unit perms[l-1][i], from core.align).
    ``quantity``: a quantity name other than the options' colour (e.g.
    "difference"); ``basis``: per gap, the arrays units and top:K edges are
    chosen by (default: the quantity's, from the final snapshot);
    ``sample_scales`` False leaves the scales to the caller (``set_scales``)."""
    check_drawable(run)
    opts = options or DrawOptions()
    q = quantities.get(quantity or opts.color)
    W, H = opts.size
    panel_px = tuple(panel_px or (W * FILM_PANEL[0], H * FILM_PANEL[1]))
    sizes = list(run.sizes)
    snaps = run.snapshots
    if len(snaps) == 0:
        from weightlapse.core.errors import RunError
        raise RunError(f"run {run.path} has no snapshots to draw")
    data = run.config["data"]
    final, first = snaps[-1], snaps[0]
    Q = [np.asarray(w, np.float64) - (np.asarray(w0, np.float64) if q.from_first else 0)
         for w, w0 in zip(final.weights, first.weights)] if basis is None else \
        [np.asarray(b, np.float64) for b in basis]
    usable = 0.9 * panel_px[1]
    shape = data.get("input_shape")
    grid = bool(shape) and opts.units != "all"
    shown, more = _shown_units(run, Q, sizes, opts, usable, grid, reference, perms)
    G = nx.DiGraph(sizes=sizes, color=q.name, scale=opts.scale, units=str(opts.units),
                   edges=opts.edges, shown=shown, more=more, n_snapshots=len(snaps),
                   image_shape=tuple(shape) if grid else None, panel_px=panel_px,
                   class_names=lb.class_names(run),
                   feature_names=None if grid else lb.feature_names(run),
                   layer_labels=lb.layer_labels(sizes, run.settings.get("activation"),
                                                shape if grid else None),
                   quantity=q.legend(), importance=IMPORTANCE.format(q=q.basis))
    _place(G, sizes, shown, more, panel_px, grid)
    unit_maps.place(G, run)
    for l, idx in enumerate(shown):
        if not (l == 0 and grid):
            score = importance(Q, l)
            for u in idx:
                G.nodes[f"{l}:{u}"]["importance"] = float(score[u])
    kinds, masks = [], []
    for l in range(len(sizes) - 1):
        rows, cols = shown[l], shown[l + 1]
        if grid and l == 0:
            kinds.append("tiles")
            masks.append(None)
            for j in cols:
                G.add_edge("0:grid", f"1:{j}", gap=0, kind="field")
            continue
        k = opts.top_k
        if opts.edges == "auto" and len(rows) * len(cols) > AUTO_EDGES:
            k = max(2, AUTO_EDGES // len(cols))
        mask = top_k_mask(Q[l][np.ix_(rows, cols)], k) if k else None
        n_edges = len(rows) * len(cols) if mask is None else int(mask.sum())
        kind = "dense" if n_edges > DENSE_EDGES else "lines"
        kinds.append(kind)
        masks.append(mask)
        r, c = np.nonzero(mask) if mask is not None else np.divmod(
            np.arange(len(rows) * len(cols)), len(cols))
        G.add_edges_from((f"{l}:{rows[a]}", f"{l + 1}:{cols[b]}",
                          {"gap": l, "i": int(rows[a]), "j": int(cols[b]), "row": int(a),
                           "col": int(b), "kind": "line" if kind == "lines" else "dense"})
                         for a, b in zip(r.tolist(), c.tolist()))
    G.graph["gap_kind"], G.graph["masks"] = kinds, masks
    if sample_scales:
        set_scales(G, gap_samples(G, run))
    unit_maps.set_ranges(G, run)
    if sample.attach(G, run, opts.sample if quantity is None else "none") is not None:
        G.graph["quantity"] = sample.legend(q, G)     # units show the sample instead
    return G


def _shown_units(run, Q, sizes, opts, usable, grid, reference, perms):
    """Per layer: shown unit indices (top to bottom) and the count not shown."""
    if reference is not None:
        if list(reference.graph["sizes"]) != sizes:
            raise ValueError("a reference drawn graph needs the same architecture")
        shown = [list(s) for s in reference.graph["shown"]]
        for l in range(1, len(sizes) - 1):
            if perms is not None:
                shown[l] = [int(perms[l - 1][u]) for u in shown[l]]
        return shown, list(reference.graph["more"])
    shown, more = [], []
    last = len(sizes) - 1
    for l, n in enumerate(sizes):
        if (l == 0 and grid) or opts.units == "all":
            keep = np.arange(n)
        else:
            k = auto_units(n, usable) if opts.units == "auto" else min(int(opts.units), n)
            if grid and l == 1 and opts.units == "auto":
                k = min(k, max(2, int(usable // 17) - 1))   # tiles need room
            keep = choose(importance(Q, l), k)
            if 0 < l < last and len(keep) > 2:
                keep = keep[similarity_order(Q[l - 1][:, keep].T)]
        shown.append([int(v) for v in keep])
        more.append(int(n - len(keep)))
    return shown, more


def _place(G, sizes, shown, more, panel_px, grid):
    """Positions: columns left to right, shown units evenly spaced and centred,
    "+N more" just below the last; for an image input the grid on the left
    and each first-layer unit's tile beside it (zig-zag in two columns)."""
    pw, ph = panel_px
    feats, classes = G.graph["feature_names"], G.graph["class_names"]
    left = 0.17 if feats else 0.05
    right = 0.86 if len(sizes[-1:]) and max(len(c) for c in classes) > 2 else 0.91
    if grid:
        gside = min(0.17 * pw, 0.28 * ph)
        gx0, gx1 = 0.01, 0.01 + gside / pw
        xs = [0.5 * (gx0 + gx1)] + list(np.linspace(0.44, right, len(sizes) - 1))
    else:
        xs = list(np.linspace(left, right, len(sizes)))
    G.graph["x"] = [float(x) for x in xs]
    pitches = []
    for l, idx in enumerate(shown):
        n = len(idx) + (1 if more[l] else 0)
        if l == 0 and grid:
            pitches.append(0.0)
            h, w = G.graph.get("image_shape")
            gy0 = 0.5 - 0.5 * gside / ph
            G.add_node("0:grid", layer=0, index=-1, kind="grid", label=f"{h}\u00d7{w} input",
                       x=xs[0], y=0.5, order=0, importance=0.0,
                       box=(gx0, gy0, gx1, gy0 + gside / ph))
            continue
        pitch = min(0.9 * ph / max(n, 1), 0.1 * ph)
        pitches.append(float(pitch))
        ys = 0.5 + (pitch / ph) * ((n - 1) / 2 - np.arange(n))
        kind = "input" if l == 0 else "output" if l == len(sizes) - 1 else "hidden"
        names = (G.graph["feature_names"] if l == 0 else
                 G.graph["class_names"] if kind == "output" else None)
        for o, i in enumerate(idx):
            G.add_node(f"{l}:{i}", layer=l, index=int(i), kind=kind, x=xs[l], y=float(ys[o]),
                       order=o, importance=0.0,
                       label=str(names[i]) if names else f"{l}:{i}")
        if more[l]:
            G.add_node(f"{l}:more", layer=l, index=-1, kind="more", x=xs[l],
                       y=float(ys[-1]), order=len(idx), count=int(more[l]), importance=0.0,
                       label=f"+{more[l]} more")
    G.graph["pitch"] = pitches
    if grid:
        _place_tiles(G, shown[1], xs, pitches[1], panel_px, G.graph["image_shape"])


def _place_tiles(G, units, xs, pitch, panel_px, shape):
    """Tile boxes of the first hidden layer's shown units, left of their unit,
    cycling through two or three columns (near to far) so that tiles may be
    taller than the units' spacing without overlapping."""
    pw, ph = panel_px
    grid_right = G.nodes["0:grid"]["box"][2]
    room = (xs[1] - grid_right) * pw - 16          # px between the grid and the units
    aspect = shape[1] / shape[0]
    best = (0.0, 1)
    for cols in (1, 2, 3):
        side = min(cols * pitch - 3, room / cols / aspect - 6, 84)
        if side > best[0] * 1.15:
            best = (side, cols)
    side, cols = best
    side = float(max(side - side % 1, 4))
    for o, j in enumerate(units):
        node = G.nodes[f"1:{j}"]
        col = o % cols
        x1 = xs[1] - (10 + col * (side * aspect + 6)) / pw
        x0 = x1 - side * aspect / pw
        yc = node["y"]
        node["tile"] = (x0, yc - 0.5 * side / ph, x1, yc + 0.5 * side / ph)
    G.graph["tile_px"] = side
    if "1:more" in G:   # under the lowest tile, clear of it
        lowest = min(G.nodes[f"1:{j}"]["tile"][1] for j in units)
        G.nodes["1:more"]["y"] = min(G.nodes["1:more"]["y"], lowest - 10 / ph)


def gap_samples(G, run):
    """Per gap, value samples of the drawn edges (tiles: their pixels) from up
    to SCALE_SAMPLES snapshots spread evenly over the film (with the last)."""
    src = ValueSource(G, run)
    samples = [[] for _ in G.graph["gap_kind"]]
    for i in scale_snapshots(G.graph["n_snapshots"]):
        v = src.at(int(i))
        for l, M in enumerate(v.gaps):
            mask = G.graph["masks"][l]
            samples[l].append(M[mask] if mask is not None else M)
    return samples


def scale_snapshots(n):
    """The snapshots colour scales are sampled from: up to SCALE_SAMPLES of
    ``n``, evenly spread, with the last."""
    return np.unique(np.r_[np.linspace(0, n - 1, min(n, SCALE_SAMPLES)).round(), n - 1]
                     .astype(int))


def set_scales(G, samples, scales=None):
    """Set ``scales`` and ``clipped`` of G: each gap's PERCENTILE of |value|
    over its samples (or the ``scales`` given, e.g. shared by a comparison);
    with the global scale, the largest gap scale for every gap."""
    own = [robust_scale(s, PERCENTILE)[0] for s in samples]
    if scales is None:
        scales = [max(own)] * len(own) if G.graph["scale"] == "global" else own
    G.graph["scales"] = [float(s) for s in scales]
    G.graph["clipped"] = [(bool(min(np.min(a) for a in s) < -t),
                           bool(max(np.max(a) for a in s) > t))
                          for s, t in zip(samples, scales)]
    return own


def share_scales(graphs, runs):
    """Give runs drawn side by side one scale per gap (the rule:
    :func:`.quantities.share`)."""
    samples = [gap_samples(G, r) for G, r in zip(graphs, runs)]
    own = [[robust_scale(s, PERCENTILE)[0] for s in smp] for smp in samples]
    shared = quantities.share(own, graphs[0].graph["scale"])
    for G, smp in zip(graphs, samples):
        set_scales(G, smp, shared[:len(smp)])
    unit_maps.share_ranges(graphs)
    return shared
