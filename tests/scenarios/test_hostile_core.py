"""Wrong numbers and hostile settings in the core: step-0 metrics, schedules
(through wl.train and metrics.csv), extending and resuming runs, regression
test loss, L2, sizes beyond memory, overflowing data, live runs, Ctrl-C in
the demo, CSV runs resumed from elsewhere. Tables check exit status 2, one
line, no traceback and nothing written."""
import gzip
import json
import math
import os
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core.errors import WeightlapseError


# -- item 1: step-0 training metrics ------------------------------------------------
@pytest.mark.parametrize("dataset", ["moons", "spiral", "circles"])
def test_step0_train_metrics_are_a_random_sample(tmp_path, dataset):
    """The built-in sets are sorted by class: the first 512 rows are one class.
    Step 0 measures a seeded random sample, so it agrees with validation."""
    run = wl.train(dataset=dataset, hidden=[8], epochs=1, out=tmp_path, seed=3)
    row = run.metrics.iloc[0]
    assert row["step"] == 0
    assert abs(row["train_acc"] - row["val_acc"]) < 0.12, row
    assert abs(row["train_loss"] - row["val_loss"]) < 0.25 * row["val_loss"], row
    again = wl.train(dataset=dataset, hidden=[8], epochs=1, out=tmp_path, seed=3)
    assert again.metrics.iloc[0]["train_loss"] == row["train_loss"]  # seeded


