"""wl.sweep with every wrong type a hostile user tries (issue 17, item 5):
each is the project's error (a WeightlapseError, never a TypeError), one
line in Python's vocabulary (argument names, never flags), raised before
anything is written or any worker starts."""
import pytest

import weightlapse as wl

G = {"lr": [0.1]}
XOR = dict(dataset="xor")


def _gen_raising():
    yield 0.1
    raise RuntimeError("the source went away")


# (id, keyword arguments (tmp folder -> kwargs), fragment of the one line)
CASES = [
    ("resume-int", lambda t: dict(resume=42), "resume must be a path (got 42)"),
    ("resume-list", lambda t: dict(resume=["a"]), "resume must be a path"),
    ("resume-bytes", lambda t: dict(resume=b"x"), "resume must be a path"),
    ("resume-missing", lambda t: dict(resume=t / "nope"), "is not a sweep folder"),
    ("resume-and-out", lambda t: dict(resume=t, out=t), "drop out"),
    ("resume-and-grid", lambda t: dict(resume=t, grid=G), "drop grid"),
    ("grid-none", lambda t: dict(grid=None, **XOR), "grid must map at least one setting"),
    ("grid-pairs", lambda t: dict(grid=[("lr", [0.1])], **XOR), "grid must map"),
    ("grid-text", lambda t: dict(grid="lr=0.1", **XOR), "grid must map"),
    ("grid-key-int", lambda t: dict(grid={1: [0.1]}, **XOR), "keys must be setting names"),
    ("grid-key-typo", lambda t: dict(grid={"lrr": [0.1]}, **XOR), "did you mean lr?"),
    ("grid-value-dict", lambda t: dict(grid={"lr": {"a": 1}}, **XOR),
     "expected a list of values"),
    ("grid-value-none", lambda t: dict(grid={"lr": None}, **XOR), "expected a list"),
    ("grid-value-number", lambda t: dict(grid={"lr": 0.1}, **XOR), "expected a list"),
    ("grid-value-object", lambda t: dict(grid={"lr": [object()]}, **XOR),
     "lr must be a finite number"),
    ("grid-value-text", lambda t: dict(grid={"lr": ["abc"]}, **XOR), "lr must be a finite"),
    ("grid-value-nested", lambda t: dict(grid={"lr": [[0.1]]}, **XOR), "lr must be a finite"),
    ("grid-value-bool", lambda t: dict(grid={"lr": [True]}, **XOR), "lr must be a finite"),
    ("grid-value-bytes", lambda t: dict(grid={"optimizer": [b"sgd"]}, **XOR),
     "optimizer must be text"),
    ("grid-hidden-text", lambda t: dict(grid={"hidden": ["8"]}, **XOR),
     "hidden must be a list of whole numbers"),
    ("grid-iterable-raises", lambda t: dict(grid={"lr": _gen_raising()}, **XOR),
     "its values could not be read (RuntimeError"),
    ("grid-out", lambda t: dict(grid={"out": ["a"]}, **XOR), "out cannot be swept"),
    ("grid-distribution", lambda t: dict(grid={"lr": "log:1:x"}, random=2, **XOR),
     "LOW and HIGH must be numbers"),
    ("jobs-text", lambda t: dict(jobs="x"), "jobs must be a whole number >= 1 (got 'x')"),
    ("jobs-float", lambda t: dict(jobs=2.0), "jobs must be a whole number"),
    ("jobs-bool", lambda t: dict(jobs=True), "jobs must be a whole number"),
    ("retries-text", lambda t: dict(retries="1"), "retries must be a whole number >= 0"),
    ("retries-none", lambda t: dict(retries=None), "retries must be a whole number"),
    ("best-float", lambda t: dict(best=2.5), "best must be a whole number >= 0"),
    ("random-text", lambda t: dict(random="3"), "random must be a positive number"),
    ("random-float", lambda t: dict(random=2.0), "random must be a positive number"),
    ("repeat-text", lambda t: dict(repeat="2"), "repeat must be a positive number"),
    ("repeat-none", lambda t: dict(repeat=None), "repeat must be a positive number"),
    ("scheduler-int", lambda t: dict(scheduler=5), "scheduler must be 'local' or"),
    ("scheduler-list", lambda t: dict(scheduler=["local"]), "scheduler must be 'local' or"),
    ("shared-out-text", lambda t: dict(scheduler="tcp://127.0.0.1:1", shared_out="yes"),
     "shared_out must be True or False"),
    ("blas-text", lambda t: dict(blas_threads="2"), "blas_threads must be a whole number"),
    ("timeout-text", lambda t: dict(connect_timeout="10"), "connect_timeout must be in"),
    ("timeout-nan", lambda t: dict(connect_timeout=float("nan")), "connect_timeout must be"),
    ("timeout-bool", lambda t: dict(connect_timeout=True), "connect_timeout must be"),
    ("out-int", lambda t: dict(out=42), "out must be a path (got 42)"),
    ("out-nul", lambda t: dict(out="a\0b"), "out must be a non-empty path"),
    ("name-int", lambda t: dict(name=42), "name must be a plain folder name"),
    ("preset-int", lambda t: dict(preset=5, dataset=None), "preset must be a preset's name"),
    ("dataset-int", lambda t: dict(dataset=5), "dataset must be text"),
    ("log-text", lambda t: dict(log="x"), "log must be a function"),
    ("progress-text", lambda t: dict(progress="yes"), "progress must be True or False"),
    ("setting-typo", lambda t: dict(optimiser="sgd"), "did you mean optimizer?"),
    ("setting-text", lambda t: dict(epochs="3"), "epochs must be a whole number"),
    ("data-int", lambda t: dict(data=5, dataset=None), "data must be text"),
    ("data-missing", lambda t: dict(data=t / "nope.csv", dataset=None), "no such file"),
    ("grid-data-missing", lambda t: dict(grid={"data": [str(t / "nope.csv")]},
                                         dataset=None), "no such file"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_python_sweep_hostile_arguments(tmp_path, case):
    _, kwargs_of, match = case
    out = tmp_path / "out"
    given = kwargs_of(tmp_path)
    kw = {"log": lambda m: None, **({} if "resume" in given else
                                    {"grid": G, "out": out, **XOR}), **given}
    kw = {k: v for k, v in kw.items() if not (k in ("dataset", "preset") and v is None)}
    grid = kw.pop("grid", None)
    with pytest.raises(wl.WeightlapseError) as info:
        wl.sweep(grid, **kw)
    message = str(info.value)
    assert match in message and "\n" not in message, message
    assert "--" not in message, message          # Python's names, not flags
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "nothing written"


# The command line: (id, argv(tmp), fragment). Flags, never Python's names.
def _sweep(t, *args):
    return ["sweep", "--dataset", "xor", "--out", str(t / "out"), *args]


CLI = [
    ("no-grid", lambda t: _sweep(t), "a sweep needs at least one --grid"),
    ("grid-no-values", lambda t: _sweep(t, "--grid", "lr="), "expected KEY=V1,V2"),
    ("grid-unknown", lambda t: _sweep(t, "--grid", "lrr=0.1"), "is not a train setting"),
    ("grid-bad-value", lambda t: _sweep(t, "--grid", "lr=0.1,abc"), "not a valid lr"),
    ("grid-choice", lambda t: _sweep(t, "--grid", "optimizer=sgd,adamw"), "is not one of"),
    ("data-missing", lambda t: ["sweep", "--data", str(t / "nope.csv"), "--grid", "lr=0.1",
                                "--out", str(t / "out")], "no such file"),
    ("grid-data-missing", lambda t: ["sweep", "--grid", f"data={t / 'nope.csv'}",
                                     "--out", str(t / "out")], "no such file"),
    ("resume-and-out", lambda t: ["sweep", "--resume", str(t), "--out", str(t / "o")],
     "drop --out"),
    ("resume-and-name", lambda t: ["sweep", "--resume", str(t), "--name", "x"], "drop --name"),
    ("resume-and-repeat", lambda t: ["sweep", "--resume", str(t), "--repeat", "2"],
     "drop --repeat"),
    ("resume-and-random", lambda t: ["sweep", "--resume", str(t), "--random", "2"],
     "drop --random"),
    ("resume-missing", lambda t: ["sweep", "--resume", str(t / "nope")],
     "is not a sweep folder"),
    ("shared-out-alone", lambda t: _sweep(t, "--grid", "lr=0.1", "--shared-out"),
     "--shared-out goes with a Dask --scheduler"),
    ("blas-threads-address", lambda t: _sweep(t, "--grid", "lr=0.1", "--scheduler",
                                              "tcp://127.0.0.1:1", "--blas-threads", "2"),
     "--blas-threads is for local workers"),
    ("scheduler-blank", lambda t: _sweep(t, "--grid", "lr=0.1", "--scheduler", " "),
     "--scheduler must be 'local' or"),
    ("repeat-with-seed", lambda t: _sweep(t, "--grid", "seed=1,2", "--repeat", "2"),
     "--repeat gives each setting its own seeds; do not also sweep --seed"),
    ("shared-setting", lambda t: _sweep(t, "--grid", "lr=0.1", "--epochs", "0"),
     "--epochs must be"),
]
PY_NAMES = ["shared_out", "blas_threads", "connect_timeout", "snapshot_every", "=True",
            "data="]


@pytest.mark.parametrize("case", CLI, ids=[c[0] for c in CLI])
def test_cli_sweep_hostile_input(tmp_path, run_cli, case):
    _, argv_of, match = case
    code, out, err, shown = run_cli(argv_of(tmp_path))
    assert code == 2, err
    assert len(shown) == 1 and match in shown[0] and "Traceback" not in err, shown
    assert not any(n in shown[0] for n in PY_NAMES), shown[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "nothing written"
