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
    assert len(run.snapshots) == 100          # snapshot_every auto: 440 steps
    assert run.config["settings"]["model"]["hidden"] == [16, 16]


def test_preset_with_override(tmp_path, capsys):
    assert main(["train", "--preset", "spiral", "--epochs", "3", "--out", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "expected 95.0%-100.0% is for the preset's own settings (this run: epochs 3)" in err
    assert "band" not in err.split("expected")[1]        # no in/out verdict off the recipe
    import weightlapse as wl
    run = wl.load_run(out.strip())
    assert run.config["settings"]["training"]["epochs"] == 3          # overridden
    assert run.config["settings"]["model"]["activation"] == "tanh"    # from the preset


def test_preset_band_on_a_subset_or_other_data(tmp_path, run_cli, images_csv):
    """A preset's band is for its full dataset: a subset or other data says so
    instead of "OUT of band"."""
    code, _, err, _ = run_cli(["train", "--preset", "spiral", "--limit", "200", "-q",
                               "--out", tmp_path, "--name", "sub"])
    assert code == 0 and "OUT of band" not in err
    assert ("its expected 95.0%-100.0% is for the full spiral dataset "
            "(this run: the first 200 training rows)") in err
    code, _, err, _ = run_cli(["train", "--preset", "mnist-mlp", "--data", images_csv,
                               "--epochs", "2", "-q", "--out", tmp_path, "--name", "csv"])
    assert code == 0 and "OUT of band" not in err
    assert (f"its expected 97.0%-98.5% is for the full mnist dataset (this run: data "
            f"{images_csv}, epochs 2)") in err


def test_preset_band_verdict_only_on_the_recipe():
    from weightlapse.core.presets import PRESETS, band_text, departures
    own = dict(PRESETS["mnist-mlp"]["settings"], limit=None, data=None, out="x",
               snapshot_every=7, device="cpu")             # recording settings do not count
    assert departures("mnist-mlp", own) == []
    assert band_text("mnist-mlp", own, {"test_acc": 0.9744}) == \
        "preset mnist-mlp: test acc 97.44% against expected 97.0%-98.5%: in band"
    assert band_text("mnist-mlp", own, {"val_acc": 0.8833}).endswith(": OUT of band")
    sub = dict(own, limit=3000)
    assert band_text("mnist-mlp", sub, {"val_acc": 0.8833}) == (
        "preset mnist-mlp: val acc 88.33%; its expected 97.0%-98.5% is for the full mnist "
        "dataset (this run: the first 3,000 training rows)")
    assert departures("mnist-mlp", dict(own, dataset="fashion-mnist", hidden=[64, 32])) == \
        ["dataset fashion-mnist", "hidden 64,32"]
    assert band_text("mnist-mlp", own, {}) == "preset mnist-mlp: expected 97.0%-98.5%"


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
    (["--snapshot-every", "sometimes"], "--snapshot-every must be auto, log, epoch or a "
     "positive number of steps (got 'sometimes')"),
    (["--snapshot-every", "0"], "positive number of steps (got 0)"),
    (["--snapshot-every", "-1"], "positive number of steps (got -1)"),
    (["--snapshot-every", "autp"], "(got 'autp'); did you mean auto?"),
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


def test_runs_table(tmp_path, capsys, monkeypatch):
    import json
    monkeypatch.delenv("COLUMNS", raising=False)      # not a terminal: every column
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


def test_bare_weightlapse_prints_the_commands(capsys):
    assert main([]) == 0
    out, err = capsys.readouterr()
    assert "the following arguments are required" not in err + out
    for command in ("train", "render", "figure", "graph", "compare", "sweep", "report", "runs"):
        assert f"    {command} " in out


def test_train_help_speaks_the_command_lines_language(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "arrays" not in out and "--dataset NAME" in out


def test_readme_command_block_lists_every_command():
    import re
    from pathlib import Path
    from weightlapse.cli import COMMANDS
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = text.split("\n## Command line\n", 1)[1].split("```")[1]
    assert set(re.findall(r"^weightlapse (\w+)", block, re.M)) == set(COMMANDS)


@pytest.mark.parametrize("command,ext", [("render", ".mp4"), ("figure", ".png"),
                                         ("graph", ".graphml"), ("report", ".html")])
def test_a_folder_as_o_suggests_the_commands_own_extension(tmp_path, capsys, command, ext,
                                                           train_spiral):
    run = train_spiral(tmp_path, "r", epochs=2)
    out = tmp_path / "out"
    out.mkdir()
    assert main([command, str(run.path), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"e.g. {out / ('out' + ext)}" in err and len(err.strip().splitlines()) == 1
    assert list(out.iterdir()) == []


def test_runs_fits_80_columns(tmp_path, capsys, monkeypatch):
    import weightlapse as wl
    for k, (lr, opt, bs) in enumerate([(0.1, "sgd", 16), (0.01, "adam", 32)]):
        wl.train(dataset="moons", hidden=[4] * (k + 1), epochs=1 + k, lr=lr, optimizer=opt,
                 batch_size=bs, l2=k * 1e-4, seed=k, out=tmp_path,
                 name=f"a-rather-long-run-name-{k}")
    monkeypatch.delenv("COLUMNS", raising=False)
    assert main(["runs", str(tmp_path)]) == 0
    wide = capsys.readouterr().out
    assert max(map(len, wide.splitlines())) > 80          # the case that needs fitting
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["runs", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert max(map(len, lines)) <= 80 and lines[0].split()[:2] == ["run", "status"]
    assert "left out to fit the terminal" in err and "created" in err


def test_runs_of_csv_data_leave_synthetic_settings_empty(tmp_path, capsys):
    import io
    import pandas as pd
    import weightlapse as wl
    rows = "x0,x1,label\n" + "".join(f"{i % 7},{i % 3},{i % 2}\n" for i in range(40))
    (tmp_path / "d.csv").write_text(rows)
    wl.train(data=str(tmp_path / "d.csv"), hidden=[3], epochs=1, out=tmp_path / "runs",
             name="csv")
    wl.train(dataset="spiral", hidden=[3], epochs=1, out=tmp_path / "runs", name="spiral")
    assert main(["runs", str(tmp_path / "runs"), "--csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("run")
    assert table.loc["csv", ["n_samples", "classes", "noise"]].isna().all()
    assert table.loc["spiral", "n_samples"] == 1500 and table.loc["spiral", "classes"] == 3


@pytest.mark.parametrize("command", ["train", "demo"])
def test_an_unwritable_out_is_said_so(command, capsys):
    argv = ([command, "--dataset", "xor", "--epochs", "1"] if command == "train"
            else [command]) + ["--out", "/proc/runs"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "--out /proc/runs: the folder /proc cannot be written" in err
    assert "MiB" not in err and "snapshot_every" not in err


def test_disk_messages_name_the_flag_and_never_contradict(tmp_path, capsys):
    """Too many snapshots for the disk: the flag is --snapshot-every, and the
    two amounts differ as the refusal says."""
    import re
    import shutil
    free = shutil.disk_usage(tmp_path).free
    epochs = 10_000_000
    # 2-256-256-2 float64 network, a snapshot every step, full batch of 4 points:
    # ~67,000 parameters x 8 bytes x 10 million snapshots: far more than any disk.
    assert main(["train", "--dataset", "xor", "--hidden", "256,256", "--dtype", "float64",
                 "--epochs", str(epochs), "--snapshot-every", "1", "--batch-size", "0",
                 "--out", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--snapshot-every" in err and "--epochs" in err
    need, have = re.search(r"about (.+?) of disk and only (.+?) is free", err).groups()
    assert need != have and free > 0
    assert not (tmp_path / "runs").exists()


def test_disk_amounts_in_three_figures():
    from weightlapse.core.memory import amount
    assert [amount(n) for n in (812, 4200, 37.5 * 2**20, 3 * 2**30)] == [
        "812 bytes", "4.1 kB", "37.5 MiB", "3 GiB"]


@pytest.mark.parametrize("argv,match", [
    (["--grid", "out=a,b"], "--out cannot be swept"),
    (["--grid", "seed=1,2", "--repeat", "2"],
     "--repeat gives each setting its own seeds; do not also sweep --seed"),
    (["--grid", "lr=0.1", "--jobs", "0"], "argument --jobs: must be >= 1 (got 0)"),
    (["--grid", "lr=0.1", "--connect-timeout", "1e9"],
     "argument --connect-timeout: must be in (0, 3600]"),
])
def test_sweep_messages_name_flags(tmp_path, capsys, argv, match):
    assert exit_status(["sweep", "--dataset", "xor", "--out", str(tmp_path / "s"), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert match in err and len(err.splitlines()) == 1
    assert "_" not in err.split("error:")[1].replace("--", "")   # no Python names
    assert not (tmp_path / "s").exists()


def test_drawing_and_sweep_flags_come_from_their_declarations(capsys):
    """Each declared option is a flag whose help is made from its declaration
    (its words and its default): nothing is copied by hand into cli.py."""
    from weightlapse.cli_options import flag_of
    from weightlapse.core.declare import declared, default_of
    from weightlapse.sweeps.options import SweepOptions
    from weightlapse.viz.draw_options import DrawOptions
    for command, decls in (("render", DrawOptions.declarations()),
                           ("sweep", declared(SweepOptions))):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        for name, (f, meta) in decls.items():
            d = default_of(f)
            shown = "x".join(map(str, d)) if isinstance(d, tuple) else d
            assert flag_of(name) in text, name
            assert " ".join(meta["help"].split())[:40] in text, name
            if d not in (None, False):
                assert f"(default: {shown})" in text, name


def test_figure_module_is_no_dependency_of_video_or_export():
    code = ("import sys, weightlapse.viz.video, weightlapse.viz.export, weightlapse.viz.compare; "
            "assert 'weightlapse.viz.figure' not in sys.modules, 'figure imported'")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
