"""The report's builder: quantisation, thinning, what the page holds, status
marks, bad input (one line, exit 2, nothing written). The page itself is
tested in Chromium in test_report_browser.py."""
import json
import re

import numpy as np
import pytest

import weightlapse as wl
from weightlapse.cli import main
from weightlapse.viz.report import data as qd
from weightlapse.viz.report.page import build_report


def dequantise(codes, q):
    """The inverse of ``data.quantise`` (what the page's util.js does): NaN where the code is 0."""
    c = np.asarray(codes, np.float64)
    return np.where(c == 0, np.nan, (c - 128) / 127 * q)


def payload(html):
    blob = re.search(r'<script id="wl-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(blob.group(1).replace("<\\/", "</"))


def test_quantise_round_trip_within_half_a_step():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(7, 5)) * 3
    v[2, 3] = np.nan
    v[4, 1] = np.inf
    codes, q = qd.quantise(v)
    assert codes.dtype == np.uint8 and codes[2, 3] == 0 and codes[4, 1] == 0
    back = dequantise(codes, q)
    ok = np.isfinite(v)
    assert q == np.abs(v[ok]).max()
    assert np.all(np.abs(back[ok] - v[ok]) <= q / 254 + 1e-12)
    assert np.isnan(back[2, 3]) and codes[ok].min() >= 1
    zeros, qz = qd.quantise(np.zeros(4))
    assert np.all(dequantise(zeros, qz) == 0)


@pytest.mark.parametrize("n,limit", [(1, 5), (5, 5), (6, 5), (1000, 200), (201, 200)])
def test_keep_snapshots_even_with_ends(n, limit):
    k = qd.keep_snapshots(n, limit)
    assert len(k) == min(n, limit) and k[0] == 0 and k[-1] == n - 1
    assert np.all(np.diff(k) > 0)
    if n > limit:
        gaps = np.diff(k)
        assert gaps.max() - gaps.min() <= 1


def test_page_is_self_contained_and_holds_the_recorded_values(report_runs, tmp_path):
    run = report_runs["a"]
    out = tmp_path / "r.html"
    html = build_report([run.path], out, snapshots=7, figure=False)
    assert out.read_text() == html
    # nothing fetched: no external scripts, styles, images or links; a strict CSP
    assert not re.search(r'<(script|link|img)[^>]+(src|href)=', html)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", html)
    assert "default-src 'none'" in html
    p = payload(html)
    r = p["runs"][0]
    assert len(p["timeline"]) == len(r["epochs"]) == 7 and r["recorded"] == len(run.snapshots)
    keep = r["snapIndex"]
    assert keep[0] == 0 and keep[-1] == len(run.snapshots) - 1
    # decode W[1] at every kept snapshot and compare with the recording
    L = r["layers"][1]
    R, C = len(L["rows"]), len(L["cols"])
    w0 = np.frombuffer(__import__("base64").b64decode(L["w0"]), "<f4").reshape(R, C)
    cw = np.frombuffer(__import__("base64").b64decode(L["cw"]["data"]), np.uint8)
    cw = cw.reshape(len(keep), R, C)
    for k, t in enumerate(keep):
        W = run.snapshots[t].weights[1][np.ix_(L["rows"], L["cols"])]
        got = w0 + dequantise(cw[k], L["cw"]["q"])
        assert np.abs(got - W).max() <= L["cw"]["q"] / 254 + 1e-6
    assert set(L["color"]) == {"weight", "change", "update"}
    # the page's colour switch comes from the quantities' one owner
    from weightlapse.viz import quantities
    assert [q["name"] for q in p["quantities"]] == list(quantities.NAMES)
    assert p["quantities"][1]["label"] == "change since init"
    assert all(v > 0 for v in L["color"].values())


def test_thinning_bounds_the_size(report_runs):
    run = report_runs["a"]
    small = build_report([run.path], snapshots=3, figure=False)
    big = build_report([run.path], snapshots=200, figure=False)
    assert len(payload(small)["timeline"]) == 3
    assert len(payload(big)["timeline"]) == len(run.snapshots)
    assert len(small) < len(big)


def test_killed_and_diverged_runs_are_marked(report_runs, tmp_path, train_spiral, mark_status):
    run = train_spiral(tmp_path, "k", epochs=10)
    killed = mark_status(run, "running", pid=2 ** 22 + 12345)   # no such process on this host
    assert killed.status == "killed"
    p = payload(build_report([killed.path], figure=False))
    assert p["runs"][0]["status"] == "killed" and "killed" in p["runs"][0]["note"]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    diverged = wl.train(X, X @ [1.0, 2.0, 3.0] * 100, task="regression", hidden=[8],
                        activation="relu", lr=50.0, optimizer="sgd", epochs=40, batch_size=0,
                        val_fraction=0.2, snapshot_every=1, out=tmp_path, name="d")
    assert diverged.status == "diverged"
    p = payload(build_report([diverged.path], figure=False))
    assert p["runs"][0]["status"] == "diverged" and "diverged" in p["runs"][0]["note"]


