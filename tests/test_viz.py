"""The film: graph, colour scale, rasteriser, video, figures, demo, errors."""
import re

import imageio_ffmpeg
import numpy as np
import pytest

import weightlapse as wl
from weightlapse.cli import main
from weightlapse.viz.colors import LUT_SIZE, lut, lut_index, weight_scale
from weightlapse.viz.frame import FrameRenderer
from weightlapse.viz.graph import edge_mask, layout, network_graph
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


def test_graph_matches_the_run(spiral_run):
    snap = spiral_run.snapshots[-1]
    G = network_graph(snap)
    assert G.number_of_nodes() == 2 + 8 + 8 + 3
    assert G.number_of_edges() == 2 * 8 + 8 * 8 + 8 * 3
    W, b = snap.weights, snap.biases
    assert G.edges[(0, 1), (1, 5)]["weight"] == pytest.approx(W[0][1, 5])
    assert G.edges[(2, 7), (3, 2)]["weight"] == pytest.approx(W[2][7, 2])
    assert G.nodes[(1, 3)]["bias"] == pytest.approx(b[0][3])
    assert G.nodes[(0, 0)]["bias"] is None
    xs = [G.nodes[(l, 0)]["pos"][0] for l in range(4)]
    assert xs == sorted(xs)  # layers left to right
    ys = [G.nodes[(1, i)]["pos"][1] for i in range(8)]
    assert ys == sorted(ys, reverse=True)  # units top to bottom


def test_layout_keeps_a_784_column_inside_the_panel():
    (x, ys), *_ = layout([784, 32, 10])
    assert len(ys) == 784 and 0 < ys.min() < ys.max() < 1


def test_colour_mapping_and_fixed_scale(spiral_run):
    L = lut()
    assert lut_index(np.array([0.0]), 2.0)[0] == LUT_SIZE // 2
    assert lut_index(np.array([2.0, 5.0, -2.0, -9.0]), 2.0).tolist() == [255, 255, 0, 0]
    np.testing.assert_allclose(L[255], [0.403922, 0.0, 0.121569], atol=1e-5)  # RdBu_r max
    np.testing.assert_allclose(L[0], [0.019608, 0.188235, 0.380392], atol=1e-5)
    r = FrameRenderer(spiral_run)
    s = weight_scale(spiral_run.snapshots)
    assert r.scale == s > 0
    for i in (0, len(spiral_run.snapshots) - 1):
        r.snapshot_frame(i)
        w = np.concatenate([np.ravel(W) for W in spiral_run.snapshots[i].weights])
        np.testing.assert_allclose(r.panel.lines.get_colors()[:, :3], L[lut_index(w, s)], atol=1e-6)
        assert r.scale == s  # one scale for every frame


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
    depth, wsum = field.accumulate(weights, 1.5)
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
    assert edge_mask(W, "top:1").tolist() == [[False, True], [True, False], [False, False]]
    assert edge_mask(W, "all").all()
    with pytest.raises(wl.WeightlapseError, match="top:K"):
        edge_mask(W, "best:2")


@pytest.mark.parametrize("smooth", [0, 2])
def test_video_frame_count_and_size(spiral_run, tmp_path, smooth):
    out = wl.render(spiral_run, tmp_path / "film.mp4", size=(320, 240), smooth=smooth)
    n = len(spiral_run.snapshots)
    frames, secs = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert frames == n + smooth * (n - 1)
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    assert meta["size"] == (320, 240) and meta["codec"] == "h264"
    first = np.frombuffer(next(reader), np.uint8).reshape(240, 320, 3)
    assert first.std() > 10  # a picture, not a blank frame
    reader.close()
    assert "<video" in out._repr_html_()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["film.mp4"]  # no temp files


def test_gif(spiral_run, tmp_path):
    out = wl.render(spiral_run, tmp_path / "film.gif", size=(200, 120), fps=10)
    assert out.read_bytes()[:6] == b"GIF89a"
    assert imageio_ffmpeg.count_frames_and_secs(str(out))[0] == len(spiral_run.snapshots)


