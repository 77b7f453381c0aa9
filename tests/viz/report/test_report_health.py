"""The report's diagnose panels, as data: what the page embeds for each run
equals what core.health_read reads (the drawing is tested in Chromium in
test_report_health_browser.py)."""
import json
import re
import shutil

import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core.health_read import load_health
from weightlapse.viz.health_figure import hist_percentiles


def page_data(path):
    text = path.read_text()
    blob = re.search(r'<script id="wl-data" type="application/json">(.*?)</script>', text, re.S)
    return json.loads(blob.group(1).replace("<\\/", "</"))


def same(page, truth, rel=1e-4):
    """The page's list equals ``truth`` (NaN where the page has null), to
    the page's rounding."""
    truth = np.asarray(truth, float)
    assert [v is None for v in page] == list(np.isnan(truth))
    assert [v for v in page if v is not None] == pytest.approx(truth[~np.isnan(truth)].tolist(), rel=rel)
    return True


def test_panels_hold_what_load_health_reads(report_runs, tmp_path):
    run = report_runs["a"]
    path = tmp_path / "r.html"
    wl.report(run, path, snapshots=15)
    h = page_data(path)["runs"][0]["health"]
    truth = load_health(run)
    assert h["error"] is None and h["recorded"] and h["missing"] is None
    assert h["activation"] == "relu" and len(h["layers"]) == 3
    keep = np.unique(np.linspace(0, len(truth.probes) - 1, 15).round().astype(int))
    probes = [truth.probes[k] for k in keep]
    for i, L in enumerate(h["layers"]):
        d = truth.table[truth.table.layer == i]
        assert L["epoch"] == pytest.approx(d.epoch.tolist(), rel=1e-5)
        assert same(L["ratio"], np.log10(d.update_ratio))
        assert same(L["grad"], d.grad_rms)
        assert L["ratio"][0] is None and L["ratio"][1] is not None    # step 0 has none
        assert L["pe"] == pytest.approx([p["epoch"] for p in probes], rel=1e-5)
        assert L["wh"] == [p["hist"][f"W{i}"] for p in probes]
        assert L["wbins"] == truth.bins[f"W{i}"]
        assert np.array(L["wp"]) == pytest.approx(np.array(
            [hist_percentiles(p["hist"][f"W{i}"], truth.bins[f"W{i}"]) for p in probes]), rel=1e-4)
        assert L["hidden"] == (i < 2)
        if i < 2:
            assert L["dead"] == pytest.approx([100 * p["layers"][i]["dead_fraction"]
                                               for p in probes], rel=1e-3)
            assert L["sat"] == [None] * len(probes)            # relu does not saturate
            assert L["ah"] == [p["layers"][i]["act_hist"] for p in probes]


def test_a_long_run_is_thinned(train_spiral, tmp_path):
    run = train_spiral(tmp_path, "long", epochs=30, snapshot_every=1)
    path = tmp_path / "r.html"
    wl.report(run, path, snapshots=10)
    L = page_data(path)["runs"][0]["health"]["layers"][0]
    assert len(L["pe"]) == len(L["wh"]) == len(L["dead"]) == 10
    assert L["pe"][0] == 0 and L["pe"][-1] == pytest.approx(load_health(run).probes[-1]["epoch"])


def test_a_run_without_health_jsonl_says_what_is_missing(train_spiral, tmp_path):
    run = train_spiral(tmp_path, "old", epochs=10)
    (run.path / "health.jsonl").unlink()
    path = tmp_path / "r.html"
    wl.report(run, path)
    h = page_data(path)["runs"][0]["health"]
    assert h["error"] is None and not h["recorded"]
    assert "health.jsonl" in h["missing"] and "update ratios" in h["missing"]
    L = h["layers"][0]
    assert set(L["ratio"]) == {None} and set(L["grad"]) == {None}
    # what the snapshots give is still there: weight histograms, one per snapshot
    assert len(L["wh"]) == len(run.snapshots) and sum(L["wh"][-1]) == 2 * 6


def test_a_damaged_health_jsonl_is_named_and_the_page_still_written(train_spiral, tmp_path):
    run = train_spiral(tmp_path, "torn", epochs=6)
    f = run.path / "health.jsonl"
    lines = f.read_text().splitlines(keepends=True)
    f.write_text(lines[0] + "{not json\n" + "".join(lines[2:]))
    path = tmp_path / "r.html"
    wl.report(run, path)
    h = page_data(path)["runs"][0]["health"]
    assert h["layers"] == [] and "health.jsonl is damaged at line 2" in h["error"]
    # in the table of several runs its health cells are empty (null), not 0
    other = train_spiral(tmp_path, "other", epochs=6)
    wl.report([run, other], tmp_path / "two.html")
    table = page_data(tmp_path / "two.html")["table"]
    k = table["columns"].index("log10 update ratio")
    d = table["columns"].index("dead %")
    assert table["rows"][0][k] is None and table["rows"][0][d] is None
    assert table["rows"][1][k] is not None and table["rows"][1][d] is not None
