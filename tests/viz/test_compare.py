"""Comparing runs and sweeping hyperparameters."""
import json

import imageio_ffmpeg
import numpy as np
import pandas as pd
import pytest

import weightlapse as wl
from weightlapse.cli import main
from weightlapse.viz import compare as cmp
from weightlapse.viz.drawn import ValueSource, build_drawn_graph
from weightlapse.viz.draw_options import DrawOptions


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp")
    return [wl.train(dataset="moons", hidden=[6], epochs=15, lr=lr, optimizer=opt, out=out,
                     name=f"{opt}-{lr}", snapshot_every=5)
            for opt, lr in (("sgd", 0.1), ("adam", 0.1), ("adam", 0.01))]


def test_differing_settings(runs):
    assert cmp.differing_settings(runs) == ["optimizer", "lr"]
    assert cmp.run_label(runs[1], ["optimizer", "lr"]) == "optimizer=adam, lr=0.1"
    assert cmp.differing_settings(runs[1:]) == ["lr"]


def test_table_equals_the_runs_metrics(runs, tmp_path):
    table = cmp.summary_table(runs)
    assert list(table["run"]) == [r.name for r in runs]
    for (_, row), run in zip(table.iterrows(), runs):
        m = run.metrics
        assert row["final val acc"] == m["val_acc"].iloc[-1]
        assert row["best val acc"] == m["val_acc"].max()
        assert row["final val loss"] == m["val_loss"].iloc[-1]
        assert row["epochs"] == 15 and row["params"] == 2 * 6 + 6 + 6 * 2 + 2
        assert row["seconds"] == run.info["elapsed_s"]
    csv, md = cmp.write_table(table, tmp_path / "t.csv")
    assert pd.read_csv(csv)["optimizer"].tolist() == ["sgd", "adam", "adam"]
    lines = md.read_text().splitlines()
    assert lines[0].startswith("| run | optimizer | lr |") and len(lines) == 5


def test_each_gap_has_one_scale_shared_by_the_runs(runs, tmp_path):
    opts = DrawOptions.create(color="change")
    graphs = cmp.drawn_graphs(runs, opts, (500, 300))
    own = [build_drawn_graph(r, opts, (500, 300)).graph["scales"] for r in runs]
    shared = [max(o[l] for o in own) for l in range(2)]
    assert all(G.graph["scales"] == pytest.approx(shared) for G in graphs)
    assert shared[0] != pytest.approx(shared[1])          # per gap, not one for all
    # the same units in the same order in every panel (one architecture)
    assert all(G.graph["shown"] == graphs[0].graph["shown"] for G in graphs)
    fig, curves = cmp.compare_figure(runs, tmp_path / "c.svg", opts)
    assert fig.exists() and curves.name == "c-curves.svg" and curves.exists()
    assert fig.read_text().count("<path ") > 3 * 24   # every edge a vector path


def test_runs_of_other_layers_keep_their_own_scales(runs, tmp_path):
    """Two runs of one architecture share their scales; a run of other layers
    (here a wider hidden layer on the same data) keeps its own, as its film
    draws it, and the caption says how the scales are shared."""
    opts = DrawOptions.create(color="change")
    wide = wl.train(dataset="moons", hidden=[12], epochs=15, lr=0.5, out=tmp_path,
                    name="wide", snapshot_every=5)
    group = runs[:2] + [wide]
    graphs = cmp.drawn_graphs(group, opts, (500, 300))
    own = [build_drawn_graph(r, opts, (500, 300)).graph["scales"] for r in group]
    pair = [max(own[0][l], own[1][l]) for l in range(2)]
    assert graphs[0].graph["scales"] == pytest.approx(pair)
    assert graphs[1].graph["scales"] == pytest.approx(pair)
    assert graphs[2].graph["scales"] == pytest.approx(own[2])
    assert cmp.scales_shared_text(graphs) == "shared by the runs of one architecture"
    assert cmp.scales_shared_text(cmp.drawn_graphs(runs, opts, (500, 300))) == \
        "shared by every run"
    alone = cmp.drawn_graphs([runs[0], wide], opts, (500, 300))
    assert cmp.scales_shared_text(alone) == "each run on its own (their layers differ)"


