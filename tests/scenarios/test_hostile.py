"""Hostile input, one table per command and one for the Python API (issue
#10, interface half). Each case: exit status 2 (or the project's error in
Python), a single line in the interface's own vocabulary, no traceback and
nothing left on disk."""
import os

import numpy as np
import pytest

import weightlapse as wl
from weightlapse.cli import main
from weightlapse.core.config import SETTING_NAMES
from weightlapse.core.errors import ConfigError, DataError

# Python names that must never reach the command line's messages.
PY_NAMES = [n for n in SETTING_NAMES if "_" in n] + ["dataset=", "data=", "=True"]


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    wl.train(dataset="moons", hidden=[4], epochs=2, out=root, name="run")
    wl.train(dataset="moons", hidden=[3], epochs=2, out=root, name="other")
    wl.train(dataset="moons", hidden=[3], epochs=2, val_fraction=0, out=root, name="noval")
    (root / "rows.csv").write_text("x0,x1\n0.1,0.2\n0.3,0.4\n")
    (root / "folder.csv").mkdir()
    os.mkfifo(root / "fifo.csv")
    return root


def _train(*args):
    return ["train", "--dataset", "xor", *args]


def _figure(g, t, *args):
    return ["figure", str(g / "run"), "-o", str(t / "f.png"), *args]


def _render(g, t, *args, ext=".mp4"):
    return ["render", str(g / "run"), "-o", str(t / f"v{ext}"), "--size", "64x36", *args]


def _compare(g, t, *args):
    return ["compare", str(g / "run"), str(g / "other"), *args]


def _predict(g, t, *args):
    return ["predict", str(g / "run"), *args]


# (id, argv(good, tmp), fragment of the one line)
TRAIN = [
    ("lr-huge", lambda g, t: _train("--lr", "1e300"), "--lr must be in (0, 1e6)"),
    ("lr-nan", lambda g, t: _train("--lr", "nan"), "--lr must be a finite number"),
    ("lr-inf", lambda g, t: _train("--lr", "inf"), "--lr must be a finite number"),
    ("lr-zero", lambda g, t: _train("--lr", "0"), "--lr must be in (0, 1e6)"),
    ("momentum-negative", lambda g, t: _train("--momentum", "-0.1"),
     "--momentum must be in [0, 1)"),
    ("seed-negative", lambda g, t: _train("--seed", "-1"), "--seed must be in [0, 2^63)"),
    ("seed-huge", lambda g, t: _train("--seed", str(2**63)), "--seed must be in [0, 2^63)"),
    ("classes-one", lambda g, t: _train("--classes", "1"), "--classes must be in [2, 100]"),
    ("limit-zero", lambda g, t: _train("--limit", "0"), "--limit must be >= 1"),
    ("noise-negative", lambda g, t: _train("--noise", "-1"), "--noise must be >= 0"),
    ("noise-nan", lambda g, t: _train("--noise", "nan"), "--noise must be a finite number"),
    ("l2-negative", lambda g, t: _train("--l2", "-1"), "--l2 must be >= 0"),
    ("step-every-zero", lambda g, t: _train("--lr-step-every", "0"),
     "--lr-step-every must be >= 1"),
    ("dropout-nan", lambda g, t: _train("--dropout", "nan"), "--dropout must be a finite"),
    ("val-fraction-negative", lambda g, t: _train("--val-fraction", "-0.1"),
     "--val-fraction must be in [0, 1)"),
    ("epochs-float", lambda g, t: _train("--epochs", "1.5"), "invalid int value"),
    ("snapshot-every-negative", lambda g, t: _train("--snapshot-every", "-3"),
     "--snapshot-every must be auto, log, epoch or a positive number"),
    ("snapshot-every-float", lambda g, t: _train("--snapshot-every", "1.5"),
     "--snapshot-every must be auto, log, epoch or a positive number of steps (got '1.5')"),
    ("name-nul", lambda g, t: _train("--name", "a\0b"), "--name must not contain a NUL"),
    ("name-parent", lambda g, t: _train("--name", ".."), "--name must be a plain folder name"),
    ("name-slash", lambda g, t: _train("--name", "../x"), "--name must be a plain folder"),
    ("name-empty", lambda g, t: _train("--name", ""), "--name must be a plain folder name"),
    ("out-nul", lambda g, t: _train("--out", "a\0b"), "--out must not contain a NUL"),
    ("data-folder", lambda g, t: ["train", "--data", str(g / "folder.csv")],
     "is a folder, not a file"),
    ("data-fifo", lambda g, t: ["train", "--data", str(g / "fifo.csv")],
     "is a FIFO, not a regular file"),
    ("data-missing", lambda g, t: ["train", "--data", str(t / "none.csv")], "not found"),
    ("dataset-and-data", lambda g, t: _train("--data", str(g / "rows.csv")),
     "give either --dataset NAME or --data FILE.csv, not both"),
    ("no-data", lambda g, t: ["train"], "no data: give --dataset NAME or --data FILE.csv"),
    ("label-column", lambda g, t: ["train", "--data", str(g / "rows.csv")],
     "name the label column with --label-column NAME"),
    ("task", lambda g, t: _train("--task", "clustering"), "invalid choice"),
    ("preset", lambda g, t: ["train", "--preset", "resnet"], "invalid choice"),
    ("resume-settings", lambda g, t: ["train", "--resume", str(g / "run"), "--lr", "1",
                                      "--batch-size", "3"],
     "only --epochs and --device may change (got --batch-size, --lr)"),
    ("resume-done", lambda g, t: ["train", "--resume", str(g / "run")],
     "pass --epochs N with N >= 3"),
    ("resume-file", lambda g, t: ["train", "--resume", str(g / "rows.csv")],
     "is a file, not a folder"),
]

