"""Damaged run files, for every command that reads a run and for load_run: a
command that needs the damaged file fails with exit status 2 and one line
naming it (no traceback, nothing written, the run untouched); one that does
not need it works; load_run raises RunError, never KeyError or TypeError."""
import json
import shutil

import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core.errors import ConfigError, RunError


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("damaged")
    good = wl.train(dataset="moons", hidden=[4], epochs=3, out=root, name="good")
    other = wl.train(dataset="moons", hidden=[4], epochs=2, out=root, name="other")
    wide = wl.train(dataset="moons", hidden=[5], epochs=2, out=root, name="wide")
    return {"good": good, "other": other, "wide": wide}


def config(change):
    def damage(p, runs):
        c = json.loads((p / "config.json").read_text())
        change(c)
        (p / "config.json").write_text(json.dumps(c))
    return damage


def put(name, data):
    def damage(p, runs):
        (p / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    return damage


def cut(name, keep):
    def damage(p, runs):
        (p / name).write_bytes(keep((p / name).read_bytes()))
    return damage


def copy_from(which, name):
    def damage(p, runs):
        shutil.copy(runs[which].path / name, p / name)
    return damage


def npz(name, **arrays):
    def damage(p, runs):
        with open(p / name, "wb") as f:
            np.savez(f, **arrays)
    return damage


def checkpoint(meta=None, arrays=None):
    """Rewrite the checkpoint with ``meta(dict)`` / ``arrays(dict)`` changed."""
    def damage(p, runs):
        with np.load(p / "checkpoint.npz") as f:
            m = json.loads(str(f["meta"]))
            a = {k: f[k] for k in f.files if k != "meta"}
        if meta:
            meta(m)
        if arrays:
            arrays(a)
        with open(p / "checkpoint.npz", "wb") as f:
            np.savez(f, meta=np.array(json.dumps(m)), **a)
    return damage


def set_key(*path, value):
    def change(c):
        for k in path[:-1]:
            c = c[k]
        c[path[-1]] = value
    return change


def del_key(*path):
    def change(c):
        for k in path[:-1]:
            c = c[k]
        del c[path[-1]]
    return change


def _huge_network(c):
    from weightlapse.core.rundir import network_info
    c["network"] = network_info([2, 10**9, 10**9, 2], "float32")


HEADER = "epoch,step,train_loss,train_acc,val_loss,val_acc,lr,elapsed_s\n"
ALL = {"resume", "render", "figure", "compare", "predict", "load", "runs"}
DRAWN = {"resume", "render", "figure", "compare", "load"}     # commands reading metrics.csv
STATUS = {"resume", "compare", "load", "runs"}                # ... status.json
SAMPLES = {"render", "figure", "load"}                        # ... samples.npz

# (id, damage(path, runs), file named in the error, commands that must fail)
DAMAGES = [
    ("config-no-network", config(del_key("network")), "config.json", ALL),
    ("config-network-list", config(set_key("network", value=[2, 4, 2])), "config.json", ALL),
    ("config-dtype-banana", config(set_key("network", "dtype", value="banana")),
     "config.json", ALL),
    ("config-sizes-text", config(set_key("network", "sizes", value=["a", "b"])),
     "config.json", ALL),
    ("config-sizes-negative", config(set_key("network", "sizes", value=[2, -4, 2])),
     "config.json", ALL),
    ("config-sizes-other", config(set_key("network", "sizes", value=[2, 5, 2])),
     "config.json", ALL),
    ("config-sizes-huge", config(_huge_network), "config.json", ALL),
    ("config-layout", config(set_key("network", "layout", value=[[2, 4]])), "config.json", ALL),
    ("config-n-params", config(del_key("network", "n_params")), "config.json", ALL),
    ("config-no-settings", config(del_key("settings")), "config.json", ALL),
    ("config-settings-list", config(set_key("settings", "model", value=[1])),
     "config.json", ALL),
    ("config-activation-banana", config(set_key("settings", "model", "activation",
                                                value="banana")), "config.json", ALL),
    ("config-unknown-setting", config(set_key("settings", "model", "colour", value="red")),
     "config.json", ALL),
    ("config-epochs-text", config(set_key("settings", "training", "epochs", value="ten")),
     "config.json", ALL),
    ("config-lr-negative", config(set_key("settings", "training", "lr", value=-1)),
     "config.json", ALL),
    ("config-no-data", config(del_key("data")), "config.json", ALL),
    ("config-task-banana", config(set_key("data", "task", value="banana")),
     "config.json", ALL),
    ("config-classes-short", config(set_key("data", "class_names", value=[0])),
     "config.json", ALL),
    ("config-no-columns", config(del_key("data", "columns")), "config.json", ALL),
    ("config-input-shape", config(set_key("data", "input_shape", value=[28, 28])),
     "config.json", ALL),
    ("config-transform", config(set_key("data", "transform", value="scale")),
     "config.json", ALL),
    ("config-transform-no-mean", config(set_key("data", "transform",
                                                value={"kind": "standardize"})),
     "config.json", ALL),
    ("config-transform-nan", config(set_key("data", "transform", value={
        "kind": "standardize", "mean": [0, None], "std": [1, 1]})), "config.json", ALL),
    ("config-format-text", config(set_key("format", value="1")), "another version", ALL),
    ("config-list", put("config.json", "[1, 2]"), "another version", ALL),
    ("config-empty", put("config.json", ""), "config.json", ALL),
    ("config-binary", put("config.json", bytes(range(256))), "config.json", ALL),
    ("config-missing", lambda p, r: (p / "config.json").unlink(), "no config.json",
     ALL - {"runs"}),  # not a run any more: not listed
    ("metrics-empty", put("metrics.csv", ""), "metrics.csv", DRAWN),
    ("metrics-header-only", put("metrics.csv", HEADER), "metrics.csv", DRAWN),
    ("metrics-header-cut", cut("metrics.csv", lambda b: b[:20] + b[b.index(b"\n") + 1:]),
     "metrics.csv", DRAWN),
    ("metrics-header-renamed", cut("metrics.csv", lambda b: b.replace(b"train_loss", b"loss")),
     "metrics.csv", DRAWN),
    ("metrics-text-cell", cut("metrics.csv", lambda b: b.replace(b"0.01,", b"abc,", 1)),
     "metrics.csv", DRAWN),
    ("metrics-binary", put("metrics.csv", bytes(range(256))), "metrics.csv", DRAWN),
    ("metrics-missing", lambda p, r: (p / "metrics.csv").unlink(), "metrics.csv", DRAWN),
    # the last row torn mid-line: readers skip it, resume would lose it for good
    ("metrics-last-row-cut", cut("metrics.csv", lambda b: b[:-15]), "metrics.csv",
     {"resume"}),
    ("metrics-middle-row-cut", cut("metrics.csv", lambda b: _cut_row(b, 2)), "metrics.csv",
     DRAWN),
    ("metrics-rows-dropped", cut("metrics.csv", lambda b: b"".join(b.splitlines(True)[:2])),
     "metrics.csv", {"resume"}),
    ("status-list", put("status.json", "[1, 2]"), "status.json", STATUS),
    ("status-garbage", put("status.json", "{oops"), "status.json", STATUS),
    ("status-number", put("status.json", '{"status": 5}'), "status.json", STATUS),
    ("status-metrics-list", put("status.json", '{"status": "finished", "final_metrics": [1]}'),
     "status.json", STATUS),
    ("status-metric-text", put("status.json", '{"status": "finished", '
                               '"final_metrics": {"val_acc": "high"}}'), "status.json", STATUS),
    ("status-steps-list", put("status.json", '{"status": "finished", "steps": [1]}'),
     "status.json", STATUS),
    ("status-binary", put("status.json", bytes(range(256))), "status.json", STATUS),
    ("samples-garbage", put("samples.npz", b"junk" * 10), "samples.npz", SAMPLES),
    ("samples-empty", put("samples.npz", b""), "samples.npz", SAMPLES),
    ("samples-cut", cut("samples.npz", lambda b: b[:len(b) // 2]), "samples.npz", SAMPLES),
    ("samples-no-y", npz("samples.npz", X=np.zeros((3, 2))), "samples.npz", SAMPLES),
    ("samples-shapes", npz("samples.npz", X=np.zeros(3), y=np.zeros(3)), "samples.npz",
     SAMPLES),
    ("samples-pickled", npz("samples.npz", X=np.array([{}], object), y=np.zeros(1)),
     "samples.npz", SAMPLES),
    ("snapshots-empty", put("snapshots.bin", b""), "snapshots.bin", ALL),
    ("snapshots-garbage", put("snapshots.bin", b"x" * 500), "snapshots.bin", ALL),
    ("snapshots-missing", lambda p, r: (p / "snapshots.bin").unlink(), "snapshots.bin", ALL),
    ("snapshots-other-network", copy_from("wide", "snapshots.bin"), "snapshots.bin", ALL),
    ("snapshots-header-only", cut("snapshots.bin", lambda b: b[:64]), "snapshot",
     ALL - {"runs"}),
    ("snapshots-short", cut("snapshots.bin", lambda b: b[:len(b) // 2]), "snapshots.bin",
     {"resume"}),
    ("snapshots-from-other-run", copy_from("other", "snapshots.bin"), "snapshots.bin",
     {"resume"}),
    ("checkpoint-cut", cut("checkpoint.npz", lambda b: b[:len(b) // 2]), "checkpoint.npz",
     {"resume"}),
    ("checkpoint-empty", put("checkpoint.npz", b""), "checkpoint.npz", {"resume"}),
    ("checkpoint-garbage", put("checkpoint.npz", b"junk" * 100), "checkpoint.npz",
     {"resume"}),
    ("checkpoint-missing", lambda p, r: (p / "checkpoint.npz").unlink(), "no checkpoint",
     {"resume"}),
    ("checkpoint-other-run", copy_from("other", "checkpoint.npz"), "checkpoint.npz",
     {"resume"}),
    ("checkpoint-other-network", copy_from("wide", "checkpoint.npz"), "checkpoint.npz",
     {"resume"}),
    ("checkpoint-no-meta", npz("checkpoint.npz", x=np.zeros(2)), "checkpoint.npz",
     {"resume"}),
    ("checkpoint-meta-list", npz("checkpoint.npz", meta=np.array("[1, 2]")),
     "checkpoint.npz", {"resume"}),
    ("checkpoint-step-text", checkpoint(meta=set_key("step", value="x")), "checkpoint.npz",
     {"resume"}),
    ("checkpoint-step-negative", checkpoint(meta=set_key("step", value=-5)),
     "checkpoint.npz", {"resume"}),
    ("checkpoint-no-running", checkpoint(meta=del_key("running")), "checkpoint.npz",
     {"resume"}),
    ("checkpoint-running-window",
     checkpoint(meta=set_key("running_window", value=[[1.0, -2, 3]])), "checkpoint.npz",
     {"resume"}),
    ("checkpoint-running-window-text", checkpoint(meta=set_key("running_window", value="x")),
     "checkpoint.npz", {"resume"}),
    ("checkpoint-shuffle-state", checkpoint(meta=set_key("shuffle_state", value={"a": 1})),
     "checkpoint.npz", {"resume"}),
    ("checkpoint-dropout-state", checkpoint(meta=set_key("dropout_state", value=[[1]])),
     "checkpoint.npz", {"resume"}),
    ("checkpoint-params-missing", checkpoint(arrays=lambda a: a.pop("param.W1")),
     "checkpoint.npz", {"resume"}),
    ("checkpoint-param-shape", checkpoint(arrays=lambda a: a.update({"param.b0": np.zeros(9)})),
     "checkpoint.npz", {"resume"}),
    ("checkpoint-momentum-shape", checkpoint(arrays=lambda a: a.update(
        {"opt.W0": np.zeros((3, 3), np.float32)})), "checkpoint.npz", {"resume"}),
    ("checkpoint-pickled", npz("checkpoint.npz", meta=np.array([{}], object)),
     "checkpoint.npz", {"resume"}),
]


def _cut_row(b, i):
    lines = b.splitlines(True)
    lines[i] = lines[i][:len(lines[i]) // 2] + b"\n"
    return b"".join(lines)


def argv_for(command, bad, good, tmp):
    rows = tmp / "rows.csv"
    rows.write_text("x0,x1\n0.1,0.2\n")
    return {"resume": ["train", "--resume", str(bad), "--epochs", "5"],
            "render": ["render", str(bad), "-o", str(tmp / "v.gif"), "--size", "160x90"],
            "figure": ["figure", str(bad), "-o", str(tmp / "f.png")],
            "compare": ["compare", str(good), str(bad), "-o", str(tmp / "c.png")],
            "predict": ["predict", str(bad), "--data", str(rows), "-o", str(tmp / "p.csv")],
            "runs": ["runs", str(bad.parent)]}[command]


# Each damage on every command that must fail, on runs, and on predict (cheap)
# where it must work; drawing commands that work are tested elsewhere.
CASES = [(d, c) for d in DAMAGES for c in sorted(ALL - {"load"})
         if c in d[3] or c in ("runs", "predict")]


@pytest.mark.parametrize("damage,command", CASES,
                         ids=[f"{d[0]}-{c}" for d, c in CASES])
def test_damaged_run_on_the_command_line(runs, tmp_path, capsys, damage, command, run_cli, tree):
    name, make, file, fails = damage
    bad = tmp_path / "runs" / "bad"
    shutil.copytree(runs["good"].path, bad)
    make(bad, runs)
    argv = argv_for(command, bad, runs["good"].path, tmp_path)
    before = tree(tmp_path)
    code, out, err, shown = run_cli(argv)
    assert "Traceback" not in err
    if command == "runs":  # a listing shows a damaged run as a row, and goes on
        assert code == 0, err
        row = [ln for ln in out.splitlines() if ln.lstrip().startswith("bad")]
        if name == "config-missing":
            assert row == [], out
        else:
            assert len(row) == 1 and ("unreadable" in row[0]) == (command in fails), out
    elif command in fails:
        assert code == 2, err
        assert len(shown) == 1 and file in shown[0], shown
        assert tree(tmp_path) == before, "nothing may be written or changed"
    else:
        assert code == 0, err


@pytest.mark.parametrize("damage", DAMAGES, ids=[d[0] for d in DAMAGES])
def test_damaged_run_in_python(runs, tmp_path, damage):
    name, make, file, fails = damage
    bad = tmp_path / "bad"
    shutil.copytree(runs["good"].path, bad)
    make(bad, runs)
    try:
        run = wl.load_run(bad)
        run.metrics, run.info, run.status, run.samples(), run.network(), run.snapshots[-1]
    except RunError as e:
        assert "load" in fails and file in str(e) and "\n" not in str(e)
    else:
        assert "load" not in fails


@pytest.mark.parametrize("path", ["/nonexistent/run"])
def test_load_run_arguments(path):
    with pytest.raises(RunError):
        wl.load_run(path)


@pytest.mark.parametrize("path", [None, 123, ["a"], "a\0b", ""])
def test_load_run_argument_types(path):
    # not a path at all: an argument error naming the argument
    with pytest.raises(ConfigError, match="path"):
        wl.load_run(path)


def test_tables_are_what_they_claim():
    # each damage breaks something, and each command meets damage it must refuse
    assert all(fails for _, _, _, fails in DAMAGES)
    for command in ALL - {"load"}:
        assert sum(c == command and command in d[3] for d, c in CASES) >= 10
