"""The drawn graph: colour quantities, scales, chosen units, export."""
import json

import networkx as nx
import numpy as np
import pytest

import weightlapse as wl
from weightlapse.viz.drawn import ValueSource, build_drawn_graph, graph_with_values
from weightlapse.viz.export import export_graph
from weightlapse.viz.draw_options import DrawOptions
from weightlapse.viz.quantities import value as quantity
from weightlapse.viz.select import similarity_order


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A 3-4-2 network, full batch, a snapshot every 2 steps."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    return wl.train(X, y, hidden=[4], epochs=6, batch_size=0, snapshot_every=2, lr=0.5,
                    val_fraction=0.0, out=tmp_path_factory.mktemp("t"), name="tiny")


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    """A 30-feature, 100-hidden-unit network: more units than fit."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 30))
    y = (X[:, :3].sum(1) > 0).astype(int) + (X[:, 3] > 1)
    return wl.train(X, y, hidden=[100], epochs=3, batch_size=50, snapshot_every=3,
                    out=tmp_path_factory.mktemp("w"), name="wide")


def test_quantities_worked_by_hand():
    W0, W1, W2 = np.array([[1.0, 2.0]]), np.array([[1.5, 1.0]]), np.array([[2.5, 0.0]])
    assert quantity("weight", W2, W0).tolist() == [[2.5, 0.0]]
    assert quantity("change", W2, W0).tolist() == [[1.5, -2.0]]
    # 2 steps between the snapshots: half the difference per step
    assert quantity("update", W2, W0, Wprev=W1, steps=2).tolist() == [[0.5, -0.5]]
    assert quantity("update", W0, W0, Wprev=None).tolist() == [[0.0, 0.0]]


@pytest.mark.parametrize("color", ["weight", "change", "update"])
def test_values_of_each_colour_mode(tiny, color):
    G = build_drawn_graph(tiny, DrawOptions.create(color=color))
    src = ValueSource(G, tiny)
    snaps = tiny.snapshots
    rows, cols = G.graph["shown"][0], G.graph["shown"][1]
    for i in (0, 1, 3):
        W, b = snaps[i].weights[0], snaps[i].biases[0]
        W0, b0 = snaps[0].weights[0], snaps[0].biases[0]
        if color == "weight":
            want, wantb = W, b
        elif color == "change":
            want, wantb = W - W0, b - b0
        elif i == 0:
            want, wantb = np.zeros_like(W), np.zeros_like(b)
        else:
            steps = snaps[i].step - snaps[i - 1].step
            assert steps == 2
            want = (W - snaps[i - 1].weights[0]) / 2
            wantb = (b - snaps[i - 1].biases[0]) / 2
        v = src.at(i)
        np.testing.assert_allclose(v.gaps[0], want[np.ix_(rows, cols)], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(v.nodes[1], wantb[cols], rtol=1e-5, atol=1e-7)
    half = src.at(1.5)
    np.testing.assert_allclose(half.gaps[1], (src.at(1).gaps[1] + src.at(2).gaps[1]) / 2,
                               rtol=1e-5, atol=1e-7)
    assert half.epoch == pytest.approx((snaps[1].epoch + snaps[2].epoch) / 2)


def test_layer_scales_are_robust_and_per_gap(tiny):
    G = build_drawn_graph(tiny, DrawOptions.create())
    src = ValueSource(G, tiny)
    for l, s in enumerate(G.graph["scales"]):
        allv = np.concatenate([np.abs(src.at(i).gaps[l]).ravel()
                               for i in range(len(tiny.snapshots))])
        assert s == pytest.approx(np.percentile(allv, 99), rel=1e-5)
    g = build_drawn_graph(tiny, DrawOptions.create(scale="global")).graph["scales"]
    assert g == [max(G.graph["scales"])] * 2


def test_small_network_shows_every_unit(tiny):
    G = build_drawn_graph(tiny)
    assert G.graph["more"] == [0, 0, 0]
    assert G.number_of_nodes() == 3 + 4 + 2
    assert G.number_of_edges() == 3 * 4 + 4 * 2
    assert G.graph["gap_kind"] == ["lines", "lines"]
    assert [G.nodes[f"2:{k}"]["label"] for k in range(2)] == ["0", "1"]
    xs = G.graph["x"]
    assert xs == sorted(xs)


def test_large_layers_show_the_most_important_units(wide):
    G = build_drawn_graph(wide, DrawOptions.create(units=8))
    shown, more = G.graph["shown"], G.graph["more"]
    assert [len(s) for s in shown] == [8, 8, 3] and more == [22, 92, 0]
    assert G.nodes["1:more"]["label"] == "+92 more" and G.nodes["0:more"]["count"] == 22
    W0, W1 = (np.asarray(w, float) for w in wide.snapshots[-1].weights)
    score = np.linalg.norm(W0, axis=0) * np.linalg.norm(W1, axis=1)
    assert set(shown[1]) == set(np.argsort(-score)[:8].tolist())
    assert G.number_of_edges() == 8 * 8 + 8 * 3
    auto = build_drawn_graph(wide)      # 100 hidden units do not fit at 1280x720
    assert 12 <= len(auto.graph["shown"][1]) <= 24
    assert auto.graph["more"][1] == 100 - len(auto.graph["shown"][1])
    assert auto.graph["feature_names"] is None      # 30 > 20 features: not labelled
    full = build_drawn_graph(wide, DrawOptions.create(units="all", edges="all"))
    assert full.graph["more"] == [0, 0, 0] and full.number_of_edges() == 30 * 100 + 100 * 3
    assert full.graph["gap_kind"] == ["dense", "lines"]


def test_similar_units_are_ordered_together():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=20), rng.normal(size=20)
    V = np.array([a, b, a + 0.01, b + 0.01, a - 0.01, b * 1.1])
    order = similarity_order(V).tolist()
    groups = ["a" if k in (0, 2, 4) else "b" for k in order]
    assert groups in (["a"] * 3 + ["b"] * 3, ["b"] * 3 + ["a"] * 3)


def test_top_k_edges_fixed_for_the_film(wide):
    G = build_drawn_graph(wide, DrawOptions.create(units=6, edges="top:2"))
    into = [d for _, b, d in G.edges(data=True) if b == f"1:{G.graph['shown'][1][0]}"]
    assert len(into) == 2
    assert all(m.sum(axis=0).tolist() == [2] * m.shape[1] for m in G.graph["masks"])


@pytest.mark.parametrize("ext", ["graphml", "gexf", "json"])
def test_export_reads_back(tiny, tmp_path, ext):
    G = graph_with_values(build_drawn_graph(tiny, DrawOptions.create(color="change")),
                          tiny, 2)
    path = export_graph(G, tmp_path / f"net.{ext}")
    if ext == "graphml":
        H = nx.read_graphml(path)
    elif ext == "gexf":
        H = nx.read_gexf(path)
    else:
        with open(path) as f:        # as the README shows, with networkx's own default
            H = nx.node_link_graph(json.load(f))
    assert H.number_of_nodes() == G.number_of_nodes()
    assert H.number_of_edges() == G.number_of_edges()
    W = tiny.snapshots[2].weights[1] - tiny.snapshots[0].weights[1]
    assert float(H.edges["1:3", "2:1"]["weight"]) == pytest.approx(W[3, 1], rel=1e-5)
    b = tiny.snapshots[2].biases[0] - tiny.snapshots[0].biases[0]
    assert float(H.nodes["1:2"]["value"]) == pytest.approx(b[2], rel=1e-5, abs=1e-7)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"net.{ext}"]


def test_auto_edges_thin_only_crowded_gaps(wide, tiny):
    G = build_drawn_graph(wide, DrawOptions.create(units=20))       # 20x20 and 20x3 gaps
    assert G.graph["masks"][0].sum(axis=0).tolist() == [150 // 20] * 20
    assert G.graph["masks"][1] is None and G.number_of_edges() == 7 * 20 + 20 * 3
    assert build_drawn_graph(tiny).graph["masks"] == [None, None]
    every = build_drawn_graph(wide, DrawOptions.create(units=20, edges="all"))
    assert every.number_of_edges() == 20 * 20 + 20 * 3
