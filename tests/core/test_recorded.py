"""core/recorded.py without any framework: a Chain over NumPy arrays that a
fake training changes, recorded step by step (cadence, epoch dating, rows,
endings), and the run it writes read back."""
import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core.errors import ConfigError, RunError
from weightlapse.core.recorded import Chain, ExternalRecorder
from weightlapse.core.schedule import auto_due


class Net:
    """3-4-2 weights in snapshot layout; ``train()`` changes them like a step."""

    def __init__(self):
        rng = np.random.default_rng(0)
        self.params = [rng.normal(size=(3, 4)), np.zeros(4), rng.normal(size=(4, 2)), np.zeros(2)]
        self.changed = False

    def train(self):
        for p in self.params:
            p += 0.01

    def chain(self):
        def check():
            if self.changed:
                raise RunError("the model changed during training")
        return Chain([3, 4, 2], "tanh", "float64", ["l0", "l1"],
                     read=lambda: self.params, check=check,
                     details={"framework": "pytorch", "version": "9.9"},
                     training={"optimizer": "sgd", "lr": 0.1}, lr=lambda: 0.1)


def record(tmp_path, epochs, steps, **kw):
    net = Net()
    rec = ExternalRecorder(net.chain(), out=tmp_path, **kw)
    for _ in range(epochs):
        for _ in range(steps):
            net.train()
            rec.step()
        rec.epoch_end({"train_loss": 1.0, "val_acc": np.float32(0.5)})
    return net, rec


def test_every_n_steps_dates_the_first_epoch_at_its_end(tmp_path):
    net, rec = record(tmp_path, 3, 5, every=2, name="r")
    rec.close()
    run = wl.load_run(tmp_path / "r")
    assert list(run.snapshots.steps) == [0, 2, 4, 6, 8, 10, 12, 14, 15]
    np.testing.assert_allclose(run.snapshots.epochs,
                               [0, 0.4, 0.8, 1.2, 1.6, 2, 2.4, 2.8, 3])
    for a, b in zip(run.snapshots[-1].weights + run.snapshots[-1].biases,
                    net.params[0::2] + net.params[1::2]):
        np.testing.assert_array_equal(a, b)
    m = run.metrics
    assert list(m["step"]) == [0, 5, 10, 15] and list(m["epoch"]) == [0, 1, 2, 3]
    assert list(m["val_acc"][1:]) == [0.5] * 3 and (m["lr"] == 0.1).all()
    assert run.status == "finished" and run.info["snapshots"] == 9
    assert run.info["final_metrics"]["train_loss"] == 1.0
    assert run.recorded_from == {"framework": "pytorch", "version": "9.9"}
    assert run.settings == {"task": "classification", "hidden": [4], "activation": "tanh",
                            "dtype": "float64", "optimizer": "sgd", "lr": 0.1,
                            "snapshot_every": 2, "out": str(tmp_path), "name": "r"}


def test_epoch_and_auto_cadence(tmp_path):
    _, rec = record(tmp_path, 2, 5, name="e")
    rec.close()
    assert list(wl.load_run(tmp_path / "e").snapshots.steps) == [0, 5, 10]
    # auto: every step at first, then gaps of about step/16, and each epoch end
    due, last = [], 0
    for step in range(1, 2001):
        if auto_due(step, last):
            due.append(step)
            last = step
    assert due[:31] == list(range(1, 32)) and 90 < len(due) < 110
    assert all(b - a <= max(1, b // 16) + 1 for a, b in zip(due, due[1:]))
    _, rec = record(tmp_path, 2, 40, every="auto", name="a")
    rec.close()
    steps = list(wl.load_run(tmp_path / "a").snapshots.steps)
    assert steps[:17] == list(range(17)) and {40, 80} <= set(steps)


def test_endings(tmp_path):
    net, rec = record(tmp_path, 1, 3, every=1, name="f")
    net.train()
    rec.step()
    rec.fail(ValueError("boom"))
    run = wl.load_run(tmp_path / "f")
    assert run.status == "failed" and run.info["message"] == "ValueError: boom (at step 4, " \
        "epoch 2)" and list(run.snapshots.steps) == [0, 1, 2, 3, 4]
    net, rec = record(tmp_path, 1, 3, every=1, name="d")
    net.params[2][1, 1] = np.inf
    net.train()
    with pytest.warns(RuntimeWarning, match="the weights of l1 became non-finite between "
                      "steps 3 and 4"):
        rec.step()
    rec.step()                      # nothing more is recorded
    rec.close()
    run = wl.load_run(tmp_path / "d")
    assert run.status == "diverged" and list(run.snapshots.steps) == [0, 1, 2, 3]
    net, rec = record(tmp_path, 1, 2, every=1, name="c")
    net.changed = True
    with pytest.raises(RunError, match="the model changed"):
        rec.step()
    run = wl.load_run(tmp_path / "c")
    assert run.status == "failed" and list(run.snapshots.steps) == [0, 1, 2]
    with pytest.raises(RunError, match="this recorder is closed"):
        rec.epoch_end({})


def test_nothing_is_written_for_bad_arguments(tmp_path):
    for kw in (dict(every=0), dict(image_shape=(2, 2)), dict(class_names=["a"]),
               dict(task="ranking"), dict(dataset=3), dict(probe=np.ones((2, 2))),
               dict(out=None), dict(out=b"bytes"),
               dict(probe=np.full((2, 3), np.nan))):
        kw.setdefault("out", tmp_path / "out")
        with pytest.raises(ConfigError):
            ExternalRecorder(Net().chain(), **kw)
    assert not (tmp_path / "out").exists()


def test_probe_round_trip(tmp_path):
    X = np.arange(600 * 3, dtype=np.float64).reshape(600, 3)
    rec = ExternalRecorder(Net().chain(), out=tmp_path, name="p",
                           probe=(X, np.arange(600) % 2))
    rec.close()
    run = wl.load_run(tmp_path / "p")
    Xp, yp = run.files.read_probe(3)
    assert Xp.dtype == np.float32 and Xp.shape == (512, 3) and yp.shape == (512,)
    np.testing.assert_array_equal(Xp, X[:512])
    assert yp.dtype == np.int64
    run.files.write_probe(X[:4])
    assert run.files.read_probe(3)[1] is None
    with pytest.raises(ValueError):
        run.files.write_probe(X)    # more than 512 rows: the recorder keeps the first 512
