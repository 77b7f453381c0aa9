"""The film: graph, colour scale, rasteriser, video, figures, demo, errors."""
import re

import imageio_ffmpeg
import numpy as np
import pytest

import weightlapse as wl
from weightlapse.cli import main
from weightlapse.viz.colors import LUT_SIZE, lut, lut_index
from weightlapse.viz.frame import FrameRenderer
from weightlapse.viz.drawn import build_drawn_graph, graph_with_values
from weightlapse.viz.select import top_k_mask
from weightlapse.viz.labels import class_names
from weightlapse.viz.draw_options import DEFAULT_DURATION, DrawOptions
from weightlapse.viz.pacing import film_epochs, film_positions, hold_frames
from weightlapse.viz.raster import EdgeField


@pytest.fixture(scope="module")
def spiral_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    return wl.train(dataset="spiral", hidden=[8, 8], epochs=20, batch_size=0,
                    activation="tanh", snapshot_every=4, out=out, name="spiral")


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    """A 784-32-10 network on fake 28x28 images (no download)."""
    rng = np.random.default_rng(0)
    y = np.arange(400) % 10
    X = rng.random((400, 784)) * 0.3
    for k in range(10):
        X[y == k, k * 70:(k + 1) * 70] += 0.7
    out = tmp_path_factory.mktemp("img")
    run = wl.train(X, y, hidden=[32], epochs=2, batch_size=50, snapshot_every=3, out=out,
                   name="img")
    # Mark it as image data, as an MNIST or Kaggle-CSV run would be.
    import json
    cfg = json.loads((run.path / "config.json").read_text())
    cfg["data"]["input_shape"] = [28, 28]
    (run.path / "config.json").write_text(json.dumps(cfg))
    return wl.load_run(run.path)


def layout(sizes):
    """Columns evenly spaced in x, each layer's units evenly spaced in y (top
    to bottom): a plain layered layout for the rasteriser tests."""
    return [(float(x), 0.5 + min(0.92 / max(n - 1, 1), 0.09) * ((n - 1) / 2 - np.arange(n)))
            for x, n in zip(np.linspace(0.06, 0.94, len(sizes)), sizes)]


def accumulate(field, weights, scale):
    """Per field pixel of an EdgeField: summed optical depth, and the
    depth-weighted sum of the normalised weights w / scale."""
    f = field._accumulate(weights, scale, None).reshape(field.fshape)
    return f.real.copy(), f.imag.copy()


def test_graph_matches_the_run(spiral_run):
    snap = spiral_run.snapshots[-1]
    G = graph_with_values(build_drawn_graph(spiral_run, DrawOptions.create(units="all",
                                                                           edges="all")),
                          spiral_run)
    assert G.number_of_nodes() == 2 + 8 + 8 + 3
    assert G.number_of_edges() == 2 * 8 + 8 * 8 + 8 * 3
    W, b = snap.weights, snap.biases
    assert G.edges["0:1", "1:5"]["weight"] == pytest.approx(W[0][1, 5])
    assert G.edges["2:7", "3:2"]["weight"] == pytest.approx(W[2][7, 2])
    assert G.nodes["1:3"]["value"] == pytest.approx(b[0][3])
    assert G.nodes["0:0"]["value"] is None
    xs = [G.nodes[f"{l}:0"]["x"] for l in range(4)]
    assert xs == sorted(xs)  # layers left to right
    ys = [G.nodes[f"1:{i}"]["y"] for i in G.graph["shown"][1]]
    assert ys == sorted(ys, reverse=True)  # units top to bottom


def test_every_unit_of_a_784_column_stays_inside_the_panel(image_run):
    G = build_drawn_graph(image_run, DrawOptions.create(units="all"))
    ys = [G.nodes[f"0:{i}"]["y"] for i in range(784)]
    assert 0 < min(ys) < max(ys) < 1


