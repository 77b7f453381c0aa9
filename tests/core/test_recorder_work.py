"""The recorder's shortcuts (issue 17 item 19): work done once where it was
done twice, and per-step calls skipped where they have nothing to do, each
recording exactly what the long way records."""
import numpy as np

import weightlapse.core.health_record as hr
from weightlapse.core.evaluation import sample_rows, seeded_sample
from weightlapse.core.model import MLP
from weightlapse.core.optim import make_optimizer
from weightlapse.core.recorder import Recorder
from weightlapse.core.rundir import RunDir
from weightlapse.core.trainer import Trainer


def _data(n=300, seed=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


def _train(out, recorder=Recorder, every="epoch", epochs=3, val=True):
    X, y = _data()
    Xv, yv = (X[:40], y[:40]) if val else (None, None)
    model = MLP([3, 6, 5, 2], "relu", "he", "float64", rng=np.random.default_rng(1))
    out.mkdir(parents=True, exist_ok=True)
    rd = RunDir(out)
    rec = recorder(rd, model.sizes, model.dtype, every)
    Trainer(model, make_optimizer("adam", 0.02), X, y, Xv, yv, epochs=epochs, batch_size=7,
            rng=np.random.default_rng(0), callbacks=[rec]).fit()
    return rd, model


def test_header_and_first_probe_record_share_one_forward_pass(tmp_path, monkeypatch):
    calls = []
    real = hr.hidden_activations

    def counted(model, X):
        calls.append(len(X))
        return real(model, X)
    monkeypatch.setattr(hr, "hidden_activations", counted)
    X, y = _data()
    model = MLP([3, 6, 5, 2], "relu", "he", "float64", rng=np.random.default_rng(1))
    start = [p.copy() for p in model.params.values()]
    rd = RunDir(tmp_path)
    rec = Recorder(rd, model.sizes, model.dtype, "epoch")
    t = Trainer(model, make_optimizer("sgd", 0.1), X, y, X[:40], y[:40], epochs=1,
                batch_size=7, rng=np.random.default_rng(0), callbacks=[rec])
    rec.on_train_start(t)
    assert calls == [40]   # the header's bins and the step-0 record: one pass
    rec.close()
    # The record is that of the initial weights, computed here the long way.
    records = rd.read_health()
    header, first = records[0], next(r for r in records if r["kind"] == "probe")
    probe = rd.read_probe()[0]
    fresh = MLP([3, 6, 5, 2], "relu", "he", "float64", rng=np.random.default_rng(1))
    assert all(np.array_equal(a, b) for a, b in zip(start, fresh.params.values()))
    acts = real(fresh, probe)
    want = hr.probe_record(0, 0.0, dict(fresh.params), acts, header)
    assert header == hr.make_header(dict(fresh.params), acts, "relu")
    assert first["kind"] == "probe" and first["step"] == 0
    assert first["hist"] == want["hist"] and first["layers"] == want["layers"]


def test_seeded_sample_is_drawn_once_per_size_and_read_only():
    a = seeded_sample(1000)
    assert a is seeded_sample(1000) and not a.flags.writeable
    assert np.array_equal(a, sample_rows(1000, np.random.default_rng(0))) and len(a) == 512
    assert np.array_equal(seeded_sample(30), np.arange(30))


def test_without_a_validation_split_the_probe_is_the_seeded_training_sample(tmp_path):
    rd, _ = _train(tmp_path, val=False, epochs=1)
    X, y = _data()
    probe_X, probe_y = rd.read_probe()
    rows = seeded_sample(len(X))[:len(probe_X)]
    assert np.array_equal(probe_X, X[rows].astype(np.float32))
    assert np.array_equal(probe_y, y[rows])


class _EveryStep(Recorder):
    """The recorder as it was: health.step called after every update."""

    def on_step_end(self, t):
        self.running.add(t.last_loss_value, t.last_outputs, t.last_targets)
        self.health.step(t)
        if self.every != "epoch" and t.step % self.every == 0:
            self._snapshot(t)


def test_health_called_only_when_due_records_what_every_call_records(tmp_path):
    for every in ("epoch", 5):
        due, _ = _train(tmp_path / f"due-{every}", every=every)
        each, _ = _train(tmp_path / f"each-{every}", _EveryStep, every=every)
        got, want = due.read_health(), each.read_health()
        rows = [r for r in got if r["kind"] == "row"]
        assert got == want and len(rows) > 3
        # Measured: every 32nd step's update and the one before each row (rows
        # once an epoch of 43 steps, or every 5 steps and at epoch ends).
        want = [2, 2, 3] if every == "epoch" else \
            [1 + any(s % 32 == 0 for s in range(a + 1, b)) for a, b in zip(
                [r["step"] for r in rows], [r["step"] for r in rows[1:]])]
        assert [r["steps"] for r in rows[1:]] == want and 2 in want