def test_many_differing_settings_stay_inside_the_pictures(tmp_path, monkeypatch):
    """Runs that differ in many settings have long labels: they wrap in the
    figure, go below the curves, and are cut short ("…") in the video."""
    runs = [wl.train(dataset="moons", hidden=h, epochs=e, lr=lr, optimizer=o, batch_size=b,
                     activation=a, l2=l2, seed=sd, out=tmp_path, name=f"r{k}")
            for k, (h, e, lr, o, b, a, l2, sd) in enumerate([
                ([6], 3, 0.1, "sgd", 16, "relu", 0.0, 1),
                ([5, 4], 4, 0.01, "adam", 32, "tanh", 1e-4, 2)])]
    figs = []
    real_write = cmp.write
    monkeypatch.setattr(cmp, "write", lambda kind, path, fig, **kw: (
        figs.append(fig), real_write(kind, path, fig, **kw))[1])
    cmp.compare_figure(runs, tmp_path / "c.png")
    weights, curves = figs
    assert len(cmp.run_label(runs[0], cmp.differing_settings(runs))) > 80
    for fig in figs:
        renderer = fig.canvas.get_renderer()
        page = fig.bbox
        texts = fig.texts + ([fig._suptitle] if fig._suptitle else [])
        for t in texts:
            box = t.get_window_extent(renderer)
            assert page.x0 <= box.x0 and box.x1 <= page.x1, t.get_text()
    panel_w = weights.bbox.width / 2
    for t in weights.texts[:2]:                  # each panel's title within its half
        assert t.get_window_extent(weights.canvas.get_renderer()).width <= panel_w
    legend = curves.legends[0].get_window_extent(curves.canvas.get_renderer())
    assert all(legend.y1 <= ax.get_window_extent().y0 for ax in curves.axes)
    # the video's labels: cut to their box, the accuracy kept
    from weightlapse.viz.compare_video import CompareRenderer
    frames = CompareRenderer(runs, DrawOptions.create(size=(640, 360)))
    sprite = frames.labels[0]
    text = sprite._fit(cmp.run_label(runs[0], frames.keys), sprite.box[0] - 50)
    assert text.endswith("\u2026") and sprite.font.getlength(text) <= sprite.box[0] - 50


def test_align_orders_matching_units_alike(tmp_path):
    """Run B is run A with its hidden units permuted: aligned, the panels show
    the matching units in the same rows."""
    a = wl.train(dataset="moons", hidden=[6], epochs=5, out=tmp_path, name="a",
                 snapshot_every=5)
    b_path = tmp_path / "b"
    import shutil
    shutil.copytree(a.path, b_path)
    perm = np.array([3, 5, 0, 1, 4, 2])
    b = wl.load_run(b_path)
    rec = np.array(b.snapshots.records)
    W0, b0, W1 = (slice(0, 12), slice(12, 18), slice(18, 30))
    for r in rec:
        p = r["params"]
        p[W0] = p[W0].reshape(2, 6)[:, perm].ravel()
        p[b0] = p[b0][perm]
        p[W1] = p[W1].reshape(6, 2)[perm].ravel()
    raw = (b_path / "snapshots.bin").read_bytes()[:64] + rec.tobytes()
    (b_path / "snapshots.bin").write_bytes(raw)
    b = wl.load_run(b_path)
    ga, gb = cmp.drawn_graphs([a, b], DrawOptions(), (500, 300), align=True)
    shown_a, shown_b = ga.graph["shown"][1], gb.graph["shown"][1]
    assert [int(np.flatnonzero(perm == u)[0]) for u in shown_a] == shown_b
    va, vb = ValueSource(ga, a).at(-1), ValueSource(gb, b).at(-1)
    np.testing.assert_allclose(va.gaps[0], vb.gaps[0])   # the same picture
    res = wl.compare([a, b], tmp_path / "al.png", align=True)
    assert res.files[0].exists()


def test_compare_cli_with_table(runs, tmp_path, capsys):
    code = main(["compare", *(str(r.path) for r in runs), "-o", str(tmp_path / "c.png"),
                 "--table", str(tmp_path / "t.csv")])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[-4:] == [str(tmp_path / n) for n in ("c.png", "c-curves.png", "t.csv", "t.md")]
    assert "optimizer" in out[0] and len(out) == 4 + 4


def test_diff_and_alignment(runs, tmp_path, capsys):
    code = main(["compare", str(runs[1].path), str(runs[2].path), "--diff", "--align",
                 "-o", str(tmp_path / "d.pdf")])
    err = capsys.readouterr().err
    assert code == 0 and (tmp_path / "d.pdf").read_bytes()[:4] == b"%PDF"
    assert "aligned hidden layer 1:" in err and "relative difference" in err
    # a run against a copy of itself with shuffled hidden units: aligned diff is zero
    a = runs[0]
    snap = a.snapshots[-1]
    p = np.random.default_rng(0).permutation(6)
    W = [snap.weights[0][:, p], snap.weights[1][p, :]]
    b = [snap.biases[0][p], snap.biases[1]]
    from weightlapse.core.align import align_hidden
    W2, b2, perms, report = align_hidden(snap.weights, snap.biases, W, b)
    for x, y in zip(W2, snap.weights):
        np.testing.assert_allclose(x, y)


