"""weightlapse.torch.Recorder with the real PyTorch: the snapshots equal a
weightlapse run from the same weights, every view reads the run, and every
bad input is one line with nothing half-written."""
import json
import math
import subprocess
import sys
import warnings

import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core.errors import ConfigError, RunError

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from weightlapse.torch import Recorder  # noqa: E402

@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models on a shared machine: PyTorch's threads only wait for each
    other (a 4-5-3 step took 3.5 ms on two threads, 0.7 ms on one)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


TORCH_OPT = {"sgd": lambda p: torch.optim.SGD(p, lr=0.1),
             "adam": lambda p: torch.optim.Adam(p, lr=0.01)}   # PyTorch's defaults otherwise


def data(n=96, n_in=6, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_in))
    return X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)


def mlp(sizes, act=nn.Tanh, dtype=torch.float64):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [nn.Linear(a, b)] + ([act()] if i < len(sizes) - 2 else [])
    return nn.Sequential(*layers).to(dtype)


def fit(model, opt, X, y, rec, epochs, batch=None):
    """The user's loop: full batch (or minibatches), epoch_end after each epoch."""
    Xt, yt = torch.as_tensor(X, dtype=next(model.parameters()).dtype), torch.as_tensor(y)
    batch = batch or len(X)
    for _ in range(epochs):
        for i in range(0, len(X), batch):
            opt.zero_grad()
            loss = F.cross_entropy(model(Xt[i:i + batch]), yt[i:i + batch])
            loss.backward()
            opt.step()
        rec.epoch_end(train_loss=loss, train_acc=torch.tensor(0.5))


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """{optimizer: (weightlapse run, PyTorch run)} from the same initial weights,
    5 full-batch epochs in float64."""
    out = tmp_path_factory.mktemp("pair")
    X, y = data()
    runs = {}
    for name, make in TORCH_OPT.items():
        mine = wl.train(X, y, hidden=[8, 8], activation="tanh", init="xavier",
                        dtype="float64", optimizer=name, lr=make([torch.zeros(1)])
                        .param_groups[0]["lr"], batch_size=0, epochs=5, val_fraction=0.0,
                        snapshot_every="epoch", out=out, name=f"numpy-{name}")
        model = mlp([6, 8, 8, 3])
        s0 = mine.snapshots[0]
        with torch.no_grad():
            for lin, W, b in zip(model[0::2], s0.weights, s0.biases):
                lin.weight.copy_(torch.tensor(W.T))
                lin.bias.copy_(torch.tensor(b))
        opt = make(model.parameters())
        with Recorder(model, opt, out=out, name=f"torch-{name}") as rec:
            fit(model, opt, X, y, rec, 5)
        runs[name] = (mine, rec.run)
    return runs


@pytest.mark.parametrize("optimizer", sorted(TORCH_OPT))
def test_snapshots_equal_a_weightlapse_run_from_the_same_weights(pair, optimizer):
    mine, theirs = pair[optimizer]
    assert theirs.status == "finished" and len(theirs.snapshots) == len(mine.snapshots) == 6
    assert list(theirs.snapshots.steps) == list(mine.snapshots.steps) == [0, 1, 2, 3, 4, 5]
    assert list(theirs.snapshots.epochs) == list(mine.snapshots.epochs)
    for a, b in zip(mine.snapshots, theirs.snapshots):
        for x, z in zip(a.weights + a.biases, b.weights + b.biases):
            assert x.dtype == z.dtype == np.float64
            np.testing.assert_allclose(z, x, rtol=0, atol=1e-6)
    # a metrics row at step 0 (nothing measured) and at each epoch end, where
    # the loss the user passed (a tensor) is the engine's training loss
    m, ours = theirs.metrics, mine.metrics
    assert list(m["step"]) == [0, 1, 2, 3, 4, 5] and list(m["epoch"]) == [0, 1, 2, 3, 4, 5]
    assert math.isnan(m["train_loss"][0]) and m["lr"][0] == ours["lr"][0]
    np.testing.assert_allclose(m["train_loss"][1:], ours["train_loss"][1:], atol=1e-6)
    rec = theirs.config["recorded_from"]
    assert rec["framework"] == "pytorch" and rec["version"] == torch.__version__
    assert rec["layers"] == ["0", "2", "4"] and theirs.settings["activation"] == "tanh"
    assert theirs.settings["optimizer"] == optimizer


