"""Health recording (health.jsonl) and reading it back: the numbers checked
against hand computation, every-step snapshots and PyTorch (issue 18)."""
import json
import math

import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core.errors import RunError
from weightlapse.core.health_record import (MEASURE_EVERY, N_BINS, hidden_activations,
                                            histogram, layer_stats, probe_gap)
from weightlapse.core.model import MLP
from weightlapse.core.optim import make_optimizer
from weightlapse.core.recorder import Recorder
from weightlapse.core.rundir import RunDir
from weightlapse.core.trainer import Trainer


def _fit(tmp_path, model, opt, X, y, every=1, epochs=1, batch_size=0):
    rd = RunDir(tmp_path)
    rec = Recorder(rd, model.sizes, model.dtype, every)
    Trainer(model, opt, X, y, X, y, epochs=epochs, batch_size=batch_size,
            rng=np.random.default_rng(0), callbacks=[rec]).fit()
    return rd.read_health()


def _rows(records):
    return [r for r in records if r["kind"] == "row"]


def test_ratio_and_norms_by_hand(tmp_path):
    # SGD applies dW = -lr * g: the ratio is lr ||g|| / ||W||, the norms by hand.
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 2, 8)
    model = MLP([3, 4, 2], "relu", "he", "float64", rng=np.random.default_rng(1))
    before = {k: p.copy() for k, p in model.params.items()}
    lr = 0.1
    records = _fit(tmp_path, model, make_optimizer("sgd", lr), X, y)
    row = _rows(records)[1]
    assert row["step"] == 1 and row["steps"] == 1
    for j, k in enumerate(model.params):
        g = model.grads[k]
        want = lr * math.sqrt((g ** 2).sum()) / math.sqrt((before[k] ** 2).sum()) \
            if before[k].any() else None
        if want is None:
            assert row["update_ratio"][j] is None   # zero biases: no ratio
        else:
            assert row["update_ratio"][j] == pytest.approx(want, rel=1e-9)
        assert row["grad_rms"][j] == pytest.approx(math.sqrt((g ** 2).mean()), rel=1e-9)
        assert row["rms"][j] == pytest.approx(math.sqrt((model.params[k] ** 2).mean()),
                                              rel=1e-9)


def test_update_ratio_matches_every_step_snapshots(tmp_path):
    kw = dict(dataset="spiral", hidden=[6, 5], epochs=3, lr=0.05, optimizer="adam",
              batch_size=5, n_samples=200, dtype="float64")
    a = wl.train(snapshot_every=1, out=tmp_path, name="a", **kw)
    df = wl.diagnostics(a)
    snaps = [a.snapshot(i) for i in range(len(a.snapshots))]
    per_step = {}
    for s0, s1 in zip(snaps, snaps[1:]):
        assert s1.step == s0.step + 1
        for i, (W0, W1) in enumerate(zip(s0.weights, s1.weights)):
            per_step[s1.step, i] = np.linalg.norm(W1 - W0) / np.linalg.norm(W0)
    got = df.dropna(subset=["update_ratio"])
    assert len(got) == len(per_step)       # rows every step: every step is measured
    for r in got.itertuples():
        assert r.update_ratio == pytest.approx(per_step[r.step, r.layer], rel=1e-6)
    # Rows once an epoch: the mean over the measured steps since the last row
    # (every MEASURE_EVERY-th and the epoch's last), from the same trajectory.
    b = wl.train(snapshot_every="epoch", out=tmp_path, name="b", **kw)
    spe = b.metrics.step.iloc[1]
    rows = wl.diagnostics(b).dropna(subset=["update_ratio"])
    assert len(rows) == 3 * 3
    for r in rows.itertuples():
        steps = [s for s in range(r.step - spe + 1, r.step + 1)
                 if s % MEASURE_EVERY == 0 or s == r.step]
        want = np.mean([per_step[s, r.layer] for s in steps])
        assert len(steps) > 1 and r.update_ratio == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_one_step_ratio_matches_pytorch(tmp_path, optimizer):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(16, 4)), rng.integers(0, 3, 16)
    model = MLP([4, 6, 3], "tanh", "xavier", "float64", rng=np.random.default_rng(2))
    tparams = [torch.tensor(p.copy(), requires_grad=True) for p in model.params.values()]
    start = [p.detach().clone() for p in tparams]
    lr = 0.05
    row = _rows(_fit(tmp_path, model, make_optimizer(optimizer, lr), X, y))[1]
    opt = torch.optim.SGD(tparams, lr=lr) if optimizer == "sgd" else \
        torch.optim.Adam(tparams, lr=lr)
    h = torch.tanh(torch.tensor(X) @ tparams[0] + tparams[1]) @ tparams[2] + tparams[3]
    torch.nn.functional.cross_entropy(h, torch.tensor(y)).backward()
    opt.step()
    for j in (0, 2):   # the weight matrices
        want = float((tparams[j].detach() - start[j]).norm() / start[j].norm())
        assert row["update_ratio"][j] == pytest.approx(want, rel=1e-7)


