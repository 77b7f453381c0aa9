"""A conv run equals PyTorch (issue 21, part 7): a real run trained full-batch
in float64 by weightlapse, and the same network in torch started from the
run's snapshot 0 and trained on the run's own training rows, agree at every
snapshot to 1e-8 relative, with SGD and with Adam. On a GPU (CuPy) the same
run equals the CPU run; that test skips where there is none."""
import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core.config import RunConfig
from weightlapse.core.pipeline import prepare_data, seeded_rngs

torch = pytest.importorskip("torch")
F = torch.nn.functional

STEPS = 5
SETTINGS = dict(conv=[[3, 3], [4, 3]], pool=2, conv_padding=1, hidden=[8], dtype="float64",
                batch_size=0, epochs=STEPS, snapshot_every=1, l2=0.01, val_fraction=0.25,
                activation="tanh", seed=5)
TORCH_OPT = {"sgd": lambda p, lr: torch.optim.SGD(p, lr=lr),
             "adam": lambda p, lr: torch.optim.Adam(p, lr=lr)}


def _train_rows(run):
    """The training split exactly as the run saw it."""
    cfg = RunConfig.from_dict(run.config["settings"])
    (X, y), _, _, _ = prepare_data(cfg, seeded_rngs(cfg.training.seed))
    return X, y


def _torch_forward(params, layers, X):
    h = X.reshape(-1, *layers[0]["in_shape"])
    for i, l in enumerate(layers):
        W, b = params[2 * i], params[2 * i + 1]
        if l["kind"] == "conv":
            h = torch.tanh(F.conv2d(h, W, b, stride=l["stride"], padding=l["padding"]))
            h = F.max_pool2d(h, l["pool"])
        else:
            h = h.reshape(len(h), -1) @ W + b
            if i + 1 < len(layers):
                h = torch.tanh(h)
    return h


@pytest.mark.parametrize("optimizer,lr", [("sgd", 0.3), ("adam", 0.01)])
def test_a_conv_run_equals_pytorch_from_its_snapshot_0(tmp_path, images_csv, optimizer, lr):
    run = wl.train(data=images_csv, optimizer=optimizer, lr=lr, out=tmp_path, name="c",
                   **SETTINGS)
    assert run.is_conv and len(run.snapshots) == STEPS + 1
    X, y = _train_rows(run)
    s0 = run.snapshots[0]
    params = [torch.tensor(np.array(a), requires_grad=True)
              for pair in zip(s0.weights, s0.biases) for a in pair]
    opt = TORCH_OPT[optimizer](params, lr)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    l2 = SETTINGS["l2"]
    for step in range(1, STEPS + 1):
        loss = F.cross_entropy(_torch_forward(params, run.layers, Xt), yt) + \
            (l2 / 2) * sum((W ** 2).sum() for W in params[0::2])
        opt.zero_grad()
        loss.backward()
        opt.step()
        snap = run.snapshots[step]
        ours = [a for pair in zip(snap.weights, snap.biases) for a in pair]
        for k, (a, p) in enumerate(zip(ours, params)):
            b = p.detach().numpy()
            assert a.shape == b.shape
            err = np.abs(a - b).max() / max(np.abs(b).max(), 1e-300)
            assert err < 1e-8, f"step {step}, array {k}: relative error {err:.2e}"
        # and the weights moved: the check is not of snapshot 0 against itself
        assert not np.allclose(ours[0], s0.weights[0])


def _cupy_with_gpu():
    try:
        import cupy
        return cupy if cupy.cuda.runtime.getDeviceCount() > 0 else None
    except Exception:  # noqa: BLE001 - not installed, or no driver/device
        return None


@pytest.mark.skipif(_cupy_with_gpu() is None, reason="needs CuPy and a GPU")
def test_a_conv_run_on_the_gpu_equals_the_cpu_run(tmp_path, images_csv):
    settings = dict(SETTINGS, batch_size=16, optimizer="adam", lr=0.01, epochs=2,
                    snapshot_every=3)
    cpu = wl.train(data=images_csv, out=tmp_path, name="cpu", device="cpu", **settings)
    gpu = wl.train(data=images_csv, out=tmp_path, name="gpu", device="gpu", **settings)
    assert np.array_equal(cpu.snapshots.steps, gpu.snapshots.steps)
    for i in range(len(cpu.snapshots)):
        for a, b in zip(cpu.snapshots[i].weights, gpu.snapshots[i].weights):
            np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12)
    assert gpu.info["final_metrics"]["val_acc"] == cpu.info["final_metrics"]["val_acc"]