def test_colours_use_each_gaps_scale_fixed_for_the_film(spiral_run):
    L = lut()
    assert lut_index(np.array([0.0]), 2.0)[0] == LUT_SIZE // 2
    assert lut_index(np.array([2.0, 5.0, -2.0, -9.0]), 2.0).tolist() == [255, 255, 0, 0]
    np.testing.assert_allclose(L[255], [0.403922, 0.0, 0.121569], atol=1e-5)  # RdBu_r max
    np.testing.assert_allclose(L[0], [0.019608, 0.188235, 0.380392], atol=1e-5)
    r = FrameRenderer(spiral_run, DrawOptions.create(size=(320, 180)))
    scales = list(r.G.graph["scales"])
    assert len(scales) == 3 and len(set(scales)) == 3       # one scale per gap
    snaps = spiral_run.snapshots
    for i in (0, len(snaps) - 1):
        r.frame_at(i)
        W, sh = snaps[i].weights, r.G.graph["shown"]    # hidden units in drawn order
        want = np.concatenate([L[lut_index(np.ravel(W[l][np.ix_(sh[l], sh[l + 1])]),
                                           scales[l])] for l in range(3)])
        np.testing.assert_allclose(r.panel.line_rgba[:, :3], want, atol=1e-6)
        b = snaps[i].biases[1][sh[2]]
        np.testing.assert_allclose(r.panel.nodes[2].get_facecolor()[:, :3],
                                   L[lut_index(b, scales[1])], atol=1e-6)
        assert r.G.graph["scales"] == scales                   # fixed for every frame


def test_film_units_are_at_least_6_px_at_1280x720(spiral_run, image_run):
    for run in (spiral_run, image_run):
        r = FrameRenderer(run)
        assert min(r.panel.radius.values()) * 2 >= 6


def brute_force_field(gaps, weights, shape, scale, coverage, max_opacity=0.9):
    """Each edge, one at a time: the rows it touches in every pixel column."""
    H, W = shape
    depth = np.zeros(shape)
    wsum = np.zeros(shape)
    for ((xa, ya), (xb, yb)), Wl in zip(gaps, weights):
        for i in range(len(ya)):
            for j in range(len(yb)):
                wn = np.clip(Wl[i, j] / scale, -1, 1)
                d = -np.log1p(-max_opacity * coverage * abs(wn))
                for c in range(max(int(np.floor(xa)), 0), min(int(np.ceil(xb)), W)):
                    t0 = np.clip((c - xa) / (xb - xa), 0, 1)
                    t1 = np.clip((c + 1 - xa) / (xb - xa), 0, 1)
                    y0 = ya[i] + t0 * (yb[j] - ya[i])
                    y1 = ya[i] + t1 * (yb[j] - ya[i])
                    lo, hi = min(y0, y1) - 0.5, max(y0, y1) + 0.5
                    for r in range(max(int(np.floor(lo)), 0), min(int(np.ceil(hi)), H)):
                        if hi > r and lo < r + 1:
                            depth[r, c] += d
                            wsum[r, c] += d * wn
    return depth, wsum


