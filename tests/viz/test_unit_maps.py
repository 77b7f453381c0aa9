"""Unit maps (issue 19, part 1): each hidden unit's output over the input
plane on 2-D data, in the film, figure, comparison and graph export."""
import json

import imageio.v3 as iio
import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core.model import MLP
from weightlapse.viz import unit_maps
from weightlapse.viz.draw_options import DrawOptions
from weightlapse.viz.drawn import build_drawn_graph, graph_with_values, scale_snapshots
from weightlapse.viz.frame import FrameRenderer
from weightlapse.viz.values import ValueSource

NEG = np.array(unit_maps.NEG) * 255          # the maps' purple: nothing else is purple


@pytest.fixture(scope="module")
def relu_run(tmp_path_factory):
    """A 2-2-2 ReLU network on moons."""
    out = tmp_path_factory.mktemp("maps")
    return wl.train(dataset="moons", hidden=[2], activation="relu", epochs=6, batch_size=0,
                    snapshot_every=2, n_samples=200, out=out, name="relu")


@pytest.fixture(scope="module")
def tanh_run(tmp_path_factory):
    """The spiral preset's shape: 2-32-32-3 tanh."""
    out = tmp_path_factory.mktemp("maps-tanh")
    return wl.train(dataset="spiral", hidden=[32, 32], activation="tanh", epochs=30, lr=0.01,
                    optimizer="adam", batch_size=0, snapshot_every=5, n_samples=300, out=out,
                    name="tanh")


def relu(v):
    return max(v, 0.0)


def test_maps_worked_by_hand():
    """A 2-2-2 net with chosen weights: map value at grid point (r, c) is
    relu(w . (x_c, y_r) + b) for each hidden unit."""
    model = MLP([2, 2, 2], "relu")
    W0 = np.array([[1.0, -1.0], [2.0, 0.5]])      # unit 0: x + 2y + 0.5; unit 1: -x + y/2 - 1
    b0 = np.array([0.5, -1.0])
    model.set_weights([W0, np.eye(2)], [b0, np.zeros(2)])
    points = unit_maps.grid_points((-1.0, 1.0, -2.0, 2.0), 3)   # x: -1 0 1; y: -2 0 2
    maps = unit_maps.responses(model, points, [[0, 1], [0, 1], [0, 1]], 3)
    assert maps[0] is None and maps[2] is None
    M = maps[1]
    assert M.shape == (2, 3, 3)
    # unit 0 at (x=1, y=2): 1 + 4 + 0.5; at (x=-1, y=-2): relu(-4.5) = 0; at (0, 0): 0.5
    assert M[0, 2, 2] == pytest.approx(5.5)
    assert M[0, 0, 0] == 0.0
    assert M[0, 1, 1] == pytest.approx(0.5)
    # unit 1 at (x=-1, y=2): 1 + 1 - 1 = 1; at (x=1, y=0): relu(-2) = 0
    assert M[1, 2, 0] == pytest.approx(1.0)
    assert M[1, 1, 2] == 0.0
    for r, y in enumerate((-2, 0, 2)):
        for c, x in enumerate((-1, 0, 1)):
            assert M[0, r, c] == pytest.approx(relu(x + 2 * y + 0.5))
            assert M[1, r, c] == pytest.approx(relu(-x + 0.5 * y - 1))
    # only the shown units, in the shown order
    assert np.array_equal(unit_maps.responses(model, points, [[0, 1], [1], [0, 1]], 3)[1][0],
                          M[1])


def test_run_maps_equal_the_snapshot_by_hand(relu_run):
    G = build_drawn_graph(relu_run)
    g = G.graph["response_grid"]
    x0, x1, y0, y1 = G.graph["response_extent"]
    X = relu_run.samples()[0]
    assert x0 < X[:, 0].min() and x1 > X[:, 0].max() and y0 < X[:, 1].min()
    snap = relu_run.snapshots[2]
    W, b = snap.weights[0], snap.biases[0]
    M = ValueSource(G, relu_run).at(2).maps[1]
    for r, c in ((0, 0), (5, 17), (g - 1, g - 1), (11, 3)):
        x, y = x0 + c * (x1 - x0) / (g - 1), y0 + r * (y1 - y0) / (g - 1)
        for o, u in enumerate(G.graph["shown"][1]):
            want = relu(W[0, u] * x + W[1, u] * y + b[u])
            assert M[o, r, c] == pytest.approx(want, rel=1e-4, abs=1e-5)


def test_maps_interpolate_between_snapshots(relu_run):
    G = build_drawn_graph(relu_run)
    src = ValueSource(G, relu_run)
    a, b, mid = src.at(1).maps[1], src.at(2).maps[1], src.at(1.25).maps[1]
    assert np.allclose(mid, a + 0.25 * (b - a), atol=1e-6)


def test_ranges_by_activation_fixed_for_the_film(relu_run, tanh_run):
    G = build_drawn_graph(tanh_run)
    assert G.graph["response_range"] == [None, (-1.0, 1.0), (-1.0, 1.0), None]
    G = build_drawn_graph(relu_run)
    src = ValueSource(G, relu_run)
    top = max(float(src.at(int(i)).maps[1].max())
              for i in scale_snapshots(len(relu_run.snapshots)))
    assert G.graph["response_range"][1] == (0.0, pytest.approx(top))
    assert unit_maps.layer_range("sigmoid", []) == (0.0, 1.0)
    # A film's frames all colour one value alike: the range does not follow the frame.
    r = FrameRenderer(relu_run, DrawOptions.create(size=(640, 360)))
    painter = r.panel.maps
    (t, left), side = painter.rects[1][0], painter.resample[1][0][0].size
    seen = []
    for p in (0, len(relu_run.snapshots) - 1):
        img = r.frame_at(p)[..., :3].copy()
        M = r.values.at(p).maps[1][0]
        want = unit_maps.map_rgb(M, G.graph["response_range"][1], painter.lut)
        # The map's top-left pixel is (nearly) the grid's top-left value, y highest.
        px = img[t, left].astype(float)
        assert np.abs(px - want[-1, 0] * 255).max() <= 12
        seen.append(r.G.graph["response_range"][1])
    assert seen[0] == seen[1] == G.graph["response_range"][1]
    assert side >= 8