# -- schedules through wl.train and the lr column -----------------------------------
@pytest.mark.parametrize("schedule,extra,expected", [
    ("constant", {}, lambda s, total, spe: 0.1),
    ("step", {"lr_step_every": 2, "lr_gamma": 0.5},
     lambda s, total, spe: 0.1 * 0.5 ** (s // (2 * spe))),
    ("cosine", {}, lambda s, total, spe: 0.05 * (1 + math.cos(math.pi * s / total))),
])
def test_schedules_through_train_and_the_lr_column(tmp_path, schedule, extra, expected):
    run = wl.train(dataset="xor", hidden=[4], epochs=6, batch_size=100, optimizer="sgd",
                   lr=0.1, lr_schedule=schedule, snapshot_every=3, out=tmp_path, **extra)
    spe = math.ceil(run.config["data"]["n_train"] / 100)
    m = run.metrics
    assert list(m["step"][:3]) == [0, 3, 6]
    for step, lr in zip(m["step"], m["lr"]):
        # each row shows the lr of the update that led to it (the base lr at step 0)
        assert lr == pytest.approx(expected(max(step - 1, 0), 6 * spe, spe), abs=1e-12)
    if schedule != "constant":
        assert m["lr"].iloc[-1] < 0.1


# -- items 2 and 3: extending and resuming ------------------------------------------
SETTINGS = dict(dataset="moons", hidden=[6], batch_size=50, optimizer="momentum",
                snapshot_every=7)


def assert_same_run(a, b):
    assert np.array_equal(a.snapshots.steps, b.snapshots.steps)
    for x, y in zip(a.snapshots, b.snapshots):
        assert np.array_equal(x.params, y.params)
    cols = [c for c in a.metrics.columns if c != "elapsed_s"]
    assert a.metrics[cols].equals(b.metrics[cols])


def test_extending_a_step_schedule_is_exact(tmp_path):
    kw = dict(SETTINGS, lr_schedule="step", lr_step_every=2, lr_gamma=0.5)
    ref = wl.train(out=tmp_path, name="ref", epochs=6, **kw)
    short = wl.train(out=tmp_path, name="short", epochs=3, **kw)
    longer = wl.train(resume=short.path, epochs=6)
    assert_same_run(ref, longer)
    assert longer.metrics["lr"].iloc[-1] == pytest.approx(0.01 * 0.25)


def test_interruption_message_counts_epochs_like_status(tmp_path, stop_at):
    run = wl.train(out=tmp_path, epochs=10, callbacks=[stop_at(27 * 3 + 5)], **SETTINGS)
    info = run.info
    assert info["epochs_completed"] == 3 and info["steps"] == 86
    assert "after 3 completed epochs" in info["message"]


@pytest.fixture(scope="module")
def stopped(tmp_path_factory, stop_at):
    """A run stopped mid-epoch (3 epochs and 5 steps), and a finished cosine run."""
    root = tmp_path_factory.mktemp("stopped")
    mid = wl.train(out=root, name="mid", epochs=10, callbacks=[stop_at(27 * 3 + 5)],
                   **SETTINGS)
    cos = wl.train(out=root, name="cos", epochs=4, lr_schedule="cosine", **SETTINGS)
    cos_cut = wl.train(out=root, name="cos-cut", epochs=4, lr_schedule="cosine",
                       callbacks=[stop_at(40)], **SETTINGS)
    return root, mid, cos, cos_cut


def _status_running(pid, host=None):
    def damage(p):
        info = json.loads((p / "status.json").read_text())
        info.update(status="running", pid=pid, host=host or socket.gethostname())
        (p / "status.json").write_text(json.dumps(info))
    return damage


# (id, run, extra argv, damage of a copy or None, expected fragment)
RESUME_CASES = [
    ("epochs-below-done-mid-epoch", "mid", ["--epochs", "3"], None, "N >= 4"),
    ("epochs-far-below", "mid", ["--epochs", "1"], None, "already trained 3.19 epochs"),
    ("epochs-zero", "mid", ["--epochs", "0"], None, "epochs must be"),
    ("epochs-negative", "mid", ["--epochs", "-4"], None, "epochs must be"),
    ("epochs-absurd", "mid", ["--epochs", "100000000"], None, "epochs must be"),
    ("epochs-text", "mid", ["--epochs", "ten"], None, "invalid int"),
    ("finished-same-length", "cos", [], None, "already trained 4 epochs"),
    ("finished-shorter", "cos", ["--epochs", "2"], None, "already trained 4 epochs"),
    ("cosine-extended", "cos", ["--epochs", "6"], None, "anneals its learning rate"),
    ("cosine-cut-extended", "cos-cut", ["--epochs", "6"], None, "anneals its learning rate"),
    ("cosine-cut-shortened", "cos-cut", ["--epochs", "3"], None,
     "anneals its learning rate"),
    ("with-a-setting", "mid", ["--lr", "0.5"], None, "only --epochs and --device may change"),
    ("with-a-dataset", "mid", ["--dataset", "xor"], None, "only --epochs and --device may change"),
    ("running-on-another-host", "mid", [], _status_running(1, "elsewhere.example"),
     "being trained by process 1 on elsewhere.example"),
    ("metrics-row-cut-mid-line", "mid", [], lambda p: _cut_metrics_row(p, 2),
     "metrics.csv"),
    ("metrics-header-cut-short", "mid", [], lambda p: _fuse_header(p), "metrics.csv"),
    ("metrics-rows-lost", "mid", [], lambda p: _drop_rows(p, 3), "metrics.csv"),
    ("snapshots-cut-short", "mid", [], lambda p: _cut(p / "snapshots.bin", 0.5),
     "snapshots.bin holds"),
    ("snapshots-torn", "mid", [], lambda p: _cut(p / "snapshots.bin", 0.85),
     "snapshots.bin holds"),
    ("not-a-run", "mid", [], lambda p: (p / "config.json").unlink(), "not a weightlapse run"),
]


def _cut(path, frac):
    b = path.read_bytes()
    path.write_bytes(b[:int(len(b) * frac)])


def _cut_metrics_row(p, i):
    lines = (p / "metrics.csv").read_text().splitlines(True)
    lines[i] = lines[i][:len(lines[i]) // 2]  # cut mid-line: fused with the next row
    (p / "metrics.csv").write_text("".join(lines))


def _fuse_header(p):
    text = (p / "metrics.csv").read_text()
    (p / "metrics.csv").write_text(text[:25] + text[text.index("\n") + 1:])


def _drop_rows(p, keep):
    lines = (p / "metrics.csv").read_text().splitlines(True)
    (p / "metrics.csv").write_text("".join(lines[:keep]))


@pytest.mark.filterwarnings("ignore:.*torn last snapshot")
@pytest.mark.parametrize("case", RESUME_CASES, ids=[c[0] for c in RESUME_CASES])
def test_bad_resume(stopped, tmp_path, capsys, case, run_cli, tree):
    import shutil
    _, which, extra, damage, match = case
    src = {"mid": stopped[1], "cos": stopped[2], "cos-cut": stopped[3]}[which].path
    path = tmp_path / "run"
    shutil.copytree(src, path)
    if damage:
        damage(path)
    before = tree(tmp_path)
    code, out, err, shown = run_cli(["train", "--resume", str(path), *extra])
    assert code == 2, err
    assert len(shown) == 1 and match in shown[0], shown
    assert "Traceback" not in err
    assert tree(tmp_path) == before, "resume must change nothing before its checks pass"


def test_resume_refuses_a_run_a_live_process_trains(tmp_path):
    code = textwrap.dedent("""
        import sys, time
        import weightlapse as wl
        class Slow:
            def on_step_end(self, t):
                time.sleep(0.01)
        wl.train(dataset="xor", hidden=[4], epochs=4, batch_size=50, out=sys.argv[1],
                 name="live", callbacks=[Slow()])
    """)
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)])
    try:
        deadline = time.time() + 60
        while not (tmp_path / "live" / "metrics.csv").exists() and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        with pytest.raises(WeightlapseError, match="being trained"):
            wl.train(resume=tmp_path / "live", epochs=8)
    finally:
        assert proc.wait(timeout=120) == 0
    run = wl.load_run(tmp_path / "live")
    assert run.status == "finished" and run.config["settings"]["training"]["epochs"] == 4
    steps = list(run.snapshots.steps)
    assert steps == sorted(set(steps))  # no interleaved snapshots


