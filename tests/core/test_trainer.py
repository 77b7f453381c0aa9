"""Training end to end: accuracy, determinism, the run directory round trip,
snapshot cadence, divergence and interruption, the CPU engine bit for bit
against a hand-written loop, and the running training metrics of a row."""
import json
import math

import numpy as np
import pandas as pd
import pytest

import weightlapse as wl
from weightlapse.core.errors import ConfigError, RunError


def test_spiral_reaches_95_percent(tmp_path):
    run = wl.train(dataset="spiral", hidden=[32, 32], activation="relu", optimizer="adam",
                   lr=0.01, epochs=100, batch_size=64, val_fraction=0.0, out=tmp_path,
                   name="spiral")
    assert run.sizes == [2, 32, 32, 3]
    assert run.info["final_metrics"]["train_acc"] >= 0.95
    # ...and the recorded final weights alone reproduce that accuracy.
    model = run.network(-1)
    from weightlapse.core.synthetic import make_spiral
    from weightlapse.core.pipeline import seeded_rngs
    X, y = make_spiral(1500, 0.2, seeded_rngs(0)["data"])
    acc = (model.predict_outputs(X).argmax(1) == y).mean()
    assert acc >= 0.95


def test_same_seed_gives_identical_snapshots(tmp_path):
    kw = dict(dataset="moons", hidden=[8], epochs=5, dropout=0.2, out=tmp_path,
              snapshot_every=7)
    a, b = wl.train(name="a", **kw), wl.train(name="b", **kw)
    assert len(a.snapshots) == len(b.snapshots) > 3
    for sa, sb in zip(a.snapshots, b.snapshots):
        assert (sa.epoch, sa.step) == (sb.epoch, sb.step)
        assert np.array_equal(sa.params, sb.params)
    c = wl.train(name="c", seed=1, **kw)
    assert not np.array_equal(a.snapshots[0].params, c.snapshots[0].params)


def test_run_directory_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    seen = []

    class Spy:  # a user callback sees every step, in order
        def on_step_end(self, t):
            seen.append(t.step)

    run = wl.train(X, y, hidden=[4], epochs=3, batch_size=50, val_fraction=0.25,
                   snapshot_every="epoch", out=tmp_path, name="rt", callbacks=[Spy()])
    assert seen == list(range(1, 10))  # 150 samples / 50 = 3 steps x 3 epochs
    assert sorted(p.name for p in run.path.iterdir()) == [
        "checkpoint.npz", "config.json", "health.jsonl", "metrics.csv", "probe.npz",
        "snapshots.bin", "status.json"]
    assert run.samples() is None  # 3 features: no decision-region sample
    again = wl.load_run(run.path)
    cfg = again.config
    assert cfg["settings"]["model"]["hidden"] == [4]
    assert cfg["settings"]["training"]["epochs"] == 3
    assert cfg["data"]["n_train"] == 150 and cfg["data"]["n_val"] == 50
    assert cfg["weightlapse_version"] == wl.__version__
    assert again.status == "finished"
    # snapshot 0 = initial weights, then one per epoch
    assert len(again.snapshots) == 4
    assert [s.step for s in again.snapshots] == [0, 3, 6, 9]
    assert [s.epoch for s in again.snapshots] == [0, 1, 2, 3]
    s = again.snapshots[-1]
    assert [w.shape for w in s.weights] == [(3, 4), (4, 3)]
    assert [b.shape for b in s.biases] == [(4,), (3,)]
    assert s.weights[0].dtype == np.float32
    assert [x.step for x in again.snapshots[1:3]] == [3, 6]
    with pytest.raises(IndexError):
        again.snapshots[4]
    m = again.metrics
    assert isinstance(m, pd.DataFrame)
    assert list(m.columns[:8]) == ["epoch", "step", "train_loss", "train_acc", "val_loss",
                                   "val_acc", "lr", "elapsed_s"]
    assert list(m["step"]) == [0, 3, 6, 9]
    assert m["val_acc"].between(0, 1).all()


def test_snapshot_every_n_steps_and_final(tmp_path):
    run = wl.train(dataset="xor", hidden=[6], epochs=2, batch_size=100, n_samples=1000,
                   val_fraction=0.1, snapshot_every=4, out=tmp_path)
    # 900 samples / 100 = 9 steps per epoch, 18 in all: steps 0,4,...,16 and final 18
    assert list(run.snapshots.steps) == [0, 4, 8, 12, 16, 18]
    assert run.snapshots[2].epoch == pytest.approx(8 / 9)
    # a metrics row at every snapshot and every epoch end
    assert list(run.metrics["step"]) == [0, 4, 8, 9, 12, 16, 18]


