"""Sweeps on real Dask clusters: a LocalCluster, and a scheduler with two
workers started here on 127.0.0.1 (real TCP), one of which is killed mid-run."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip(
    "distributed", reason='Dask is an optional extra: pip install "weightlapse[dask]"')

import weightlapse as wl  # noqa: E402
from weightlapse.cli import main  # noqa: E402

QUIET = dict(log=lambda m: None)
# Runs long enough (a few seconds each) for a kill to land mid-run.
LONG = ["--dataset", "spiral", "--hidden", "16", "--batch-size", "4", "--epochs", "10",
        "--snapshot-every", "epoch", "--best", "0"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Cluster:
    """``dask scheduler`` and ``dask worker`` processes, each in its own
    process group so a kill takes the whole process."""

    def __init__(self, root: Path):
        self.root, self.procs = root, {}
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                    "MKL_NUM_THREADS": "1"}

    def spawn(self, name, args, env=None):
        log = open(self.root / f"{name}.log", "w")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "dask", *args], stdout=log, stderr=subprocess.STDOUT,
            env=env or self.env, start_new_session=True)

    def start(self, workers=2):
        self.spawn("scheduler", ["scheduler", "--host", "127.0.0.1", "--port",
                                 str(self.port), "--no-dashboard"])
        for k in range(workers):
            tmp = self.root / f"w{k}"
            tmp.mkdir()
            # Each worker's temporary folder is its own: the test sees which
            # run a worker is training by looking there.
            self.spawn(f"w{k}", ["worker", self.address, "--nthreads", "1", "--no-nanny",
                                 "--no-dashboard", "--name", f"w{k}", "--local-directory",
                                 str(tmp)], env={**self.env, "TMPDIR": str(tmp)})
        with distributed.Client(self.address, timeout=60) as client:
            wait_for(lambda: len(client.scheduler_info()["workers"]) == workers, 60,
                     f"{workers} workers to register")

    def kill(self, name):
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(timeout=30)

    def stop(self):
        for p in self.procs.values():
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(timeout=30)


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    try:
        c.start()
        yield c
    finally:
        c.stop()


def training_on(cluster, worker):
    """The name of the run ``worker`` trains, once it has recorded 3 rows."""
    for f in (cluster.root / worker).glob("weightlapse-sweep-*/*/metrics.csv"):
        if f.read_text().count("\n") >= 3:
            return f.parent.name
    return None


def sweep_process(cluster, out, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "weightlapse", "sweep", *LONG, "--grid", "lr=0.01,0.03",
         "--scheduler", cluster.address, "--out", str(out), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cluster.env,
        start_new_session=True)


def finish(proc, timeout=180):
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise


def sweep_killing_w0(cluster, out, *extra):
    """A sweep on the cluster whose worker w0 is killed while it trains a run:
    (the finished sweep process, the run w0 was training, its stderr)."""
    proc = sweep_process(cluster, out, *extra)
    try:
        victim = wait_for(lambda: training_on(cluster, "w0"), 120, "w0 to train a run")
        cluster.kill("w0")
        _, err = finish(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return proc, victim, err


def test_worker_killed_mid_run_is_retried(cluster, tmp_path):
    proc, victim, err = sweep_killing_w0(cluster, tmp_path / "out")
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    sweep = tmp_path / "out" / "sweep"
    index = json.loads((sweep / "index.json").read_text())
    runs = {r["name"]: r for r in index["runs"]}
    assert {r["status"] for r in runs.values()} == {"finished"}
    assert runs[victim]["attempts"] == 2
    assert f"{victim}: finished" in err and "attempt 2" in err
    for name in runs:        # sent back whole: every run complete and readable here
        run = wl.load_run(sweep / name)
        assert run.status == "finished" and len(run.snapshots) == 11
        assert run.config["settings"]["recording"]["out"] == str(sweep.resolve())
    assert sorted(p.name for p in sweep.iterdir() if p.name.startswith(".")) == []


def test_worker_killed_without_retries_is_reported_then_resumed(cluster, tmp_path):
    proc, victim, err = sweep_killing_w0(cluster, tmp_path / "out", "--retries", "0")
    assert proc.returncode == 0, err       # one run finished: the sweep succeeded in part
    assert f"run {victim} did not finish: its worker died (1 attempt)" in err
    sweep = tmp_path / "out" / "sweep"
    index = json.loads((sweep / "index.json").read_text())
    status = {r["name"]: r["status"] for r in index["runs"]}
    assert status[victim] == "failed" and sorted(status.values()) == ["failed", "finished"]
    # the remaining worker trains it again, writing straight into the sweep
    # folder (shared_out: here it is the same disk); the finished run is kept
    other = next(n for n in status if n != victim)
    stamp = (sweep / other / "snapshots.bin").stat().st_mtime_ns
    result = wl.sweep(resume=sweep, scheduler=cluster.address, shared_out=True, best=0,
                      **QUIET)
    assert not result.failed and len(result.runs) == 2
    assert (sweep / other / "snapshots.bin").stat().st_mtime_ns == stamp
    assert wl.load_run(sweep / victim).status == "finished"
    assert not list((cluster.root / "w1").glob("weightlapse-sweep-*/*"))  # not via tmp


def test_local_cluster_of_two_workers_runs_a_sweep(tmp_path):
    env = dict(os.environ)
    result = wl.sweep({"lr": [0.3, 0.03], "optimizer": ["sgd", "adam"]}, scheduler="local",
                      jobs=2, dataset="xor", hidden=[3], epochs=2, out=tmp_path, best=0,
                      **QUIET)
    assert len(result.runs) == 4 and not result.failed
    index = json.loads((result.path / "index.json").read_text())
    assert [r["status"] for r in index["runs"]] == ["finished"] * 4
    assert all(r["attempts"] == 1 for r in index["runs"])
    for run in result.runs:  # local workers write into the sweep folder themselves
        assert run.path.parent == result.path
        assert run.config["settings"]["recording"]["out"] == str(result.path.resolve())
    assert (result.path / "effects.png").exists() and (result.path / "table.csv").exists()
    # The nannies wrote their workers' settings (BLAS threads, malloc trim, hash
    # seed) into this process's environment; the backend put it back.
    assert dict(os.environ) == env


def test_a_run_keeps_its_memory_on_a_worker_that_trims_it():
    """A Dask nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536: every
    freed array goes back to the system and faults in again. roomy_malloc
    keeps it for the run and restores the worker's setting after."""
    code = """if True:
        import resource, numpy as np
        from weightlapse.sweeps.tasks import roomy_malloc
        def faults():
            f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            for _ in range(200):
                a = np.ones(1 << 18)        # 2 MB, freed each time round
                del a
            return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
        before = faults()
        with roomy_malloc():
            faults()                        # the heap grows once
            during = faults()
        print(before, during, faults())
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"}, check=True)
    before, during, after = map(int, out.stdout.split())
    assert before > 20000 and during < before / 20 and after > before / 2, out.stdout


@pytest.mark.parametrize("address,match", [
    ("tcp://127.0.0.1:{port}", "cannot reach the Dask scheduler"),
    ("nonsense://127.0.0.1:1", "cannot reach the Dask scheduler"),
    ("127.0.0.1:notaport", "cannot reach the Dask scheduler"),
])
def test_unreachable_scheduler_is_one_line(tmp_path, capsys, address, match):
    address = address.format(port=free_port())
    t0 = time.monotonic()
    code = main(["sweep", "--dataset", "xor", "--grid", "lr=0.1,0.2", "--scheduler", address,
                 "--connect-timeout", "1", "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and match in err, err
    assert address in err and not (tmp_path / "s").exists()
    assert time.monotonic() - t0 < 30


def test_jobs_with_an_address_is_refused(tmp_path):
    with pytest.raises(wl.WeightlapseError, match="jobs is for local workers"):
        wl.sweep({"lr": [0.1]}, dataset="xor", scheduler="tcp://127.0.0.1:1", jobs=2,
                 connect_timeout=1, out=tmp_path, **QUIET)


def test_ctrl_c_stops_a_local_cluster_sweep_and_keeps_its_runs(tmp_path, process_group_gone):
    """SIGINT to the whole process group, as a terminal's Ctrl-C sends it: the
    local workers ignore it, the client stops the runs and keeps them."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "weightlapse", "sweep", *LONG, "--epochs", "200",
         "--grid", "lr=0.01,0.02,0.03", "--scheduler", "local", "--jobs", "2",
         "--out", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        wait_for(lambda: len([f for f in tmp_path.glob("sweep/*/metrics.csv")
                              if f.read_text().count("\n") >= 2]) == 2, 120,
                 "both workers to train")
        os.killpg(proc.pid, signal.SIGINT)
        out, err = finish(proc, timeout=90)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    sweep = tmp_path / "sweep"
    index = json.loads((sweep / "index.json").read_text())
    assert sorted(r["status"] for r in index["runs"]) == ["cancelled", "interrupted",
                                                          "interrupted"], index
    for rec in index["runs"]:
        if rec["status"] == "interrupted":   # kept, resumable
            run = wl.load_run(sweep / rec["name"])
            assert run.status == "interrupted" and (run.path / "checkpoint.npz").exists()
    process_group_gone(proc.pid, 100)  # no worker left behind


