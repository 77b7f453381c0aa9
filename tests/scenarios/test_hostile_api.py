"""Every public function of the Python API, every argument, every wrong type
(issue 17): the project's own error (a WeightlapseError, never a TypeError
from inside), on one line, in Python's vocabulary (``runs[1]``, never
``--runs``), and nothing written. The table is generated: WRONG values ×
SLOTS (a call with one argument replaced), less the pairs in ACCEPTED (a
value that is a valid spelling there: None for "the default", an int for
``units=K``...)."""
import os

import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core.errors import WeightlapseError


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-api")
    wl.train(dataset="moons", hidden=[4], epochs=2, out=root, name="run")
    wl.train(dataset="moons", hidden=[3], epochs=2, out=root, name="other")
    (root / "rows.csv").write_text("x0,x1\n0.1,0.2\n0.3,0.4\n")
    return root


def _generator():
    yield from ["runs/a", "runs/b"]


# Each: a fresh wrong value (the generator is used up once given).
WRONG = {
    "None": lambda g: None,
    "int": lambda g: 42,
    "float": lambda g: 3.5,
    "nan": lambda g: float("nan"),
    "bool": lambda g: True,
    "dict": lambda g: {"a": 1},
    "bytes": lambda g: os.fsencode(g / "run"),
    "generator": lambda g: _generator(),
    "file": lambda g: g / "rows.csv",          # a Path to a file that is no run
    "ints": lambda g: [1, 2],
    "object": lambda g: object(),
    "array": lambda g: np.zeros(3),
    "set": lambda g: {1},
}

X3, Y3 = np.random.default_rng(0).random((3, 2)), [0, 1, 0]

# (slot) -> call(good, tmp, value)
SLOTS = {
    "load_run.path": lambda g, t, v: wl.load_run(v),
    "train.X": lambda g, t, v: wl.train(v, Y3, out=t, epochs=1),
    "train.y": lambda g, t, v: wl.train(X3, v, out=t, epochs=1),
    "train.X_val": lambda g, t, v: wl.train(X3, Y3, X_val=v, y_val=[0, 1], out=t, epochs=1),
    "train.dataset": lambda g, t, v: wl.train(dataset=v, out=t, epochs=1),
    "train.preset": lambda g, t, v: wl.train(preset=v, out=t, epochs=1),
    "train.data": lambda g, t, v: wl.train(data=v, out=t, epochs=1),
    "train.out": lambda g, t, v: wl.train(dataset="xor", out=v, epochs=1),
    "train.name": lambda g, t, v: wl.train(dataset="xor", out=t, name=v, epochs=1),
    "train.hidden": lambda g, t, v: wl.train(dataset="xor", out=t, hidden=v, epochs=1),
    "train.lr": lambda g, t, v: wl.train(dataset="xor", out=t, lr=v, epochs=1),
    "train.callbacks": lambda g, t, v: wl.train(dataset="xor", out=t, callbacks=v, epochs=1),
    "train.callback": lambda g, t, v: wl.train(dataset="xor", out=t, callbacks=[v], epochs=1),
    "train.resume": lambda g, t, v: wl.train(resume=v),
    "render.run": lambda g, t, v: wl.render(v, t / "v.mp4", size=(64, 36)),
    "render.path": lambda g, t, v: wl.render(g / "run", v, size=(64, 36)),
    "render.size": lambda g, t, v: wl.render(g / "run", t / "v.mp4", size=v),
    "render.fps": lambda g, t, v: wl.render(g / "run", t / "v.mp4", size=(64, 36), fps=v),
    "figure.run": lambda g, t, v: wl.figure(v, t / "f.png"),
    "figure.path": lambda g, t, v: wl.figure(g / "run", v),
    "figure.snapshot": lambda g, t, v: wl.figure(g / "run", t / "f.png", snapshot=v),
    "figure.dpi": lambda g, t, v: wl.figure(g / "run", t / "f.png", dpi=v),
    "figure.color": lambda g, t, v: wl.figure(g / "run", t / "f.png", color=v),
    "figure.options": lambda g, t, v: wl.figure(g / "run", t / "f.png", options=v),
    "graph.run": lambda g, t, v: wl.graph(v),
    "graph.path": lambda g, t, v: wl.graph(g / "run", v),
    "graph.snapshot": lambda g, t, v: wl.graph(g / "run", snapshot=v),
    "graph.all_snapshots": lambda g, t, v: wl.graph(g / "run", t / "d.gexf", all_snapshots=v),
    "compare.runs": lambda g, t, v: wl.compare(v, t / "c.png"),
    "diagnostics.run": lambda g, t, v: wl.diagnostics(v),
    "diagnose.runs": lambda g, t, v: wl.diagnose(v, t / "h.png"),
    "diagnose.runs[1]": lambda g, t, v: wl.diagnose([g / "run", v], t / "h.png"),
    "diagnose.path": lambda g, t, v: wl.diagnose(g / "run", v),
    "figure.size": lambda g, t, v: wl.figure(g / "run", t / "f.png", size=v),
    "compare.runs[1]": lambda g, t, v: wl.compare([g / "run", v], t / "c.png"),
    "compare.path": lambda g, t, v: wl.compare([g / "run", g / "other"], v),
    "compare.table": lambda g, t, v: wl.compare([g / "run", g / "other"], t / "c.png",
                                                table=v),
    "report.runs": lambda g, t, v: wl.report(v, t / "r.html"),
    "report.runs[1]": lambda g, t, v: wl.report([g / "run", v], t / "r.html"),
    "report.path": lambda g, t, v: wl.report(g / "run", v),
    "report.snapshots": lambda g, t, v: wl.report(g / "run", t / "r.html", snapshots=v),
    "predict.run": lambda g, t, v: wl.predict(v, g / "rows.csv"),
    "predict.data": lambda g, t, v: wl.predict(g / "run", v),
    "predict.out": lambda g, t, v: wl.predict(g / "run", g / "rows.csv", out=v),
    "predict.snapshot": lambda g, t, v: wl.predict(g / "run", g / "rows.csv", snapshot=v),
    "runs.folder": lambda g, t, v: wl.runs(v),
    "runs.sort": lambda g, t, v: wl.runs(g, sort=v),
    "load_dataset.name": lambda g, t, v: wl.load_dataset(v),
    "load_dataset.data_dir": lambda g, t, v: wl.load_dataset("mnist", data_dir=v),
    "load_dataset.seed": lambda g, t, v: wl.load_dataset("moons", seed=v),
    "demo.out": lambda g, t, v: wl.demo(out=v),
    "demo.name": lambda g, t, v: wl.demo(out=t, name=v),
    "demo.size": lambda g, t, v: wl.demo(out=t, size=v),
    "demo.snapshot_every": lambda g, t, v: wl.demo(out=t, snapshot_every=v),
}

