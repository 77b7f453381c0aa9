"""A sweep's resume, tried as a hostile user would (issue 17, items 1, 2):
damaged index.json, bad settings in it, a moved data file, a damaged run or
checkpoint, a live trainer, a locked sweep. Each is refused in one line,
exit status 2, and the sweep's folder is left byte for byte as it was. And
an interrupted run continues from its checkpoint: nothing recorded is
thrown away."""
import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest

import weightlapse as wl
from weightlapse.core.rundir import RunDir

SETTINGS = dict(hidden=[3], epochs=4, batch_size=8, snapshot_every="epoch")


@pytest.fixture(scope="module")
def template(tmp_path_factory, stop_at):
    """A sweep of two runs on a CSV: ``lr=0.1`` finished, ``lr=0.05``
    interrupted mid-run (Ctrl-C, as a callback asks) with its checkpoint."""
    root = tmp_path_factory.mktemp("sweep-resume")
    X = np.random.default_rng(0).normal(size=(80, 2))
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "label": (X[:, 0] > 0).astype(int)}) \
        .to_csv(root / "data.csv", index=False)
    result = wl.sweep({"lr": [0.1, 0.05]}, data=root / "data.csv", out=root, best=0,
                      log=lambda m: None, **SETTINGS)
    sweep = result.path
    shutil.rmtree(sweep / "lr=0.05")
    run = wl.train(data=sweep.parent / "data.csv", lr=0.05, out=sweep, name="lr=0.05",
                   callbacks=[stop_at(13)], **SETTINGS)      # in its 2nd epoch
    assert run.status == "interrupted" and run.files.has_checkpoint()
    index = json.loads((sweep / "index.json").read_text())
    index["runs"][1]["status"] = "interrupted"
    (sweep / "index.json").write_text(json.dumps(index))
    return root


@pytest.fixture
def sweep(template, tmp_path):
    """A copy of the template whose records name the copy's data file."""
    copy = tmp_path / "t"
    shutil.copytree(template, copy)
    for f in [copy / "sweep" / "index.json", *copy.glob("sweep/*/config.json")]:
        f.write_text(f.read_text().replace(str(template.resolve()), str(copy.resolve())))
    return copy / "sweep"


def _index(change):
    def damage(s):
        index = json.loads((s / "index.json").read_text())
        change(index)
        (s / "index.json").write_text(json.dumps(index))
    return damage


def _write(name, text):
    def damage(s):
        (s / name).write_text(text)
    return damage


def _cut(name, keep):
    def damage(s):
        data = (s / name).read_bytes()
        (s / name).write_bytes(data[:keep])
    return damage


def _running_here(s):
    info = json.loads((s / "lr=0.05" / "status.json").read_text())
    info.update(status="running", pid=os.getpid(), host=os.uname().nodename)
    (s / "lr=0.05" / "status.json").write_text(json.dumps(info))