def test_dead_and_saturated_fractions_on_constructed_weights():
    X = np.random.default_rng(0).normal(size=(50, 2))
    W0 = np.array([[1.0, 0.0, 0.0, 0.5], [0.0, 1.0, 0.0, 0.5]])
    b0 = np.array([0.0, 0.0, -100.0, 0.0])          # unit 2 is zero on every row
    model = MLP([2, 4, 1], "relu", "he", "float64", task="regression")
    model.set_weights([W0, np.ones((4, 1))], [b0, np.zeros(1)])
    A, = hidden_activations(model, X)
    s = layer_stats(A, "relu", [0.0, 10.0])
    assert s["dead_fraction"] == 0.25 and s["saturated_fraction"] is None
    assert s["unit_active"][2] == 0.0 and s["unit_mean"][2] == 0.0
    assert s["unit_active"][0] == pytest.approx((X[:, 0] > 0).mean())
    # tanh: inputs scaled by 100 saturate every row with |x| > 0.0098.
    tanh = MLP([2, 4, 1], "tanh", "he", "float64", task="regression")
    tanh.set_weights([W0 * 100, np.ones((4, 1))], [b0 * 0, np.zeros(1)])
    A, = hidden_activations(tanh, X)
    want = (np.abs(np.tanh(X @ (W0 * 100))) > 0.97).mean()
    s = layer_stats(A, "tanh", [-1.0, 1.0])
    assert s["saturated_fraction"] == pytest.approx(want) and s["dead_fraction"] is None
    assert 0.5 < want < 1
    sig = layer_stats(np.array([[0.01, 0.5], [0.99, 0.96]]), "sigmoid", [0.0, 1.0])
    assert sig["saturated_fraction"] == 0.5


def test_histogram_bins_fixed_for_the_whole_run(tmp_path):
    run = wl.train(dataset="spiral", hidden=[6], epochs=30, lr=0.5, optimizer="adam",
                   batch_size=0, snapshot_every=3, n_samples=200, out=tmp_path, name="h")
    records = run.files.read_health()
    header, probes = records[0], [r for r in records if r["kind"] == "probe"]
    by_step = {s.step: s for s in run.snapshots}
    assert len(probes) > 5 and all(p["step"] in by_step for p in probes)
    for p in probes:
        s = by_step[p["step"]]
        for i, (W, b) in enumerate(zip(s.weights, s.biases)):
            assert p["hist"][f"W{i}"] == histogram(W, header["bins"][f"W{i}"])
            assert sum(p["hist"][f"W{i}"]) == W.size and len(p["hist"][f"b{i}"]) == N_BINS
    # Resuming keeps the header (the bins) and cuts records back to the checkpoint.
    wl.train(resume=run.path, epochs=40)
    again = run.files.read_health()
    assert again[0] == header and sum(r["kind"] == "header" for r in again) == 1
    steps = [r["step"] for r in again if r["kind"] == "row"]
    assert steps == sorted(set(steps)) and steps[-1] == 40


def test_probe_records_are_thinned_to_their_budget(tmp_path):
    # 20 probe rows, batch 5: a probe record costs ~5.3 steps, so >= 178 steps apart.
    assert probe_gap(20, 5) == 178 and probe_gap(512, 64) == 356 and probe_gap(3, 300) == 1
    run = wl.train(dataset="spiral", hidden=[6], epochs=6, batch_size=5, n_samples=200,
                   snapshot_every=10, out=tmp_path, name="thin")
    probes = [r["step"] for r in run.files.read_health() if r["kind"] == "probe"]
    steps = [s.step for s in run.snapshots]
    assert probes[0] == 0 and probes[-1] == steps[-1] and set(probes) < set(steps)
    assert all(b - a >= 178 for a, b in zip(probes[:-2], probes[1:-1]))


