"""--device cpu|gpu: one engine over an array module (NumPy or CuPy).

Always run: the CPU path through the xp code, the device setting in
config.json and on resume, the GPU run's bookkeeping (sums read back only at
checks) run on NumPy, and the one-line errors when CuPy or a GPU is missing.
Run where CuPy sees a CUDA GPU, skipped elsewhere with the reason: a float64
GPU run equals the CPU run from the same snapshot 0 for every optimizer, and
a run resumes across devices.
"""
import json
import subprocess
import sys
import tempfile
from types import SimpleNamespace

import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core import backend
from weightlapse.core.backend import array_module, to_host
from weightlapse.core.evaluation import RunningMetrics
from weightlapse.core.model import MLP
from weightlapse.core.optim import OPTIMIZERS, make_optimizer
from weightlapse.core.pipeline import _check_every
from weightlapse.core.schedule import planned
from weightlapse.core.recorder import Recorder
from weightlapse.core.snapshots import FILENAME, SnapshotSequence, layout
from weightlapse.core.trainer import Trainer


def _why_no_gpu():
    """None where CuPy imports and sees a CUDA device, else the reason."""
    try:
        import cupy
    except ImportError as e:
        return f"CuPy is not installed ({e})"
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # noqa: BLE001 - CUDARuntimeError without a driver
        return f"CuPy sees no GPU ({type(e).__name__}: {str(e).splitlines()[0]})"
    return None if n else "CuPy sees no GPU"


NO_GPU = _why_no_gpu()
needs_gpu = pytest.mark.skipif(NO_GPU is not None, reason=f"needs CuPy and a GPU: {NO_GPU}")


def _cupy_imports():
    try:
        import cupy  # noqa: F401
        return True
    except ImportError:
        return False


# -- the CPU path through the xp code ---------------------------------------

def test_cpu_is_numpy_throughout():
    assert array_module("cpu") is np
    model = MLP([3, 5, 2], dropout=0.3, device="cpu")
    assert model.xp is np and model.loss.xp is np
    assert all(layer.xp is np for layer in model.layers)
    assert all(type(p) is np.ndarray for p in model.params.values())
    assert model.host_params() is model.params          # no copy on the CPU
    assert make_optimizer("adam", 0.1).xp is np
    a = np.arange(3.0)
    assert to_host(a) is a


def test_cpu_runs_never_import_cupy(tmp_path, monkeypatch):
    """core imports CuPy only for device gpu: with CuPy unimportable, CPU
    training, resuming and drawing work."""
    monkeypatch.setitem(sys.modules, "cupy", None)
    monkeypatch.setattr(backend, "_GPU", None)        # forget a CuPy found earlier
    run = wl.train(dataset="spiral", n_samples=200, hidden=[8], epochs=2, out=tmp_path)
    assert run.status == "finished"
    assert wl.train(resume=run.path, epochs=3, device="cpu").status == "finished"
    with pytest.raises(wl.WeightlapseError, match="device=gpu needs CuPy"):
        array_module("gpu")