# Valid there: None is "the default" (or "no such output"); some values are
# real spellings (hidden=42: one layer of 42 units; snapshots=42).
DEFAULTS = ["train.X_val", "train.out", "train.name", "train.hidden", "train.lr",
            "render.size", "render.fps", "figure.color", "figure.options", "graph.path",
            "compare.table", "report.path", "predict.out", "runs.sort",
            "load_dataset.data_dir", "load_dataset.seed", "demo.out", "demo.name", "demo.size",
            "demo.snapshot_every", "diagnose.path", "figure.size"]
ACCEPTED = {(s, "None") for s in DEFAULTS} | {
    ("train.hidden", "int"), ("train.hidden", "ints"), ("train.lr", "float"),
    ("train.lr", "int"), ("report.snapshots", "int"), ("load_dataset.seed", "int"),
    ("render.fps", "int"), ("render.fps", "float"), ("figure.dpi", "int"),
    ("figure.snapshot", "int"), ("graph.snapshot", "int"), ("predict.snapshot", "int"),
    ("graph.all_snapshots", "bool"),
    ("demo.snapshot_every", "int"),
    ("compare.table", "file"),  # a .csv output: the table is written there
    ("predict.data", "file"),   # rows.csv is two features, as the moons run reads
    ("train.X", "None"),        # no arrays: then dataset= or data= is asked for (below)
}
# wrong for a reason other than the type, so also the project's error
CASES = [(s, w) for s in SLOTS for w in WRONG if (s, w) not in ACCEPTED]
CASES += [("train.X", "None")]   # "give arrays X and y, dataset=NAME or data=FILE.csv"


def _tree(root):
    return sorted((str(p.relative_to(root)), p.stat().st_size if p.is_file() else -1)
                  for p in root.rglob("*"))


@pytest.mark.parametrize("slot,wrong", CASES, ids=[f"{s}={w}" for s, w in CASES])
def test_every_wrong_type_is_one_line_of_the_projects_error(good, tmp_path, slot, wrong):
    before, good_before = _tree(tmp_path), _tree(good)
    with pytest.raises(WeightlapseError) as info:
        SLOTS[slot](good, tmp_path, WRONG[wrong](good))
    msg = str(info.value)
    assert msg and "\n" not in msg, msg
    assert "--" not in msg, msg                      # argument names, not flags
    assert "Traceback" not in msg and "object is not" not in msg, msg
    assert _tree(tmp_path) == before and _tree(good) == good_before, "nothing written"


def test_the_table_is_large_and_covers_every_public_function():
    public = {s.split(".")[0] for s in SLOTS}
    assert public >= set(wl.__all__) - {"__version__", "WeightlapseError", "sweep"}
    assert len(CASES) > 500


def test_a_wrong_item_is_named_by_its_place(good, tmp_path):
    with pytest.raises(WeightlapseError, match=r"runs\[1\] must be .* \(got 42\)"):
        wl.report([good / "run", 42], tmp_path / "r.html")
    with pytest.raises(WeightlapseError, match=r"runs must be a run .* \(got None\)"):
        wl.report(None, tmp_path / "r.html")
    with pytest.raises(WeightlapseError, match=r"runs must be a list of runs"):
        wl.compare(42, tmp_path / "c.png")
    with pytest.raises(WeightlapseError, match=r"callbacks\[0\] is not a callback"):
        wl.train(dataset="xor", out=tmp_path, callbacks=[print])
