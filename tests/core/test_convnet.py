"""Conv networks end to end (issue 21): the settings, the layer plan, the run
directory's format 2 (network.layers, 4-D kernels in snapshots and the
checkpoint), format-1 runs still read, rendered and resumed, and conv runs
resumed bit for bit."""
import json

import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core.config import RunConfig
from weightlapse.core.convnet import layout, parse_conv, plan_layers
from weightlapse.core.errors import ConfigError
from weightlapse.core.model import MLP
from weightlapse.core.resume import resume_run

CONV = dict(conv=[[4, 3], [6, 3]], pool=2, conv_padding=1, hidden=[12], epochs=3, batch_size=16, lr=0.01,
            optimizer="adam", snapshot_every=5, seed=3)


@pytest.fixture(scope="module")
def conv_run(tmp_path_factory, images_csv):
    return wl.train(data=images_csv, out=tmp_path_factory.mktemp("conv"), name="c", **CONV)


def test_parse_conv_reads_channels_by_kernel():
    assert parse_conv("8x5,16x5") == [[8, 5], [16, 5]]
    assert parse_conv(" 6X3 ") == [[6, 3]]
    assert parse_conv("none") == parse_conv("") == []
    for bad in ("8,16", "8x", "x5", "8x5x2", "a x b"):
        with pytest.raises(ValueError, match="CHANNELSxKERNEL"):
            parse_conv(bad)


def test_lenet_plan_shapes_and_layout():
    layers = plan_layers([1, 28, 28], [[6, 5], [16, 5]], 2, 1, 0, [120, 84], 10)
    assert [l["kind"] for l in layers] == ["conv", "conv", "dense", "dense", "dense"]
    assert layers[0]["map_shape"] == [6, 24, 24] and layers[0]["out_shape"] == [6, 12, 12]
    assert layers[1]["in_shape"] == [6, 12, 12] and layers[1]["out_shape"] == [16, 4, 4]
    assert layers[2] == {"kind": "dense", "n_in": 256, "n_out": 120}
    assert layout(layers) == [(6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,), (256, 120), (120,),
                              (120, 84), (84,), (84, 10), (10,)]
    padded = plan_layers([1, 28, 28], [[6, 5]], 2, 1, 2, [], 10)
    assert padded[0]["map_shape"] == [6, 28, 28] and padded[1]["n_in"] == 6 * 14 * 14


def test_conv_setting_is_text_or_pairs():
    a = RunConfig.from_settings(conv="8x5,16x5").model.conv
    b = RunConfig.from_settings(conv=[(8, 5), (16, 5)]).model.conv
    assert a == b == [[8, 5], [16, 5]]
    assert RunConfig.from_settings().model.conv == []


def test_the_dense_network_is_unchanged_by_the_conv_code():
    """No conv layers: the same draws and layers as before conv layers existed."""
    a = MLP([5, 7, 3], rng=np.random.default_rng(4))
    b = MLP([5, 7, 3], rng=np.random.default_rng(4), layers=None)
    assert list(a.params) == ["W0", "b0", "W1", "b1"] and not a.is_conv
    rng = np.random.default_rng(4)
    W0 = rng.normal(0, np.sqrt(2 / 5), (5, 7)).astype(np.float32)
    assert np.array_equal(a.weights[0], W0) and np.array_equal(a.weights[0], b.weights[0])


def test_a_conv_run_directory_holds_its_layers_and_kernels(conv_run):
    net = conv_run.config["network"]
    assert conv_run.config["format"] == 2 and conv_run.is_conv and conv_run.n_in == 144
    assert [l["kind"] for l in net["layers"]] == ["conv", "conv", "dense", "dense"]
    assert net["layers"][0]["in_shape"] == [1, 12, 12]
    assert net["sizes"] == [54, 12, 3]          # 6 channels of 3x3 maps, flattened
    assert conv_run.settings["conv"] == [[4, 3], [6, 3]]
    shapes = [w.shape for w in conv_run.snapshots[-1].weights]
    assert shapes == [(4, 1, 3, 3), (6, 4, 3, 3), (54, 12), (12, 3)]
    with np.load(conv_run.path / "checkpoint.npz") as f:
        assert f["param.W0"].shape == (4, 1, 3, 3) and f["param.W2"].shape == (54, 12)
    model = conv_run.network()
    for a, b in zip(model.weights, conv_run.snapshots[-1].weights):
        assert np.array_equal(a, b)
    assert conv_run.info["final_metrics"]["val_acc"] > 0.6


