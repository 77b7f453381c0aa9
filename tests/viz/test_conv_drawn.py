"""Conv runs drawn (issue 21, part 5): channels carrying their kernels as
tiles, the flattened maps into the first dense layer, ordering and "+N
more", and every view (film, figure, compare with alignment, report, graph
export) on tiny conv runs trained here."""
import json

import networkx as nx
import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core.align import align_hidden
from weightlapse.core.errors import ConfigError
from weightlapse.viz.colors import lut, lut_index
from weightlapse.viz.draw_options import DrawOptions
from weightlapse.viz.drawn import ValueSource, build_drawn_graph, graph_with_values
from weightlapse.viz.drawn_conv import MAX_AUTO_TILED, as_matrix, tile_layout
from weightlapse.viz.export import export_graph
from weightlapse.viz.frame import FrameRenderer
from weightlapse.viz.select import importance, similarity_order

CONV = dict(conv=[[4, 3], [6, 3]], pool=2, conv_padding=1, hidden=[12], epochs=2,
            batch_size=16, lr=0.01, optimizer="adam", snapshot_every=4, seed=3)


@pytest.fixture(scope="module")
def conv_run(tmp_path_factory, images_csv):
    """12x12 images -> conv 4x3 (pad 1) -> pool -> conv 6x3 -> pool -> 54 -> 12 -> 3."""
    return wl.train(data=images_csv, out=tmp_path_factory.mktemp("c"), name="c", **CONV)


@pytest.fixture(scope="module")
def many_channels(tmp_path_factory, images_csv):
    """One conv layer of 40 channels: more than a column shows."""
    return wl.train(data=images_csv, out=tmp_path_factory.mktemp("m"), name="m",
                    conv=[[40, 3]], pool=2, hidden=[8], epochs=1, batch_size=32,
                    snapshot_every=2, seed=1)


def test_a_conv_run_is_drawn_as_columns_of_channels(conv_run):
    G = build_drawn_graph(conv_run)
    assert G.graph["sizes"] == [144, 4, 6, 12, 3]
    assert G.graph["gap_kind"] == ["tiles", "tiles", "tiles", "lines"]
    assert "0:grid" in G and G.graph["image_shape"] == (12, 12)
    assert G.graph["layer_labels"][1].startswith("conv 1\n4 \u00d7 3\u00d73")
    assert G.graph["layer_labels"][3].startswith("hidden 1")
    assert G.graph["tile_block"][:3] == [(3, 3), (3, 3), (3, 3)]   # pooled maps 3x3
    for l in (1, 2, 3):          # every tile-carrying unit has its tile, left of it
        for j in G.graph["shown"][l]:
            node = G.nodes[f"{l}:{j}"]
            assert node["tile"][2] < node["x"]