def test_full_batch_and_float64(tmp_path):
    run = wl.train(dataset="circles", hidden=[8], epochs=3, batch_size=0, dtype="float64",
                   out=tmp_path)
    X, y = run.samples()  # 2-D data keeps a sample of its training points
    assert X.shape == (1000, 2) and set(y.tolist()) == {0, 1}  # 1,000 of 1,350
    assert list(run.snapshots.steps) == [0, 1, 2, 3]
    assert run.snapshots[1].weights[0].dtype == np.float64


def test_regression(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (300, 2))
    y = np.sin(3 * X[:, 0]) + X[:, 1]
    run = wl.train(X, y, task="regression", hidden=[16], activation="tanh", epochs=200,
                   batch_size=0, lr=0.02, out=tmp_path)
    m = run.metrics
    assert m["train_acc"].isna().all()
    assert m["val_loss"].iloc[-1] < 0.1 * m["val_loss"].iloc[0]


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_no_validation_set_trains_films_and_reports(tmp_path, task):
    """val_fraction=0: every row trains; the validation columns stay empty
    and everything that draws a run still does."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = X @ [1.0, -2.0, 0.5]
    run = wl.train(X, y if task == "regression" else (y > 0).astype(int), task=task,
                   val_fraction=0.0, hidden=[4], epochs=2, out=tmp_path)
    assert run.status == "finished" and run.config["data"]["n_val"] == 0
    assert run.metrics["val_loss"].isna().all() and run.metrics["train_loss"].notna().all()
    assert wl.figure(run, tmp_path / "f.png").stat().st_size > 0
    assert wl.render(run, tmp_path / "f.mp4", size=(160, 90), duration=1).stat().st_size > 0
    wl.report(run, tmp_path / "r.html")
    assert (tmp_path / "r.html").stat().st_size > 0


def test_divergence_is_recorded(tmp_path):
    run = wl.train(dataset="spiral", hidden=[16], optimizer="sgd", lr=1e5, epochs=50,
                   activation="identity", out=tmp_path)
    assert run.status == "diverged"
    assert "diverged" in run.info["message"]
    assert len(run.snapshots) >= 1
    assert all(np.isfinite(s.params).all() for s in run.snapshots)


def test_interrupt_keeps_what_was_recorded(tmp_path):
    class Stop:
        def on_epoch_end(self, t):
            if t.epoch == 3:
                raise KeyboardInterrupt

    run = wl.train(dataset="moons", hidden=[4], epochs=100, snapshot_every="epoch",
                   out=tmp_path, callbacks=[Stop()])
    assert run.status == "interrupted"
    assert [s.epoch for s in run.snapshots] == [0, 1, 2, 3]
    assert len(run.metrics) == 4


def test_torn_last_snapshot_is_skipped(tmp_path):
    run = wl.train(dataset="moons", hidden=[4], epochs=3, snapshot_every="epoch", out=tmp_path)
    path = run.path / "snapshots.bin"
    data = path.read_bytes()
    path.write_bytes(data[:-10])
    with pytest.warns(UserWarning, match="torn"):
        again = wl.load_run(run.path)
    assert len(again.snapshots) == 3
    path.write_bytes(b"garbage" * 20)
    with pytest.raises(RunError, match="not a weightlapse snapshot"):
        wl.load_run(run.path)


@pytest.mark.parametrize("bad,match", [
    (dict(lr=-1), r"lr must be in \(0, 1e6\)"),
    (dict(epochs=0), r"epochs must be in \[1, 1e7\]"),
    (dict(hidden=[8, 0]), "hidden must be positive"),
    (dict(optimizer="adamw"), "unknown optimizer 'adamw'"),
    (dict(activation="gelu"), "unknown activation"),
    (dict(dropout=1.0), "dropout must be in"),
    (dict(val_fraction=1.0), "val_fraction"),
    (dict(snapshot_every=0), "snapshot_every"),
    (dict(batch_size=-5), "batch_size"),
    (dict(lrr=0.1), "unknown setting 'lrr'"),
    (dict(dataset="imagenet"), "unknown dataset"),
])
def test_bad_settings_write_nothing(tmp_path, bad, match):
    kw = dict(dataset="spiral", out=tmp_path / "runs")
    kw.update(bad)
    with pytest.raises(wl.WeightlapseError, match=match):
        wl.train(**kw)
    assert not (tmp_path / "runs").exists()


def test_bad_arrays(tmp_path):
    X = np.ones((10, 2))
    with pytest.raises(wl.WeightlapseError, match="NaN"):
        wl.train(np.where(np.eye(10, 2) > 0, np.nan, 1.0), np.arange(10) % 2, out=tmp_path)
    with pytest.raises(wl.WeightlapseError, match="match"):
        wl.train(X, np.zeros(9), out=tmp_path)
    with pytest.raises(wl.WeightlapseError, match="one class"):
        wl.train(X, np.zeros(10), out=tmp_path)
    with pytest.raises(ConfigError, match="y is required"):
        wl.train(X, out=tmp_path)
    assert not any(tmp_path.iterdir())


def test_string_labels_keep_class_names(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = np.where(X[:, 0] > 0, "cat", "dog")
    run = wl.train(X, y, hidden=[4], epochs=2, out=tmp_path)
    assert run.config["data"]["class_names"] == ["cat", "dog"]


def test_second_run_with_same_name_gets_fresh_folder(tmp_path):
    a = wl.train(dataset="xor", hidden=[4], epochs=1, out=tmp_path, name="same")
    b = wl.train(dataset="xor", hidden=[4], epochs=1, out=tmp_path, name="same")
    assert a.path.name == "same" and b.path.name == "same-2"


def test_load_run_errors(tmp_path):
    with pytest.raises(RunError, match="not found"):
        wl.load_run(tmp_path / "nope")
    with pytest.raises(RunError, match="no config.json"):
        wl.load_run(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"format": 99}))
    with pytest.raises(RunError, match="another version"):
        wl.load_run(tmp_path)


# -- the CPU engine, bit for bit against a hand-written loop (issue 17, item 19) --------

def _reference_run(X, y, W, b, *, optimizer, lr, dtype, dropout, batch_size, epochs,
                   shuffle_rng, dropout_rng, momentum=0.9):
    """784-style MLP training written out by hand, one NumPy expression per
    operation in the engine's order: the parameters after every step.
    Network: Dense -> ReLU (-> dropout) -> Dense -> softmax cross-entropy."""
    params = {"W0": W[0].copy(), "b0": b[0].copy(), "W1": W[1].copy(), "b1": b[1].copy()}
    state, t, out = {}, 0, []
    n = len(X)
    bs = n if batch_size == 0 else batch_size
    b1, b2, eps = 0.9, 0.999, 1e-8
    for _ in range(epochs):
        order = shuffle_rng.permutation(n) if bs < n else None
        for s in range(0, n, bs):
            xb, yb = (X, y) if order is None else (X[order[s:s + bs]], y[order[s:s + bs]])
            h = xb @ params["W0"]
            h += params["b0"]
            a = np.maximum(h, 0)
            if dropout:
                keep = dropout_rng.random(a.shape) >= dropout
                mask = keep.astype(a.dtype) / a.dtype.type(1 - dropout)
                ad = a * mask
            else:
                ad = a
            z = ad @ params["W1"]
            z += params["b1"]
            shifted = z - z.max(axis=1, keepdims=True)
            e = np.exp(shifted)
            p = e / e.sum(axis=1, keepdims=True)
            p[np.arange(len(yb)), yb] -= 1
            p /= len(yb)
            grads = {"W1": ad.T @ p, "b1": p.sum(axis=0)}
            da = p @ params["W1"].T
            if dropout:
                da = da * mask
            dh = da * (a > 0)
            grads["W0"], grads["b0"] = xb.T @ dh, dh.sum(axis=0)
            t += 1
            for k in ("W0", "b0", "W1", "b1"):
                g, w = grads[k], params[k]
                if optimizer == "sgd":
                    w -= lr * g
                elif optimizer in ("momentum", "nesterov"):
                    if k in state:
                        state[k] = state[k] * momentum + g
                    else:
                        state[k] = g.copy()
                    w -= lr * (g + momentum * state[k] if optimizer == "nesterov" else state[k])
                else:  # adam
                    m = state.get("m" + k, np.zeros_like(w))
                    v = state.get("v" + k, np.zeros_like(w))
                    m = m * b1 + (1 - b1) * g
                    v = v * b2 + (1 - b2) * g * g
                    state["m" + k], state["v" + k] = m, v
                    w -= lr / (1 - b1 ** t) * m / (np.sqrt(v) / math.sqrt(1 - b2 ** t) + eps)
            out.append({k: v.copy() for k, v in params.items()})
    return out


@pytest.mark.parametrize("optimizer, dtype, dropout, batch_size", [
    ("sgd", "float32", 0.0, 16),
    ("sgd", "float64", 0.3, 0),          # full batch
    ("momentum", "float32", 0.2, 24),    # 100 rows: a 4-row tail batch
    ("nesterov", "float64", 0.0, 32),
    ("adam", "float32", 0.25, 16),
    ("adam", "float64", 0.0, 0),
])
def test_cpu_engine_matches_a_hand_written_loop_bit_for_bit(optimizer, dtype, dropout,
                                                            batch_size):
    """What the trainer writes into snapshots.bin (the parameters after each
    step) equals, byte for byte, a plain NumPy loop of the same operations:
    speed work on the engine must not change a single bit on the CPU."""
    from weightlapse.core.model import MLP
    from weightlapse.core.optim import make_optimizer
    from weightlapse.core.trainer import Trainer
    rng = np.random.default_rng(5)
    X = rng.normal(size=(100, 6)).astype(dtype)
    y = rng.integers(0, 3, 100)
    lr = 0.01 if optimizer == "adam" else 0.1
    model = MLP([6, 12, 3], "relu", "he", dtype, dropout=dropout,
                rng=np.random.default_rng(1), dropout_rng=np.random.default_rng(2))
    W, b = [w.copy() for w in model.weights], [v.copy() for v in model.biases]
    steps = []

    class Copy:
        def on_step_end(self, t):
            steps.append({k: v.copy() for k, v in t.model.params.items()})

    Trainer(model, make_optimizer(optimizer, lr), X, y, epochs=3, batch_size=batch_size,
            rng=np.random.default_rng(3), callbacks=[Copy()]).fit()
    want = _reference_run(X, y, W, b, optimizer=optimizer, lr=lr, dtype=dtype,
                          dropout=dropout, batch_size=batch_size, epochs=3,
                          shuffle_rng=np.random.default_rng(3),
                          dropout_rng=np.random.default_rng(2))
    assert len(steps) == len(want) == 3 * -(-100 // (batch_size or 100))
    for got, ref in zip(steps, want):
        for k in ref:
            assert got[k].dtype == ref[k].dtype
            assert got[k].tobytes() == ref[k].tobytes(), k


# -- running training metrics: no row from a sliver of data (issue 17, item 14) ---------

def test_running_metrics_reach_back_to_cover_enough_samples():
    from weightlapse.core.evaluation import RunningMetrics
    rm = RunningMetrics(True)

    def batch(n, hits, loss=1.0):  # n rows, all predicted class 0, ``hits`` of them are 0
        Z = np.tile([1.0, 0.0], (n, 1))
        rm.add(loss, Z, np.array([0] * hits + [1] * (n - hits)))

    batch(4, 4)
    batch(4, 4)
    assert rm.take(10) is None                    # 8 samples in all: too few
    batch(4, 0, loss=4.0)                         # this row alone would read 0.0
    assert rm.take(10) == (2.0, 8 / 12)           # reaches back over the 8
    batch(2, 0)
    assert rm.take(10) == (26 / 14, 8 / 14)
    batch(12, 6)
    assert rm.take(10) == (1.0, 0.5)              # enough on its own
    assert rm.window() == [[12.0, 6, 12]]         # older spans are dropped
    assert rm.take(10) is None                    # no batch since the last row


def test_a_tail_batch_puts_no_spike_into_the_training_curve(tmp_path):
    """522 training rows in batches of 64: each epoch ends on a 10-row tail,
    right after the snapshot at its 8th step. Every row's training figures
    are the mean over the batches since the previous row, reaching back to
    cover at least 512 samples; the tail row is not its 10 rows alone."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(580, 4))
    y = (X[:, 0] + 0.5 * rng.normal(size=580) > 0).astype(int)
    seen = []  # per step: (n, loss sum, hits)

    class Spy:
        def on_step_end(self, t):
            Z, yb = t.last_outputs, t.last_targets
            seen.append((len(yb), t.last_loss * len(yb), int((Z.argmax(1) == yb).sum())))

    run = wl.train(X, y, hidden=[8], epochs=3, batch_size=64, lr=0.05, snapshot_every=8,
                   out=tmp_path, name="tail", callbacks=[Spy()])
    assert run.config["data"]["n_train"] == 522 and len(seen) == 27
    m = run.metrics
    steps = list(m["step"])
    assert 9 in steps and 8 in steps          # the tail row follows a snapshot row
    spans = [seen[a:b] for a, b in zip(steps[:-1], steps[1:])]
    for k, (acc, loss) in enumerate(zip(m["train_acc"][1:], m["train_loss"][1:])):
        window = []
        for span in reversed(spans[:k + 1]):
            window += span
            if sum(n for n, _, _ in window) >= 512:
                break
        n = sum(w[0] for w in window)
        assert n >= 512, steps[k + 1]
        assert acc == pytest.approx(sum(w[2] for w in window) / n, abs=1e-12)
        assert loss == pytest.approx(sum(w[1] for w in window) / n, rel=1e-9)
    tail_only = seen[8][2] / seen[8][0]
    assert m.loc[m["step"] == 9, "train_acc"].item() != tail_only