def test_views_read_a_recorded_run_unchanged(pair, tmp_path, capsys, run_cli):
    numpy_run, run = pair["sgd"]
    for argv, out in ((["figure", run.path], "final.png"), (["graph", run.path], "net.graphml"),
                      (["report", run.path], "report.html"),
                      (["render", run.path, "--duration", "0.5", "--fps", "4", "--size",
                        "320x180"], "film.gif"),
                      (["compare", numpy_run.path, run.path], "compare.png")):
        code, stdout, err, _ = run_cli([*map(str, argv), "-o", str(tmp_path / out)])
        assert code == 0, err
        assert (tmp_path / out).stat().st_size > 1000
    # the comparison tells the runs apart by their framework, not by the
    # settings the recorded run cannot know
    from weightlapse.viz.compare import differing_settings, summary_table
    assert differing_settings([numpy_run, run]) == ["framework"]
    assert list(summary_table([numpy_run, run])["framework"]) == ["weightlapse", "pytorch"]
    assert run.network().predict_outputs(np.zeros((1, 6))).shape == (1, 3)
    # diagnose: the table, --json and the figure, from the snapshots alone (no
    # probe set was given), saying in one line what a recorded run lacks
    code, out, err, _ = run_cli(["diagnose", run.path, "-o", tmp_path / "health.png"])
    assert code == 0, err
    assert (tmp_path / "health.png").stat().st_size > 1000
    notes = [ln for ln in out.splitlines() if "note:" in ln]
    assert len(notes) == 1 and "was recorded from PyTorch, without health.jsonl" in notes[0]
    assert "pass probe= to the Recorder" in notes[0]
    assert "no finding in what is recorded" in out and "healthy" not in out
    code, out, err, _ = run_cli(["diagnose", run.path, "--json"])
    report = json.loads(out)["runs"][0]
    assert code == 0 and [r["update_ratio"] for r in report["layers"]] == [None] * 3
    rms = [np.sqrt(np.mean(np.square(s.weights[1]))) for s in (run.snapshots[0],
                                                                run.snapshots[-1])]
    assert report["layers"][1]["weight_rms_growth"] == pytest.approx(rms[1] / rms[0])


def test_diagnose_a_recorded_run_with_its_probe_set(tmp_path, run_cli):
    """A ReLU unit kept dead (zero weights, bias -10: no gradient reaches it)
    is one of 5: 20% dead on the probe rows the Recorder stored."""
    X, y = data(n=100, n_in=4)
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
    with torch.no_grad():
        model[0].weight[2] = 0.0
        model[0].bias[2] = -10.0
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    with Recorder(model, opt, out=tmp_path, name="dead", every=2,
                  probe=torch.as_tensor(X[:40], dtype=torch.float32)) as rec:
        fit(model, opt, X.astype(np.float32), y, rec, 3, batch=25)
    code, out, err, _ = run_cli(["diagnose", rec.path, "--json"])
    assert code == 0, err
    report = json.loads(out)["runs"][0]
    assert report["layers"][0]["dead_fraction"] == pytest.approx(0.2)
    assert report["layers"][1]["dead_fraction"] is None          # the output layer
    assert [f["kind"] for f in report["findings"]] == ["dead"]
    assert report["findings"][0]["since_epoch"] == 0
    assert "update ratios and gradient RMS are missing" in report["missing"]
    assert "probe" not in report["missing"]
    code, out, _, _ = run_cli(["diagnose", rec.path, "-o", tmp_path / "dead.png"])
    assert code == 0 and "hidden 1 (relu): 20% of units dead since epoch 0" in out
    assert (tmp_path / "dead.png").stat().st_size > 1000


def test_runs_lists_the_framework_and_resume_refuses(pair, capsys, run_cli, tree):
    run = pair["sgd"][1]
    code, out, _, _ = run_cli(["runs", str(run.path.parent)])
    assert code == 0
    line = next(ln for ln in out.splitlines() if ln.split()[0] == "torch-sgd")
    assert f"PyTorch {torch.__version__}" in line
    assert out.splitlines()[0].split()[:3] == ["run", "status", "framework"]
    before = tree(run.path)
    code, _, err, shown = run_cli(["train", "--resume", str(run.path)])
    assert code == 2 and len(shown) == 1
    assert f"recorded from PyTorch {torch.__version__} and cannot be resumed" in err
    assert tree(run.path) == before


