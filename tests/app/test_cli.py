"""The command line: a working train, and one-line errors with exit status 2."""
import subprocess
import sys

import pytest

from weightlapse.cli import main


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "weightlapse", *args], cwd=cwd,
                          capture_output=True, text=True)


def test_train_prints_run_dir_last(tmp_path):
    p = run_cli("train", "--dataset", "spiral", "--hidden", "16,16", "--epochs", "20",
                "--out", str(tmp_path), "--name", "s1")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().splitlines()[-1] == str(tmp_path / "s1")
    assert "finished" in p.stderr
    import weightlapse as wl
    run = wl.load_run(tmp_path / "s1")
    assert len(run.snapshots) == 21
    assert run.config["settings"]["model"]["hidden"] == [16, 16]


def test_preset_with_override(tmp_path, capsys):
    assert main(["train", "--preset", "spiral", "--epochs", "3", "--out", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "expected 95.0%-100.0%" in err
    import weightlapse as wl
    run = wl.load_run(out.strip())
    assert run.config["settings"]["training"]["epochs"] == 3          # overridden
    assert run.config["settings"]["model"]["activation"] == "tanh"    # from the preset


def exit_status(argv):
    """main()'s exit status, whether it returns it or argparse exits."""
    try:
        return main(argv)
    except SystemExit as e:
        return e.code


@pytest.mark.parametrize("args,match", [
    (["--lr", "-1"], "--lr must be in (0, 1e6)"),
    (["--epochs", "0"], "--epochs must be in [1, 1e7]"),
    (["--hidden", "8,0"], "hidden must be positive"),
    (["--hidden", "8,x"], "comma-separated layer sizes"),
    (["--optimizer", "adamw"], "invalid choice"),
    (["--snapshot-every", "often"], "'epoch' or a number"),
    (["--val-fraction", "2"], "--val-fraction"),
    (["--dataset", "imagenet"], "invalid choice"),
    (["--dataset", "mnist", "--data-dir", "/nonexistent"], "mnist files missing"),
    (["--lr", "abc"], "invalid float value"),
    (["--bogus"], "unrecognized arguments"),
])
def test_bad_input_one_line_exit_2(tmp_path, capsys, args, match):
    argv = ["train", "--out", str(tmp_path / "runs")]
    if "--dataset" not in args:
        argv += ["--dataset", "spiral"]
    assert exit_status(argv + args) == 2
    err = capsys.readouterr().err
    assert match in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert not (tmp_path / "runs").exists()


def test_argparse_errors_exit_2_in_a_real_process(tmp_path):
    p = run_cli("train", "--optimizer", "adamw", "--out", str(tmp_path))
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1
    p = run_cli("train", "--dataset", "spiral", "--lr", "-3", "--out", str(tmp_path))
    assert p.returncode == 2 and "--lr must be in (0, 1e6)" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())


def test_unwritable_output(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code = main(["train", "--dataset", "xor", "--epochs", "1", "--out", str(blocker / "x")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_runs_table(tmp_path, capsys):
    import json
    import weightlapse as wl
    wl.train(dataset="xor", hidden=[4], epochs=2, out=tmp_path, name="a")
    wl.sweep({"lr": [0.1, 0.2]}, dataset="moons", hidden=[3], epochs=1, out=tmp_path,
             log=lambda m: None)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({"format": 99}))
    assert main(["runs", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    # separate accuracy columns, then the settings that differ between runs
    assert out[0].split() == ["run", "status", "data", "network", "epochs_done", "train_acc",
                              "val_acc", "val_loss", "snapshots", "created", "hidden", "lr",
                              "epochs"]
    names = [line.split()[0] for line in out[1:]]
    assert names == ["a", "broken", "sweep/lr=0.1", "sweep/lr=0.2"]
    assert "finished" in out[1] and "2-4-2" in out[1] and "unreadable" in out[2]
    assert main(["runs", str(tmp_path), "--csv", "--sort", "lr", "--reverse"]) == 0
    import io
    import pandas as pd
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(table["run"][:2]) == ["sweep/lr=0.2", "sweep/lr=0.1"]
    assert {"val_acc", "test_acc", "optimizer", "batch_size", "seed"} <= set(table.columns)
    assert main(["runs", str(tmp_path), "--json", "--sort", "val_acc"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == 4 and records[0]["hidden"] in ("4", "3")
    assert main(["runs", str(tmp_path / "none")]) == 2
    assert "not found" in capsys.readouterr().err
