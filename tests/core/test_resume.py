"""core/resume.py on its own: ``resume_run`` continues a run bit for bit, and
every check it makes refuses before anything in the run directory changes."""
import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core.errors import ConfigError, DataError, RunError
from weightlapse.core.resume import resume_run
from weightlapse.core.rundir import SNAPSHOTS, RunDir

SETTINGS = dict(dataset="moons", n_samples=200, hidden=[5], epochs=6, batch_size=32,
                lr=0.05, optimizer="adam", snapshot_every=4)


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """The run trained without a stop, to compare against."""
    return wl.train(out=tmp_path_factory.mktemp("whole"), name="whole", **SETTINGS)


def _stopped(out, stop_at, step=13, **kw):
    run = wl.train(out=out, name="cut", callbacks=[stop_at(step)], **{**SETTINGS, **kw})
    assert run.status == "interrupted"
    return run


def _files(run):
    return {p.name: p.read_bytes() for p in run.path.iterdir() if p.is_file()}


def test_resume_is_bit_for_bit_the_run_never_stopped(tmp_path, stop_at, whole):
    cut = _stopped(tmp_path, stop_at)
    done = resume_run(cut.path)
    assert done.status == "finished" and len(done.snapshots) == len(whole.snapshots)
    assert np.array_equal(done.snapshots.steps, whole.snapshots.steps)
    for a, b in zip(done.snapshots[-1].weights, whole.snapshots[-1].weights):
        assert np.array_equal(a, b)
    cols = ["epoch", "step", "train_loss", "train_acc", "val_loss", "val_acc"]
    assert done.metrics[cols].equals(whole.metrics[cols])
    assert done.config["resumed"][0]["from_step"] <= 13


def test_a_finished_run_extends_to_more_epochs(tmp_path, whole):
    run = wl.train(out=tmp_path, name="short", **SETTINGS)
    longer = resume_run(run.path, epochs=9)
    assert longer.info["epochs_completed"] == 9
    assert longer.snapshots.steps[-1] > whole.snapshots.steps[-1]


@pytest.mark.parametrize("change,error,fragment", [
    (dict(epochs=3), ConfigError, "pass epochs=N with N >= "),
    (dict(epochs=0), ConfigError, "epochs"),
    (dict(device="tpu"), ConfigError, "device"),
])
def test_a_length_or_device_that_cannot_be_is_refused_first(tmp_path, stop_at, change, error,
                                                            fragment):
    cut = _stopped(tmp_path, stop_at, step=30)
    before = _files(cut)
    with pytest.raises(error, match=fragment):
        resume_run(cut.path, **change)
    assert _files(cut) == before


def test_a_cosine_schedule_keeps_its_length(tmp_path, stop_at):
    cut = _stopped(tmp_path, stop_at, lr_schedule="cosine")
    before = _files(cut)
    with pytest.raises(ConfigError, match="anneals its learning rate over its 6 epochs"):
        resume_run(cut.path, epochs=10)
    assert _files(cut) == before
    assert resume_run(cut.path).status == "finished"      # its own length is fine


def test_snapshots_cut_short_are_refused(tmp_path, stop_at):
    cut = _stopped(tmp_path, stop_at)
    path = cut.path / SNAPSHOTS
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    before = _files(cut)
    with pytest.raises(RunError, match="cut short"):
        resume_run(cut.path)
    assert _files(cut) == before


def test_a_run_another_host_is_training_is_refused(tmp_path, stop_at):
    cut = _stopped(tmp_path, stop_at)
    files = RunDir(cut.path)
    files.write_status({**files.read_status(), "status": "running", "pid": 1,
                        "host": "elsewhere.example"})
    before = _files(cut)
    with pytest.raises(RunError, match="is being trained by process 1 on elsewhere.example"):
        resume_run(cut.path)
    assert _files(cut) == before


def test_an_arrays_run_needs_the_same_arrays(tmp_path, stop_at):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(120, 3)), rng.integers(0, 2, 120)
    kw = dict(hidden=[4], epochs=5, batch_size=20, snapshot_every=3, out=tmp_path)
    cut = wl.train(X, y, name="arr", callbacks=[stop_at(7)], **kw)
    before = _files(cut)
    with pytest.raises(ConfigError, match="trained on arrays: resume it from Python"):
        resume_run(cut.path)
    with pytest.raises(DataError, match="same shape, other values"):
        resume_run(cut.path, X=X + 1, y=y)
    with pytest.raises(DataError, match="n_features"):
        resume_run(cut.path, X=X[:, :2], y=y)
    assert _files(cut) == before
    assert resume_run(cut.path, X=X, y=y).status == "finished"


def test_a_run_recorded_from_another_framework_is_refused(tmp_path, stop_at):
    cut = _stopped(tmp_path, stop_at)
    files = RunDir(cut.path)
    files.write_config({**files.read_config(),
                        "recorded_from": {"framework": "pytorch", "version": "2.0"}})
    with pytest.raises(RunError, match="recorded from PyTorch 2.0 and cannot be resumed"):
        resume_run(cut.path)