def test_frame_maps_are_coloured_and_legible(tanh_run):
    """32-unit layers at 1280x720: each map is >= 20 px and coloured."""
    r = FrameRenderer(tanh_run, DrawOptions.create(size=(1280, 720)))
    img = r.frame_at(len(tanh_run.snapshots) - 1)[..., :3].astype(int)
    G = r.G
    assert len(G.graph["shown"][1]) == len(G.graph["shown"][2]) == 32
    for l in (1, 2):
        side = r.panel.maps.resample[l][0][0].size
        assert side >= 20
        for t, left in r.panel.maps.rects[l]:
            cell = img[t:t + side, left:left + side]
            coloured = (np.abs(cell - 255).max(axis=2) > 40).mean()
            assert coloured > 0.3, (l, t, left, coloured)
    # every map stays in the panel, left of its unit, and apart from its column's others
    for n, d in G.nodes(data=True):
        if "map" in d:
            x0, y0, x1, y1 = d["map"]
            assert 0 <= x0 < x1 < d["x"] and 0 <= y0 < y1 <= 1


def test_maps_legend_says_what_colours_mean(relu_run, tanh_run):
    G = build_drawn_graph(relu_run)
    text = unit_maps.legend_text(G)
    assert "unit output over the input plane" in text and "0 .. max" in text
    assert f"hidden 1: {G.graph['response_range'][1][1]:.2g}" in text
    assert "\u22121 .. 1" in unit_maps.legend_text(build_drawn_graph(tanh_run))


def purple_pixels(path):
    img = iio.imread(path)[..., :3].astype(float)
    return int((np.abs(img - NEG).max(axis=2) < 30).sum())


def test_figure_and_compare_draw_the_maps(relu_run, tanh_run, tmp_path):
    wl.figure(tanh_run, tmp_path / "f.png", dpi=100)
    assert purple_pixels(tmp_path / "f.png") > 2000
    b = wl.train(dataset="spiral", hidden=[32, 32], activation="tanh", epochs=10, lr=0.003,
                 optimizer="adam", batch_size=0, snapshot_every=5, n_samples=300,
                 out=tmp_path, name="b")
    wl.compare([tanh_run, b], tmp_path / "c.png", dpi=100)
    assert purple_pixels(tmp_path / "c.png") > 2000


def test_a_difference_of_two_runs_has_no_maps(tanh_run):
    from weightlapse.viz.diff import diff_graph, weight_difference
    dW, db, _ = weight_difference(tanh_run, tanh_run, False)
    G, values = diff_graph(tanh_run, dW, db)
    assert "response_grid" not in G.graph and values.maps is None


def test_image_and_wide_inputs_have_no_maps(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(120, 3)), np.arange(120) % 2
    run = wl.train(X, y, hidden=[4], epochs=2, out=tmp_path, name="three")
    G = build_drawn_graph(run)
    assert "response_grid" not in G.graph
    assert ValueSource(G, run).at(0).maps is None
    assert all("response" not in d for _, d in graph_with_values(G, run).nodes(data=True))


def test_graph_carries_responses_and_exports_them(relu_run, tmp_path):
    G = build_drawn_graph(relu_run)
    H = graph_with_values(G, relu_run, 1)
    g = G.graph["response_grid"]
    M = ValueSource(G, relu_run).at(1).maps[1]
    for o, u in enumerate(G.graph["shown"][1]):
        resp = H.nodes[f"1:{u}"]["response"]
        assert len(resp) == g and len(resp[0]) == g
        assert np.allclose(resp, M[o])
    assert "response" not in H.nodes["0:0"] and "response" not in H.nodes["2:0"]
    wl.graph(relu_run, tmp_path / "g.json")
    data = json.loads((tmp_path / "g.json").read_text())
    assert data["graph"]["response_extent"] == list(G.graph["response_extent"])
    hidden = [n for n in data["nodes"] if n["kind"] == "hidden"]
    assert hidden and all(len(n["response"]) == g for n in hidden)


def test_colours_of_map_values():
    """0 is white; -1 and 1 the ends of a symmetric range; a one-sided range
    (ReLU) by the square root; NaN (a diverged run) white, inf the top."""
    table = unit_maps.lut()
    white = table[unit_maps.map_index(np.float32(0), (-1, 1))]
    assert np.allclose(white, 1, atol=0.01)
    assert np.allclose(table[unit_maps.map_index(np.float32(1), (-1, 1))], unit_maps.POS, atol=0.01)
    assert np.allclose(table[unit_maps.map_index(np.float32(-1), (-1, 1))], unit_maps.NEG, atol=0.01)
    idx = unit_maps.map_index(np.array([0, 1, 4, np.nan, np.inf], np.float32), (0, 4))
    assert list(idx[[0, 3]]) == [128, 128] and idx[2] == idx[4] == 255
    assert idx[1] == unit_maps.map_index(np.float32(2), (-4, 4))   # sqrt(1/4) * 4 = 2
