"""``weightlapse diagnose`` and ``wl.diagnose``: the table, the findings in
words, --json, the -o figure, and bad input handled as render handles it."""
import json
import os

import numpy as np
import pytest

import weightlapse as wl


@pytest.fixture(scope="module")
def runs(tmp_path_factory, train_spiral):
    """A healthy spiral run, one whose learning rate is too small to learn, and
    one whose learning rate kills most ReLU units."""
    out = tmp_path_factory.mktemp("diagnose")
    return {"good": train_spiral(out, "good", lr=0.002, hidden=[16, 16]),
            "slow": train_spiral(out, "slow", lr=1e-6, optimizer="sgd"),
            "dead": train_spiral(out, "dead", lr=0.5, hidden=[16, 16])}


def test_healthy_run_says_it_is_healthy(runs, run_cli):
    code, out, err, _ = run_cli(["diagnose", str(runs["good"].path)])
    assert code == 0 and err == ""
    assert "healthy: update ratios between 10^-4 and 10^-2" in out
    for layer in ("W[0]", "W[1]", "W[2]"):
        assert layer in out
    assert "ratio now" in out and "RMS growth" in out


def test_findings_name_threshold_time_and_advice(runs):
    slow, = wl.diagnose(runs["slow"])
    kinds = {f["kind"] for f in slow["findings"]}
    assert kinds & {"ratio_low", "stopped"} and not slow["healthy"]
    text = next(f["text"] for f in slow["findings"] if f["kind"] in ("ratio_low", "stopped"))
    assert text.startswith("W[") and "from epoch" in text and "under 10^-" in text
    dead, = wl.diagnose(runs["dead"])
    found = [f for f in dead["findings"] if f["kind"] == "dead"]
    assert found, dead["findings"]
    assert "of units dead since epoch" in found[0]["text"]
    assert "lower the learning rate, or use leaky_relu" in found[0]["text"]
    assert found[0]["value"] >= 0.10 and found[0]["threshold"] == 0.10


def test_findings_give_epochs_to_one_decimal(runs):
    """A learner reads "since epoch 0.1", not "since epoch 0.118"; the JSON
    keeps the exact epoch."""
    import re
    from weightlapse.diagnosis import _ep
    assert [_ep(e) for e in (0.118, 3.0, 2.96, 12.34, 0)] == ["0.1", "3", "3", "12.3", "0"]
    for key in ("slow", "dead"):
        for f in wl.diagnose(runs[key])[0]["findings"]:
            for shown in re.findall(r"epoch (\S+?)[ ,]", f["text"]):
                assert re.fullmatch(r"\d+(\.\d)?", shown), f["text"]
                if f["since_epoch"] is not None:
                    assert abs(float(shown) - f["since_epoch"]) <= 0.05 + 1e-9


def test_json_is_valid_and_figure_is_written(runs, run_cli, tmp_path):
    paths = [str(runs[k].path) for k in ("good", "slow", "dead")]
    png = tmp_path / "health.png"
    code, out, err, _ = run_cli(["diagnose", *paths, "--json", "-o", str(png)])
    assert code == 0, err
    data = json.loads(out)          # strict: NaN would be rejected below
    json.dumps(data, allow_nan=False)
    assert [r["run"] for r in data["runs"]] == paths
    assert data["runs"][0]["healthy"] and not data["runs"][1]["healthy"]
    assert len(data["runs"][2]["layers"]) == 3
    assert png.stat().st_size > 20_000


def test_old_run_is_reported_missing_in_one_line(runs, run_cli, tmp_path):
    import shutil
    old = tmp_path / "old"
    shutil.copytree(runs["good"].path, old)
    (old / "health.jsonl").unlink()
    code, out, err, _ = run_cli(["diagnose", str(old)])
    assert code == 0, err
    notes = [ln for ln in out.splitlines() if "note:" in ln]
    assert len(notes) == 1 and "update ratios and gradient RMS are missing" in notes[0]
    assert "x" in out.splitlines()[-1] or "healthy" in out


@pytest.mark.parametrize("damage", ["missing", "no_config", "health"])
def test_bad_runs_are_one_line(runs, run_cli, tmp_path, damage):
    import shutil
    path = tmp_path / "r"
    if damage != "missing":
        shutil.copytree(runs["good"].path, path)
    if damage == "no_config":
        (path / "config.json").unlink()
    if damage == "health":
        (path / "health.jsonl").write_text('{"kind": "header"}\n{"kind": "row"}\n')
    code, out, err, _ = run_cli(["diagnose", str(path)])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("weightlapse diagnose: error:")
    if damage == "health":
        assert "health.jsonl" in err


def test_still_running_run_reports_what_is_recorded(runs, mark_status, tmp_path):
    import shutil
    shutil.copytree(runs["good"].path, tmp_path / "r")
    run = mark_status(wl.load_run(tmp_path / "r"), "running", pid=os.getpid())
    from weightlapse.diagnosis import text_report
    report, = wl.diagnose(run)
    assert report["status"] == "running"
    assert "still training" in text_report(report)


def test_bad_output_path_is_one_line(runs, run_cli, tmp_path):
    code, out, err, _ = run_cli(["diagnose", str(runs["good"].path), "-o",
                              str(tmp_path / "h.txt")])
    assert code == 2 and "unknown figure format" in err
    code, out, err, _ = run_cli(["diagnose", str(runs["good"].path), "-o",
                              str(tmp_path / "nope" / "h.png")])
    assert code == 2 and "does not exist" in err


def test_diagnostics_columns(runs):
    df = wl.diagnostics(runs["good"])
    assert list(df.columns[:6]) == ["step", "epoch", "layer", "update_ratio", "grad_rms",
                                    "weight_rms"]
    assert {"dead_fraction", "saturated_fraction"} <= set(df.columns)
    assert sorted(df.layer.unique()) == [0, 1, 2]
    assert df[df.layer == 2].dead_fraction.isna().all()
    assert np.isfinite(df[(df.layer == 0) & (df.step == 0)].dead_fraction).all()


def test_a_ratio_beside_a_threshold_never_prints_as_the_threshold():
    """9.2e-5 is under 10^-4 but rounds to 10^-4.0 at one decimal: it gets the
    decimals that tell them apart, so no finding reads "10^-4.0, under 10^-4.0"."""
    from weightlapse.diagnosis import log10
    assert log10(9.2e-5) == "10^-4.04"
    assert log10(0.0101) == "10^-1.996" and log10(0.0099) == "10^-2.004"
    assert log10(1e-4) == "10^-4.0" and log10(1.2e-3) == "10^-2.9" and log10(0) == "0"