def test_image_run_frame_and_dense_raster(image_run, tmp_path):
    r = FrameRenderer(image_run)
    assert r.extra == "tiles" and r.panel.raster_gaps == [0] and r.panel.line_gaps == [1]
    frame = r.snapshot_frame(len(image_run.snapshots) - 1)
    assert frame.shape == (720, 1280, 4)
    top, bottom, x0, x1 = r.panel.rect
    panel = frame[top:bottom, x0:x1, :3]
    assert (panel < 250).any(axis=2).mean() > 0.2  # the dense fan is drawn
    out = wl.render(image_run, tmp_path / "img.mp4", edges="top:20", size=(640, 360))
    assert imageio_ffmpeg.count_frames_and_secs(str(out))[0] == len(image_run.snapshots)


@pytest.mark.parametrize("ext", ["png", "svg", "pdf"])
def test_figure_formats(spiral_run, image_run, tmp_path, ext):
    for run in (spiral_run, image_run):
        out = wl.figure(run, tmp_path / f"{run.name}.{ext}")
        data = out.read_bytes()
        assert {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}[ext] == data[:len(
            {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}[ext])]
    if ext == "svg":  # vector stays vector: edges are paths, not an embedded bitmap
        text = (tmp_path / "spiral.svg").read_text()
        assert len(re.findall(r"<path ", text)) > 100
        assert "<image" not in text.split('id="axes_2"')[0]


def test_figure_earlier_snapshot(spiral_run, tmp_path):
    out = wl.figure(spiral_run, tmp_path / "s0.png", snapshot=0, edges="top:2")
    assert out.stat().st_size > 10_000


def test_one_snapshot_and_interrupted_runs(tmp_path):
    class Stop:
        def on_epoch_end(self, t):
            if t.epoch == 2:
                raise KeyboardInterrupt

    run = wl.train(dataset="moons", hidden=[4], epochs=50, out=tmp_path, callbacks=[Stop()])
    assert run.status == "interrupted"
    out = wl.render(run, tmp_path / "int.mp4", size=(320, 180))
    assert imageio_ffmpeg.count_frames_and_secs(str(out))[0] == 3
    # a run cut to a single snapshot (the initial weights)
    bin_ = run.path / "snapshots.bin"
    rec = run.snapshots.rdtype.itemsize
    bin_.write_bytes(bin_.read_bytes()[:64 + rec])
    one = wl.load_run(run.path)
    assert len(one.snapshots) == 1
    out = wl.render(one, tmp_path / "one.mp4", size=(320, 180), smooth=3)
    assert imageio_ffmpeg.count_frames_and_secs(str(out))[0] == 1
    assert wl.figure(one, tmp_path / "one.png").exists()


@pytest.mark.parametrize("args,match", [
    (["render", "{run}", "-o", "{tmp}/x.avi"], "unknown video format '.avi'"),
    (["render", "{run}", "-o", "{tmp}/x.mp4", "--size", "0x0"], "WIDTHxHEIGHT"),
    (["render", "{run}", "-o", "{tmp}/x.mp4", "--size", "641x360"], "even width"),
    (["render", "{run}", "-o", "{tmp}/x.mp4", "--edges", "most"], "top:K"),
    (["render", "{run}", "-o", "{tmp}/x.mp4", "--fps", "0"], "fps"),
    (["render", "{tmp}/missing", "-o", "{tmp}/x.mp4"], "not found"),
    (["render", "{run}", "-o", "{tmp}/nodir/x.mp4"], "does not exist"),
    (["figure", "{run}", "-o", "{tmp}/x.jpg"], "unknown figure format '.jpg'"),
    (["figure", "{run}", "-o", "{tmp}/x.png", "--snapshot", "999"], "snapshot 999"),
    (["figure", "{tmp}/missing", "-o", "{tmp}/x.png"], "not found"),
])
def test_bad_render_arguments(spiral_run, tmp_path, capsys, args, match):
    argv = [a.format(run=spiral_run.path, tmp=tmp_path) for a in args]
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err
    assert code == 2 and match in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_demo_main_job(tmp_path, capsys):
    # A small film: the full-size one is what the README and benchmarks show.
    assert main(["demo", "--out", str(tmp_path), "--size", "320x180",
                 "--snapshot-every", "25"]) == 0
    out = capsys.readouterr().out.splitlines()
    video = tmp_path / "demo" / "training.mp4"
    figure = tmp_path / "demo" / "final.png"
    assert out == [f"video:  {video}", f"figure: {figure}"]
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(video))
    run = wl.load_run(tmp_path / "demo")
    assert frames == 2 * len(run.snapshots) - 1
    assert imageio_ffmpeg.read_frames(str(video)).__next__()["size"] == (320, 180)
    assert run.info["final_metrics"]["val_acc"] >= 0.95