def test_old_run_is_derived_from_its_snapshots(tmp_path, train_spiral):
    run = train_spiral(tmp_path, "old", epochs=6)
    fresh = wl.diagnostics(run)
    run.files.file("health.jsonl").unlink()
    run.files.file("probe.npz").unlink()
    old = wl.diagnostics(wl.load_run(run.path))
    assert "update ratios and gradient RMS" in old.attrs["missing"]
    assert "dead and saturated" not in old.attrs["missing"]   # the spiral is drawn again
    assert old.update_ratio.isna().all()
    kept = fresh[fresh.step.isin(old.step)]
    np.testing.assert_allclose(old.weight_rms, kept.weight_rms, rtol=1e-6)
    # The same probe rows, drawn again from the seed: the same dead units.
    probed = kept.dead_fraction.notna().to_numpy()
    assert probed.sum() >= 2
    np.testing.assert_allclose(old.dead_fraction[probed], kept.dead_fraction[probed])
    assert fresh.attrs["missing"] is None
    # Data that cannot be loaded again (arrays given to wl.train): reported missing.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0).astype(int)
    arrays = wl.train(X, y, hidden=[4], epochs=3, out=tmp_path, name="arrays")
    arrays.files.file("health.jsonl").unlink()
    arrays.files.file("probe.npz").unlink()
    df = wl.diagnostics(wl.load_run(arrays.path))
    assert "dead and saturated units (no probe set" in df.attrs["missing"]
    assert df.dead_fraction.isna().all() and np.isfinite(df.weight_rms).all()


def test_damaged_health_file_is_one_line(tmp_path, train_spiral):
    run = train_spiral(tmp_path, "bad", epochs=4)
    path = run.files.file("health.jsonl")
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines) + '{"kind": "row", "step": 9')   # torn: left out
    assert len(wl.diagnostics(run)) == len(wl.diagnostics(run))
    lines[2] = "{not json\n"
    path.write_text("".join(lines))
    with pytest.raises(RunError, match=r"health\.jsonl is damaged at line 3"):
        wl.diagnostics(run)
    lines[2] = json.dumps({"kind": "row", "step": 1, "epoch": 1, "update_ratio": [1],
                           "grad_rms": [], "rms": []}) + "\n"
    path.write_text("".join(lines))
    with pytest.raises(RunError, match=r"health\.jsonl is damaged at line 3 \(a row"):
        wl.diagnostics(run)


def test_diverged_run_stops_at_last_finite_record(tmp_path):
    run = wl.train(dataset="spiral", hidden=[16], optimizer="sgd", lr=1e5, epochs=50,
                   activation="identity", snapshot_every=1, out=tmp_path)
    assert run.status == "diverged"
    df = wl.diagnostics(run)
    values = df[["weight_rms", "bias_rms"]].to_numpy()
    assert len(df) and np.isfinite(values).all()
    last = int(df.step.max())
    assert last <= run.info["steps"]
    # A record of weights gone non-finite (null in the file) ends the diagnostics.
    path = run.files.file("health.jsonl")
    row = {"kind": "row", "epoch": 1.0, "steps": 1, "update_ratio": [1.0] * 4,
           "grad_rms": [1.0] * 4, "rms": [None, 1.0, 1.0, 1.0]}
    probe = [r for r in run.files.read_health() if r["kind"] == "probe"][-1]
    with open(path, "a") as f:
        for step, rms in ((last + 1, [None, 1.0, 1.0, 1.0]), (last + 2, [1.0] * 4)):
            f.write(json.dumps(dict(row, step=step, rms=rms)) + "\n")
            f.write(json.dumps(dict(probe, step=step)) + "\n")
    assert wl.diagnostics(run).step.max() == last


def test_device_bookkeeping_matches_the_host(tmp_path, monkeypatch):
    # On a GPU the sums stay device scalars; run that path with NumPy arrays.
    import weightlapse.core.health_record as hr
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(40, 3)), rng.integers(0, 2, 40)

    def rows(where):
        model = MLP([3, 5, 2], "relu", "he", "float64", rng=np.random.default_rng(1))
        where.mkdir()
        return _rows(_fit(where, model, make_optimizer("adam", 0.01), X, y, every=3,
                          epochs=3, batch_size=8))
    host = rows(tmp_path / "host")
    monkeypatch.setattr(hr, "is_host", lambda xp: False)
    device = rows(tmp_path / "device")
    assert len(host) == len(device) > 3
    for a, b in zip(host, device):
        for k in ("update_ratio", "grad_rms", "rms"):
            assert a[k] == pytest.approx(b[k], rel=1e-12, nan_ok=True), (k, a["step"])