def test_a_stale_running_status_does_not_block_resume(stopped, tmp_path):
    """A run whose process died (SIGKILL) still says "running"; its pid may now
    belong to another process. The folder's lock is free: it resumes."""
    import shutil
    path = tmp_path / "run"
    shutil.copytree(stopped[1].path, path)
    _status_running(os.getppid())(path)  # a live pid that is not training it
    assert wl.train(resume=path).status == "finished"


@pytest.mark.filterwarnings("ignore:.*torn last snapshot")
def test_resume_writes_no_config_before_its_checks(stopped, tmp_path):
    import shutil
    path = tmp_path / "run"
    shutil.copytree(stopped[1].path, path)
    _cut(path / "snapshots.bin", 0.5)
    before = (path / "config.json").read_bytes()
    with pytest.raises(WeightlapseError):
        wl.train(resume=path, epochs=12)
    assert (path / "config.json").read_bytes() == before


# -- item 4: regression test loss ----------------------------------------------------
def _idx(arr):
    head = bytes([0, 0, 8, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return head + arr.astype(np.uint8).tobytes()


def fake_mnist(root, n=60, n_test=40, header=None):
    rng = np.random.default_rng(0)
    d = root / "mnist"
    d.mkdir(parents=True, exist_ok=True)
    files = {"train-images-idx3-ubyte": _idx(rng.integers(0, 256, (n, 28, 28))),
             "train-labels-idx1-ubyte": _idx(np.arange(n) % 10),
             "t10k-images-idx3-ubyte": _idx(rng.integers(0, 256, (n_test, 28, 28))),
             "t10k-labels-idx1-ubyte": _idx(np.arange(n_test) % 10)}
    if header:
        name, dims = header
        files[name] = bytes([0, 0, 8, len(dims)]) + b"".join(
            int(v).to_bytes(4, "big") for v in dims) + b"\0" * 64
    for name, data in files.items():
        (d / (name + ".gz")).write_bytes(gzip.compress(data))
    return root


def test_regression_test_loss_is_the_true_mse(tmp_path):
    root = fake_mnist(tmp_path / "data")
    run = wl.train(dataset="mnist", data_dir=root, task="regression", hidden=[8], epochs=3,
                   out=tmp_path)
    from weightlapse.core.data import load_image_set
    test = load_image_set("mnist", root)
    Z = run.network().predict_outputs(test.X_test)
    assert Z.shape == (40, 1)
    true_mse = float(np.mean((Z[:, 0].astype(np.float64) - test.y_test) ** 2))
    assert run.info["final_metrics"]["test_loss"] == pytest.approx(true_mse, rel=1e-5)


# -- item 5: compare --align reports what it minimises -------------------------------
def test_align_message_reports_the_minimised_distance(tmp_path, capsys, run_cli):
    a = wl.train(dataset="moons", hidden=[6, 5], epochs=3, out=tmp_path, name="a", seed=1)
    b = wl.train(dataset="moons", hidden=[6, 5], epochs=3, out=tmp_path, name="b", seed=2)
    code, out, err, shown = run_cli(["compare", str(a.path), str(b.path), "--diff", "--align",
                                     "-o", str(tmp_path / "d.png")])
    assert code == 0
    lines = [ln for ln in shown if ln.startswith("aligned hidden layer")]
    assert len(lines) == 2
    for ln in lines:
        assert "distance between matched units (what the matching minimises)" in ln
        before, after = (float(v) for v in ln.rsplit(")", 1)[1].split("->"))
        assert after <= before


# -- item 11: Ctrl-C in the demo -----------------------------------------------------
def test_demo_stops_on_ctrl_c_during_training(tmp_path):
    code = textwrap.dedent("""
        import os, signal, sys
        from weightlapse import cli
        import weightlapse.api as api
        class Kick:  # the user's Ctrl-C, a few steps into training
            def on_step_end(self, t):
                if t.step == 20:
                    os.kill(os.getpid(), signal.SIGINT)
        real = api.train
        api.train = lambda *a, **k: real(*a, callbacks=[Kick()], **k)
        sys.exit(cli.main(sys.argv[1:]))
    """)
    p = subprocess.run([sys.executable, "-c", code, "demo", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 130, p.stderr
    assert "nothing was rendered" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "demo" / "training.mp4").exists()
    assert wl.load_run(tmp_path / "demo").status == "interrupted"


# -- item 12: a CSV run resumes from another directory ----------------------------------
def test_csv_run_resumes_from_another_directory(tmp_path, monkeypatch, stop_at):
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    rows = "\n".join(f"{a},{b},{c},{int(a + b > 0)}" for a, b, c in X)
    (work / "table.csv").write_text("a,b,c,label\n" + rows + "\n")
    monkeypatch.chdir(work)
    run = wl.train(data="table.csv", hidden=[4], epochs=5, batch_size=20, out="runs",
                   callbacks=[stop_at(13)])
    stored = run.config["settings"]["data"]["data"]
    assert os.path.isabs(stored) and stored == str(work / "table.csv")
    monkeypatch.chdir(elsewhere)
    resumed = wl.train(resume=work / "runs" / "table")
    assert resumed.status == "finished"


# -- items 14, 15, 16: sizes beyond memory, overflowing headers and data -------------
def _csv(t, name, text):
    (t / name).write_text(text)
    return str(t / name)


TRAIN_CASES = [
    ("hidden-beyond-memory", lambda t: ["--dataset", "xor", "--hidden", ",".join(["65536"] * 64)],
     "needs about"),
    ("hidden-4x65536", lambda t: ["--dataset", "xor", "--hidden", "65536,65536,65536,65536"],
     "needs about"),
    ("full-batch-beyond-memory", lambda t: ["--dataset", "xor", "--n-samples", "1000000",
                                            "--hidden", "60000", "--batch-size", "0"],
     "batch 900000) needs about"),
    ("n-samples-10e12", lambda t: ["--dataset", "spiral", "--n-samples", "1000000000000"],
     "n_samples 1,000,000,000,000 needs about"),
    ("n-samples-10e18", lambda t: ["--dataset", "moons", "--n-samples",
                                   "1000000000000000000"], "needs about"),
    ("noise-inf", lambda t: ["--dataset", "moons", "--noise", "inf"], "noise must be"),
    ("noise-nan", lambda t: ["--dataset", "spiral", "--noise", "nan"], "noise must be"),
    ("noise-1e308", lambda t: ["--dataset", "gaussian", "--noise", "1e308"], "noise must be"),
    ("noise-negative", lambda t: ["--dataset", "xor", "--noise", "-1"], "noise must be"),
    ("csv-1e308-column", lambda t: ["--data", _csv(t, "a.csv", "a,b,label\n1e308,1,0\n"
                                                   "1e308,2,1\n-1e308,3,0\n1e308,4,1\n")],
     "column 'a' cannot be standardised"),
    ("csv-1e200-column", lambda t: ["--data", _csv(t, "b.csv", "a,b,label\n1,1e200,0\n"
                                                   "2,-1e200,1\n3,1e200,0\n")],
     "column 'b' cannot be standardised"),
    ("csv-regression-target-1e308", lambda t: ["--data", _csv(t, "c.csv", "a,y\n1,1e308\n"
                                                              "2,3\n3,4\n4,5\n"),
                                               "--label-column", "y", "--task", "regression"],
     "column 'y' has values too large for float32"),
    ("snapshots-beyond-disk", lambda t: ["--dataset", "xor", "--hidden", "4096,4096",
                                         "--snapshot-every", "1", "--epochs", "10000"],
     "snapshots would need about"),
    ("idx-dims-overflow-int64", lambda t: ["--dataset", "mnist", "--data-dir", str(fake_mnist(
        t / "d", header=("train-images-idx3-ubyte", [2**32 - 1] * 3)))], "truncated"),
    ("idx-dims-overflow-labels", lambda t: ["--dataset", "mnist", "--data-dir", str(fake_mnist(
        t / "d", header=("t10k-labels-idx1-ubyte", [2**32 - 1])))], "truncated"),
    ("idx-dims-product-overflow", lambda t: ["--dataset", "mnist", "--data-dir", str(fake_mnist(
        t / "d", header=("train-images-idx3-ubyte", [2**31, 2**31, 2**31, 8])))],
     "truncated"),
]


@pytest.mark.parametrize("case", TRAIN_CASES, ids=[c[0] for c in TRAIN_CASES])
def test_bad_train_settings(tmp_path, capsys, case, run_cli, tree):
    _, argv_of, match = case
    argv = ["train", *argv_of(tmp_path), "--out", str(tmp_path / "runs")]
    before = tree(tmp_path)
    code, out, err, shown = run_cli(argv)
    assert code == 2, err
    assert len(shown) == 1 and match in shown[0], shown
    assert "Traceback" not in err and "diverged" not in err
    assert tree(tmp_path) == before and not (tmp_path / "runs").exists()


@pytest.mark.parametrize("name,kw,match", [
    ("X-1e308", lambda X, y: dict(X=np.full_like(X, 1e308), y=y), "column 'x0' has values"),
    ("X-one-column-1e39", lambda X, y: dict(X=np.c_[X[:, :1], np.full(len(X), 1e39)], y=y),
     "column 'x1' has values too large for float32"),
    ("X_val-1e308", lambda X, y: dict(X=X, y=y, X_val=np.full((5, 2), 1e308),
                                      y_val=np.arange(5) % 2), "column 'x0'"),
    ("y-1e308-regression", lambda X, y: dict(X=X, y=np.full(len(X), 1e308),
                                             task="regression"), "column 'y'"),
    ("noise-inf", lambda X, y: dict(dataset="moons", noise=float("inf")), "noise must be"),
    ("n-samples-huge", lambda X, y: dict(dataset="xor", n_samples=10**15), "needs about"),
    ("hidden-huge", lambda X, y: dict(X=X, y=y, hidden=[65536] * 8), "needs about"),
])
def test_bad_arrays_in_python(tmp_path, name, kw, match):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 2)), np.arange(60) % 2
    with pytest.raises(WeightlapseError, match=match):
        wl.train(out=tmp_path / "runs", **kw(X, y))
    assert not (tmp_path / "runs").exists()


def test_float64_takes_what_float32_cannot(tmp_path):
    X = np.c_[np.linspace(-1, 1, 40), np.full(40, 1e39)]
    run = wl.train(X, np.arange(40) % 2, dtype="float64", hidden=[3], epochs=1, out=tmp_path)
    assert "Infinity" not in (run.path / "config.json").read_text()


def test_resume_refuses_changed_data(tmp_path, tree, stop_at):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    rows = "".join(f"{a},{b},{int(a > b)}\n" for a, b in X)
    csv = tmp_path / "t.csv"
    csv.write_text("a,b,label\n" + rows)
    run = wl.train(data=csv, hidden=[3], epochs=4, batch_size=10, out=tmp_path,
                   callbacks=[stop_at(9)])
    csv.write_text("a,b,label\n" + rows.replace("1\n", "0\n", 1))  # one label changed
    before = tree(run.path)
    with pytest.raises(WeightlapseError, match="has changed since"):
        wl.train(resume=run.path)
    assert tree(run.path) == before
    y = np.arange(80) % 2
    arr = wl.train(X, y, hidden=[3], epochs=4, batch_size=10, out=tmp_path,
                   callbacks=[stop_at(9)])
    with pytest.raises(WeightlapseError, match="X, y are not the data"):
        wl.train(X[::-1], y, resume=arr.path)
    assert wl.train(X, y, resume=arr.path).status == "finished"


def test_overflow_at_the_first_step_blames_the_data(tmp_path):
    X = np.full((40, 2), 1e20) * np.r_[1, -1][np.arange(40) % 2][:, None]
    run = wl.train(X, np.linspace(0, 1, 40), task="regression", hidden=[3], epochs=2,
                   out=tmp_path)
    assert run.status == "diverged"
    assert "before any update: scale the data down" in run.info["message"]


# -- L2 end to end -----------------------------------------------------------------
def test_l2_end_to_end(tmp_path):
    """One full-batch SGD step from the same start: with l2 the weights move by
    an extra -lr * l2 * W0 (SPEC §3); biases are not decayed."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 3)), np.arange(50) % 3
    kw = dict(hidden=[5], epochs=1, batch_size=0, optimizer="sgd", lr=0.1, dtype="float64",
              val_fraction=0.0, out=tmp_path)
    plain = wl.train(X, y, name="plain", **kw)
    decayed = wl.train(X, y, name="l2", l2=0.3, **kw)
    s0, p1, d1 = plain.snapshots[0], plain.snapshots[-1], decayed.snapshots[-1]
    assert np.array_equal(s0.params, decayed.snapshots[0].params)
    for W0, Wp, Wd in zip(s0.weights, p1.weights, d1.weights):
        np.testing.assert_allclose(Wd, Wp - 0.1 * 0.3 * W0, rtol=0, atol=1e-14)
    for bp, bd in zip(p1.biases, d1.biases):
        np.testing.assert_array_equal(bp, bd)
