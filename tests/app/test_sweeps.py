"""Sweeps beyond a grid: random search, seeds, resume, the effect figure and
the table, and the inputs a hostile user tries (no Dask needed here)."""
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import weightlapse as wl
from weightlapse.cli import main
from weightlapse.core.errors import ConfigError
from weightlapse.sweeps import plan
from weightlapse.viz.sweep_figure import draw_effects, effect_points

QUIET = dict(log=lambda m: None)


def one_line_error(capsys, argv, match):
    try:
        code = main(argv)
    except SystemExit as e:          # argparse's own errors
        code = e.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and match in err and "Traceback" not in err, err


# -- random search ---------------------------------------------------------------
def test_random_search_is_reproducible_from_the_seed():
    grid = {"lr": "log:1e-4:1e-1", "hidden": [32, 64, 128], "momentum": "lin:0:0.9",
            "epochs": "int:2:4"}
    a = plan(grid, {"seed": 7}, random=40)
    assert a == plan(grid, {"seed": 7}, random=40)
    assert a != plan(grid, {"seed": 8}, random=40)
    lrs = [r["settings"]["lr"] for r in a]
    assert all(1e-4 <= v <= 1e-1 for v in lrs)
    # log-uniform: about as many below 10**-2.5 as above it
    assert 10 <= sum(v < 10 ** -2.5 for v in lrs) <= 30
    assert {r["settings"]["hidden"] for r in a} == {32, 64, 128}
    assert {r["settings"]["epochs"] for r in a} == {2, 3, 4}  # int: both ends included
    assert all(0 <= r["settings"]["momentum"] <= 0.9 for r in a)
    assert len({r["name"] for r in a}) == 40


def test_random_sweep_records_its_samples(tmp_path):
    grid = {"lr": "log:1e-3:1", "hidden": [2, 4]}
    result = wl.sweep(grid, random=3, dataset="xor", epochs=1, seed=3, out=tmp_path, best=0,
                      **QUIET)
    index = json.loads((result.path / "index.json").read_text())
    expected = plan(grid, {"dataset": "xor", "epochs": 1, "seed": 3}, random=3)
    assert [r["settings"] for r in index["runs"]] == [r["settings"] for r in expected]
    for rec, run in zip(index["runs"], result.runs):
        assert run.settings["lr"] == rec["settings"]["lr"]
        assert run.sizes[1:-1] == [rec["settings"]["hidden"]]
    assert (result.path / "effects.png").stat().st_size > 0
    assert not (result.path / "compare.png").exists()      # best=0: no comparison


