"""Export the drawn graph with one snapshot's values as GraphML, GEXF or
node-link JSON (D3), readable back with networkx's own readers:
``nx.read_graphml``, ``nx.read_gexf``, ``nx.node_link_graph(json.load(f))``.

GraphML and GEXF hold only scalar attributes: lists and tuples (positions
boxes, per-layer lists) are written as JSON text, None values are left out,
and per-gap edge masks are left out (the edges present say the same).
"""
from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np

from .figure import check_output

FORMATS = (".graphml", ".gexf", ".json")


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
    path = check_output(path, FORMATS, "graph")
    ext = path.suffix.lower()
    H = nx.DiGraph()
    H.graph.update({k: _scalar(v) for k, v in G.graph.items()
                    if k != "masks" and _scalar(v) is not None})
    for n, d in G.nodes(data=True):
        H.add_node(n, **{k: _scalar(v) for k, v in d.items() if _scalar(v) is not None})
    for a, b, d in G.edges(data=True):
        H.add_edge(a, b, **{k: _scalar(v) for k, v in d.items() if _scalar(v) is not None})
    tmp = path.with_name(f".{path.stem}.partial{ext}")
    try:
        if ext == ".graphml":
            nx.write_graphml(H, tmp)
        elif ext == ".gexf":
            for n, d in H.nodes(data=True):   # GEXF's own position, for Gephi
                d["viz"] = {"position": {"x": float(d["x"]) * 1000,
                                         "y": float(d["y"]) * 1000, "z": 0.0}}
            nx.write_gexf(H, tmp)
        else:
            data = nx.node_link_data(G, edges="links")
            data["graph"] = {k: _plain(v) for k, v in G.graph.items() if k != "masks"}
            for rec in data["nodes"] + data["links"]:
                for k, v in list(rec.items()):
                    rec[k] = _plain(v)
            tmp.write_text(json.dumps(data, allow_nan=False))
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return Path(path)
