"""--sample N: one held-out input followed through the network (issue 19):
activations and probabilities against a forward pass worked here in NumPy,
what frames and figures draw of it, and the graph export."""
import json

import networkx as nx
import numpy as np
import pytest

import weightlapse as wl
from weightlapse.viz.draw_options import DrawOptions
from weightlapse.viz.drawn import ValueSource, build_drawn_graph, graph_with_values
from weightlapse.viz.frame import FrameRenderer
from weightlapse.viz.painter import INPUT_GREY
from weightlapse.viz.sample_paint import BAR_RGB, _index, table


def by_hand(snap, x, activation="relu"):
    """Hidden activations and output probabilities of x, float64, layer by layer."""
    f = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh}[activation]
    a, hidden = np.asarray(x, np.float64), []
    for k, (W, b) in enumerate(zip(snap.weights, snap.biases)):
        z = a @ np.asarray(W, np.float64) + np.asarray(b, np.float64)
        if k < len(snap.weights) - 1:
            a = f(z)
            hidden.append(a)
    e = np.exp(z - z.max())
    return hidden, e / e.sum()


def test_activations_and_probabilities_are_a_forward_pass(image_run):
    X, y = image_run.files.read_probe()
    G = build_drawn_graph(image_run, DrawOptions.create(sample=3))
    assert G.graph["sample"] == 3 and G.graph["sample_label"] == int(y[3])
    np.testing.assert_array_equal(G.graph["sample_input"], X[3].astype(np.float64))
    src = ValueSource(G, image_run)
    for i in range(len(image_run.snapshots)):
        hidden, p = by_hand(image_run.snapshots[i], X[3])
        v = src.at(i)
        for l, a in enumerate(hidden, start=1):
            np.testing.assert_allclose(v.acts[l], a, rtol=0, atol=1e-6)
        np.testing.assert_allclose(v.acts[-1], p, rtol=0, atol=1e-6)
        H = graph_with_values(G, image_run, i)
        for l, a in enumerate(hidden, start=1):
            for u in G.graph["shown"][l]:
                assert abs(H.nodes[f"{l}:{u}"]["activation"] - a[u]) <= 1e-6
        for u in G.graph["shown"][-1]:
            assert abs(H.nodes[f"3:{u}"]["probability"] - p[u]) <= 1e-6
        assert H.graph["sample_prediction"] == int(np.argmax(p))
        assert abs(H.graph["sample_probability"] - p.max()) <= 1e-6
    # Between snapshots the film interpolates them, like the weights.
    mid = src.at(1.5).acts
    np.testing.assert_allclose(mid[1], 0.5 * (src.at(1).acts[1] + src.at(2).acts[1]),
                               atol=1e-9)


def test_default_is_held_out_row_0_and_none_turns_it_off(image_run):
    X, _ = image_run.files.read_probe()
    G = build_drawn_graph(image_run)
    assert G.graph["sample"] == 0
    np.testing.assert_array_equal(G.graph["sample_input"], X[0])
    off = build_drawn_graph(image_run, DrawOptions.create(sample="none"))
    assert off.graph["sample"] is None and off.graph["sample_input"] is None
    assert ValueSource(off, image_run).at(0).acts is None
    assert "activation" not in graph_with_values(off, image_run).nodes["1:%d" % off.graph[
        "shown"][1][0]]


def _grid_ink(r):
    """The input grid's pixels of the last frame, as 28x28 ink (1 = black)."""
    frame = r.frame_at(len(r.run.snapshots) - 1)
    x0, y0, x1, y1 = r.G.nodes["0:grid"]["box"]
    ax, H = r.panel.ax, frame.shape[0]
    (l, b), (rr, t) = ax.transData.transform([(x0, y0), (x1, y1)])
    centres = (np.arange(28) + 0.5) / 28             # each image pixel's centre
    rows = (H - t + centres * (t - b)).astype(int)
    cols = (l + centres * (rr - l)).astype(int)
    return 1 - frame[np.ix_(rows, cols)][..., :3].mean(axis=2) / 255