# (id, damage(sweep folder), fragment of the one line)
CASES = [
    ("data-moved", lambda s: (s.parent / "data.csv").rename(s.parent / "moved.csv"),
     "which is not there any more"),
    ("base-epochs", _index(lambda i: i["base"].update(epochs=-5)), "run lr=0.05: epochs must be"),
    ("run-lr-text", _index(lambda i: i["runs"][1]["settings"].update(lr="abc")), "run lr=0.05: lr"),
    ("run-typo", _index(lambda i: i["runs"][1]["settings"].update(optimiser="sgd")),
     "optimiser"),
    ("run-twice", _index(lambda i: i["runs"].append(dict(i["runs"][1]))), "twice"),
    ("index-cut", _cut("index.json", 40), "unreadable"),
    ("index-list", _write("index.json", "[]"), "unreadable"),
    ("index-empty", _write("index.json", ""), "unreadable"),
    ("runs-not-list", _index(lambda i: i.update(runs={"a": 1})), "unreadable"),
    ("run-name-number", _index(lambda i: i["runs"][0].update(name=5)), "unreadable"),
    ("run-settings-list", _index(lambda i: i["runs"][0].update(settings=[1])),
     "unreadable"),
    ("base-list", _index(lambda i: i.update(base=[1])), "must be objects"),
    ("grid-text", _index(lambda i: i.update(grid="lr")), "must be objects"),
    ("run-name-parent", _index(lambda i: i["runs"][0].update(name="../x")),
     "plain folder name"),
    ("run-name-abs", _index(lambda i: i["runs"][0].update(name="/tmp/x")),
     "plain folder name"),
    ("checkpoint-cut", _cut("lr=0.05/checkpoint.npz", 100), "cannot continue"),
    ("checkpoint-other", lambda s: shutil.copy(s / "lr=0.1" / "checkpoint.npz",
                                               s / "lr=0.05" / "checkpoint.npz"),
     "cannot continue"),
    ("run-config-damaged", _write("lr=0.05/config.json", "{oops"), "is damaged"),
    ("run-status-damaged", _write("lr=0.05/status.json", "[]"), "is damaged"),
    ("run-live-trainer", _running_here, "is being trained by process"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_refused_resume_changes_nothing(sweep, capsys, run_cli, tree, case):
    _, damage, match = case
    damage(sweep)
    before = tree(sweep.parent)
    code, out, err, shown = run_cli(["sweep", "--resume", sweep])
    assert code == 2, err
    assert len(shown) == 1 and match in shown[0] and "Traceback" not in err, shown
    assert "resuming" not in err
    assert tree(sweep.parent) == before, "a refused resume must change nothing"


def test_a_locked_sweep_is_refused(sweep, run_cli, tree):
    """Another process holds the sweep (the lock's owner here is this
    process, through another open file: flock refuses it just the same)."""
    holder = RunDir(sweep)
    assert holder.lock()
    try:
        before = tree(sweep.parent)
        code, out, err, shown = run_cli(["sweep", "--resume", sweep])
        assert code == 2 and len(shown) == 1, err
        assert "is being swept by another process" in shown[0]
        assert tree(sweep.parent) == before
    finally:
        holder.unlock()


@pytest.mark.parametrize("where", ["missing", "file"])
def test_resume_of_no_sweep(tmp_path, run_cli, where):
    path = tmp_path / "s"
    if where == "file":
        path.write_text("x")
    code, out, err, shown = run_cli(["sweep", "--resume", path])
    assert code == 2 and len(shown) == 1 and "is not a sweep folder" in shown[0], err


def test_an_interrupted_run_continues_from_its_checkpoint(sweep, tree):
    kept = [x for x in tree(sweep / "lr=0.1")]
    before = wl.load_run(sweep / "lr=0.05")
    meta, _ = before.files.read_checkpoint(before.config)
    rows = before.files.metrics_up_to(meta["row_step"], meta.get("rows"))
    assert rows.count("\n") >= 3
    run_id = before.config["run_id"]
    messages = []
    result = wl.sweep(resume=sweep, best=0, log=messages.append)
    assert "training 1 of 2 runs again (1 from their checkpoints)" in messages[0]
    assert not result.failed and len(result.runs) == 2
    after = wl.load_run(sweep / "lr=0.05")
    assert after.status == "finished" and after.config["run_id"] == run_id
    assert after.config["resumed"][0]["from_step"] == 13
    assert after.files.metrics_text().startswith(rows)      # nothing recorded was lost
    assert len(after.snapshots) == 5                         # epochs 0..4
    assert tree(sweep / "lr=0.1") == kept                    # the finished run untouched
    index = json.loads((sweep / "index.json").read_text())
    assert [r["status"] for r in index["runs"]] == ["finished", "finished"]


def test_a_run_that_finished_unrecorded_is_kept(sweep, tree):
    """The sweep died after a run finished but before index.json said so:
    resume keeps the run rather than training it again."""
    _index(lambda i: i["runs"][0].update(status="pending"))(sweep)
    kept = tree(sweep / "lr=0.1")
    messages = []
    wl.sweep(resume=sweep, best=0, log=messages.append)
    assert "training 1 of 2 runs again" in messages[0]
    assert tree(sweep / "lr=0.1") == kept