FIGURE = [
    ("dpi-zero", lambda g, t: _figure(g, t, "--dpi", "0"), "--dpi must be a number in [20, 600]"),
    ("dpi-negative", lambda g, t: _figure(g, t, "--dpi", "-5"), "--dpi must be a number in [20, 600]"),
    ("dpi-nan", lambda g, t: _figure(g, t, "--dpi", "nan"), "--dpi must be a number in [20, 600]"),
    ("dpi-huge", lambda g, t: _figure(g, t, "--dpi", "1e6"), "--dpi must be a number in [20, 600]"),
    ("dpi-text", lambda g, t: _figure(g, t, "--dpi", "high"), "dots per inch"),
    ("output-folder", lambda g, t: ["figure", str(g / "run"), "-o", str(t)],
     "-o " + "{t}" + " is a folder"),
    ("output-folder-png", lambda g, t: ["figure", str(g / "run"), "-o", str(g / "folder.csv")],
     "is a folder"),
    ("output-no-folder", lambda g, t: ["figure", str(g / "run"), "-o", str(t / "x" / "f.png")],
     "does not exist"),
    ("snapshot-text", lambda g, t: _figure(g, t, "--snapshot", "last"), "invalid int value"),
    ("run-is-file", lambda g, t: ["figure", str(g / "rows.csv"), "-o", str(t / "f.png")],
     "is a file, not a folder"),
]

RENDER = [
    ("dpi-zero", lambda g, t: _render(g, t, "--dpi", "0"), "--dpi must be a number in [20, 600]"),
    ("dpi-nan", lambda g, t: _render(g, t, "--dpi", "nan"), "--dpi must be a number in [20, 600]"),
    ("fps-nan", lambda g, t: _render(g, t, "--fps", "nan"), "--fps must"),
    ("fps-zero", lambda g, t: _render(g, t, "--fps", "0"), "--fps must"),
    ("fps-inf", lambda g, t: _render(g, t, "--fps", "inf"), "--fps must"),
    ("output-folder", lambda g, t: ["render", str(g / "run"), "-o", str(g / "folder.csv")],
     "is a folder"),
    ("output-folder-mp4", lambda g, t: ["render", str(g / "run"), "-o",
                                        str(_mkdir(t, "film.mp4"))], "is a folder"),
    ("unwritable-folder", lambda g, t: ["render", str(g / "run"), "-o", "/proc/v.mp4"],
     "-o: the folder /proc cannot be written"),
    ("size-odd-mp4", lambda g, t: _render(g, t, "--size", "65x37"), "even width and height"),
]

COMPARE = [
    ("table-same-as-output", lambda g, t: _compare(g, t, "-o", str(t / "c.png"), "--table",
                                                   str(t / "c.png")),
     "--table must name a .csv file"),
    ("table-md", lambda g, t: _compare(g, t, "-o", str(t / "c.png"), "--table",
                                       str(t / "t.md")), "--table must name a .csv file"),
    ("table-folder", lambda g, t: _compare(g, t, "-o", str(t / "c.png"), "--table",
                                           str(_mkdir(t, "t.csv"))), "--table"),
    ("table-no-folder", lambda g, t: _compare(g, t, "-o", str(t / "c.png"), "--table",
                                              str(t / "x" / "t.csv")), "does not exist"),
    ("dpi-nan", lambda g, t: _compare(g, t, "-o", str(t / "c.png"), "--dpi", "nan"),
     "--dpi must be a number in [20, 600]"),
    ("output-folder", lambda g, t: _compare(g, t, "-o", str(g / "folder.csv")), "is a folder"),
    ("units-zero", lambda g, t: _compare(g, t, "-o", str(t / "c.png"), "--units", "0"),
     "--units"),
    ("diff-three", lambda g, t: _compare(g, t, str(g / "run"), "-o", str(t / "c.png"),
                                         "--diff"), "--diff takes exactly two runs"),
]

