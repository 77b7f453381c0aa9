"""The drawn graph with its values at every snapshot: a dynamic GEXF for
Gephi's timeline (``weightlapse graph RUN --all-snapshots -o training.gexf``).

Time is the training step (GEXF ``timeformat="double"``). Snapshot k's value
holds over the closed interval [step_k, step_{k+1} - 1] (the last one over
[step, step]), so intervals never overlap. Every shown edge carries ``value``
(the colour quantity), every hidden and output unit ``value`` (its bias
quantity), and an image tile's field edge (a conv run's slice edge, one
cell of a tile) ``norm``, and with a sample (``--sample``) every unit its
``activation`` (an output of a classifier its ``probability``), as timed values
(``<attvalue for=... value=... start=... end=...>``); the static attributes
(positions, labels, ``weight``: the final value) are those of the one-snapshot
export; the graph's attributes are the drawn graph's, with ``mode="dynamic"``.
networkx reads it back: ``nx.read_gexf(path)`` gives each timed value as a
list of ``(value, start, end)``. Written through :mod:`.outputs` (the graph
writer passes a dynamic graph to ``nx.write_gexf`` as it is).
"""
from __future__ import annotations

import numpy as np

from weightlapse.core.errors import ConfigError, arg

from .export import scalar_graph
from .values import ValueSource, graph_with_values

MAX_VALUES = 500_000     # timed values in one file (486,000: 430 MB peak, 5.7 s measured)


def spans(steps):
    """(start, end) times of each snapshot: closed, never overlapping."""
    steps = [int(s) for s in steps]
    return [(float(s), float(steps[k + 1] - 1 if k + 1 < len(steps) else s))
            for k, s in enumerate(steps)]


def dynamic_graph(G, run):
    """A copy of the drawn graph ``G`` (scalar attributes, as exported) whose
    edges and units carry lists of ``(value, start, end)``, one per snapshot;
    ``graph["mode"] = "dynamic"``."""
    n = len(run.snapshots)
    shown = G.graph["shown"]
    where = {l: {u: o for o, u in enumerate(idx)} for l, idx in enumerate(shown)}
    edges = [(a, b, d) for a, b, d in G.edges(data=True)]
    lines = [(a, b) for a, b, d in edges if d.get("kind") not in ("field", "slice")]
    fields = [(a, b) for a, b, d in edges if d.get("kind") in ("field", "slice")]
    gap = np.array([G.edges[e]["gap"] for e in lines], int)
    row = np.array([G.edges[e]["row"] for e in lines], int)
    col = np.array([G.edges[e]["col"] for e in lines], int)
    blocks = G.graph.get("tile_block") or []
    # per field or slice edge: its gap, its rows of that gap's values, its column
    field_at = []
    for a, b in fields:
        d = G.edges[a, b]
        if d["kind"] == "field":
            field_at.append((0, slice(None), where[1][int(b.split(":")[1])]))
        else:
            k = int(np.prod(blocks[d["gap"]]))
            field_at.append((d["gap"], slice(d["cell"] * k, (d["cell"] + 1) * k), d["col"]))
    units = [(node, l, where[l][int(node.split(":")[1])])
             for node, d in G.nodes(data=True)
             for l in [d.get("layer")] if l and d.get("kind") in ("hidden", "output")]
    count = (len(lines) + len(fields) + len(units)) * n
    if count > MAX_VALUES:
        raise ConfigError(
            f"a dynamic graph of {len(lines) + len(fields)} edges and {len(units)} units "
            f"over {n} snapshots would hold {count:,} timed values, more than "
            f"{MAX_VALUES:,}; draw fewer with {arg('units', 'N')} or {arg('edges', 'top:K')}")
    E = np.empty((n, len(lines)), np.float64)
    F = np.empty((n, len(fields)), np.float64)
    U = np.empty((n, len(units)), np.float64)
    A = np.full((n, len(units)), np.nan) if G.graph.get("sample") is not None else None
    source = ValueSource(G, run)
    for k in range(n):
        v = source.at(k)
        for g in np.unique(gap):
            sel = gap == g
            E[k, sel] = v.gaps[g][row[sel], col[sel]]
        for m, (g, rows, c) in enumerate(field_at):
            F[k, m] = np.linalg.norm(v.gaps[g][rows, c])
        for m, (node, l, o) in enumerate(units):
            U[k, m] = v.nodes[l][o]
            if A is not None and v.acts is not None:      # the sample's, at this snapshot
                A[k, m] = v.acts[l][int(node.split(":")[1])]
    times = spans(run.snapshots.steps)
    final = graph_with_values(G, run, n - 1)
    H = scalar_graph(final)
    H.graph.update(final.graph, mode="dynamic")      # as drawn (GEXF writes only the mode)

    def timed(column):
        return [(float(x), s, e) for x, (s, e) in zip(column.tolist(), times)]
    for m, e in enumerate(lines):
        H.edges[e]["value"] = timed(E[:, m])
    for m, e in enumerate(fields):
        H.edges[e]["norm"] = timed(F[:, m])
    last = len(G.graph["sizes"]) - 1
    classify = A is not None and G.graph["sample_scales"][-1] == (0.0, 1.0)
    for m, (node, l, _) in enumerate(units):
        H.nodes[node]["value"] = timed(U[:, m])
        if A is not None:    # --sample: its activation (probability) over time too
            key = "probability" if l == last and classify else "activation"
            H.nodes[node][key] = timed(A[:, m])
    return H