def test_a_frame_draws_the_digit_in_the_input_grid(image_run):
    x = build_drawn_graph(image_run).graph["sample_input"].reshape(28, 28)
    ink = _grid_ink(FrameRenderer(image_run, DrawOptions.create(sample=0)))
    assert np.corrcoef(ink.ravel(), x.ravel())[0, 1] > 0.95
    assert ink[x > 0.8].min() > 0.6 and ink[x == 0].max() < 0.15   # black strokes on white
    blank = _grid_ink(FrameRenderer(image_run, DrawOptions.create(sample="none")))
    assert blank.std() < 0.05       # the grey grid the film showed before


def test_units_are_filled_by_activation_and_outputs_by_probability(image_run):
    r = FrameRenderer(image_run, DrawOptions.create(sample=5, size=(1280, 720)))
    last = len(image_run.snapshots) - 1
    r.frame_at(last)
    v = r.values.at(last)
    G, panel = r.G, r.panel
    lo, hi = G.graph["sample_scales"][1]
    a = v.acts[1][G.graph["shown"][1]]
    want = table(lo)[_index(a, lo, hi)]
    np.testing.assert_allclose(panel.nodes[1].get_facecolors()[:, :3], want, atol=1e-6)
    assert hi >= a.max() > 0 and lo == 0
    p = v.acts[-1]
    face = panel.nodes[-1].get_facecolors()[:, :3]
    k = int(np.argmax(p))
    assert face[k].sum() == face.sum(axis=1).min()           # the likeliest is darkest
    # Its bar: BAR_RGB pixels along the unit's row, as long as the probability.
    left, (top, bottom), _ = panel.sample.bars[k]
    row = r.buffer[(top + bottom) // 2, left:left + int(panel.sample.bar_len) + 2, :3]
    green = int(np.all(row == BAR_RGB, axis=1).sum())
    assert abs(green - round(panel.sample.bar_len * p[k])) <= 1
    names = G.graph["class_names"]
    label = G.graph["sample_label_name"]
    assert f"says {names[k]}, {p[k]:.0%} (true {label})" in r.title_text


def test_table_rows_show_their_feature_values_at_the_inputs(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    run = wl.train(X, y, hidden=[6], epochs=3, out=tmp_path, name="table")
    r = FrameRenderer(run, DrawOptions.create(sample=2, size=(960, 540)))
    x = r.G.graph["sample_input"]
    np.testing.assert_array_equal(x, run.files.read_probe()[0][2])
    s = np.abs(x).max()
    want = table(-s)[_index(x[r.G.graph["shown"][0]], -s, s)]
    np.testing.assert_allclose(r.panel.nodes[0].get_facecolors()[:, :3], want, atol=1e-6)
    r.frame_at(0)
    assert "says" in r.title_text


def test_a_csvs_values_are_said_to_be_standardised_and_stay_in_the_frame(tmp_path):
    """A CSV's columns reach the network standardised: the legend and the
    caption say so (arrays passed in Python are not), and the inputs' legend
    of a wide table stays inside the canvas."""
    from matplotlib.text import Text
    from weightlapse.viz.frame import caption
    rng = np.random.default_rng(2)
    X = rng.normal(5000, 1000, size=(200, 60))
    path = tmp_path / "wide.csv"
    rows = [",".join([f"c{i}" for i in range(60)] + ["label"])]
    rows += [",".join(f"{v:.1f}" for v in x) + f",{int(x[0] > 5000)}" for x in X]
    path.write_text("\n".join(rows) + "\n")
    run = wl.train(data=str(path), hidden=[8], epochs=2, out=tmp_path, name="wide")
    r = FrameRenderer(run, DrawOptions.create(sample=1, size=(1280, 720)))
    assert r.G.graph["sample_standardised"]
    assert "(drawn at the inputs, standardised)" in caption(r.G)
    r.frame_at(0)
    texts = [t for t in r.fig.findobj(Text) if t.get_text().startswith("standardised \u2212")]
    assert len(texts) == 1
    box = texts[0].get_window_extent(r.fig.canvas.get_renderer())
    assert box.x0 >= 0
    plain = wl.train(X[:, :3] / 1000, (X[:, 0] > 5000).astype(int), hidden=[4], epochs=2,
                     out=tmp_path, name="arrays")
    G = FrameRenderer(plain, DrawOptions.create(sample=1)).G
    assert not G.graph["sample_standardised"] and "standardised" not in caption(G)


def test_2d_data_keeps_its_inputs_and_shows_a_sample_only_when_asked(train_spiral, tmp_path):
    run = train_spiral(tmp_path, "spiral", activation="tanh")
    assert build_drawn_graph(run).graph["sample"] is None
    G = build_drawn_graph(run, DrawOptions.create(sample=4))
    assert G.graph["sample_scales"][1] == (-1.0, 1.0)       # tanh's range
    hidden, p = by_hand(run.snapshots[-1], G.graph["sample_input"], "tanh")
    v = ValueSource(G, run).at(-1)
    np.testing.assert_allclose(v.acts[2], hidden[1], atol=1e-6)
    np.testing.assert_allclose(v.acts[-1], p, atol=1e-6)
    assert G.graph["sample_at_inputs"] is None
    r = FrameRenderer(run, DrawOptions.create(sample=4, size=(640, 360)))
    r.frame_at(3)
    np.testing.assert_allclose(r.panel.nodes[0].get_facecolors()[:, :3], [INPUT_GREY] * 2)


def test_a_2d_samples_fills_are_coloured_as_the_maps_are(train_spiral, tmp_path):
    """A ReLU spiral run with --sample: each hidden unit's fill is its map's
    colour for that activation (the maps' range and mapping, their legend)."""
    from weightlapse.viz.unit_maps import lut, map_rgb
    run = train_spiral(tmp_path, "relu", activation="relu")
    r = FrameRenderer(run, DrawOptions.create(sample=4))
    G = r.G
    for l in (1, 2):
        assert G.graph["sample_scales"][l] == tuple(G.graph["response_range"][l])
    r.frame_at(len(run.snapshots) - 1)
    acts = r.values.at(len(run.snapshots) - 1).acts
    for l in (1, 2):
        want = map_rgb(acts[l][G.graph["shown"][l]], G.graph["response_range"][l], lut())
        np.testing.assert_allclose(r.panel.nodes[l].get_facecolors()[:, :3], want, atol=1e-6)


def test_graph_export_carries_the_sample(image_run, tmp_path):
    X, y = image_run.files.read_probe()
    G = wl.graph(image_run, tmp_path / "g.json", sample=7, snapshot=2)
    data = json.loads((tmp_path / "g.json").read_text())
    assert data["graph"]["sample"] == 7 and data["graph"]["sample_label"] == int(y[7])
    np.testing.assert_allclose(data["graph"]["sample_input"], X[7], atol=1e-7)
    hidden, p = by_hand(image_run.snapshots[2], X[7])
    nodes = {n["id"]: n for n in data["nodes"]}
    u = G.graph["shown"][1][0]
    assert abs(nodes[f"1:{u}"]["activation"] - hidden[0][u]) <= 1e-6
    assert abs(sum(nodes[f"3:{k}"]["probability"] for k in range(10)) - 1) <= 1e-6
    wl.graph(image_run, tmp_path / "g.graphml", sample=7, snapshot=2)
    back = nx.read_graphml(tmp_path / "g.graphml")
    assert len(json.loads(back.graph["sample_input"])) == 784
    assert abs(back.nodes[f"1:{u}"]["activation"] - hidden[0][u]) <= 1e-6


@pytest.mark.parametrize("kind", ["figure", "compare"])
def test_figure_and_compare_draw_the_sample(image_run, tmp_path, kind):
    out = tmp_path / "f.png"
    if kind == "figure":
        wl.figure(image_run, out, sample=1, dpi=60)
    else:
        wl.compare([image_run, image_run], out, sample=1, dpi=60)
    assert out.stat().st_size > 10_000


def test_a_damaged_probe_set_costs_the_default_sample_not_the_picture(image_run, tmp_path):
    import shutil
    from weightlapse.core.errors import RunError
    run = wl.load_run(shutil.copytree(image_run.path, tmp_path / "run"))
    (run.path / "probe.npz").write_bytes(b"not a zip")
    with pytest.warns(UserWarning, match="probe.npz is unreadable.*drawn without a sample"):
        G = build_drawn_graph(run)
    assert G.graph["sample"] is None
    with pytest.raises(RunError, match="probe.npz"):
        build_drawn_graph(run, DrawOptions.create(sample=2))
