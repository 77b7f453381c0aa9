"""Faults: interruption and exact resume, real signals, SIGKILL mid-write, a
full disk, concurrent trainings, atomic outputs, flat memory."""
import errno
import json
import os
import resource
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

import weightlapse as wl
from weightlapse.cli import main

SETTINGS = dict(dataset="spiral", hidden=[16, 16], epochs=6, batch_size=50, optimizer="adam",
                dropout=0.2, snapshot_every=7)


def assert_same_run(a, b):
    assert np.array_equal(a.snapshots.steps, b.snapshots.steps)
    for x, y in zip(a.snapshots, b.snapshots):
        assert np.array_equal(x.params, y.params)  # bit for bit
    cols = [c for c in a.metrics.columns if c != "elapsed_s"]
    assert a.metrics[cols].equals(b.metrics[cols])


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return wl.train(name="ref", out=tmp_path_factory.mktemp("ref"), **SETTINGS)


@pytest.mark.parametrize("stop", [40, 27 * 3, 1])  # mid-epoch, at an epoch end, first step
def test_resume_is_bit_for_bit(reference, tmp_path, stop, stop_at):
    run = wl.train(name="b", out=tmp_path, callbacks=[stop_at(stop)], **SETTINGS)
    assert run.status == "interrupted"
    assert run.snapshots.steps[-1] == stop  # the last frame is where it stopped
    resumed = wl.train(resume=run.path)
    assert resumed.status == "finished" and resumed.path == run.path
    assert_same_run(reference, resumed)
    assert resumed.config["resumed"][0]["from_step"] == stop


def test_extend_a_finished_run(reference, tmp_path):
    short = wl.train(name="short", out=tmp_path, **{**SETTINGS, "epochs": 4})
    with pytest.raises(wl.WeightlapseError, match="already trained 4 epochs"):
        wl.train(resume=short.path)
    longer = wl.train(resume=short.path, epochs=6)
    assert_same_run(reference, longer)
    with pytest.raises(wl.WeightlapseError, match="only epochs and device may change"):
        wl.train(resume=short.path, lr=0.5)


def test_resume_arrays_run_needs_its_data(tmp_path, stop_at):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 3)), rng.integers(0, 2, 200)
    kw = dict(hidden=[5], epochs=4, batch_size=20, optimizer="momentum", out=tmp_path)
    ref = wl.train(X, y, name="ref", **kw)
    run = wl.train(X, y, name="cut", callbacks=[stop_at(13)], **kw)
    with pytest.raises(wl.WeightlapseError, match="trained on arrays"):
        wl.train(resume=run.path)
    with pytest.raises(wl.WeightlapseError, match="data differ"):
        wl.train(X[:100], y[:100], resume=run.path)
    assert_same_run(ref, wl.train(X, y, resume=run.path))


SLOW_TRAIN = textwrap.dedent("""
    import sys, time
    import weightlapse as wl
    class Slow:  # makes each step take a while, so a signal lands mid-training
        def on_step_end(self, t):
            time.sleep(0.004)
    wl.train(dataset="spiral", hidden=[16, 16], epochs=int(sys.argv[2]), batch_size=50,
             optimizer="adam", snapshot_every=5, out=sys.argv[1], name="sig",
             callbacks=[Slow()])
""")