# -- seeds, the table and the effect figure --------------------------------------
@pytest.fixture(scope="module")
def repeated(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep")
    return wl.sweep({"lr": [0.3, 0.03], "optimizer": ["sgd", "adam"]}, repeat=2,
                    dataset="xor", hidden=[4], epochs=3, seed=5, out=out, jobs=2, **QUIET)


def final(run):
    last = run.metrics.dropna(subset=["val_acc"]).iloc[-1]
    return float(last["val_acc"]), float(last["val_loss"])


def test_repeat_trains_each_setting_with_k_seeds(repeated):
    assert len(repeated.runs) == 8 and not repeated.failed
    seeds = {}
    for run in repeated.runs:
        key = (run.settings["lr"], run.settings["optimizer"])
        seeds.setdefault(key, []).append(run.settings["seed"])
    assert all(sorted(s) == [5, 6] for s in seeds.values()) and len(seeds) == 4
    a, b = (r for r in repeated.runs if r.settings["lr"] == 0.3
            and r.settings["optimizer"] == "sgd")
    assert not np.array_equal(a.snapshots[0].params, b.snapshots[0].params)


def test_table_is_sorted_with_mean_and_std_across_seeds(repeated):
    table = pd.read_csv(repeated.path / "table.csv")
    assert list(table["val acc"]) == sorted(table["val acc"], reverse=True)
    assert (table["runs"] == 2).all()
    for row in table.itertuples(index=False):
        runs = [r for r in repeated.runs if f"{r.settings['lr']:g}" == f"{row.lr:g}"
                and r.settings["optimizer"] == row.optimizer]
        accs = [final(r)[0] for r in runs]
        assert row._3 == pytest.approx(np.mean(accs))            # val acc
        assert row._4 == pytest.approx(np.std(accs, ddof=1))     # val acc std
    md = (repeated.path / "table.md").read_text()
    assert " ± " in md


def test_tables_give_each_runs_dead_share_and_update_ratio(repeated):
    from weightlapse.core.health_read import load_health
    from weightlapse.core.health_summary import DEAD, RATIO, final_health
    cells = {r.name: final_health(load_health(r)) for r in repeated.runs}
    runs = pd.read_csv(repeated.path / "runs.csv")
    for _, row in runs.iterrows():
        assert row[DEAD] == pytest.approx(cells[row["run"]][DEAD])
        assert row[RATIO] == pytest.approx(cells[row["run"]][RATIO])
    table = pd.read_csv(repeated.path / "table.csv")
    for _, row in table.iterrows():
        names = [r.name for r in repeated.runs if f"{r.settings['lr']:g}" == f"{row['lr']:g}"
                 and r.settings["optimizer"] == row["optimizer"]]
        for col in (DEAD, RATIO):
            vals = [cells[n][col] for n in names]
            assert row[col] == pytest.approx(np.mean(vals))             # mean across seeds
    head = (repeated.path / "table.md").read_text().splitlines()[0]
    assert head.endswith(f"| {DEAD} | {RATIO} |")
    assert f"{DEAD} std" not in table


def test_a_run_without_health_has_empty_cells(tmp_path):
    from weightlapse.core.health_summary import DEAD, RATIO
    from weightlapse.sweeps.analysis import analysis
    result = wl.sweep({"lr": [0.3, 0.03]}, dataset="xor", hidden=[4], epochs=3, out=tmp_path,
                      **QUIET)
    gone = result.runs[0]
    (gone.path / "health.jsonl").write_text("{not json\n")      # damaged: nothing read
    analysis(result.path, result.index, best=0)
    for name in ("runs.csv", "table.csv"):
        t = pd.read_csv(result.path / name, keep_default_na=False)
        rows = t[t["lr"].astype(float) == gone.settings["lr"]]
        assert list(rows[DEAD]) == [""] and list(rows[RATIO]) == [""], name
        other = t[t["lr"].astype(float) != gone.settings["lr"]]
        assert float(other[RATIO].iloc[0]) < 0
    for name in ("runs.md", "table.md"):
        lines = (result.path / name).read_text().splitlines()
        row = next(ln for ln in lines if f"| {gone.settings['lr']:g} |" in ln)
        assert row.endswith("|  |  |"), (name, row)


def test_effect_figure_points_equal_the_runs_metrics(repeated):
    keys = ["lr", "optimizer"]
    artists = draw_effects(effect_points(repeated.runs, keys), keys)
    expect = {}
    for run in repeated.runs:
        s = run.settings
        expect.setdefault((s["lr"], s["optimizer"]), []).append(final(run))
    for (metric, key), containers in artists.items():
        col = 0 if metric == "acc" else 1
        other = "optimizer" if key == "lr" else "lr"
        assert len(containers) == 2          # one line per value of the other setting
        for c in containers:
            line, _caps, (bars,) = c.lines
            xs, ys = line.get_xdata(), line.get_ydata()
            assert len(xs) == 2
            labels = {"lr=0.3": 0.3, "lr=0.03": 0.03, "optimizer=sgd": "sgd",
                      "optimizer=adam": "adam"}
            other_value = labels[c.get_label()]
            assert c.get_label().startswith(other)
            for x, y, seg in zip(xs, ys, bars.get_segments()):
                if key == "lr":
                    vals = [m[col] for m in expect[(x, other_value)]]
                else:
                    opt = ["sgd", "adam"][round(x)]      # categories, drawn side by side
                    vals = [m[col] for m in expect[(other_value, opt)]]
                assert y == pytest.approx(np.mean(vals))
                # the error bar: ± std over seeds, cut at 0 (and an accuracy at 1)
                sd = np.std(vals, ddof=1)
                top = min(y + sd, 1.0) if metric == "acc" else y + sd
                assert (seg[0][1], seg[1][1]) == pytest.approx((max(y - sd, 0.0), top))
    assert (repeated.path / "effects.png").stat().st_size > 0


def test_effect_figure_of_one_setting_keeps_its_title_inside(repeated):
    """One swept setting makes a narrow figure: its title wraps, not runs off."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(4.6, 6.9))           # what draw_effects makes for one key
    canvas = FigureCanvasAgg(fig)
    draw_effects(effect_points(repeated.runs, ["lr"]), ["lr"], fig=fig)
    canvas.draw()
    title = fig.get_suptitle()
    box = fig._suptitle.get_window_extent(canvas.get_renderer())
    assert "\n" in title and 0 <= box.x0 and box.x1 <= fig.bbox.x1
    for ax in fig.axes:                        # and the axes stay below it
        assert ax.get_window_extent().y1 <= box.y0 + 1


def test_best_runs_are_compared(tmp_path):
    result = wl.sweep({"lr": [0.3, 0.1, 0.03]}, dataset="xor", hidden=[3], epochs=2, best=2,
                      out=tmp_path, **QUIET)
    assert (result.path / "compare.png").exists() and (result.path / "compare-curves.png").exists()


# -- resume ------------------------------------------------------------------------
def test_resume_trains_only_the_failed_run(tmp_path, capsys):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    X = np.random.default_rng(0).normal(size=(60, 2))
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "label": (X[:, 0] > 0).astype(int)})
    frame.to_csv(good, index=False)
    bad.write_text("a,b,label\n1,2,0\n3,,1\n")
    argv = ["sweep", "--grid", f"data={good},{bad}", "--hidden", "3", "--epochs", "2",
            "--out", str(tmp_path / "runs")]
    assert main(argv) == 0
    sweep = tmp_path / "runs" / "sweep"
    index = json.loads((sweep / "index.json").read_text())
    assert sorted(r["status"] for r in index["runs"]) == ["failed", "finished"]
    kept = next(r for r in index["runs"] if r["status"] == "finished")
    stamp = (sweep / kept["name"] / "snapshots.bin").stat().st_mtime_ns
    frame.to_csv(bad, index=False)          # the cause fixed
    capsys.readouterr()
    assert main(["sweep", "--resume", str(sweep)]) == 0
    err = capsys.readouterr().err
    assert "training 1 of 2 runs again" in err
    index = json.loads((sweep / "index.json").read_text())
    assert [r["status"] for r in index["runs"]] == ["finished", "finished"]
    assert (sweep / kept["name"] / "snapshots.bin").stat().st_mtime_ns == stamp
    assert len(pd.read_csv(sweep / "table.csv")) == 2
    # nothing left to do
    assert main(["sweep", "--resume", str(sweep)]) == 0
    assert "nothing to resume" in capsys.readouterr().err


@pytest.mark.parametrize("argv,match", [
    (["--grid", "lr=0.1,0.2"], "--resume trains a sweep again with its own settings"),
    (["--lr", "0.1"], "drop --lr"),
])
def test_resume_refuses_new_settings(tmp_path, capsys, argv, match):
    one_line_error(capsys, ["sweep", "--resume", str(tmp_path), *argv], match)


@pytest.mark.parametrize("content,match", [
    (None, "is not a sweep folder"),
    ("{not json", "unreadable"),
    ('{"runs": [{"name": "../../x", "settings": {}}]}', "plain folder name"),
    ('[1, 2]', "unreadable"),
])
def test_resume_of_a_damaged_sweep(tmp_path, capsys, content, match):
    if content is not None:
        (tmp_path / "index.json").write_text(content)
    one_line_error(capsys, ["sweep", "--resume", str(tmp_path)], match)


# -- names, strings and failures (issue 10, item 17) -------------------------------
@pytest.mark.parametrize("name", ["../x", "/tmp/weightlapse-abs-name", "a/b", "..", "."])
def test_sweep_name_stays_inside_out(tmp_path, capsys, name):
    out = tmp_path / "out"
    one_line_error(capsys, ["sweep", "--dataset", "xor", "--grid", "lr=0.1,0.2", "--out",
                            str(out), "--name", name], "plain folder name")
    assert not out.exists() and not (tmp_path / "x").exists()
    assert not os.path.exists("/tmp/weightlapse-abs-name")
    with pytest.raises(ConfigError, match="plain folder name"):
        wl.sweep({"lr": [0.1]}, dataset="xor", out=out, name=name, **QUIET)


def test_sweep_exits_non_zero_when_every_run_failed(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,label\n1,2,0\n3,,1\n")
    code = main(["sweep", "--data", str(bad), "--grid", "lr=0.1,0.2", "--epochs", "1",
                 "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1 and "every run failed (2)" in err and "Traceback" not in err


@pytest.mark.parametrize("grid,match", [
    ({"optimizer": "adam"}, "expected a list of values"),
    ({"lr": 0.1}, "expected a list of values"),
    ({}, "at least one setting"),
    ({"lr": []}, "has no values"),
    ("lr=0.1", "at least one setting"),
])
def test_sweep_grid_values_are_lists_in_python(tmp_path, grid, match):
    with pytest.raises(ConfigError, match=match):
        wl.sweep(grid, dataset="xor", out=tmp_path, **QUIET)
    assert list(tmp_path.iterdir()) == []


def test_compare_refuses_a_single_path(tmp_path):
    for runs in ("runs/base", tmp_path):
        with pytest.raises(ConfigError, match="runs must be a list"):
            wl.compare(runs, tmp_path / "c.png")


@pytest.mark.parametrize("python_kwargs,match", [
    (dict(random=0), "random must be"),
    (dict(repeat=0), "repeat must be"),
    (dict(repeat=2, grid={"seed": [1, 2]}), "do not also sweep seed"),
    (dict(retries=-1), "retries must be"),
    (dict(jobs=0), "jobs must be"),
    (dict(best=-1), "best must be"),
    (dict(shared_out=True), "shared_out=True goes with a Dask scheduler"),
    (dict(scheduler=""), "scheduler must be"),
    (dict(resume="x", lr=0.1), "drop lr"),
])
def test_sweep_python_options_checked(tmp_path, python_kwargs, match):
    kw = {"grid": {"lr": [0.1]}, **python_kwargs}
    if "resume" in kw:
        kw.pop("grid")
    with pytest.raises(ConfigError, match=match):
        wl.sweep(dataset="xor", out=tmp_path, **QUIET, **kw)
    assert list(tmp_path.iterdir()) == []


# -- bad distributions and options on the command line -----------------------------
@pytest.mark.parametrize("extra,match", [
    (["--grid", "lr=log:0:1", "--random", "2"], "log distribution needs 0 < LOW"),
    (["--grid", "lr=log:1e-1:1e-4", "--random", "2"], "needs finite LOW < HIGH"),
    (["--grid", "lr=log:a:b", "--random", "2"], "must be numbers"),
    (["--grid", "lr=lin:1", "--random", "2"], "lin:LOW:HIGH"),
    (["--grid", "lr=log:1e-4:1e-1:3", "--random", "2"], "log:LOW:HIGH"),
    (["--grid", "hidden=int:1.5:3", "--random", "2"], "must be integers"),
    (["--grid", "lr=lin:nan:1", "--random", "2"], "finite"),
    (["--grid", "momentum=lin:0:1", "--random", "2"], "momentum must be in [0, 1)"),
    (["--grid", "lr=log:1e-4:1e-1"], "sample it with random search (--random N"),
    (["--grid", "lr=0.1", "--grid", "lr=0.2"], "given twice"),
    (["--grid", "lr=0.1", "--random", "0"], "--random: must be >= 1"),
    (["--grid", "lr=0.1", "--repeat", "-1"], "--repeat: must be >= 1"),
    (["--grid", "lr=0.1", "--retries", "x"], "--retries: expected a whole number"),
    (["--grid", "lr=0.1", "--connect-timeout", "0"], "--connect-timeout: must be in (0, 3600]"),
    (["--grid", "lr=0.1", "--shared-out"], "--shared-out goes with a Dask --scheduler"),
    (["--grid", "lr=0.1", "--scheduler", "tcp://127.0.0.1:1", "--jobs", "2"],
     "--jobs is for local workers"),
    (["--grid", "lr=0.1", "--scheduler", "tcp://127.0.0.1:1", "--blas-threads", "2"],
     "--blas-threads is for local workers"),
])
def test_bad_distributions_and_options(tmp_path, capsys, extra, match):
    one_line_error(capsys, ["sweep", "--dataset", "xor", "--out", str(tmp_path / "s"),
                            *extra], match)
    assert not (tmp_path / "s").exists()


def test_scheduler_without_dask_names_the_extra(tmp_path):
    """A Python whose import of dask fails, as where the extra is not installed."""
    code = ("import sys; sys.modules['dask'] = None; sys.modules['distributed'] = None; "
            "from weightlapse.cli import main; sys.exit(main(sys.argv[1:]))")
    base = [sys.executable, "-c", code, "sweep", "--dataset", "xor", "--hidden", "2",
            "--epochs", "1", "--grid", "lr=0.1,0.2"]
    for scheduler in ("local", "tcp://127.0.0.1:8786"):
        p = subprocess.run(base + ["--scheduler", scheduler, "--out", str(tmp_path / "s")],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 2, p.stderr
        assert p.stderr.strip().splitlines() == [
            'weightlapse sweep: error: sweeping on Dask needs the optional extra: '
            'pip install "weightlapse[dask]"']
        assert not (tmp_path / "s").exists()
    # and without --scheduler no extra is needed
    p = subprocess.run(base + ["--out", str(tmp_path / "s"), "--best", "0"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr


# -- a plain script, as the README writes it (issue 17, item 11) ------------------
def test_readme_example_runs_as_a_plain_script_on_the_pool(readme_sweep_script, tmp_path):
    """The README's example as written but on the process pool, in a script
    file with no __main__ guard: each worker would otherwise run it again."""
    readme_sweep_script(tmp_path, None)


# -- a live sweep is locked (issue 17, item 1) -------------------------------------
LONG = ["--dataset", "spiral", "--hidden", "16", "--batch-size", "4", "--epochs", "8",
        "--snapshot-every", "epoch", "--best", "0", "--jobs", "1"]


def _wait(check, what, timeout=120):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_live_sweep_and_a_second_resume_are_refused(tmp_path, run_cli):
    """A sweep in another process, then a resume in another process: while
    either lives, ``--resume`` here is refused in one line; after Ctrl-C
    the interrupted run continues from its checkpoint."""
    import signal
    sweep = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "weightlapse", "sweep"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([*cmd, *LONG, "--grid", "lr=0.01,0.02", "--out", str(tmp_path)],
                            stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    try:
        _wait(lambda: list(sweep.glob("*/checkpoint.npz")), "a first checkpoint")
        code, out, err, shown = run_cli(["sweep", "--resume", sweep])
        assert code == 2 and shown == [f"weightlapse sweep: error: {sweep} is being swept "
                                       f"by another process (process {proc.pid}); wait "
                                       "for it to end or stop it first"], err
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=60) == 130, proc.stderr.read()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    index = json.loads((sweep / "index.json").read_text())
    assert sorted(r["status"] for r in index["runs"]) == ["cancelled", "interrupted"]
    stopped = next(r["name"] for r in index["runs"] if r["status"] == "interrupted")
    run_id = wl.load_run(sweep / stopped).config["run_id"]
    proc = subprocess.Popen([*cmd, "--resume", str(sweep), "--best", "0"],
                            stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    try:
        _wait(lambda: json.loads((sweep / "index.json").read_text()).get("pid") == proc.pid,
              "the resume to own the sweep")
        code, out, err, shown = run_cli(["sweep", "--resume", sweep])
        assert code == 2 and len(shown) == 1 and "is being swept by another" in shown[0], err
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "training 2 of 2 runs again (1 from their checkpoints)" in err
    run = wl.load_run(sweep / stopped)
    assert run.status == "finished" and run.config["run_id"] == run_id and run.config["resumed"]


# -- any iterable as a grid value (issue 17, item 6) -------------------------------
def test_grid_values_may_be_any_iterable(tmp_path):
    grid = {"lr": (v for v in [0.3, 0.1]), "hidden": np.array([2, 3]),
            "epochs": range(1, 3)}
    result = wl.sweep(grid, dataset="xor", out=tmp_path, best=0, **QUIET)
    index = json.loads((result.path / "index.json").read_text())
    assert index["grid"] == {"lr": [0.3, 0.1], "hidden": [2, 3], "epochs": [1, 2]}
    assert "generator" not in (result.path / "index.json").read_text()
    assert len(result.runs) == 8 and not result.failed
    assert {r.settings["lr"] for r in result.runs} == {0.3, 0.1}


# -- the runner and the backends, directly (issue 17, review) ----------------------
def test_pool_backend_trains_reports_and_restores_the_environment(tmp_path):
    from weightlapse.sweeps.backends import BLAS_VARS, PoolBackend
    env = {k: os.environ.get(k) for k in BLAS_VARS}
    backend = PoolBackend(jobs=2, n_runs=2)
    try:
        assert backend.describe() == "2 worker processes" and backend.slots() == 2
        good = backend.submit(dict(dataset="xor", hidden=[2], epochs=1, out=str(tmp_path),
                                   name="good"))
        bad = backend.submit(dict(dataset="xor", hidden=[2], epochs=-1, out=str(tmp_path),
                                  name="bad"))
        done = set()
        while len(done) < 2:
            done |= backend.wait({good, bad} - done, 30)
        kind, res = backend.outcome(good)
        assert kind == "ok" and res["status"] == "finished"
        assert wl.load_run(res["path"]).status == "finished"
        kind, res = backend.outcome(bad)          # a failure is returned, not raised
        assert kind == "ok" and res["status"] == "failed" and "epochs" in res["message"]
    finally:
        backend.close()
    assert {k: os.environ.get(k) for k in BLAS_VARS} == env


def test_pool_backend_reports_a_dead_worker_as_lost(tmp_path):
    from weightlapse.sweeps.backends import PoolBackend
    backend = PoolBackend(jobs=1, n_runs=1)
    try:
        fut = backend.submit(dict(dataset="spiral", batch_size=4, epochs=500,
                                  out=str(tmp_path), name="x"))    # minutes: killed first
        _wait(lambda: (tmp_path / "x" / "metrics.csv").exists(), "the run to start")
        for pid in list(backend.pool._processes):
            os.kill(pid, 9)
        backend.wait({fut}, 60)
        assert backend.outcome(fut) == ("lost", "a worker process died")
        assert backend.pool is None        # the next submit starts a new pool
    finally:
        backend.close()


def test_workers_skip_main_hides_and_restores_the_script():
    import types
    from weightlapse.sweeps.script_guard import workers_skip_main
    main = sys.modules["__main__"]
    fake = types.ModuleType("__main__")
    fake.__file__, fake.__spec__ = "/somewhere/script.py", None
    sys.modules["__main__"] = fake
    try:
        from multiprocessing import spawn
        with workers_skip_main():
            data = spawn.get_preparation_data("w")
            assert "init_main_from_path" not in data and "init_main_from_name" not in data
        assert fake.__file__ == "/somewhere/script.py" and fake.__spec__ is None
        assert spawn.get_preparation_data("w")["init_main_from_path"] == "/somewhere/script.py"
    finally:
        sys.modules["__main__"] = main


def test_runner_drive_retries_a_lost_run_then_records_it(tmp_path):
    """_drive with a backend whose first attempt at each run is lost."""
    from weightlapse.sweeps import runner

    class Flaky:
        target = "shared"

        def __init__(self):
            self.seen, self.n = {}, 0

        def describe(self):
            return "a test backend"

        def slots(self):
            return 1

        def submit(self, task):
            self.n += 1
            self.seen[task["name"]] = self.seen.get(task["name"], 0) + 1
            return (self.n, task["name"])

        def wait(self, handles, timeout):
            return set(handles)

        def outcome(self, handle):
            if self.seen[handle[1]] == 1:
                return "lost", "its worker died"
            return "ok", {"status": "finished", "message": "", "seconds": 0.1}

        def attempts(self, handle):
            return None

    sweep = tmp_path / "s"
    sweep.mkdir()
    index = {"grid": {"lr": [0.1]}, "base": {}, "runs": [
        {"name": "a", "settings": {"lr": 0.1}}, {"name": "b", "settings": {"lr": 0.2}}]}
    backend = Flaky()
    lines = []
    runner._drive(backend, sweep, index, index["runs"], set(), 1, lines.append, False)
    assert backend.seen == {"a": 2, "b": 2}
    saved = json.loads((sweep / "index.json").read_text())
    assert [(r["status"], r["attempts"]) for r in saved["runs"]] == [("finished", 2)] * 2
    assert saved["pid"] == os.getpid()
    assert sum("training it again (attempt 2 of 2)" in ln for ln in lines) == 2
    index["runs"][0].update(status="pending")
    backend = Flaky()
    runner._drive(backend, sweep, index, index["runs"][:1], set(), 0, lines.append, False)
    rec = json.loads((sweep / "index.json").read_text())["runs"][0]
    assert rec["status"] == "failed" and rec["message"] == "its worker died (1 attempt)"


def test_read_index_refuses_a_run_listed_twice(tmp_path):
    from weightlapse.sweeps import SweepError, read_index
    (tmp_path / "index.json").write_text(json.dumps(
        {"runs": [{"name": "a", "settings": {}}, {"name": "a", "settings": {}}]}))
    with pytest.raises(SweepError, match="lists run a twice"):
        read_index(tmp_path)


# -- the sweep's figures (issue 17, item 15) ---------------------------------------
def _random_points(n=12, seed=0):
    rng = np.random.default_rng(seed)
    lr = np.exp(rng.uniform(np.log(0.02), np.log(0.7), n))
    acc = np.clip(1.05 - lr * 0.3 + rng.normal(0, 0.05, n), 0, 1)
    rows = [{"run": f"r{i}-{s}", "lr": float(lr[i]), "hidden": [8, 32][i % 2], "seed": s,
             "split": "val", "acc": float(min(1.0, acc[i] + 0.04 * s)),
             "loss": float(max(0.0, 0.02 + 0.3 * lr[i] * s - 0.05))}
            for i in range(n) for s in (0, 1)]
    return pd.DataFrame(rows)


def test_random_search_effects_label_a_log_axis_and_keep_bars_in_range():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(8.6, 6.9))
    canvas = FigureCanvasAgg(fig)
    points = _random_points()
    artists = draw_effects(points, ["lr", "hidden"], fig=fig, log_keys=["lr"],
                           sampled=["lr"])
    canvas.draw()
    for ax in fig.axes[::2]:           # the lr column: a log axis with several numbers
        lo, hi = ax.get_xlim()
        shown = [t for t in ax.xaxis.get_major_ticks()
                 if lo <= t.get_loc() <= hi and t.label1.get_text()]
        assert ax.get_xscale() == "log" and len(shown) >= 3, [t.label1.get_text()
                                                              for t in shown]
    for (metric, key), containers in artists.items():
        for c in containers:
            for seg in c.lines[2][0].get_segments():
                assert seg[0][1] >= 0 and (metric != "acc" or seg[1][1] <= 1 + 1e-12)
    # hidden's panel: the sampled lr varies from point to point, so no line per lr
    assert all(len(artists[(m, "hidden")]) == 1 for m in ("acc", "loss"))


def test_compare_colours_go_per_setting_not_per_seed(repeated):
    from weightlapse.viz.compare import differing_settings, setting_colours
    runs = repeated.runs
    keys = differing_settings(runs)
    assert "seed" in keys
    colours = setting_colours(runs, keys)
    by_setting = {}
    for run, (label, colour, n) in zip(runs, colours):
        key = (run.settings["lr"], run.settings["optimizer"])
        by_setting.setdefault(key, set()).add(colour)
        assert n == 2 and "seed" not in label
    assert all(len(c) == 1 for c in by_setting.values())              # seeds share one
    assert len(set().union(*by_setting.values())) == 4                  # settings differ


def test_a_sweeps_compare_draws_each_run_on_its_own_scales(repeated):
    from weightlapse.viz.compare import drawn_graphs
    from weightlapse.viz.draw_options import DrawOptions
    from weightlapse.viz.drawn import build_drawn_graph
    runs = repeated.runs[:4]
    own = drawn_graphs(runs, DrawOptions(), (500, 260), shared=False)
    shared = drawn_graphs(runs, DrawOptions(), (500, 260))
    for run, G, S in zip(runs, own, shared):
        alone = build_drawn_graph(run, DrawOptions(), (500, 260))
        assert G.graph["scales"] == alone.graph["scales"]
    assert any(G.graph["scales"] != S.graph["scales"] for G, S in zip(own, shared))