def test_a_conv_run_predicts_its_csv(conv_run, images_csv, tmp_path):
    out = tmp_path / "sub.csv"
    wl.predict(conv_run, images_csv, out=out)
    import pandas as pd
    got = pd.read_csv(out)
    labels = pd.read_csv(images_csv)["label"]
    assert list(got.columns) == ["row", "prediction"] and len(got) == 160
    assert (got["prediction"].to_numpy() == labels.to_numpy()).mean() > 0.6


def test_a_conv_run_resumes_bit_for_bit(tmp_path, images_csv, stop_at, conv_run):
    cut = wl.train(data=images_csv, out=tmp_path, name="cut", callbacks=[stop_at(11)], **CONV)
    assert cut.status == "interrupted"
    done = resume_run(cut.path)
    assert done.status == "finished"
    assert np.array_equal(done.snapshots.steps, conv_run.snapshots.steps)
    for a, b in zip(done.snapshots[-1].weights, conv_run.snapshots[-1].weights):
        assert np.array_equal(a, b)
    cols = ["epoch", "step", "train_loss", "train_acc", "val_loss", "val_acc"]
    assert done.metrics[cols].equals(conv_run.metrics[cols])


def _as_format_1(run):
    """Rewrite a dense run's config.json as the code before conv layers wrote it:
    format 1, no network.layers, no conv settings."""
    path = run.path / "config.json"
    cfg = json.loads(path.read_text())
    cfg["format"] = 1
    del cfg["network"]["layers"]
    for key in ("conv", "pool", "conv_stride", "conv_padding"):
        del cfg["settings"]["model"][key]
    path.write_text(json.dumps(cfg, indent=2))
    return path


def test_a_format_1_run_loads_renders_and_resumes(tmp_path, stop_at):
    settings = dict(dataset="moons", n_samples=200, hidden=[5], epochs=4, batch_size=32,
                    lr=0.05, snapshot_every=4)
    whole = wl.train(out=tmp_path, name="whole", **settings)
    old = wl.train(out=tmp_path / "old", name="run", callbacks=[stop_at(9)], **settings)
    _as_format_1(old)
    run = wl.load_run(old.path)
    assert not run.is_conv and run.layers == whole.layers and run.n_in == 2
    assert [w.shape for w in run.snapshots[-1].weights] == [(2, 5), (5, 2)]
    # The same weights draw the same picture, whichever format names them.
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    wl.figure(run, a, snapshot=1)
    wl.figure(wl.train(out=tmp_path / "new", name="run", callbacks=[stop_at(9)], **settings),
              b, snapshot=1)
    assert a.read_bytes() == b.read_bytes()
    done = resume_run(old.path)
    assert done.config["format"] == 1 and "layers" not in json.loads(
        (old.path / "config.json").read_text())["network"]
    for x, y in zip(done.snapshots[-1].weights, whole.snapshots[-1].weights):
        assert np.array_equal(x, y)


def test_a_damaged_layers_section_is_named(conv_run, tmp_path):
    import shutil
    from weightlapse.core.errors import RunError
    dst = tmp_path / "bad"
    shutil.copytree(conv_run.path, dst)
    cfg = json.loads((dst / "config.json").read_text())
    cfg["network"]["layers"][1]["in_shape"] = [5, 5, 5]
    (dst / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(RunError, match="layers do not match"):
        wl.load_run(dst)


def test_conv_on_tabular_data_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="needs image data"):
        wl.train(dataset="moons", conv="4x3", out=tmp_path, epochs=1)
    assert not any(tmp_path.iterdir())


# -- the mnist-cnn preset on the other image data ------------------------------------

def _digits(n, rng, side=28, with_label=True):
    """Fake 28x28 digits: class k lights a 3-row band at row 2k+2 (as in
    tests/core/test_csvdata.py)."""
    import pandas as pd
    labels = np.arange(n) % 10
    imgs = rng.integers(0, 30, (n, side, side))
    for i, k in enumerate(labels):
        imgs[i, 2 * k + 2: 2 * k + 5, 4:24] = 250
    df = pd.DataFrame(imgs.reshape(n, -1), columns=[f"pixel{i}" for i in range(side * side)])
    if with_label:
        df.insert(0, "label", labels)
    return df, imgs, labels