def test_cadence_epochs_probe_and_labels(tmp_path):
    X, y = data(n=100, n_in=4)
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 5), nn.ReLU(), nn.Dropout(0.1),
                          nn.Linear(5, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    with Recorder(model, opt, out=tmp_path, name="mine", every=3, image_shape=(2, 2),
                  class_names=["a", "b", "c"], probe=(torch.as_tensor(X, dtype=torch.float32),
                                                      torch.as_tensor(y)),
                  dataset="toy") as rec:
        fit(model, opt, X.astype(np.float32), y, rec, 2, batch=25)   # 4 steps an epoch
    run = rec.run
    # every 3 steps, and the final weights; the first epoch's snapshots are
    # dated once its length is known (4 steps)
    assert list(run.snapshots.steps) == [0, 3, 6, 8]
    assert list(run.snapshots.epochs) == [0, 0.75, 1.5, 2]
    assert list(run.metrics["step"]) == [0, 4, 8]
    np.testing.assert_array_equal(run.snapshots[-1].weights[1], model[4].weight.detach().T)
    d = run.config["data"]
    assert (d["name"], d["input_shape"], d["class_names"]) == ("toy", [2, 2], ["a", "b", "c"])
    assert run.settings["dropout"] == 0.1 and run.settings["snapshot_every"] == 3
    Xp, yp = run.files.read_probe(4)
    assert Xp.dtype == np.float32 and Xp.shape == (100, 4) and list(yp) == list(y)
    # "auto": every step at first, then growing gaps; each epoch end
    model = mlp([4, 5, 3], dtype=torch.float32)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    with Recorder(model, opt, out=tmp_path, name="auto", every="auto") as rec:
        fit(model, opt, X.astype(np.float32), y, rec, 8, batch=2)     # 50 steps an epoch
    steps = list(rec.run.snapshots.steps)
    assert steps[:17] == list(range(17)) and {50, 100, 400} <= set(steps)
    assert 40 < len(steps) < 100


class Net(nn.Module):
    """A module whose forward chains its layers with functions."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(16, 8), nn.Linear(8, 4)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        x = F.dropout(F.relu(self.fc1(x)), p=0.2, training=self.training)
        return F.log_softmax(self.fc2(x), dim=1)


def test_wrapped_models_are_recorded_through_their_wrapper(tmp_path):
    model = mlp([4, 3, 2], dtype=torch.float32)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with Recorder(nn.DataParallel(model), opt, out=tmp_path) as rec:
        pass
    assert rec.run.sizes == [4, 3, 2] and rec.run.config["recorded_from"]["layers"] == ["0", "2"]


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float64])
def test_a_module_found_from_its_forward_in_any_float_dtype(tmp_path, dtype):
    model = Net().to(dtype)
    opt = torch.optim.Adam(model.parameters())
    X = torch.randn(8, 1, 4, 4, dtype=dtype)
    with Recorder(model, opt, out=tmp_path, every=1, probe=X) as rec:
        for _ in range(2):
            opt.zero_grad()
            F.nll_loss(model(X), torch.arange(8) % 4).backward()
            opt.step()
    run = rec.run
    stored = "float64" if dtype == torch.float64 else "float32"
    assert run.sizes == [16, 8, 4] and run.config["network"]["dtype"] == stored
    assert run.settings["activation"] == "relu" and run.settings["dropout"] == 0.2
    assert run.config["recorded_from"]["output_activation"] == "log_softmax"
    assert run.config["recorded_from"]["dtype"] == str(dtype)[6:]
    assert run.name == "pytorch" and len(run.snapshots) == 3
    W = run.snapshots[-1].weights[0]
    assert W.dtype == np.dtype(stored)
    np.testing.assert_array_equal(W, model.fc1.weight.detach().to(
        getattr(torch, stored)).T.numpy())
    assert run.files.read_probe(16)[0].shape == (8, 16)


def test_endings_failed_interrupted_diverged(tmp_path):
    X, y = data()
    for exc, status in ((ValueError("bad batch"), "failed"), (KeyboardInterrupt(), "interrupted")):
        model = mlp([6, 4, 3])
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        with pytest.raises(type(exc)):
            with Recorder(model, opt, out=tmp_path, name=status, every=1) as rec:
                fit(model, opt, X, y, rec, 2)
                raise exc
        run = rec.run
        assert run.status == status and len(run.snapshots) == 3 and len(run.metrics) == 3
        assert ("bad batch" if status == "failed" else "interrupted at step 2") in \
            run.info["message"]
    model = mlp([6, 4, 3])
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.warns(RuntimeWarning, match="non-finite"):
        with Recorder(model, opt, out=tmp_path, name="nan", every=1) as rec:
            fit(model, opt, X, y, rec, 2)
            with torch.no_grad():
                model[2].weight[0, 0] = float("nan")
            fit(model, opt, X, y, rec, 1)
    run = rec.run
    assert run.status == "diverged" and "weights of 0 became non-finite between steps 2 and 3" in \
        run.info["message"]
    assert list(run.snapshots.steps) == [0, 1, 2]


class Skip(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(4, 4), nn.Linear(4, 4)

    def forward(self, x):
        h = torch.relu(self.a(x))
        return self.b(h) + h


class Extra(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Linear(4, 3))
        self.scale = nn.Parameter(torch.ones(3))


class Features(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten())
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.features(x))


UNSUPPORTED = [
    (Features, "Conv2d at features.0 is not supported yet"),
    (lambda: nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)),
     "BatchNorm1d at 1 is not supported yet"),
    (lambda: nn.LSTM(4, 4), "LSTM"),
    (Skip, "a skip connection (add of b, relu) in Skip.forward is not supported yet"),
    (Extra, "parameter scale is outside the chain of Linear layers"),
    (lambda: nn.Sequential(nn.Linear(4, 4), nn.GELU(), nn.Linear(4, 2)),
     "GELU at 1 is not supported yet"),
    (lambda: nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4), nn.Tanh(),
                           nn.Linear(4, 2)),
     "the hidden layers use different activations (relu after 0, tanh after 2)"),
    (lambda: nn.Sequential(nn.Linear(4, 4), nn.LeakyReLU(0.2), nn.Linear(4, 2)),
     "LeakyReLU at 1 has negative_slope 0.2; weightlapse's leaky_relu has 0.01"),
    (lambda: nn.Sequential(nn.Linear(4, 4), nn.Softmax(1), nn.Linear(4, 2)),
     "softmax between Linear layers (after 0) is not supported"),
]


@pytest.mark.parametrize("make,match", UNSUPPORTED)
def test_unsupported_models_are_one_line_naming_the_module(tmp_path, make, match):
    model = make()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ConfigError) as e:
        Recorder(model, opt, out=tmp_path / "out")
    assert match in str(e.value) and "\n" not in str(e.value)
    assert not (tmp_path / "out").exists()


def test_bad_arguments_are_one_line_with_nothing_written(tmp_path):
    model = mlp([4, 3, 2])
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    (tmp_path / "file").write_text("not a folder")
    out = tmp_path / "runs"
    cases = [
        (dict(every=0), "every must be 'epoch', 'auto' or a positive number of steps (got 0)"),
        (dict(every=True), "every must be"),
        (dict(every="often"), "every must be"),
        (dict(image_shape=(28, 28)), "image_shape (28, 28) has 784 pixels but the first dense "
         "layer (0) takes 4 inputs"),
        (dict(image_shape="2x2"), "image_shape must be (height, width)"),
        (dict(class_names=["a", "b", "c"]), "class_names must be 2 names, one per output unit"),
        (dict(feature_names=["a"]), "feature_names must be 4 names"),
        (dict(probe=np.zeros((3, 5))), "probe must be rows of 4 inputs"),
        (dict(probe=(np.zeros((3, 4)), np.array([0, 1, 7]))), "class indices 0..1"),
        (dict(task="regression", class_names=["a", "b"]), "class_names are for classification"),
        (dict(name="a/b"), "name must be a plain folder name"),
        (dict(out=tmp_path / "file"), "cannot be written"),
        (dict(out=tmp_path / "file" / "sub"), "cannot be written"),
    ]
    for kw, match in cases:
        kw.setdefault("out", out)
        with pytest.raises(ConfigError) as e:
            Recorder(model, opt, **kw)
        assert match in str(e.value) and "\n" not in str(e.value), (kw, str(e.value))
        assert not out.exists() or not any(out.iterdir()), kw
    other = torch.optim.SGD(mlp([4, 3, 2]).parameters(), lr=0.1)
    with pytest.raises(ConfigError, match=r"optimizer does not update 0\.weight"):
        Recorder(model, other, out=out)
    with pytest.raises(ConfigError, match="model must be a torch.nn.Module"):
        Recorder("model", opt, out=out)
    assert not out.exists() or not any(out.iterdir())


def test_misuse_while_recording(tmp_path):
    X, y = data(n=8, n_in=4)
    model = mlp([4, 3, 2])
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with Recorder(model, opt, out=tmp_path, name="first") as rec:
        with pytest.raises(ConfigError, match=r"optimizer already has a Recorder \(recording "):
            Recorder(model, opt, out=tmp_path, name="second")
        assert not (tmp_path / "second").exists()
        # metrics: numbers, NumPy scalars and one-element tensors are accepted
        rec.epoch_end(train_loss=torch.tensor([0.5]), val_loss=np.float32(0.25), val_acc=0.5)
        for kw, match in ((dict(train_loss="low"), "train_loss must be a number or a "
                           "one-element tensor"),
                          (dict(train_loss=torch.ones(2)), "train_loss must be a number"),
                          (dict(val_acc=97.5), "val_acc 97.5 is above 1: give accuracy as "
                           "a fraction (0.975"),
                          (dict(train_los=1.0), "unknown metric 'train_los'; did you mean "
                           "train_loss?")):
            with pytest.raises(ConfigError, match=match.replace("(", r"\(")):
                rec.epoch_end(**kw)
    assert list(rec.run.metrics["val_loss"][1:]) == [0.25]
    with pytest.raises(RunError, match="this recorder is closed"):
        rec.epoch_end(train_loss=1.0)
    with pytest.raises(RunError, match="this recorder is closed"):
        with rec:
            pass
    Recorder(model, opt, out=tmp_path, name="third").close()   # the optimizer is free again
    model(torch.as_tensor(X)).sum().backward()
    opt.step()                        # no longer recorded: the hooks are gone
    assert rec.run.status == "finished" and len(rec.run.snapshots) == 1


def test_a_model_that_changes_shape_ends_the_run_failed(tmp_path):
    X, y = data(n=8, n_in=4)
    model = mlp([4, 3, 2])
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(RunError) as e:
        with Recorder(model, opt, out=tmp_path, every=1) as rec:
            fit(model, opt, X, y % 2, rec, 2)
            model[2] = nn.Linear(3, 5)
            opt.step()
    assert "the model changed during training: 2 is now Linear" in str(e.value)
    run = rec.run
    assert run.status == "failed" and "the model changed" in run.info["message"]
    assert list(run.snapshots.steps) == [0, 1, 2]


def test_import_weightlapse_imports_neither_torch_nor_keras():
    code = ("import sys, weightlapse, weightlapse.cli, weightlapse.api; "
            "print(sorted(m for m in ('torch', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        import weightlapse.torch  # noqa: F401 (imports cleanly)


def test_readme_example_films_a_pytorch_mnist_model(tmp_path, mnist_dir, run_readme_example):
    run_readme_example("Film your own PyTorch model", tmp_path, mnist_dir)
    run = wl.load_run(tmp_path / "outputs" / "torch-mnist")
    assert run.status == "finished" and run.sizes == [784, 64, 10]
    assert len(run.snapshots) == 41 and list(run.metrics["step"]) == [0, 79, 158, 237, 316, 395]
    assert run.metrics["val_acc"].iloc[-1] > 0.7      # unseeded: about 0.88
    assert run.files.read_probe(784)[0].shape == (512, 784)
    assert (tmp_path / "torch-mnist.mp4").stat().st_size > 10_000
