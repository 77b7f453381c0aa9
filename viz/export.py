"""Export the drawn graph with one snapshot's values as GraphML, GEXF or
node-link JSON (D3), readable back with networkx's own readers:
``nx.read_graphml``, ``nx.read_gexf``, ``nx.node_link_graph(json.load(f))``.

GraphML and GEXF hold only scalar attributes: lists and tuples (positions
boxes, per-layer lists, an image unit's receptive field) are written as JSON
text, None values are left out, and per-gap edge masks are left out (the
edges present say the same). Node-link JSON keeps lists as lists and names
its edges ``"edges"``, networkx's current default.

For image inputs each ``"0:grid" -> "1:j"`` edge carries the unit's
receptive field: ``weights``, its incoming values for every pixel, row-major
over the graph's ``image_shape`` (``norm`` is their L2 norm).
"""
from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np

from .outputs import formats, write, writer

FORMATS = formats("graph")


def _plain(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _scalar(v):
    """A GraphML/GEXF-safe attribute value, or None to leave it out."""
    v = _plain(v)
    if v is None:
        return None
    if isinstance(v, (bool, int, float, str)):
        return v
    return json.dumps(v)


def export_graph(G, path):
    """Write ``G`` (a drawn graph with values, see :mod:`.drawn`) to ``path``
    (.graphml, .gexf or .json), via a temporary file renamed into place."""
    return Path(write("graph", path, G))


@writer("graph")
def write_graph(G, tmp):
    """The graph writer: ``G`` into ``tmp`` in its extension's format."""
    ext = Path(tmp).suffix.lower()
    if ext == ".json":
        data = nx.node_link_data(G, edges="edges")
        data["graph"] = {k: _plain(v) for k, v in G.graph.items() if k != "masks"}
        for rec in data["nodes"] + data["edges"]:
            for k, v in list(rec.items()):
                rec[k] = _plain(v)
        Path(tmp).write_text(json.dumps(data, allow_nan=False))
        return
    if G.graph.get("mode") == "dynamic":     # timed values: see export_dynamic
        _add_viz(G)
        nx.write_gexf(G, tmp)
        return
    H = scalar_graph(G)
    if ext == ".graphml":
        nx.write_graphml(H, tmp)
    else:
        _add_viz(H)
        nx.write_gexf(H, tmp)


def scalar_graph(G):
    """A copy of ``G`` with GraphML/GEXF-safe attributes only (see above)."""
    H = nx.DiGraph()
    H.graph.update({k: _scalar(v) for k, v in G.graph.items()
                    if k != "masks" and _scalar(v) is not None})
    for n, d in G.nodes(data=True):
        H.add_node(n, **{k: _scalar(v) for k, v in d.items() if _scalar(v) is not None})
    for a, b, d in G.edges(data=True):
        H.add_edge(a, b, **{k: _scalar(v) for k, v in d.items() if _scalar(v) is not None})
    return H


def _add_viz(H):
    for n, d in H.nodes(data=True):   # GEXF's own position, for Gephi
        d["viz"] = {"position": {"x": float(d["x"]) * 1000,
                                 "y": float(d["y"]) * 1000, "z": 0.0}}