def wait_for_rows(path, n, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and path.read_text().count("\n") > n:
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} never reached {n} rows")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_real_signal_then_cli_resume(tmp_path, sig, capsys):
    proc = subprocess.Popen([sys.executable, "-c", SLOW_TRAIN, str(tmp_path), "8"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_rows(tmp_path / "sig" / "metrics.csv", 8)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err  # the API returns the interrupted run
    run = wl.load_run(tmp_path / "sig")
    assert run.status == "interrupted"
    assert (run.path / "checkpoint.npz").exists()
    # the command line resumes it and reaches the uninterrupted result
    assert main(["train", "--resume", str(run.path)]) == 0
    ref = wl.train(dataset="spiral", hidden=[16, 16], epochs=8, batch_size=50,
                   optimizer="adam", snapshot_every=5, out=tmp_path, name="ref")
    assert_same_run(ref, wl.load_run(run.path))


def test_cli_interrupt_says_how_to_resume(tmp_path):
    code = textwrap.dedent("""
        import os, signal, sys
        from weightlapse import cli
        class Kick:  # sends the process its own Ctrl-C after a few steps
            def on_step_end(self, t):
                if t.step == 30:
                    os.kill(os.getpid(), signal.SIGINT)
        import weightlapse.api as api
        real = api.train
        api.train = lambda *a, **k: real(*a, callbacks=[Kick()], **k)
        sys.exit(cli.main(sys.argv[1:]))
    """)
    p = subprocess.run([sys.executable, "-c", code, "train", "--dataset", "moons",
                        "--epochs", "50", "--out", str(tmp_path)], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 130
    assert f"resume with: weightlapse train --resume {tmp_path / 'moons'}" in p.stderr
    assert "Traceback" not in p.stderr
    assert p.stdout.strip() == str(tmp_path / "moons")


def test_sigkill_mid_write_loses_nothing_completed(tmp_path):
    """Kill -9 at several moments: every completed snapshot and row reads back,
    a torn last record is skipped, and the run resumes to the exact result."""
    for k, delay in enumerate((0.9, 1.3, 1.7)):
        out = tmp_path / f"k{k}"
        proc = subprocess.Popen([sys.executable, "-c", SLOW_TRAIN, str(out), "6"])
        wait_for_rows(out / "sig" / "metrics.csv", 2)
        time.sleep(delay)
        proc.kill()
        proc.wait()
        with warnings.catch_warnings():  # a kill may tear the last record: skipped
            warnings.simplefilter("ignore")
            run = wl.load_run(out / "sig")
        assert run.status in ("killed", "finished")
        steps = run.snapshots.steps
        assert list(steps) == sorted(steps) and steps[0] == 0
        assert all(np.isfinite(s.params).all() for s in run.snapshots)
        assert len(run.metrics) >= 1 and run.metrics["step"].is_monotonic_increasing
        if run.status == "killed" and (run.path / "checkpoint.npz").exists():
            with warnings.catch_warnings():  # resume cuts a torn record away anyway
                warnings.simplefilter("ignore")
                resumed = wl.train(resume=run.path)
            ref = wl.train(dataset="spiral", hidden=[16, 16], epochs=6, batch_size=50,
                           optimizer="adam", snapshot_every=5, out=out, name="ref")
            assert_same_run(ref, resumed)


def test_disk_full_while_training(tmp_path, monkeypatch, capsys):
    import weightlapse.core.snapshots as snapshots
    real = os.writev
    calls = {"n": 0}

    def writev(fd, bufs):
        calls["n"] += 1
        if calls["n"] > 4:  # the header and three snapshots fit, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, bufs)

    monkeypatch.setattr(snapshots.os, "writev", writev)
    code = main(["train", "--dataset", "moons", "--epochs", "20", "--snapshot-every", "epoch",
                 "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "No space left on device" in err and "--resume" in err
    shown = [ln.split("\r")[-1] for ln in err.split("\n")]  # what a terminal shows
    assert len([ln for ln in shown if ln.strip()]) == 1, shown
    monkeypatch.undo()
    run = wl.load_run(tmp_path / "moons")
    assert run.status == "failed"
    assert len(run.snapshots) == 3 and list(run.snapshots.steps) == [0, 22, 44]
    resumed = wl.train(resume=run.path)  # space is back: it finishes
    assert resumed.status == "finished" and resumed.snapshots.steps[-1] == 20 * 22


@pytest.mark.parametrize("command", ["predict", "figure", "table"])
def test_disk_full_leaves_no_output(tmp_path, monkeypatch, command):
    run = wl.train(dataset="moons", hidden=[4], epochs=3, out=tmp_path / "runs")
    (tmp_path / "rows.csv").write_text("x0,x1\n0.1,0.2\n")
    import builtins
    real_open = builtins.open

    class Full:
        def __init__(self, f):
            self.f = f

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.f.close()

    out = tmp_path / "out"
    out.mkdir()
    if command in ("predict", "table"):
        import weightlapse.core.io as cio
        import weightlapse.viz.outputs as vout
        for module in (cio, vout):      # predictions through io, tables through outputs
            monkeypatch.setattr(module, "open", lambda f, *a, **k: Full(real_open(f, *a, **k)),
                                raising=False)
    else:
        import matplotlib.figure
        monkeypatch.setattr(matplotlib.figure.Figure, "savefig", lambda *a, **k: (_ for _ in ()).throw(
            OSError(errno.ENOSPC, "No space left on device")))
    argv = {"predict": ["predict", str(run.path), "--data", str(tmp_path / "rows.csv"),
                        "-o", str(out / "p.csv")],
            "figure": ["figure", str(run.path), "-o", str(out / "f.png")],
            "render": ["render", str(run.path), "-o", str(out / "v.mp4"), "--size", "320x180"],
            "table": ["compare", str(run.path), str(run.path), "-o", str(out / "c.png"),
                      "--table", str(out / "t.csv")]}[command]
    assert main(argv) == 2
    if command == "table":
        assert not (out / "t.csv").exists()
    else:
        assert list(out.iterdir()) == []  # no partial or temporary file


def _file_size_limit():
    resource.setrlimit(resource.RLIMIT_FSIZE, (30_000, 30_000))


@pytest.mark.parametrize("ext", [".mp4", ".gif"])
def test_ffmpeg_failure_is_one_line(tmp_path, ext):
    """A real write failure inside ffmpeg (a 30 kB file-size limit stands in
    for a full disk): one line naming the video, exit 2, nothing left."""
    run = wl.train(dataset="moons", hidden=[4], epochs=3, out=tmp_path / "runs")
    out = tmp_path / "out"
    out.mkdir()
    p = subprocess.run([sys.executable, "-m", "weightlapse", "render", str(run.path), "-o",
                        str(out / f"v{ext}"), "--size", "640x360", "--duration", "3"],
                       capture_output=True, text=True, preexec_fn=_file_size_limit)
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "ffmpeg could not write the video" in lines[0], lines
    assert f"v{ext}" in lines[0] and "Broken pipe" not in p.stderr
    assert list(out.iterdir()) == []


def test_concurrent_trainings_never_share_a_folder(tmp_path):
    cmd = [sys.executable, "-m", "weightlapse", "train", "--dataset", "xor", "--epochs", "30",
           "--snapshot-every", "epoch", "--out", str(tmp_path), "--name", "same"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True) for _ in range(3)]
    dirs = sorted(p.communicate(timeout=120)[0].strip() for p in procs)
    assert all(p.returncode == 0 for p in procs)
    assert dirs == sorted(str(tmp_path / n) for n in ("same", "same-2", "same-3"))
    for d in dirs:
        run = wl.load_run(d)
        assert run.status == "finished" and len(run.snapshots) == 31


MEASURE = textwrap.dedent("""
    import resource, sys
    import weightlapse as wl
    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    base = peak()
    run = wl.train(dataset="moons", hidden=[8], epochs=int(sys.argv[2]), batch_size=50,
                   snapshot_every=3, out=sys.argv[1], name="m")
    trained = peak()
    wl.render(run, sys.argv[1] + "/m.mp4", size=(320, 180))
    print(len(run.snapshots), base, trained, peak())
""")


def test_memory_stays_flat_over_long_runs_and_videos(tmp_path):
    """Four times the snapshots and frames: about the same peak memory (a
    frame kept per snapshot would add 0.2 MB each; a snapshot, a few KB)."""
    results = []
    for epochs in (5, 20):
        out = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path / str(epochs)),
                              str(epochs)], capture_output=True, text=True, check=True)
        results.append([int(v) for v in out.stdout.split()])
    (n1, _, t1, r1), (n2, _, t2, r2) = results
    assert n2 > 3.5 * n1
    assert t2 < t1 + 8e6 and r2 < r1 + 8e6, results


def test_status_json_is_never_half_written(tmp_path):
    run = wl.train(dataset="xor", hidden=[4], epochs=2, out=tmp_path)
    assert json.loads((run.path / "status.json").read_text())["status"] == "finished"
    assert not list(run.path.glob(".*"))  # no temporary files left behind