def test_mnist_cnn_trains_on_the_kaggle_csv_and_writes_a_submission(tmp_path, capsys):
    import pandas as pd
    from weightlapse.cli import main
    rng = np.random.default_rng(0)
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    _digits(300, rng)[0].to_csv(train, index=False)
    _digits(25, rng, with_label=False)[0].to_csv(test, index=False)
    assert main(["train", "--preset", "mnist-cnn", "--data", str(train), "--epochs", "3",
                 "--snapshot-every", "epoch", "--out", str(tmp_path / "runs"), "--quiet"]) == 0
    run = wl.load_run(capsys.readouterr().out.strip().splitlines()[-1])
    assert run.is_conv and run.layers[0]["in_shape"] == [1, 28, 28]
    assert run.settings["conv"] == [[6, 5], [16, 5]] and run.sizes == [256, 120, 84, 10]
    sub = tmp_path / "submission.csv"
    assert main(["predict", str(run.path), "--data", str(test), "-o", str(sub)]) == 0
    table = pd.read_csv(sub)
    assert list(table.columns) == ["ImageId", "Label"] and len(table) == 25
    assert (table["Label"] == np.arange(25) % 10).mean() > 0.8


def test_mnist_cnn_trains_on_fashion_mnist(tmp_path, idx_bytes):
    import gzip
    rng = np.random.default_rng(1)
    root = tmp_path / "data"
    (root / "fashion-mnist").mkdir(parents=True)
    for part, n in (("train", 400), ("t10k", 50)):
        _, imgs, labels = _digits(n, rng)
        for kind, arr in (("images-idx3", imgs.astype(np.uint8)),
                          ("labels-idx1", labels.astype(np.uint8))):
            (root / "fashion-mnist" / f"{part}-{kind}-ubyte.gz").write_bytes(
                gzip.compress(idx_bytes(arr)))
    run = wl.train(preset="mnist-cnn", dataset="fashion-mnist", data_dir=root, epochs=3,
                   snapshot_every="epoch", out=tmp_path / "runs")
    assert run.is_conv and run.config["data"]["name"] == "fashion-mnist"
    assert run.info["final_metrics"]["test_acc"] > 0.8


def test_a_conv_layers_channels_are_its_units_in_the_health_record():
    from weightlapse.core.health_record import layer_stats
    A = np.abs(np.random.default_rng(0).normal(size=(5, 3, 4, 4))).astype(np.float32)
    A[:, 1] = 0                              # channel 1: zero at every pixel of every row
    A[2, 2, 1, 1] = 0                        # one zero pixel does not kill channel 2
    s = layer_stats(A, "relu", [0.0, 4.0])
    assert s["dead_fraction"] == pytest.approx(1 / 3)
    assert len(s["unit_mean"]) == len(s["unit_active"]) == 3
    assert s["unit_active"][1] == 0 and 0.9 < s["unit_active"][2] < 1
    assert sum(s["act_hist"]) == A.size


def test_a_conv_run_is_diagnosed_per_layer(conv_run):
    df = wl.diagnostics(conv_run)
    assert sorted(df["layer"].unique()) == [0, 1, 2, 3]
    assert df["update_ratio"].notna().any()
    first = df[df["layer"] == 0]
    assert first["dead_fraction"].notna().any()


def test_runs_lists_a_conv_network_by_its_layers(conv_run):
    from weightlapse.core.convnet import describe, dense_layers
    assert describe(conv_run.layers) == "1x12x12-c4x3p1-pool2-c6x3p1-pool2-54-12-3"
    assert describe(dense_layers([2, 32, 32, 3])) == "2-32-32-3"
    table = wl.runs(conv_run.path.parent)
    assert list(table["network"]) == ["1x12x12-c4x3p1-pool2-c6x3p1-pool2-54-12-3"]


def test_the_memory_estimate_counts_the_conv_maps_and_bounded_columns():
    from weightlapse.core.conv import COLUMN_BUDGET
    from weightlapse.core.memory import conv_bytes
    layers = plan_layers([1, 28, 28], [[6, 5], [16, 5]], 2, 1, 0, [120, 84], 10)
    small, big = (conv_bytes(layers, 4, "adam", b, 10_000) for b in (64, 60_000))
    assert 0 < small < 2 * COLUMN_BUDGET < big     # batch 64: the evaluation chunk dominates
    cols = 25 * 24 * 24 * 4                    # conv 1's im2col bytes per sample
    per_sample = (784 + 2 * 6 * 24 * 24 + 6 * 12 * 12 + 6 * 144 + 2 * 16 * 64 + 16 * 16) * 4
    # a full batch of 60,000: the maps grow with it, the columns stop at the budget
    assert big < 3 * 60_000 * per_sample + 1024 * per_sample + 4 * COLUMN_BUDGET + 2**20
    assert big > 3 * 60_000 * per_sample and 60_000 * cols > 4 * COLUMN_BUDGET
    assert conv_bytes(dense_layers_of(layers), 4, "adam", 64, 100) == 0


def dense_layers_of(layers):
    return [l for l in layers if l["kind"] == "dense"]