def test_a_run_still_training_is_marked(tmp_path, train_spiral, mark_status):
    import os
    run = mark_status(train_spiral(tmp_path, "live", epochs=6), "running", pid=os.getpid())
    assert run.status == "running"
    p = payload(build_report([run.path], figure=False))
    assert p["runs"][0]["status"] == "running" and "still running" in p["runs"][0]["note"]


def test_api_report_displays_in_a_notebook(report_runs, tmp_path):
    rep = wl.report(report_runs["a"], tmp_path / "x.html", snapshots=5)
    assert rep.path.read_text() == rep.html
    frame = rep._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "&lt;canvas" in frame
    assert wl.report([report_runs["a"].path]).path is None


def test_a_generator_of_runs_is_reported_like_a_list(report_runs, tmp_path):
    a, b = report_runs["a"], report_runs["b"]
    rep = wl.report((r.path for r in (a, b)), snapshots=5)
    assert [r["name"] for r in payload(rep.html)["runs"]] == ["a", "b"]
    result = wl.compare((r for r in (a, b)), tmp_path / "c.png")
    assert list(result.table["run"]) == ["a", "b"]


def test_the_title_names_a_few_runs_and_counts_more(report_runs):
    a, b = report_runs["a"], report_runs["b"]
    assert "<title>weightlapse report: a vs b</title>" in wl.report([a, b], snapshots=3).html
    assert "<title>weightlapse report: 5 runs</title>" in wl.report([a, b, a, b, a],
                                                                   snapshots=3).html


