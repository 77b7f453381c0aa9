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
  shown unit's incoming weights as an image tile placed with the unit; a
  conv run's kernels and flattened maps, see :mod:`.drawn_conv`).
- ``tile_maps[l]``, ``tile_rows[l]``, ``tile_cells[l]``, ``tile_block[l]``:
  a tile gap's picture and which weights it holds (:mod:`.drawn_conv`);
  None for other gaps. ``tile_side[l]``: its tiles' height in px.
- ``conv``: a conv run's conv layers (``network.layers`` entries), else
  None. A conv run's columns are the input grid, one column per conv layer
  (its units the output channels) and the dense layers; gap l is the
  run's parameter array ``W{l}``; ``sizes`` counts the drawn units
  ([pixels, channels..., dense widths...]).
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
``kind`` (line|dense); ``"0:grid" -> "1:j"`` with kind "field" for tiles; on
a conv run's later tile gaps ``"l:c" -> "l+1:j"`` with kind "slice" (input
channel c's cell of unit j's tile), ``cell`` and ``col`` (its rows
``cell * prod(tile_block) ...`` and column in ``gaps[gap]``).

Values of snapshot i: ``ValueSource(G, run).at(i)`` returns a
:class:`DrawnValues` with ``gaps[l]``: (len(rows), len(shown[l+1])) array of
the colour quantity for the rows ``G.graph["shown"][l]`` (a tile gap's
``tile_rows[l]`` where not None) and shown columns
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

from . import drawn_conv as dc
from . import labels as lb
from . import feature_maps, quantities, sample, unit_maps
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
    opts = (options or DrawOptions()).for_runs(run)    # --color auto: this run's rule
    q = quantities.get(quantity or opts.color)
    W, H = opts.size
    panel_px = tuple(panel_px or (W * FILM_PANEL[0], H * FILM_PANEL[1]))
    spec = dc.ConvSpec(run) if dc.is_conv(run) else None
    sizes = spec.sizes if spec else list(run.sizes)
    snaps = run.snapshots
    if len(snaps) == 0:
        from weightlapse.core.errors import RunError
        raise RunError(f"run {run.path} has no snapshots to draw")
    if spec:
        spec.check_units(opts.units)
    data = run.config["data"]
    final, first = snaps[-1], snaps[0]
    Q = [np.asarray(w, np.float64) - (np.asarray(w0, np.float64) if q.from_first else 0)
         for w, w0 in zip(final.weights, first.weights)] if basis is None else \
        [np.asarray(b, np.float64) for b in basis]
    U = dc.unit_matrices(Q, spec) if spec else Q     # unit-to-unit strengths per gap
    usable = 0.9 * panel_px[1]
    shape = tuple(spec.in_shape[1:]) if spec else data.get("input_shape")
    grid = bool(spec) or (bool(shape) and opts.units != "all")
    shown, more = _shown_units(run, Q, U, sizes, opts, usable, grid, reference, perms, spec)
    labels = (dc.layer_labels(run, spec, run.settings.get("activation")) if spec else
              lb.layer_labels(sizes, run.settings.get("activation"), shape if grid else None))
    G = nx.DiGraph(sizes=sizes, color=q.name, scale=opts.scale, units=str(opts.units),
                   edges=opts.edges, shown=shown, more=more, n_snapshots=len(snaps),
                   image_shape=tuple(shape) if grid else None, panel_px=panel_px,
                   class_names=lb.class_names(run),
                   feature_names=None if grid else lb.feature_names(run),
                   layer_labels=labels, conv=spec.conv if spec else None,
                   quantity=q.legend(), importance=IMPORTANCE.format(q=q.basis))
    dc.tile_layouts(G, spec, shown, grid)
    _place(G, sizes, shown, more, panel_px, grid, spec)
    unit_maps.place(G, run)
    for l, idx in enumerate(shown):
        if not (l == 0 and grid):
            score = importance(U, l)
            for u in idx:
                G.nodes[f"{l}:{u}"]["importance"] = float(score[u])
    kinds, masks = [], []
    for l in range(len(sizes) - 1):
        rows, cols = shown[l], shown[l + 1]
        if G.graph["tile_maps"][l] is not None:
            kinds.append("tiles")
            masks.append(None)
            if l == 0:
                for j in cols:
                    G.add_edge("0:grid", f"1:{j}", gap=0, kind="field")
            else:   # one edge per tile cell: input channel -> unit
                for o, c in enumerate(G.graph["tile_cells"][l]):
                    for b, j in enumerate(cols):
                        G.add_edge(f"{l}:{c}", f"{l + 1}:{j}", gap=l, i=int(c), j=int(j),
                                   cell=o, col=b, kind="slice")
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
    G.graph["quantity"] = q.legend("tiles" in kinds)
    if sample_scales:
        set_scales(G, gap_samples(G, run))
    unit_maps.set_ranges(G, run)
    if sample.attach(G, run, opts.sample if quantity is None else "none") is not None:
        G.graph["quantity"] = sample.legend(q, G)     # units show the sample instead
        feature_maps.place(G, run)                    # a conv run's channels on it
    return G