PREDICT = [
    ("data-folder", lambda g, t: _predict(g, t, "--data", str(g / "folder.csv"), "-o",
                                          str(t / "p.csv")), "is a folder, not a file"),
    ("data-fifo", lambda g, t: _predict(g, t, "--data", str(g / "fifo.csv"), "-o",
                                        str(t / "p.csv")), "is a FIFO"),
    ("output-folder", lambda g, t: _predict(g, t, "--data", str(g / "rows.csv"), "-o",
                                            str(t)), "-o {t} is a folder"),
    ("output-is-input", lambda g, t: _predict(g, t, "--data", str(g / "rows.csv"), "-o",
                                              str(g / "rows.csv")), "is the data file itself"),
    ("snapshot-text", lambda g, t: _predict(g, t, "--data", str(g / "rows.csv"), "-o",
                                            str(t / "p.csv"), "--snapshot", "x"),
     "invalid int value"),
]

RUNS = [
    ("sort-unknown", lambda g, t: ["runs", str(g), "--sort", "banana"],
     "--sort 'banana' is not a column"),
    ("csv-and-json", lambda g, t: ["runs", str(g), "--csv", "--json"], "not allowed with"),
    ("folder-missing", lambda g, t: ["runs", str(t / "none")], "not found"),
    ("folder-is-file", lambda g, t: ["runs", str(g / "rows.csv")], "is a file"),
]

DEMO = [
    ("size", lambda g, t: ["demo", "--out", str(t / "d"), "--size", "0x0"], "WIDTHxHEIGHT"),
    ("size-text", lambda g, t: ["demo", "--out", str(t / "d"), "--size", "wide"],
     "--size must be WIDTHxHEIGHT"),
    ("size-odd", lambda g, t: ["demo", "--out", str(t / "d"), "--size", "641x361"],
     "--size 641x361: H.264 needs even"),     # refused before the run trains
    ("snapshot-every", lambda g, t: ["demo", "--out", str(t / "d"), "--snapshot-every", "0"],
     "--snapshot-every must be"),
]

SWEEP = [
    ("setting-huge", lambda g, t: ["sweep", "--dataset", "xor", "--lr", "1e300", "--grid",
                                   "seed=1,2", "--out", str(t / "s")], "--lr must be in (0, 1e6)"),
    ("grid-value", lambda g, t: ["sweep", "--dataset", "xor", "--grid", "batch_size=8,-1",
                                 "--out", str(t / "s")], "--batch-size must be >= 0"),
    ("grid-snapshot", lambda g, t: ["sweep", "--dataset", "xor", "--grid",
                                    "snapshot_every=0,5", "--out", str(t / "s")],
     "--snapshot-every must be"),
    ("grid-name-nul", lambda g, t: ["sweep", "--dataset", "xor", "--grid", "seed=1,2",
                                    "--name", "a\0b", "--out", str(t / "s")],
     "--name must be a plain folder name"),
    ("name-parent", lambda g, t: ["sweep", "--dataset", "xor", "--grid", "seed=1,2",
                                  "--name", "../x", "--out", str(t / "s")],
     "--name must be a plain folder name"),
]