def test_cli_report_of_two_runs_and_a_sweep(report_runs, tmp_path, capsys):
    a, b = report_runs["a"], report_runs["b"]
    out = tmp_path / "two.html"
    assert main(["report", str(a.path), str(b.path), "-o", str(out), "--snapshots", "5",
                 "--color", "change"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    p = payload(out.read_text())
    assert [r["name"] for r in p["runs"]] == ["a", "b"] and p["color"] == "change"
    assert p["differing"] == ["lr"] and p["effects"][0]["setting"] == "lr"
    # shared per-layer scales
    for l in range(3):
        assert p["runs"][0]["layers"][l]["color"] == p["runs"][1]["layers"][l]["color"]


def no_files(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("case", ["missing", "empty", "folder-out", "bad-ext", "no-dir",
                                  "bad-units", "bad-snapshots", "not-a-run"])
def test_bad_input_one_line_exit_2_nothing_written(case, report_runs, tmp_path, capsys, train_spiral):
    run = report_runs["a"]
    out = tmp_path / "out"
    out.mkdir()
    target = out / "r.html"
    args = [str(run.path), "-o", str(target)]
    if case == "missing":
        args[0] = str(tmp_path / "nope")
    elif case == "empty":
        empty = train_spiral(tmp_path, "e", epochs=2)
        with open(empty.path / "snapshots.bin", "r+b") as f:
            f.truncate(64)                    # the header only: no snapshot recorded
        args[0] = str(empty.path)
    elif case == "folder-out":
        args[2] = str(out)
    elif case == "bad-ext":
        args[2] = str(out / "r.png")
    elif case == "no-dir":
        args[2] = str(out / "sub" / "r.html")
    elif case == "bad-units":
        args += ["--units", "lots"]
    elif case == "bad-snapshots":
        args += ["--snapshots", "1"]
    elif case == "not-a-run":
        (tmp_path / "plain").mkdir()
        args[0] = str(tmp_path / "plain")
    before = no_files(out)
    assert main(["report"] + args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("weightlapse report: error:") and "\n" not in err
    assert "Traceback" not in err
    assert no_files(out) == before


def test_a_failed_report_leaves_the_old_file(report_runs, tmp_path, capsys):
    target = tmp_path / "r.html"
    target.write_text("old")
    assert main(["report", str(tmp_path / "nope"), "-o", str(target)]) == 2
    assert target.read_text() == "old" and no_files(tmp_path) == ["r.html"]


def test_unwritable_output_folder(report_runs, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["report", str(report_runs["a"].path), "-o", str(blocker / "r.html")]) == 2
    assert "error" in capsys.readouterr().err


def test_a_2d_run_carries_its_unit_maps(report_runs):
    """Each shown hidden unit's map at every kept snapshot (the nearest of at
    most MAP_SNAPSHOTS), coloured as the film colours it."""
    from weightlapse.viz import unit_maps
    from weightlapse.viz.drawn import build_drawn_graph
    from weightlapse.viz.report.maps import GRID, MAP_SNAPSHOTS
    from weightlapse.viz.report.scene import PANEL
    run = report_runs["a"]
    p = payload(build_report([run], snapshots=15))["runs"][0]
    m = p["maps"]
    assert m["g"] == GRID and len(m["snaps"]) == 15 and len(m["lut"]) == 256
    assert "unit output over the input plane" in m["legend"]
    G = build_drawn_graph(run, panel_px=PANEL)
    src = unit_maps.MapSource(G, GRID)
    last = run.snapshots[p["snapIndex"][-1]]
    want = src(last.weights, last.biases)
    rows = min(15, MAP_SNAPSHOTS)
    for L in m["layers"]:
        l, units = L["layer"], len(G.graph["shown"][L["layer"]])
        assert len(L["boxes"]) == units
        codes = np.frombuffer(__import__("base64").b64decode(L["data"]), np.uint8)
        codes = codes.reshape(rows, units, GRID, GRID)[m["snaps"][-1]]
        idx = unit_maps.map_index(want[l][:, ::-1], G.graph["response_range"][l])
        assert np.abs(codes.astype(int) - idx).max() <= 1


@pytest.mark.parametrize("units", [10, 24, 40])
def test_receptive_field_tiles_have_room_and_a_clear_line_to_their_unit(image_run, units):
    """Each tile is level with its unit, no two tiles touch, and the
    horizontal connector from a tile to its unit crosses no other tile."""
    from weightlapse.viz.draw_options import DrawOptions
    from weightlapse.viz.report.scene import TILE_GAP_Y, drawn_graphs, scene
    G, _ = drawn_graphs(image_run, DrawOptions.create(units=units))
    sc = scene(G)
    first, tiles = sc["layers"][1], sc["tiles"]
    assert len(tiles) == len(first["units"]) > 1
    assert min(t["sh"] for t in tiles) >= 12
    for j, (t, y) in enumerate(zip(tiles, first["y"])):
        assert t["y"] + t["sh"] / 2 == pytest.approx(y)
        assert t["x"] + t["s"] < first["x"] - first["r"]           # left of its unit
        assert t["x"] > sc["grid"]["x"] + sc["grid"]["s"]           # right of the grid
        for k, o in enumerate(tiles):
            if k == j:
                continue
            apart_x = o["x"] >= t["x"] + t["s"] or t["x"] >= o["x"] + o["s"]
            apart_y = o["y"] >= t["y"] + t["sh"] or t["y"] >= o["y"] + o["sh"]
            assert apart_x or apart_y, (j, k)                          # no overlap
            if o["x"] > t["x"]:            # nearer the units: the connector passes it
                clear = TILE_GAP_Y / 2 - 0.01                             # px of white
                assert not (o["y"] - clear < y < o["y"] + o["sh"] + clear), (j, k)


def test_a_2d_run_follows_a_point_only_when_asked(report_runs):
    """2-D data: no sample strip by default (its units show maps); with
    sample=N the strip holds point N, first, without input values (the
    inputs of a 2-D run keep their look, as in the film)."""
    from weightlapse.viz.draw_options import DrawOptions
    run = report_runs["a"]
    assert payload(build_report([run], snapshots=5))["runs"][0]["samples"] is None
    p = payload(build_report([run], snapshots=5, options=DrawOptions.create(sample=20)))
    S = p["runs"][0]["samples"]
    assert S["rows"][S["first"]] == 20 and "values" not in S and "image" not in S


def test_a_conv_runs_feature_maps_for_every_sample_of_the_strip(tmp_path, mnist_dir):
    """Each shown channel's map on each strip sample, at up to FMAP_SNAPSHOTS
    snapshots: the network's activations of that input, block-averaged and
    coloured on the film's fixed range."""
    from weightlapse.core.health_record import hidden_activations
    from weightlapse.viz import unit_maps as um
    from weightlapse.viz.draw_options import DrawOptions
    from weightlapse.viz.drawn import build_drawn_graph
    from weightlapse.viz.report.fmaps import FMAP_SNAPSHOTS, _coarse
    from weightlapse.viz.report.scene import PANEL
    run = wl.train(dataset="mnist", data_dir=mnist_dir, limit=300, conv=[[6, 5], [16, 5]],
                   pool=2, hidden=[32], epochs=1, out=tmp_path, name="cnn", progress=False)
    p = payload(build_report([run], snapshots=20))["runs"][0]
    m, S = p["fmaps"], p["samples"]
    assert m is not None and [L["layer"] for L in m["layers"]] == [1, 2]
    G = build_drawn_graph(run, DrawOptions(), panel_px=PANEL)
    X = run.files.read_probe()[0][S["rows"]]
    truth = hidden_activations(run.network(p["snapIndex"][-1]), X)
    rows = min(len(p["snapIndex"]), FMAP_SNAPSHOTS)
    for L in m["layers"]:
        l, units = L["layer"], len(G.graph["shown"][L["layer"]])
        assert len(L["boxes"]) == units
        codes = np.frombuffer(__import__("base64").b64decode(L["data"]), np.uint8)
        codes = codes.reshape(rows, len(S["rows"]), units, L["g"], L["g"])[m["snaps"][-1]]
        want = um.map_index(_coarse(truth[l - 1][:, G.graph["shown"][l]]),
                            G.graph["fmap_range"][l])
        assert np.abs(codes.astype(int) - want).max() <= 1
    assert max(L["g"] for L in m["layers"]) == 12          # 24x24 maps averaged to 12x12