def test_edge_field_equals_drawing_each_edge():
    rng = np.random.default_rng(3)
    H, W = 40, 60
    sizes = [7, 5, 3]
    pos = [(x * W, (1 - ys) * H) for x, ys in layout(sizes)]
    gaps = list(zip(pos[:-1], pos[1:]))
    weights = [rng.normal(size=(a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    field = EdgeField(gaps, (H, W))
    assert field.factor == 1.0
    depth, wsum = accumulate(field, weights, 1.5)
    bd, bw = brute_force_field(gaps, weights, (H, W), 1.5, field.coverage)
    np.testing.assert_allclose(depth, bd, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(wsum, bw, rtol=1e-4, atol=1e-5)


def test_edge_field_colours_a_known_weight():
    # one edge, horizontal across the middle row, at +scale: the darkest red at 90%
    field = EdgeField([((0.0, np.array([10.2])), (50.0, np.array([10.2])))], (20, 50))
    L = lut()
    img = field.render([np.array([[2.0]])], 2.0, L, (1.0, 1.0, 1.0))
    expect = (1 + (L[255] - 1) * 0.9) * 255
    np.testing.assert_allclose(img[10, 5:45], np.tile(expect, (40, 1)), atol=1.01)
    assert (img[0] == 255).all() and (img[19] == 255).all()  # nothing elsewhere
    neg = field.render([np.array([[-2.0]])], 2.0, L, (1.0, 1.0, 1.0))
    np.testing.assert_allclose(neg[10, 20], (1 + (L[0] - 1) * 0.9) * 255, atol=1.01)


def test_top_k_edges():
    W = np.array([[0.1, -3.0], [2.0, 0.2], [-0.5, 0.1]])
    assert top_k_mask(W, 1).tolist() == [[False, True], [True, False], [False, False]]
    assert top_k_mask(W, 0).all()
    with pytest.raises(wl.WeightlapseError, match="top:K"):
        DrawOptions.create(edges="best:2")


@pytest.mark.parametrize("n_snaps", [1, 3, 11])
def test_film_length_whatever_the_snapshots(tmp_path, n_snaps):
    run = wl.train(dataset="moons", hidden=[4], epochs=max(n_snaps - 1, 1), batch_size=0,
                   snapshot_every=1, out=tmp_path, name="m")
    if n_snaps == 1:   # cut to the initial weights
        rec = run.snapshots.rdtype.itemsize
        bin_ = run.path / "snapshots.bin"
        bin_.write_bytes(bin_.read_bytes()[:64 + rec])
        run = wl.load_run(run.path)
    assert len(run.snapshots) == n_snaps
    out = wl.render(run, tmp_path / "f.mp4", size=(320, 180), duration=2.5, fps=8)
    frames, secs = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert frames == 20 and secs == pytest.approx(2.5, abs=0.15)
    pos = film_positions(n_snaps, 2.5, 8)
    hold = hold_frames(2.5, 8)
    assert hold == 2 and (pos[:hold] == 0).all() and (pos[-hold:] == n_snaps - 1).all()
    assert np.all(np.diff(pos) >= 0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.mp4", "m"]  # no temp files


def test_default_film_is_about_12_seconds():
    for n in (2, 11, 150, 5000):
        pos = film_positions(n, DEFAULT_DURATION, 30)
        assert len(pos) == 360 and (pos == 0).sum() == 31 and (pos == n - 1).sum() == 31
    assert DEFAULT_DURATION >= 8


def test_a_dense_start_fills_a_third_of_the_film_and_compare_paces_alike():
    """Pacing by snapshot: the auto schedule's first tenth of the steps takes
    about a third of the moving frames, in one run's film and in a
    side-by-side video of runs on that schedule; even schedules move evenly."""
    from weightlapse.core.schedule import planned
    epochs = np.array(planned("auto", 1000, 10)) / 10          # 100 epochs of 10 steps
    film = np.interp(film_positions(len(epochs), 12, 30), np.arange(len(epochs)), epochs)
    moving = film[31:-31]
    assert np.mean(moving <= 10) == pytest.approx(1 / 3, abs=0.03)
    assert np.allclose(film_epochs(np.concatenate([epochs, epochs]), 12, 30), film)
    even = film_epochs(np.arange(0, 101.0), 12, 30)[31:-31]
    assert np.allclose(np.diff(even), np.diff(even)[0])


def test_video_is_h264_of_the_asked_size(spiral_run, tmp_path):
    out = wl.render(spiral_run, tmp_path / "film.mp4", size=(320, 240), duration=1, fps=10)
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    assert meta["size"] == (320, 240) and meta["codec"] == "h264"
    first = np.frombuffer(next(reader), np.uint8).reshape(240, 320, 3)
    assert first.std() > 10  # a picture, not a blank frame
    reader.close()
    assert "<video" in out.html()


def test_gif(spiral_run, tmp_path):
    out = wl.render(spiral_run, tmp_path / "film.gif", size=(200, 120), fps=5, duration=1)
    assert out.read_bytes()[:6] == b"GIF89a"
    assert imageio_ffmpeg.count_frames_and_secs(str(out))[0] == 5


@pytest.mark.parametrize("color", ["weight", "change", "update"])
def test_image_run_tiles_show_the_chosen_quantity(image_run, color):
    r = FrameRenderer(image_run, DrawOptions.create(color=color, size=(640, 360)))
    G = r.G
    assert G.graph["gap_kind"] == ["tiles", "lines"] and "0:grid" in G
    last = len(image_run.snapshots) - 1
    frame = r.frame_at(last)
    v = r.values.at(last)
    top, bottom, x0, x1 = r.panel.tiles[0]
    h, w = G.graph["image_shape"]
    want = lut()[lut_index(v.gaps[0][:, 0], G.graph["scales"][0])].reshape(h, w, 3)
    got = frame[top:bottom, x0:x1, :3].astype(float) / 255
    rows, cols = r.panel.tile_rows, r.panel.tile_cols
    np.testing.assert_allclose(got, want[rows][:, cols], atol=1 / 255 + 1e-6)
    if color == "change":   # W - W0 of the first hidden unit shown
        W = image_run.snapshots[last].weights[0] - image_run.snapshots[0].weights[0]
        np.testing.assert_allclose(v.gaps[0][:, 0], W[:, G.graph["shown"][1][0]], atol=1e-6)


def test_full_drawing_keeps_every_edge(image_run, tmp_path):
    r = FrameRenderer(image_run, DrawOptions.create(units="all", edges="all"))
    assert r.G.graph["gap_kind"] == ["dense", "lines"] and "0:grid" not in r.G
    assert r.G.number_of_edges() == 784 * 32 + 32 * 10
    frame = r.frame_at(len(image_run.snapshots) - 1)
    top, bottom, x0, x1 = r.panel.field_rect
    assert (frame[top:bottom, x0:x1, :3] < 250).any(axis=2).mean() > 0.2  # the dense fan
    out = wl.render(image_run, tmp_path / "img.mp4", units="all", edges="top:20",
                    size=(640, 360), duration=1, fps=5)
    assert imageio_ffmpeg.count_frames_and_secs(str(out))[0] == 5


def test_class_and_feature_labels(tmp_path, image_run):
    import json
    import pandas as pd
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(200, 3)), columns=["age", "height", "income"])
    df["kind"] = np.where(df["age"] > 0, "cat", np.where(df["height"] > 0, "dog", "eel"))
    df.to_csv(tmp_path / "pets.csv", index=False)
    run = wl.train(data=tmp_path / "pets.csv", label_column="kind", hidden=[4], epochs=2,
                   out=tmp_path, name="pets")
    G = FrameRenderer(run, DrawOptions.create(size=(640, 360))).G
    assert [G.nodes[f"2:{k}"]["label"] for k in range(3)] == ["cat", "dog", "eel"]
    assert [G.nodes[f"0:{k}"]["label"] for k in range(3)] == ["age", "height", "income"]
    assert class_names(image_run) == [str(k) for k in range(10)]
    cfg = json.loads((image_run.path / "config.json").read_text())
    cfg["data"]["name"] = "fashion-mnist"
    fake = tmp_path / "fashion"
    fake.mkdir()
    (fake / "config.json").write_text(json.dumps(cfg))
    for f in ("snapshots.bin", "metrics.csv"):
        (fake / f).write_bytes((image_run.path / f).read_bytes())
    names = class_names(wl.load_run(fake))
    assert names[0] == "T-shirt/top" and names[9] == "Ankle boot"
    texts = [t.get_text() for t in FrameRenderer(wl.load_run(fake)).panel.ax.texts]
    assert "Ankle boot" in texts and "Sneaker" in texts
    regions = FrameRenderer(wl.load_run(tmp_path / "pets"), DrawOptions.create(size=(640, 360)))
    assert regions.extra is None   # 3 features: no decision regions


def test_regions_have_a_class_legend_and_the_cursor_misses_legends(spiral_run):
    r = FrameRenderer(spiral_run, DrawOptions.create(size=(640, 360)))
    leg = r.ax_extra.get_legend()
    assert [t.get_text() for t in leg.get_texts()] == ["0", "1", "2"]
    r.canvas.draw()
    for ax in (r.ax_loss, r.ax_acc):
        box = ax.get_window_extent()
        for legend in [a.get_legend() for a in (r.ax_loss, r.ax_acc) if a.get_legend()]:
            lb = legend.get_window_extent()
            assert lb.y0 >= box.y1 - 1 or lb.x1 <= box.x0   # outside the curves


def test_film_regions_are_the_models_predictions_with_the_points_over_them(spiral_run):
    from weightlapse.viz.sprites import region_rgb
    r = FrameRenderer(spiral_run, DrawOptions.create(size=(640, 360)))
    last = len(spiral_run.snapshots) - 1
    frame = r.frame_at(last).copy()
    rl = r.regions
    want = region_rgb(spiral_run.network(last), r.grid, r.class_rgb)      # (g, g, 3), rows up
    g = want.shape[0]
    inside = frame[rl.top:rl.bottom, rl.left:rl.right, :3].astype(float)
    bare = rl.keep[..., 0] == 1                                           # no point there
    h, w = bare.shape
    checked = 0
    for fy, fx in [(0.2, 0.2), (0.5, 0.7), (0.8, 0.4), (0.05, 0.95), (0.95, 0.05), (0.6, 0.1)]:
        i, j = int(fy * h), int(fx * w)
        if not bare[i, j]:
            continue
        checked += 1
        # pixel (i, j): up from the bottom by (h - i - 0.5) / h of the grid, bilinear
        u = (j + 0.5) / w * (g - 1)
        v = (h - i - 0.5) / h * (g - 1)
        a, b = int(v), int(u)
        tv, tu = v - a, u - b
        c = ((1 - tv) * ((1 - tu) * want[a, b] + tu * want[a, b + 1])
             + tv * ((1 - tu) * want[a + 1, b] + tu * want[a + 1, b + 1]))
        np.testing.assert_allclose(inside[i, j], c * 255, atol=2.5)
    assert checked >= 3
    assert bare.mean() > 0.5 and (rl.keep < 0.05).sum() > 100             # points drawn
    solid = rl.keep[..., 0] < 0.01                                        # under a point
    np.testing.assert_allclose(inside[solid], rl.points[solid], atol=1 + 0.01 * 255)
    # The regions follow the weights: the first snapshot's differ.
    assert (r.frame_at(0)[rl.top:rl.bottom, rl.left:rl.right] != frame[rl.top:rl.bottom,
                                                                      rl.left:rl.right]).any()


@pytest.mark.parametrize("ext", ["png", "svg", "pdf"])
def test_figure_formats(spiral_run, image_run, tmp_path, ext):
    for run in (spiral_run, image_run):
        out = wl.figure(run, tmp_path / f"{run.name}.{ext}")
        data = out.read_bytes()
        magic = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}[ext]
        assert data[:len(magic)] == magic
    if ext == "svg":  # vector stays vector: edges are paths
        text = (tmp_path / "spiral.svg").read_text()
        assert len(re.findall(r"<path ", text)) > 100


def test_figure_earlier_snapshot_and_colour(spiral_run, tmp_path):
    out = wl.figure(spiral_run, tmp_path / "s0.png", snapshot=0, edges="top:2",
                    color="change")
    assert out.stat().st_size > 10_000


def test_interrupted_run_films(tmp_path):
    class Stop:
        def on_epoch_end(self, t):
            if t.epoch == 2:
                raise KeyboardInterrupt

    run = wl.train(dataset="moons", hidden=[4], epochs=50, out=tmp_path, callbacks=[Stop()])
    assert run.status == "interrupted"
    out = wl.render(run, tmp_path / "int.mp4", size=(320, 180), duration=1, fps=6)
    assert imageio_ffmpeg.count_frames_and_secs(str(out))[0] == 6
    assert wl.figure(run, tmp_path / "one.png").exists()


BAD = [
    (["render", "{run}", "-o", "{tmp}/x.avi"], "unknown video format '.avi'"),
    (["render", "{run}", "-o", "{tmp}/x.mp4", "--size", "0x0"], "WIDTHxHEIGHT"),
    (["render", "{run}", "-o", "{tmp}/x.mp4", "--size", "wide"], "--size must be WIDTHxHEIGHT"),
    (["render", "{run}", "-o", "{tmp}/x.mp4", "--size", "9x9"], "--size 9x9 is out of range"),
    (["render", "{run}", "-o", "{tmp}/x.mp4", "--size", "641x360"], "even width"),
    (["render", "{run}", "-o", "{tmp}/x.mp4", "--edges", "most"], "--edges must be"),
    (["render", "{run}", "-o", "{tmp}/x.mp4", "--edges", "top:0"], "--edges must be"),
    (["render", "{run}", "-o", "{tmp}/x.mp4", "--fps", "0"], "--fps must be"),
    (["render", "{run}", "-o", "{tmp}/x.mp4", "--fps", "fast"], "--fps"),
    (["render", "{run}", "-o", "{tmp}/x.mp4", "--color", "red"], "--color must be auto, weight"),
    (["render", "{run}", "-o", "{tmp}/x.mp4", "--scale", "log"], "--scale must be layer"),
    (["render", "{run}", "-o", "{tmp}/x.mp4", "--units", "0"], "--units must be"),
    (["render", "{run}", "-o", "{tmp}/x.mp4", "--units", "many"], "--units must be"),
    (["render", "{run}", "-o", "{tmp}/x.mp4", "--duration", "0"], "--duration must be"),
    (["render", "{run}", "-o", "{tmp}/x.mp4", "--duration", "inf"], "--duration must be"),
    (["render", "{run}", "-o", "{tmp}/x.mp4", "--duration", "long"], "--duration"),
    (["render", "{tmp}/missing", "-o", "{tmp}/x.mp4"], "not found"),
    (["render", "{run}", "-o", "{tmp}/nodir/x.mp4"], "does not exist"),
    (["figure", "{run}", "-o", "{tmp}/x.jpg"], "unknown figure format '.jpg'"),
    (["figure", "{run}", "-o", "{tmp}/x.png", "--snapshot", "999"], "snapshot 999"),
    (["figure", "{run}", "-o", "{tmp}/x.png", "--color", "w"], "--color must be"),
    (["figure", "{run}", "-o", "{tmp}/x.png", "--units", "-2"], "--units must be"),
    (["figure", "{run}", "-o", "{tmp}/x.png", "--duration", "3"], "unrecognized arguments"),
    (["figure", "{tmp}/missing", "-o", "{tmp}/x.png"], "not found"),
    (["graph", "{run}", "-o", "{tmp}/x.gml"], "unknown graph format '.gml'"),
    (["graph", "{run}", "-o", "{tmp}/x.json", "--snapshot", "-99"], "snapshot -99"),
    (["graph", "{run}", "-o", "{tmp}/x.json", "--scale", "0"], "--scale must be"),
    (["graph", "{run}", "-o", "{tmp}/nodir/x.json"], "does not exist"),
    (["compare", "{run}", "{run}", "-o", "{tmp}/x.png", "--color", "delta"], "--color must"),
    (["compare", "{run}", "{run}", "-o", "{tmp}/x.mp4", "--video", "--duration", "-4"],
     "--duration must be"),
]


@pytest.mark.parametrize("args,match", BAD)
def test_bad_drawing_arguments(spiral_run, tmp_path, capsys, args, match):
    argv = [a.format(run=spiral_run.path, tmp=tmp_path) for a in args]
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err
    assert code == 2 and match in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing half-written


@pytest.mark.parametrize("fn,kw,name", [
    ("render", {"color": "red"}, "color"), ("render", {"duration": -1}, "duration"),
    ("render", {"fps": "x"}, "fps"), ("render", {"size": (8, 8)}, "size"),
    ("figure", {"scale": "log"}, "scale"), ("figure", {"units": 0}, "units"),
    ("graph", {"edges": "best:3"}, "edges"), ("compare", {"units": "lots"}, "units"),
])
def test_bad_api_arguments_name_the_argument(spiral_run, tmp_path, fn, kw, name):
    target = [spiral_run, spiral_run] if fn == "compare" else spiral_run
    out = tmp_path / ("x.mp4" if fn == "render" else "x.json" if fn == "graph" else "x.png")
    with pytest.raises(wl.WeightlapseError, match=rf"^{name} "):
        getattr(wl, fn)(target, out, **kw)
    assert list(tmp_path.iterdir()) == []


def test_graph_command_reads_back(spiral_run, tmp_path, capsys):
    import networkx as nx
    out = tmp_path / "net.graphml"
    assert main(["graph", str(spiral_run.path), "-o", str(out), "--snapshot", "2",
                 "--color", "update"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    H = nx.read_graphml(out)
    snaps = spiral_run.snapshots
    upd = (snaps[2].weights[1] - snaps[1].weights[1]) / (snaps[2].step - snaps[1].step)
    assert float(H.edges["1:3", "2:5"]["weight"]) == pytest.approx(upd[3, 5], rel=1e-4)
    assert H.graph["color"] == "update" and H.number_of_edges() == 2 * 8 + 8 * 8 + 8 * 3


def test_demo_main_job(tmp_path, capsys):
    # A small film: the full-size one is what the README and benchmarks show.
    assert main(["demo", "--out", str(tmp_path), "--size", "320x180",
                 "--snapshot-every", "25"]) == 0
    out = capsys.readouterr().out.splitlines()
    video = tmp_path / "demo" / "training.mp4"
    figure = tmp_path / "demo" / "final.png"
    assert out == [f"video:  {video}", f"figure: {figure}"]
    frames, secs = imageio_ffmpeg.count_frames_and_secs(str(video))
    assert frames == 360 and secs >= 8
    run = wl.load_run(tmp_path / "demo")
    assert imageio_ffmpeg.read_frames(str(video)).__next__()["size"] == (320, 180)
    assert run.info["final_metrics"]["val_acc"] >= 0.95


def test_a_small_films_title_drops_parts_rather_than_cut_a_number():
    """At 640x360 the whole title does not fit: the step goes, then the loss,
    and the accuracy is never cut short ("val acc 100…")."""
    from weightlapse.viz.frame import title_that_fits
    from weightlapse.viz.sprites import TextSprite
    parts = {"epoch": "epoch 60.0", "step": "step 1,320", "loss": "val loss 0.020",
             "acc": "val acc 100.0%"}
    small = TextSprite((640, 360), 100, 0.31, 0.975, 7 * 1.45)
    text = title_that_fits(small, parts)
    assert "\u2026" not in text and "val acc 100.0%" in text and "step" not in text
    assert small.fits(text)
    large = TextSprite((1920, 1080), 100, 0.31, 0.975, 14 * 1.45)
    assert title_that_fits(large, parts) == "  \u00b7  ".join(parts.values())