# --sample N: a held-out row of the run (moons keeps 150), checked before anything is drawn.
SAMPLE = [
    ("render-negative", lambda g, t: _render(g, t, "--sample", "-1"),
     "--sample must be a held-out row number N >= 0 (got -1)"),
    ("figure-text", lambda g, t: _figure(g, t, "--sample", "seven"),
     "--sample must be a held-out row number N >= 0, 'auto' or 'none' (got 'seven')"),
    ("figure-float", lambda g, t: _figure(g, t, "--sample", "2.5"), "--sample must be"),
    ("figure-two-dashes", lambda g, t: _figure(g, t, "--sample=--5"),
     "--sample must be a held-out row number N >= 0, 'auto' or 'none' (got '--5')"),
    ("figure-superscript", lambda g, t: _figure(g, t, "--sample", "\u00b2"),
     "--sample must be a held-out row number N >= 0, 'auto' or 'none' (got '\u00b2')"),
    ("figure-too-large", lambda g, t: _figure(g, t, "--sample", "150"),
     "--sample 150 is past the end: run run keeps 150 held-out rows (0..149)"),
    ("render-too-large", lambda g, t: _render(g, t, "--sample", "100000"),
     "--sample 100000 is past the end"),
    ("compare-too-large", lambda g, t: _compare(g, t, "-o", str(t / "c.png"), "--sample",
                                                "999"), "--sample 999 is past the end"),
    ("graph-too-large", lambda g, t: ["graph", str(g / "run"), "-o", str(t / "g.json"),
                                      "--sample", "999"], "--sample 999 is past the end"),
    ("report-too-large", lambda g, t: ["report", str(g / "run"), "-o", str(t / "r.html"),
                                       "--sample", "999"], "--sample 999 is past the end"),
    ("no-held-out", lambda g, t: ["figure", str(g / "noval"), "-o", str(t / "f.png"),
                                  "--sample", "0"],
     "--sample 0: run noval has no held-out rows to show (trained with --val-fraction 0"),
    ("report-no-held-out", lambda g, t: ["report", str(g / "noval"), "-o", str(t / "r.html"),
                                         "--sample", "3"], "run noval has no held-out rows"),
]

TABLES = {"sweep": SWEEP, "train": TRAIN, "figure": FIGURE, "render": RENDER, "compare": COMPARE,
          "predict": PREDICT, "runs": RUNS, "demo": DEMO, "sample": SAMPLE}
CASES = [(f"{cmd}-{c[0]}", *c[1:]) for cmd, table in TABLES.items() for c in table]


def _mkdir(t, name):
    (t / name).mkdir(exist_ok=True)
    return t / name


def _tree(root):
    return sorted((str(p.relative_to(root)), p.stat().st_size if p.is_file() else -1)
                  for p in root.rglob("*"))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_cli_hostile_input(good, tmp_path, capsys, case):
    _, argv_of, match = case
    argv = argv_of(good, tmp_path)
    if argv[0] == "train" and "--resume" not in argv and "--out" not in argv:
        argv += ["--out", str(tmp_path / "runs")]
    before, good_before = _tree(tmp_path), _tree(good)
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, err
    assert len(lines) == 1 and match.format(t=tmp_path) in lines[0], lines
    assert "Traceback" not in err
    if argv[0] != "runs":   # (runs' column names are its vocabulary)
        assert not any(n in lines[0] for n in PY_NAMES), lines[0]   # flags, not Python names
    assert _tree(tmp_path) == before and _tree(good) == good_before, "nothing written"