def test_readme_example_runs_as_a_plain_script_on_a_local_cluster(readme_sweep_script, tmp_path):
    """The README's example as written (scheduler="local"), in a script file
    with no __main__ guard: each worker would otherwise run it again."""
    readme_sweep_script(tmp_path, "local")


def test_resume_reaches_the_scheduler_before_it_announces(tmp_path, run_cli, tree):
    """An unreachable scheduler on --resume: one line, no 'resuming ...'
    before it, and the sweep as it was."""
    result = wl.sweep({"lr": [0.1, 0.2, 0.3]}, dataset="xor", hidden=[2], epochs=1,
                      out=tmp_path, best=0, **QUIET)
    import shutil
    for run in result.runs:             # gone: to be trained again
        shutil.rmtree(run.path)
    before = tree(tmp_path)
    code, out, err, shown = run_cli(["sweep", "--resume", result.path, "--scheduler",
                                     f"tcp://127.0.0.1:{free_port()}", "--connect-timeout",
                                     "1"])
    assert code == 2 and len(shown) == 1 and "cannot reach the Dask scheduler" in shown[0], err
    assert "resuming" not in err
    assert tree(tmp_path) == before


def test_an_interrupted_run_continues_on_a_cluster_that_cannot_see_the_sweep(
        cluster, tmp_path, stop_at):
    """The run travels to the worker packed, continues from its checkpoint
    there and comes back whole: same run id, its first rows kept."""
    import shutil
    settings = dict(dataset="moons", hidden=[4], epochs=4, batch_size=50,
                    snapshot_every="epoch")
    result = wl.sweep({"lr": [0.1, 0.05]}, out=tmp_path, best=0, **QUIET, **settings)
    sweep = result.path
    shutil.rmtree(sweep / "lr=0.05")
    before = wl.train(lr=0.05, out=sweep, name="lr=0.05", callbacks=[stop_at(30)], **settings)
    assert before.status == "interrupted"
    meta, _ = before.files.read_checkpoint(before.config)
    rows = before.files.metrics_up_to(meta["row_step"], meta.get("rows"))
    index = json.loads((sweep / "index.json").read_text())
    index["runs"][1]["status"] = "interrupted"
    (sweep / "index.json").write_text(json.dumps(index))
    messages = []
    result = wl.sweep(resume=sweep, scheduler=cluster.address, best=0, log=messages.append)
    assert "(1 from their checkpoints)" in messages[0] and not result.failed
    after = wl.load_run(sweep / "lr=0.05")
    assert after.status == "finished" and after.config["run_id"] == before.config["run_id"]
    assert after.config["resumed"] and after.files.metrics_text().startswith(rows)
    assert after.config["settings"]["recording"]["out"] == str(sweep)
    assert not [p for p in sweep.iterdir() if p.name.startswith(".")]
