"""CSV data (Kaggle digits and any table), predictions, and every bad input."""
import numpy as np
import pandas as pd
import pytest

import weightlapse as wl
from weightlapse.cli import main


def digits_frame(n, rng, with_label=True):
    """Fake Kaggle digits: label k lights up a 3-row band at row 2k+2."""
    labels = np.arange(n) % 10
    imgs = rng.integers(0, 30, (n, 28, 28))
    for i, k in enumerate(labels):
        imgs[i, 2 * k + 2: 2 * k + 5, 4:24] = 250
    df = pd.DataFrame(imgs.reshape(n, 784), columns=[f"pixel{i}" for i in range(784)])
    if with_label:
        df.insert(0, "label", labels)
    return df


@pytest.fixture
def kaggle(tmp_path):
    rng = np.random.default_rng(0)
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    digits_frame(300, rng).to_csv(train, index=False)
    digits_frame(25, rng, with_label=False).to_csv(test, index=False)
    return train, test


def test_kaggle_train_and_submission(tmp_path, kaggle, capsys):
    train, test = kaggle
    out = tmp_path / "runs"
    assert main(["train", "--data", str(train), "--hidden", "16", "--epochs", "15",
                 "--out", str(out)]) == 0
    run_dir = capsys.readouterr().out.strip().splitlines()[-1]
    run = wl.load_run(run_dir)
    d = run.config["data"]
    assert d["input_shape"] == [28, 28] and d["class_names"] == list(range(10))
    assert d["n_train"] == 270 and d["n_val"] == 30
    assert d["transform"] == {"kind": "scale", "factor": 1 / 255}
    assert run.info["final_metrics"]["val_acc"] > 0.9
    sub = tmp_path / "submission.csv"
    assert main(["predict", run_dir, "--data", str(test), "-o", str(sub)]) == 0
    table = pd.read_csv(sub)
    assert list(table.columns) == ["ImageId", "Label"]
    assert list(table["ImageId"]) == list(range(1, 26))
    assert (table["Label"] == np.arange(25) % 10).mean() > 0.9
    # an earlier snapshot predicts too (snapshot 0: the untrained network)
    first = wl.predict(run_dir, test, snapshot=0)
    assert len(first) == 25 and not first["Label"].equals(table["Label"])


def test_any_csv_with_string_labels_is_standardised(tmp_path):
    rng = np.random.default_rng(1)
    n = 400
    df = pd.DataFrame({"height": rng.normal(170, 10, n), "weight": rng.normal(70, 15, n)})
    df["kind"] = np.where(df["height"] + 0.5 * df["weight"] > 205, "tall", "short")
    path = tmp_path / "people.csv"
    df.to_csv(path, index=False)
    run = wl.train(data=str(path), label_column="kind", hidden=[8], epochs=60,
                   out=tmp_path / "runs", seed=3)
    d = run.config["data"]
    assert d["class_names"] == ["short", "tall"]
    assert d["columns"] == ["height", "weight"]
    t = d["transform"]
    assert t["kind"] == "standardize"
    # statistics of the training split (not the whole file), saved in the run
    assert t["mean"][0] == pytest.approx(df["height"].mean(), abs=1.5)
    assert t["std"][1] == pytest.approx(df["weight"].std(), rel=0.1)
    assert t["mean"][0] != pytest.approx(df["height"].mean(), abs=1e-9)
    pred = wl.predict(run, path, out=tmp_path / "p.csv")
    assert list(pred.columns) == ["row", "prediction"]
    assert set(pred["prediction"]) <= {"short", "tall"}
    assert (pred["prediction"] == df["kind"]).mean() > 0.9
    assert pd.read_csv(tmp_path / "p.csv").shape == (n, 2)


def test_regression_csv(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.uniform(-2, 2, (300, 2))
    df = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "target": 3 * x[:, 0] - x[:, 1]})
    path = tmp_path / "reg.csv"
    df.to_csv(path, index=False)
    run = wl.train(data=str(path), label_column="target", task="regression", hidden=[16],
                   epochs=100, out=tmp_path / "runs")
    pred = wl.predict(run, path)
    assert np.corrcoef(pred["prediction"], df["target"])[0, 1] > 0.98


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


BAD_TRAIN = [
    ("empty.csv", "", [], "is empty"),
    ("header.csv", "a,b,label\n", [], "no rows"),
    ("nolabel.csv", "a,b\n1,2\n3,4\n", [], "no column 'label'"),
    ("text.csv", "a,b,label\n1,2,0\n3,red,1\n", [], "column 'b' is not numeric ('red' at line 3)"),
    ("nan.csv", "a,b,label\n1,2,0\n3,,1\n5,6,0\n", [], "column 'b' has a missing or NaN value at line 3"),
    ("inf.csv", "a,b,label\n1,2,0\n3,inf,1\n", [], "column 'b' has an infinite value at line 3"),
    ("ragged.csv", "a,b,label\n1,2,0\n3,4,1,9\n", [], "line 3 has 4 fields"),
    ("oneclass.csv", "a,b,label\n1,2,0\n3,4,0\n5,6,0\n", [], "only one class"),
    ("frac.csv", "a,label\n1,0.5\n2,1.5\n", [], "fractional"),
    ("nolabelvalue.csv", "a,label\n1,0\n2,\n3,1\n", [], "label column 'label' is empty at line 3"),
    ("ok.csv", "a,y\n1,0\n2,1\n", ["--label-column", "target"], "no column 'target'"),
    ("regtext.csv", "a,label\n1,x\n2,1\n", ["--task", "regression"], "not a finite number at line 2"),
    ("missing.csv", None, [], "not found"),
    ("both.csv", "a,label\n1,0\n2,1\n", ["--dataset", "spiral"], "not both"),
]


@pytest.mark.parametrize("name,text,extra,match", BAD_TRAIN, ids=[b[0] for b in BAD_TRAIN])
def test_bad_csv_one_line_exit_2(tmp_path, capsys, name, text, extra, match):
    path = write(tmp_path, name, text) if text is not None else str(tmp_path / name)
    out = tmp_path / "runs"
    code = main(["train", "--data", path, "--epochs", "1", "--out", str(out), *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert match in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_predict_errors(tmp_path, kaggle, capsys):
    train, test = kaggle
    run = wl.train(data=str(train), hidden=[4], epochs=1, out=tmp_path / "runs")
    wrong = write(tmp_path, "wrong.csv", "a,b\n1,2\n")
    cases = [
        (["--data", wrong], "does not match the run's 784 input columns"),
        (["--data", str(test), "--snapshot", "99"], "snapshot 99 does not exist"),
        (["--data", str(tmp_path / "nope.csv")], "not found"),
    ]
    for args, match in cases:
        out = tmp_path / "sub.csv"
        code = main(["predict", str(run.path), "-o", str(out), *args])
        err = capsys.readouterr().err
        assert code == 2 and match in err and len(err.strip().splitlines()) == 1, err
        assert not out.exists()
    code = main(["predict", str(tmp_path / "norun"), "--data", str(test), "-o",
                 str(tmp_path / "s.csv")])
    assert code == 2 and "not found" in capsys.readouterr().err


def test_preset_uses_csv_instead_of_its_dataset(tmp_path, kaggle):
    train, _ = kaggle
    run = wl.train(preset="mnist-mlp", data=str(train), epochs=1, out=tmp_path / "runs")
    assert run.config["settings"]["data"]["dataset"] is None
    assert run.config["settings"]["model"]["hidden"] == [128]