# Python API: (id, call(good, tmp), error class, fragment). Argument names, never flags.
X3 = np.random.default_rng(0).random((3, 2))
API = [
    ("labels-none", lambda g, t: wl.train(X3, [0, 1, None], out=t), DataError,
     "y[2] is None"),
    ("labels-mixed", lambda g, t: wl.train(X3, np.array([0, "a", 1], dtype=object), out=t),
     DataError, "mixes numbers and strings"),
    ("X-val-without-y", lambda g, t: wl.train(X3, [0, 1, 0], X_val=X3, out=t), DataError,
     "y_val is required with X_val"),
    ("name-nul", lambda g, t: wl.train(dataset="xor", name="a\0b", out=t), ConfigError,
     "name must not contain a NUL"),
    ("lr-huge", lambda g, t: wl.train(dataset="xor", lr=1e300, out=t), ConfigError,
     "lr must be in (0, 1e6)"),
    ("hidden-text", lambda g, t: wl.train(dataset="xor", hidden="32,32", out=t),
     ConfigError, "hidden must be a list"),
    ("epochs-bool", lambda g, t: wl.train(dataset="xor", epochs=True, out=t), ConfigError,
     "epochs must be a whole number"),
    ("typo", lambda g, t: wl.train(dataset="xor", optimiser="sgd", out=t), ConfigError,
     "did you mean optimizer?"),
    ("no-data", lambda g, t: wl.train(out=t), ConfigError,
     "give arrays X and y, dataset=NAME or data=FILE.csv"),
    ("both-data", lambda g, t: wl.train(dataset="xor", data=g / "rows.csv", out=t),
     ConfigError, "give either dataset=NAME or data=FILE.csv"),
    ("snapshot-every", lambda g, t: wl.train(dataset="xor", snapshot_every=0, out=t),
     ConfigError, "snapshot_every must be"),
    ("data-folder", lambda g, t: wl.train(data=g / "folder.csv", out=t), DataError,
     "is a folder"),
    ("label-column", lambda g, t: wl.train(data=g / "rows.csv", out=t), DataError,
     "label_column=NAME"),
    ("callbacks", lambda g, t: wl.train(dataset="xor", callbacks=3, out=t), ConfigError,
     "callbacks must be a list"),
    ("resume-int", lambda g, t: wl.train(resume=3), ConfigError, "resume must be"),
    ("resume-settings", lambda g, t: wl.train(resume=g / "run", lr=1), ConfigError,
     "only epochs and device may change (got lr)"),
    ("load-run-none", lambda g, t: wl.load_run(None), ConfigError, "path must be"),
    ("figure-dpi-zero", lambda g, t: wl.figure(g / "run", t / "f.png", dpi=0),
     ConfigError, "dpi must be a number in [20, 600]"),
    ("figure-dpi-nan", lambda g, t: wl.figure(g / "run", t / "f.png", dpi=float("nan")),
     ConfigError, "dpi must be"),
    ("figure-snapshot-float", lambda g, t: wl.figure(g / "run", t / "f.png", snapshot=1.5),
     ConfigError, "snapshot must be a whole number"),
    ("figure-path-int", lambda g, t: wl.figure(g / "run", 3), ConfigError,
     "path must be a path"),
    ("figure-folder", lambda g, t: wl.figure(g / "run", t), ConfigError,
     "path {t} is a folder"),
    ("render-size", lambda g, t: wl.render(g / "run", t / "v.mp4", size=100),
     ConfigError, "size must be WIDTHxHEIGHT"),
    ("render-fps", lambda g, t: wl.render(g / "run", t / "v.mp4", fps="fast"),
     ConfigError, "fps must be a number"),
    ("render-duration", lambda g, t: wl.render(g / "run", t / "v.mp4", duration=-1),
     ConfigError, "duration "),
    ("predict-out-folder", lambda g, t: wl.predict(g / "run", g / "rows.csv", t),
     ConfigError, "out {t} is a folder"),
    ("compare-table-md", lambda g, t: wl.compare([g / "run", g / "other"], t / "c.png",
                                                 table=t / "t.md"), ConfigError,
     "table must name a .csv file"),
    ("compare-color", lambda g, t: wl.compare([g / "run", g / "other"], t / "c.png",
                                              color="red"), ConfigError, "color "),
    ("sample-negative", lambda g, t: wl.figure(g / "run", t / "f.png", sample=-2),
     ConfigError, "sample must be a held-out row number N >= 0 (got -2)"),
    ("sample-float", lambda g, t: wl.render(g / "run", t / "v.mp4", sample=1.0),
     ConfigError, "sample must be a held-out row number"),
    ("sample-text", lambda g, t: wl.graph(g / "run", sample="first"), ConfigError,
     "sample must be a held-out row number N >= 0, 'auto' or 'none' (got 'first')"),
    ("sample-too-large", lambda g, t: wl.figure(g / "run", t / "f.png", sample=150),
     ConfigError, "sample 150 is past the end: run run keeps 150 held-out rows"),
    ("sample-no-held-out", lambda g, t: wl.report(g / "noval", t / "r.html", sample=0),
     ConfigError, "sample 0: run noval has no held-out rows"),
    ("runs-int", lambda g, t: wl.runs(3), ConfigError, "folder must be a path"),
    ("runs-sort", lambda g, t: wl.runs(g, sort="x"), ConfigError, "sort 'x' is not"),
    ("demo-size", lambda g, t: wl.demo(out=t, size=(0,)), ConfigError, "size must be"),
    ("demo-size-odd", lambda g, t: wl.demo(out=t, size=(641, 361)), ConfigError,
     "size 641x361: H.264"),
]


@pytest.mark.parametrize("case", API, ids=[c[0] for c in API])
def test_api_hostile_input(good, tmp_path, case):
    _, call, kind, match = case
    before, good_before = _tree(tmp_path), _tree(good)
    with pytest.raises(kind) as info:
        call(good, tmp_path)
    msg = str(info.value)
    assert match.format(t=tmp_path) in msg and "\n" not in msg, msg
    assert "--" not in msg, msg     # argument names, not flags
    assert _tree(tmp_path) == before and _tree(good) == good_before, "nothing written"