def test_unknown_device_is_one_line(tmp_path):
    with pytest.raises(wl.WeightlapseError, match="unknown device 'tpu'; choose one of cpu, gpu"):
        wl.train(dataset="spiral", device="tpu", out=tmp_path)
    assert list(tmp_path.iterdir()) == []
    proc = subprocess.run([sys.executable, "-m", "weightlapse", "train", "--dataset", "spiral",
                           "--device", "tpu", "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--device" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


SMALL = dict(dataset="spiral", n_samples=300, hidden=[16, 16], batch_size=32, epochs=4,
             optimizer="adam", dropout=0.2, snapshot_every=5, seed=4)


def _same_run(a, b, rel=0.0):
    """Snapshots equal (bit for bit, or to ``rel`` relative per array) and the
    same metrics rows."""
    assert np.array_equal(a.snapshots.steps, b.snapshots.steps)
    for x, y in zip(a.snapshots, b.snapshots):
        for u, v in zip(x.weights + x.biases, y.weights + y.biases):
            if rel:
                assert np.linalg.norm(u - v) <= rel * max(np.linalg.norm(v), 1e-300)
            else:
                assert np.array_equal(u, v)
    cols = [c for c in a.metrics.columns if c != "elapsed_s"]
    ma, mb = a.metrics[cols], b.metrics[cols]
    assert list(ma["step"]) == list(mb["step"])
    np.testing.assert_allclose(ma.to_numpy(float), mb.to_numpy(float), rtol=rel or 0,
                               atol=rel or 0)


def test_device_is_recorded_and_resume_may_change_it(tmp_path):
    ref = wl.train(out=tmp_path, name="ref", **SMALL)
    assert ref.config["settings"]["training"]["device"] == "cpu"
    short = wl.train(out=tmp_path, name="short", **{**SMALL, "epochs": 2})
    resumed = wl.train(resume=short.path, epochs=4, device="cpu")
    _same_run(ref, resumed)
    assert resumed.config["settings"]["training"]["device"] == "cpu"
    with pytest.raises(wl.WeightlapseError, match="only epochs and device may change"):
        wl.train(resume=short.path, epochs=5, dtype="float64")


def _fit(tmp, read_back, lr=0.05, epochs=3, every=4, trainer=Trainer):
    """A run through the trainer and recorder with the given read-back mode
    (divergence checks at the snapshot steps, as the pipeline sets them)."""
    X = np.random.default_rng(0).normal(size=(200, 4)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    sizes = [4, 12, 2]
    model = MLP(sizes, dtype="float32", dropout=0.1, rng=np.random.default_rng(1),
                dropout_rng=np.random.default_rng(2))
    rec = Recorder(tmp, sizes, np.float32, every)
    # The recorder keeps the running sums: as device scalars in the GPU's way.
    rec.running = RunningMetrics(True, xp=np, host=read_back == "step")
    t = trainer(model, make_optimizer("sgd", lr), X[:160], y[:160], X[160:], y[160:],
                epochs=epochs, batch_size=16, rng=np.random.default_rng(3), callbacks=[rec],
                read_back=read_back)
    t.check_every = _check_every(SimpleNamespace(snapshot_every=every), t.total_steps,
                                 t.steps_per_epoch)
    t.fit()
    snaps = SnapshotSequence(f"{tmp}/{FILENAME}", layout(sizes), np.float32)
    rows = open(f"{tmp}/metrics.csv").read().splitlines()
    return t, snaps, rows, rec.running


def test_gpu_bookkeeping_on_numpy_matches_per_step():
    """The GPU's way (running sums as device scalars, read back at checks
    and evaluations) records the same run as reading the loss every step."""
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        ta, sa, ra, ma = _fit(a, "step")
        tb, sb, rb, mb = _fit(b, "checks")
        assert type(ma.loss_sum) is float and type(mb.loss_sum) is np.ndarray
        assert ta.status == tb.status == "finished"
        assert len(sa) == len(sb) > 3
        for x, y in zip(sa, sb):
            assert x.step == y.step and np.array_equal(x.params, y.params)
        assert len(ra) == len(rb)
        for la, lb in zip(ra[1:], rb[1:]):
            va, vb = la.split(","), lb.split(",")
            assert va[:2] == vb[:2] and va[3] == vb[3]               # epoch, step, train_acc
            assert float(va[2]) == pytest.approx(float(vb[2]), rel=1e-6)  # train_loss
            assert va[4:7] == vb[4:7]                                # val loss/acc, lr
        assert ma.state()[1:] == mb.state()[1:]


class CountingChecks(Trainer):
    """The trainer, noting the steps at which it reads the loss back."""
    def _finite_since_check(self):
        self.checked = getattr(self, "checked", []) + [self.step]
        return super()._finite_since_check()


@pytest.mark.parametrize("every", ["auto", "log"])
def test_gpu_checks_at_every_snapshot_of_a_planned_schedule(every):
    """auto and log: the loss is read back at each snapshot step (and the
    epoch ends), not at every step."""
    with tempfile.TemporaryDirectory() as d:
        t, snaps, _, _ = _fit(d, "checks", epochs=20, every=every, trainer=CountingChecks)
        ends = set(range(10, 201, 10))
        assert set(t.checked) == set(planned(every, 200, 10)[1:]) | ends
        assert len(t.checked) < 130 and [s.step for s in snaps] == list(planned(every, 200, 10))


def test_gpu_divergence_check_records_nothing_non_finite():
    """Checked only every few steps, a divergence still stops the run before
    any non-finite weights reach a snapshot or the checkpoint."""
    with tempfile.TemporaryDirectory() as d:
        t, snaps, rows, _ = _fit(d, "checks", lr=1e30, epochs=5, every=4)
        assert t.status == "diverged" and not t.consistent
        assert "between steps 1 and 4" in t.message and "lower learning rate" in t.message
        assert len(snaps) >= 1
        assert all(np.isfinite(s.params).all() for s in snaps)
        status = json.loads(open(f"{d}/status.json").read())
        assert status["status"] == "diverged"
        assert all("nan" not in r and "inf" not in r for r in rows)


# -- without CuPy or a GPU: one line, exit 2, nothing written ---------------

NO_CUPY = """
import sys
sys.modules["cupy"] = None      # CuPy made unimportable, as on a machine without it
from weightlapse.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _cli(code, *args):
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)


def _one_line_exit_2(proc, *needles):
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    for n in needles:
        assert n in err, err


def test_gpu_without_cupy_says_so(tmp_path):
    proc = _cli(NO_CUPY, "train", "--dataset", "spiral", "--device", "gpu",
                "--out", str(tmp_path / "runs"))
    _one_line_exit_2(proc, "--device gpu needs CuPy", 'pip install "weightlapse[gpu]"')
    assert not (tmp_path / "runs").exists()          # nothing half-written


def test_resume_on_gpu_without_cupy_leaves_the_run_untouched(tmp_path):
    run = wl.train(out=tmp_path, name="r", **{**SMALL, "epochs": 2})
    before = {p.name: p.read_bytes() for p in run.path.iterdir()}
    proc = _cli(NO_CUPY, "train", "--resume", str(run.path), "--epochs", "4",
                "--device", "gpu")
    _one_line_exit_2(proc, "--device gpu needs CuPy")
    assert {p.name: p.read_bytes() for p in run.path.iterdir()} == before


def test_sweep_on_gpu_without_cupy_fails_once(tmp_path):
    proc = _cli(NO_CUPY, "sweep", "--dataset", "spiral", "--epochs", "1", "--grid",
                "device=cpu,gpu", "--out", str(tmp_path / "runs"))
    _one_line_exit_2(proc, "--device gpu needs CuPy")
    assert not (tmp_path / "runs").exists()


@pytest.mark.skipif(not _cupy_imports() or NO_GPU is None,
                    reason="needs CuPy installed on a machine without a usable GPU")
def test_gpu_with_cupy_but_no_gpu_says_so(tmp_path):
    proc = _cli("from weightlapse.cli import main; import sys; sys.exit(main(sys.argv[1:]))",
                "train", "--dataset", "spiral", "--device", "gpu", "--out", str(tmp_path / "r"))
    _one_line_exit_2(proc, "--device gpu needs a usable CUDA GPU, but CuPy found none",
                     "use --device cpu")
    assert not (tmp_path / "r").exists()
    with pytest.raises(wl.WeightlapseError, match="needs a usable CUDA GPU"):
        MLP([2, 3, 2], device="gpu")


# -- on a GPU ------------------------------------------------------------------

FULL_BATCH = dict(dataset="spiral", n_samples=300, hidden=[16, 16], batch_size=0, epochs=8,
                  dtype="float64", lr=0.05, val_fraction=0.2, snapshot_every=2, seed=1)


@needs_gpu
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_gpu_full_batch_float64_equals_cpu(tmp_path, optimizer):
    cpu = wl.train(out=tmp_path, name="cpu", optimizer=optimizer, device="cpu", **FULL_BATCH)
    gpu = wl.train(out=tmp_path, name="gpu", optimizer=optimizer, device="gpu", **FULL_BATCH)
    assert gpu.status == "finished" and gpu.config["settings"]["training"]["device"] == "gpu"
    assert np.array_equal(cpu.snapshots[0].params, gpu.snapshots[0].params)  # same start
    _same_run(gpu, cpu, rel=1e-10)


@needs_gpu
def test_gpu_minibatch_dropout_equals_cpu(tmp_path):
    """Shuffles and dropout masks come from the host's generators: the GPU
    run drops the same units in the same batches."""
    s = {**SMALL, "dtype": "float64"}
    _same_run(wl.train(out=tmp_path, name="g", device="gpu", **s),
              wl.train(out=tmp_path, name="c", device="cpu", **s), rel=1e-10)


@needs_gpu
@pytest.mark.parametrize("first,then", [("gpu", "cpu"), ("cpu", "gpu")])
def test_resume_across_devices(tmp_path, first, then):
    s = {**SMALL, "dtype": "float64"}
    ref = wl.train(out=tmp_path, name="ref", device="cpu", **s)
    short = wl.train(out=tmp_path, name="short", device=first, **{**s, "epochs": 2})
    resumed = wl.train(resume=short.path, epochs=4, device=then)
    assert resumed.status == "finished"
    assert resumed.config["settings"]["training"]["device"] == then
    _same_run(resumed, ref, rel=1e-10)


@needs_gpu
def test_gpu_float32_run_draws_and_diverges_cleanly(tmp_path):
    run = wl.train(out=tmp_path, name="f32", device="gpu", **SMALL)
    assert run.status == "finished" and run.snapshots[-1].params.dtype == np.float32
    wl.figure(run, tmp_path / "final.png")          # viz reads a GPU run unchanged
    assert (tmp_path / "final.png").stat().st_size > 0
    bad = wl.train(out=tmp_path, name="bad", device="gpu", **DIVERGING)
    assert bad.status == "diverged"
    assert all(np.isfinite(s.params).all() for s in bad.snapshots)


# Plain SGD at a learning rate inside the lr setting's bounds (0, 1e6) that
# still overflows float32 within the first epoch.
DIVERGING = {**SMALL, "optimizer": "sgd", "lr": 1e5, "dropout": 0.0}


def test_the_gpu_divergence_settings_diverge_within_the_settings_bounds(tmp_path):
    """What the GPU test above relies on, checked on every machine: the
    settings pass validation and the run diverges (on the CPU at the step)."""
    bad = wl.train(out=tmp_path, name="bad", device="cpu", **DIVERGING)
    assert bad.status == "diverged" and bad.info["steps"] < 10
    assert all(np.isfinite(s.params).all() for s in bad.snapshots)


def test_progress_bar_reads_the_loss_only_when_it_shows_it():
    """On a GPU reading ``last_loss`` waits for the GPU: the bar must not
    read it every step, only when it writes a line (here: at the end)."""
    import io

    from weightlapse.progress import ProgressBar

    class T:
        total_steps, step, epoch_float, status, reads = 50, 0, 0.0, "finished", 0

        @property
        def last_loss(self):
            T.reads += 1
            return 0.5

    buf, t = io.StringIO(), T()
    bar = ProgressBar(file=buf, every=3600)
    bar.on_train_start(t)
    for i in range(1, 51):
        t.step = i
        bar.on_step_end(t)
    assert T.reads == 0
    bar.on_train_end(t)
    assert T.reads == 1 and "loss 0.5000" in buf.getvalue()