def test_diff_needs_same_architecture(runs, tmp_path, capsys):
    other = wl.train(dataset="moons", hidden=[3], epochs=2, out=tmp_path, name="other")
    code = main(["compare", str(runs[0].path), str(other.path), "--diff",
                 "-o", str(tmp_path / "d.png")])
    err = capsys.readouterr().err
    assert code == 2 and "same architecture: 2-6-2 vs 2-3-2" in err
    assert not (tmp_path / "d.png").exists()


def test_side_by_side_video(runs, tmp_path):
    res = wl.compare(runs, tmp_path / "v.mp4", video=True, size=(640, 360), duration=2,
                     fps=10)
    frames, secs = imageio_ffmpeg.count_frames_and_secs(str(res.files[0]))
    assert frames == 20 and secs == pytest.approx(2, abs=0.15)
    from weightlapse.viz.compare_video import CompareRenderer
    r = CompareRenderer(runs, DrawOptions.create(size=(640, 360)))
    assert all(G.graph["scales"] == r.graphs[0].graph["scales"] for G in r.graphs)
    t = r.timeline()
    assert len(t) == 360 and t[0] == 0 and t[-1] == 15   # default: about 12 s, ends held
    assert r.position(0, 7.5) == pytest.approx(np.interp(7.5, runs[0].snapshots.epochs,
                                                         np.arange(len(runs[0].snapshots))))


@pytest.mark.parametrize("args,match", [
    (["--diff"], "exactly two runs"),
    (["--video", "-o", "{tmp}/x.png"], "unknown video format"),
])
def test_compare_errors(runs, tmp_path, capsys, args, match):
    argv = ["compare", *(str(r.path) for r in runs)]
    if "-o" not in args:
        argv += ["-o", str(tmp_path / "x.png")]
    code = main(argv + [a.format(tmp=tmp_path) for a in args])
    err = capsys.readouterr().err
    assert code == 2 and match in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_sweep_of_four_runs_with_two_jobs(tmp_path, capsys):
    code = main(["sweep", "--dataset", "xor", "--hidden", "4", "--epochs", "5",
                 "--grid", "lr=0.1,0.01", "--grid", "optimizer=sgd,adam", "--jobs", "2",
                 "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0
    sweep = tmp_path / "sweep"
    assert out.splitlines()[-1] == str(sweep)
    index = json.loads((sweep / "index.json").read_text())
    assert [r["status"] for r in index["runs"]] == ["finished"] * 4
    names = sorted(r["name"] for r in index["runs"])
    assert names == ["lr=0.01_optimizer=adam", "lr=0.01_optimizer=sgd",
                     "lr=0.1_optimizer=adam", "lr=0.1_optimizer=sgd"]
    runs = [wl.load_run(sweep / n) for n in names]
    # same seed by default: every run starts from the same weights
    assert all(np.array_equal(r.snapshots[0].params, runs[0].snapshots[0].params) for r in runs)
    for f in ("compare.png", "compare-curves.png", "table.csv", "table.md"):
        assert (sweep / f).exists()
    assert len(pd.read_csv(sweep / "table.csv")) == 4


def test_failing_run_is_reported_and_others_finish(tmp_path, capsys):
    good = tmp_path / "good.csv"
    bad = tmp_path / "bad.csv"
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "label": (X[:, 0] > 0).astype(int)}).to_csv(
        good, index=False)
    bad.write_text("a,b,label\n1,2,0\n3,,1\n")
    result = wl.sweep({"data": [str(good), str(bad)], "lr": [0.1, 0.05]}, hidden=[4],
                      epochs=3, out=tmp_path / "runs", jobs=2, log=lambda m: None)
    assert len(result.runs) == 2
    assert len(result.failed) == 2
    assert all("missing or NaN value" in msg for _, msg in result.failed)
    index = json.loads((result.path / "index.json").read_text())
    assert sorted(r["status"] for r in index["runs"]) == ["failed", "failed", "finished",
                                                           "finished"]
    assert (result.path / "compare.png").exists()


@pytest.mark.parametrize("grid,match", [
    (["lr=abc"], "'abc' is not a valid lr"),
    (["lr"], "expected KEY=V1,V2"),
    (["bogus=1,2"], "not a train setting"),
    (["optimizer=sgd,adamw"], "not one of"),
    (["lr=0.1,-1"], "lr must be in (0, 1e6)"),
    ([], "at least one --grid"),
])
def test_bad_grid_writes_nothing(tmp_path, capsys, grid, match):
    argv = ["sweep", "--dataset", "xor", "--out", str(tmp_path / "s")]
    for g in grid:
        argv += ["--grid", g]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and match in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "s").exists()