@pytest.mark.parametrize("color", ["weight", "change", "update"])
def test_tiles_are_the_kernels_at_the_snapshot(conv_run, color):
    G = build_drawn_graph(conv_run, DrawOptions.create(color=color))
    src = ValueSource(G, conv_run)
    shown, cells = G.graph["shown"], G.graph["tile_cells"]
    for i in (0, len(conv_run.snapshots) // 2, len(conv_run.snapshots) - 1):
        v = src.at(i)
        s = conv_run.snapshots[i]
        prev = conv_run.snapshots[max(i - 1, 0)]
        first = conv_run.snapshots[0]

        def q(k):
            W = np.asarray(s.weights[k], np.float64)
            if color == "change":
                return W - first.weights[k]
            if color == "update":
                steps = max(int(s.step - prev.step), 1)
                return (W - prev.weights[k]) / steps if i else np.zeros_like(W)
            return W
        K0, K1, D = q(0), q(1), q(2)
        for b, j in enumerate(shown[1]):                 # conv 1: k x k kernels
            np.testing.assert_allclose(v.gaps[0][:, b], K0[j].ravel(), atol=1e-6)
        for b, j in enumerate(shown[2]):                 # conv 2: a cell per shown channel
            for o, c in enumerate(cells[1]):
                np.testing.assert_allclose(v.gaps[1][o * 9:(o + 1) * 9, b], K1[j, c].ravel(),
                                           atol=1e-6)
        for b, j in enumerate(shown[3]):                 # hidden 1: the pooled maps
            for o, c in enumerate(cells[2]):
                np.testing.assert_allclose(v.gaps[2][o * 9:(o + 1) * 9, b],
                                           D[c * 9:(c + 1) * 9, j], atol=1e-6)
        if color == "weight":   # unit fills: the channels' biases
            np.testing.assert_allclose(v.nodes[2], s.biases[1][shown[2]], atol=1e-6)


def test_tile_pictures_put_each_cell_in_its_place():
    rows, M = tile_layout([5, 2, 7], (2, 3))
    assert M.shape == (2 * 3 - 1, 2 * 4 - 1)          # 2 x 2 cells, white lines between
    assert rows[:6].tolist() == list(range(30, 36)) and rows[6:12].tolist() == list(range(12, 18))
    assert M[0, :3].tolist() == [0, 1, 2] and M[1, 4:7].tolist() == [9, 10, 11]
    assert (M[2] == -1).all() and (M[:, 3] == -1).all()
    assert M[3, 0] == 12 and (M[3:, 4:] == -1).all()     # the fourth cell is empty
    K = np.arange(2 * 8 * 4 * 5).reshape(2, 8, 4, 5)     # (O, C, k, k) -> (C k k, O)
    assert as_matrix(K)[:, 1].tolist() == K[1].ravel().tolist()


def test_channels_chosen_by_importance_ordered_by_similarity_with_more(many_channels):
    G = build_drawn_graph(many_channels, DrawOptions.create(color="weight"))   # not auto's change
    shown, more = G.graph["shown"][1], G.graph["more"][1]
    assert len(shown) == MAX_AUTO_TILED and more == 40 - MAX_AUTO_TILED
    assert G.nodes["1:more"]["label"] == f"+{more} more"
    final = many_channels.snapshots[-1].weights
    K, D = np.asarray(final[0], np.float64), np.asarray(final[1], np.float64)
    U = [np.sqrt((K ** 2).sum(axis=(2, 3))).T,
         np.sqrt((D.reshape(40, -1, D.shape[1]) ** 2).sum(axis=1))]
    score = importance(U, 1)
    top = np.sort(np.argsort(-score)[:MAX_AUTO_TILED])
    assert sorted(shown) == top.tolist()
    want = top[similarity_order(K[top].reshape(len(top), -1))]
    assert shown == want.tolist()
    # the first dense layer's tiles hold the shown channels' maps, in that order
    assert G.graph["tile_cells"][1] == shown[:16]


def test_units_all_on_a_huge_conv_layer_is_refused(many_channels, run_cli, tmp_path):
    with pytest.raises(ConfigError, match=r"^units=all: conv layer 1 has 40 units.*units=K"):
        build_drawn_graph(many_channels, DrawOptions.create(units="all"))
    code, out, err, shown = run_cli(["render", many_channels.path, "--units", "all",
                                     "-o", tmp_path / "f.mp4"])
    assert code == 2 and len(shown) == 1 and "--units all" in shown[0] and "Traceback" not in err
    assert not list(tmp_path.iterdir())
    G = build_drawn_graph(many_channels, DrawOptions.create(units=20))
    assert len(G.graph["shown"][1]) == 20


@pytest.mark.parametrize("size", [(640, 360), (1280, 720)])
def test_film_frame_tiles_show_the_kernels(conv_run, size):
    r = FrameRenderer(conv_run, DrawOptions.create(size=size))
    last = len(conv_run.snapshots) - 1
    frame = r.frame_at(last)
    v = r.values.at(last)
    for ts in r.panel.tile_sets:
        l = ts["gap"]
        top, bottom, x0, x1 = ts["rects"][0]
        want = lut()[lut_index(v.gaps[l][:, 0], r.G.graph["scales"][l])]
        want = np.concatenate([want, np.ones((1, 3))])[ts["big"]]      # -1: white
        got = frame[top:bottom, x0:x1, :3].astype(float) / 255
        np.testing.assert_allclose(got, want, atol=1 / 255 + 1e-6)


def test_render_figure_report_and_graph_export(conv_run, tmp_path):
    wl.render(conv_run, tmp_path / "film.mp4", duration=1, fps=5)
    assert (tmp_path / "film.mp4").stat().st_size > 1000
    for ext in ("png", "svg"):
        wl.figure(conv_run, tmp_path / f"f.{ext}")
        assert (tmp_path / f"f.{ext}").stat().st_size > 1000
    html = wl.report(conv_run, tmp_path / "r.html").html
    payload = json.loads(html.split('id="wl-data" type="application/json">')[1]
                         .split("</script>")[0].replace("<\\/", "</"))
    run = payload["runs"][0]
    assert [t["gap"] for t in run["scene"]["tileGaps"]] == [0, 1, 2]
    assert [len(L["rows"]) for L in run["layers"]] == [9, 4 * 9, 6 * 9, 12]
    H = graph_with_values(build_drawn_graph(conv_run, DrawOptions.create(color="weight")),
                          conv_run, -1)
    snap = conv_run.snapshots[-1]
    for a, b, d in H.edges(data=True):
        if d["kind"] == "slice" and d["gap"] == 1:
            np.testing.assert_allclose(d["weights"], snap.weights[1][d["j"], d["i"]].ravel(),
                                       atol=1e-6)
        if d["kind"] == "field":
            j = int(b.split(":")[1])
            np.testing.assert_allclose(d["weights"], snap.weights[0][j].ravel(), atol=1e-6)
    for ext in ("graphml", "gexf", "json"):
        export_graph(H, tmp_path / f"g.{ext}")
    back = nx.read_graphml(tmp_path / "g.graphml")
    assert back.number_of_edges() == H.number_of_edges()
    D = wl.graph(conv_run, tmp_path / "d.gexf", all_snapshots=True)
    slices = [d for _, _, d in D.edges(data=True) if d.get("kind") == "slice"]
    assert slices and len(slices[0]["norm"]) == len(conv_run.snapshots)


def test_compare_matches_channels_by_optimal_assignment(conv_run, tmp_path):
    s = conv_run.snapshots[-1]
    W, b = [np.asarray(w, np.float64) for w in s.weights], [np.asarray(x, np.float64)
                                                             for x in s.biases]
    p0, p1 = np.array([2, 0, 3, 1]), np.array([5, 3, 1, 0, 4, 2])
    # B: the same network with its channels shuffled (the same function)
    Wb = [W[0][p0], W[1][p1][:, p0], W[2].reshape(6, 9, 12)[p1].reshape(54, 12), W[3]]
    bb = [b[0][p0], b[1][p1], b[2], b[3]]
    Wa, ba, perms, report = align_hidden(W, b, Wb, bb)
    assert perms[0].tolist() == np.argsort(p0).tolist()
    assert perms[1].tolist() == np.argsort(p1).tolist()
    for x, y in zip(Wa, W):
        np.testing.assert_allclose(x, y, atol=1e-12)
    assert report[0]["distance_after"] < 1e-9
    other = wl.train(data=conv_run.config["settings"]["data"]["data"], out=tmp_path,
                     name="other", **{**CONV, "seed": 4})
    files = wl.compare([conv_run, other], tmp_path / "cmp.png", align=True).files
    assert (tmp_path / "cmp.png").stat().st_size > 1000 and len(files) == 2
    diff = wl.compare([conv_run, other], tmp_path / "diff.png", diff=True, align=True)
    assert [r["units"] for r in diff.report[:-1]] == [4, 6, 12]      # channels, then units
    wl.compare([conv_run, other], tmp_path / "v.mp4", video=True, align=True, duration=1,
               fps=4)
    assert (tmp_path / "v.mp4").stat().st_size > 1000


def test_diagnostics_count_channels_and_name_conv_layers(conv_run, tmp_path):
    from weightlapse.diagnosis import diagnose_run, feeds
    assert feeds(conv_run.layers, 0) == ("conv 1", "channels")
    assert feeds(conv_run.layers, 1) == ("conv 2", "channels")
    assert feeds(conv_run.layers, 2) == ("hidden 1", "units")
    assert feeds(None, 0) == ("hidden 1", "units")
    report = diagnose_run(conv_run)
    rows = report["layers"]
    assert len(rows) == 4 and all(r["update_ratio"] is not None for r in rows)
    # a dead share of channels: a multiple of 1/4 and 1/6, not of pixels
    for r, n in zip(rows[:2], (4, 6)):
        assert abs(r["dead_fraction"] * n - round(r["dead_fraction"] * n)) < 1e-9
    wl.diagnose([conv_run], tmp_path / "d.png")
    assert (tmp_path / "d.png").stat().st_size > 1000


def test_dead_channels_are_marked_per_channel(conv_run):
    """A conv layer's unit marks are per channel: dead = zero at every pixel of
    every probe row, worked here from a forward pass by hand."""
    from weightlapse.core.health_read import probe_set
    from weightlapse.core.health_record import hidden_activations
    from weightlapse.viz.unit_health import UnitHealth
    uh = UnitHealth(conv_run)
    assert uh.marks == "dead" and uh.n_hidden == len(conv_run.layers) - 1
    states = uh.at(-1)
    model = conv_run.network(-1)
    acts = hidden_activations(model, probe_set(conv_run)[0])
    assert len(states) == len(acts)
    for s, A in zip(states, acts):
        axes = (0, 2, 3) if A.ndim == 4 else 0
        np.testing.assert_array_equal(s.dead, ~(A > 0).any(axis=axes))
    assert len(states[0].dead) == conv_run.layers[0]["out_channels"]


def test_update_ratio_strips_cover_every_weight_array(conv_run):
    """One series per weight array, conv ones included (not only the dense
    sizes), each equal to health.jsonl's update ratios of that array."""
    from weightlapse.core.health_read import load_health
    from weightlapse.viz.ratio_strip import ratio_series
    series = ratio_series(conv_run)
    table = load_health(conv_run).table
    assert len(series) == len(conv_run.layers) == 4
    for i in range(4):
        r = table[table.layer == i]["update_ratio"].to_numpy(float)
        np.testing.assert_allclose(series.log10[i], np.log10(r[np.isfinite(r) & (r > 0)]))


def test_the_tile_caption_says_pooled_only_when_pooled(conv_run, images_csv, tmp_path):
    from weightlapse.viz.drawn_conv import tile_caption
    assert "each pooled 3\u00d73 map" in tile_caption(build_drawn_graph(conv_run))
    flat = wl.train(data=images_csv, out=tmp_path, name="nopool", conv=[[3, 3]], pool=1,
                    hidden=[4], epochs=1, snapshot_every=4)
    text = tile_caption(build_drawn_graph(flat))
    assert "pooled" not in text and "each 10\u00d710 map" in text


def test_each_channel_shows_its_feature_map_on_the_sample(conv_run, tmp_path):
    """With the (default) sample, each shown conv channel's map on it: the
    drawn values equal the network's activations of that input (before
    pooling), the film paints them right of the units, and the graph export
    carries them (rows from the top)."""
    from weightlapse.core.health_record import hidden_activations
    from weightlapse.viz.unit_maps import lut, map_rgb
    r = FrameRenderer(conv_run, DrawOptions.create(size=(1280, 720)))
    G = r.G
    assert G.graph["sample"] == 0
    cols = [l for l, px in enumerate(G.graph["fmap_px"]) if px]
    assert cols == [1, 2]
    last = len(conv_run.snapshots) - 1
    x = conv_run.files.read_probe()[0][:1]
    truth = hidden_activations(conv_run.network(last), x)
    maps = ValueSource(G, conv_run).at(last).maps
    for l in cols:
        want = truth[l - 1][0][G.graph["shown"][l]][:, ::-1]
        np.testing.assert_allclose(maps[l], want, rtol=1e-5, atol=1e-6)
        assert G.graph["fmap_grid"][l] == want.shape[-1]
        lo, hi = G.graph["fmap_range"][l]
        assert lo == 0 and hi >= want.max() - 1e-6          # relu: 0..max, fixed
    img = r.frame_at(last)[..., :3]
    H = img.shape[0]
    bbox = r.panel.ax.get_window_extent()
    u = G.graph["shown"][1][0]
    x0, y0, x1, y1 = G.nodes[f"1:{u}"]["fmap"]
    assert x0 > G.nodes[f"1:{u}"]["x"]                      # right of its unit
    top, left = int(round(H - (bbox.y0 + y1 * bbox.height))), int(round(bbox.x0 + x0 * bbox.width))
    side = r.panel.maps.resample[1][0][0].size
    patch = img[top:top + side, left:left + side].astype(int)
    want = map_rgb(maps[1][0], G.graph["fmap_range"][1], lut())
    # the patch's darkest cell is the map's (bilinear, so compare extremes)
    assert want.sum(axis=2).min() * 255 < 650                 # the map has colour to find
    assert abs(patch.sum(axis=2).min() - (want.sum(axis=2).min() * 255)) < 40
    export_graph(graph_with_values(G, conv_run, last), tmp_path / "g.json")
    back = nx.node_link_graph(json.loads((tmp_path / "g.json").read_text()))
    np.testing.assert_allclose(np.array(back.nodes[f"1:{u}"]["feature_map"]),
                               truth[0][0][u], rtol=1e-5, atol=1e-6)