def _shown_units(run, Q, U, sizes, opts, usable, grid, reference, perms, spec=None):
    """Per layer: shown unit indices (top to bottom) and the count not shown.
    ``U``: per gap the unit-to-unit strengths importance reads (``Q`` itself
    for dense runs)."""
    if reference is not None:
        if list(reference.graph["sizes"]) != sizes or \
                reference.graph.get("conv") != (spec.conv if spec else None):
            raise ValueError("a reference drawn graph needs the same architecture")
        shown = [list(s) for s in reference.graph["shown"]]
        for l in range(1, len(sizes) - 1):
            if perms is not None:
                shown[l] = [int(perms[l - 1][u]) for u in shown[l]]
        return shown, list(reference.graph["more"])
    shown, more = [], []
    last = len(sizes) - 1
    tiled = range(1, spec.n_tile_gaps + 1) if spec else range(1, 2 if grid else 1)
    for l, n in enumerate(sizes):
        if (l == 0 and grid) or opts.units == "all":
            keep = np.arange(n)
        else:
            k = auto_units(n, usable) if opts.units == "auto" else min(int(opts.units), n)
            if l in tiled and opts.units == "auto":
                k = min(k, max(2, int(usable // 17) - 1))   # tiles need room
                if spec:            # a kernel grid per unit: fewer, larger tiles
                    k = min(k, dc.MAX_AUTO_TILED)
            keep = choose(importance(U, l), k)
            if 0 < l < last and len(keep) > 2:
                keep = keep[similarity_order(dc.incoming(Q, l - 1, keep))]
        shown.append([int(v) for v in keep])
        more.append(int(n - len(keep)))
    return shown, more


def _place(G, sizes, shown, more, panel_px, grid, spec=None):
    """Positions: columns left to right, shown units evenly spaced and centred,
    "+N more" just below the last; for an image input the grid on the left
    and each tile-carrying unit's tile beside it (zig-zag in up to three
    columns). A conv run's columns are spaced by what their gaps hold."""
    pw, ph = panel_px
    feats, classes = G.graph["feature_names"], G.graph["class_names"]
    left = 0.17 if feats else 0.05
    right = 0.86 if len(sizes[-1:]) and max(len(c) for c in classes) > 2 else 0.91
    if spec:   # a smaller input grid (it only shows where kernels slide)
        gside = min(0.11 * pw, 0.22 * ph)
        gx0, gx1 = 0.01, 0.01 + gside / pw
        # the first gap holds small kernels; later tile gaps grids of them
        weight = np.array([0.8] + [1.5 if spec.tile_gap(l) else 0.7
                                   for l in range(1, len(sizes) - 1)])
        xs = [0.5 * (gx0 + gx1)] + list(gx1 + 0.01 + (right - gx1 - 0.01)
                                        * np.cumsum(weight) / weight.sum())
    elif grid:
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
    G.graph["tile_side"] = [None] * (len(sizes) - 1)
    for l, M in enumerate(G.graph["tile_maps"]):
        if M is None:
            continue
        start = G.nodes["0:grid"]["box"][2] if l == 0 else xs[l] + 12 / pw
        dc.place_tiles(G, l + 1, shown[l + 1], xs, pitches[l + 1], panel_px,
                     M.shape[1] / M.shape[0], start, M.shape[0] if spec else 0)
    if grid:
        G.graph["tile_px"] = G.graph["tile_side"][0]


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
    :func:`.quantities.share`), among the runs of one architecture: runs of
    other layers keep their own, since their gaps are not the same weights
    (as the report does). Each graph's ``shared_scales`` says whether its
    scales are shared by every run, ``scale_sharers`` by how many."""
    from .drawn_conv import same_architecture
    groups = []
    for G, r in zip(graphs, runs):
        for group in groups:
            if same_architecture(group[0][1], r):
                group.append((G, r))
                break
        else:
            groups.append([(G, r)])
    for group in groups:
        samples = [gap_samples(G, r) for G, r in group]
        own = [[robust_scale(s, PERCENTILE)[0] for s in smp] for smp in samples]
        shared = quantities.share(own, group[0][0].graph["scale"])
        for (G, _), smp in zip(group, samples):
            set_scales(G, smp, shared[:len(smp)])
            G.graph["shared_scales"] = len(groups) == 1
            G.graph["scale_sharers"] = len(group)       # the runs its scales are shared by
        unit_maps.share_ranges([G for G, _ in group])
    return graphs[0].graph["scales"]