def test_ctrl_c_stops_a_sweep_cleanly(tmp_path, process_group_gone):
    """SIGINT to the whole process group, as a terminal's Ctrl-C sends it."""
    import os
    import signal
    import subprocess
    import sys
    import time
    proc = subprocess.Popen(
        [sys.executable, "-m", "weightlapse", "sweep", "--dataset", "spiral", "--hidden", "64",
         "--batch-size", "1", "--epochs", "1000", "--grid", "lr=0.01,0.02,0.03",
         "--jobs", "2", "--out", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    sweep = tmp_path / "sweep"
    deadline = time.time() + 60
    while time.time() < deadline:  # both workers are training
        rows = [p / "metrics.csv" for p in sweep.glob("lr=*")]
        if len(rows) == 2 and all(r.exists() and r.read_text().count("\n") >= 2 for r in rows):
            break
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    index = json.loads((sweep / "index.json").read_text())
    statuses = sorted(r["status"] for r in index["runs"])
    assert statuses == ["cancelled", "interrupted", "interrupted"], index
    for rec in index["runs"]:
        if rec["status"] == "interrupted":
            run = wl.load_run(rec["path"])
            assert run.status == "interrupted" and (run.path / "checkpoint.npz").exists()
    process_group_gone(proc.pid, 50)  # no worker left behind (an exited one may take a moment)


def test_grid_fits_the_number_of_runs():
    assert [cmp.grid_shape(n) for n in range(2, 10)] == [
        (2, 1), (3, 1), (2, 2), (3, 2), (3, 2), (3, 3), (3, 3), (3, 3)]
    # a last row that is not full is centred: no empty cell at its end
    assert cmp.grid_cells(5) == [(0, 0), (1, 0), (2, 0), (0.5, 1), (1.5, 1)]
    assert cmp.grid_cells(3) == [(0, 0), (1, 0), (2, 0)]


def test_diff_is_drawn_from_the_drawn_graph(image_run, tmp_path, mnist_dir, monkeypatch):
    """B - A of an image run: receptive-field tiles, class labels, one scale
    per gap (the gap's own 99th percentile of |B - A|), "+N more", units
    chosen by their difference."""
    from weightlapse.viz.diff import diff_graph, weight_difference
    from weightlapse.viz.select import importance
    b = wl.train(dataset="mnist", data_dir=mnist_dir, limit=600, hidden=[40, 12], epochs=2,
                 batch_size=50, lr=0.05, optimizer="sgd", snapshot_every=3, seed=2,
                 out=tmp_path, name="other")
    dW, db, _ = weight_difference(image_run, b)
    G, v = diff_graph(image_run, dW, db)
    g = G.graph
    assert g["gap_kind"][0] == "tiles" and "0:grid" in G and g["more"][1] > 0
    assert all(G.nodes[f"1:{j}"].get("tile") for j in g["shown"][1])
    assert g["class_names"] == [str(k) for k in range(10)] and g["color"] == "difference"
    assert "difference B \u2212 A" in g["quantity"]
    for l, M in enumerate(v.gaps):
        rows, cols = g["shown"][l], g["shown"][l + 1]
        np.testing.assert_allclose(M, dW[l][np.ix_(rows, cols)], rtol=1e-6)
        m = g["masks"][l]
        own = np.percentile(np.abs(M if m is None else M[m]), 99)
        assert g["scales"][l] == pytest.approx(own, rel=1e-5)
    assert len(set(g["scales"])) == 3
    score = importance(dW, 1)
    assert min(score[g["shown"][1]]) >= np.sort(score)[-len(g["shown"][1])] - 1e-12
    from matplotlib.image import AxesImage
    from matplotlib.text import Text
    from weightlapse.viz import diff
    figs = []
    real_write = diff.write
    monkeypatch.setattr(diff, "write", lambda kind, path, fig, **kw: (figs.append(fig),
                                                                      real_write(kind, path, fig,
                                                                                 **kw))[1])
    res = wl.compare([image_run, b], tmp_path / "d.png", diff=True)
    assert res.files[0].exists()
    texts = {t.get_text() for t in figs[0].findobj(Text)}
    assert {"0", "9", "B \u2212 A"} <= texts
    more = [int(t[1:-5]) for t in texts if t.startswith("+") and t.endswith(" more")]
    assert "hidden 1\n40 relu" in texts
    tiles = figs[0].findobj(AxesImage)
    assert len(tiles) == 40 - more[0]                      # one tile per shown unit
