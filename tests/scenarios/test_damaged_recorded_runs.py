"""Damaged files of a run recorded from another framework: load_run raises
RunError in one line naming the file, and a command that reads the run exits
with status 2 and that line, the run untouched. (The run is written by
core/recorded.py over NumPy arrays, so no framework is needed here.)"""
import json
import shutil

import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core.errors import RunError
from weightlapse.core.recorded import Chain, ExternalRecorder


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    root = tmp_path_factory.mktemp("recorded")
    params = [np.ones((3, 4)), np.zeros(4), np.ones((4, 2)), np.zeros(2)]
    chain = Chain([3, 4, 2], "relu", "float32", ["0", "2"], read=lambda: params,
                  check=lambda: None, details={"framework": "keras", "version": "3.0"})
    rec = ExternalRecorder(chain, out=root, name="good", every=1, probe=np.ones((5, 3)))
    for _ in range(3):
        for p in params:
            p += 0.1
        rec.step()
    rec.epoch_end({"train_loss": 0.5})
    rec.close()
    return root / "good"


def config(change):
    def damage(p):
        c = json.loads((p / "config.json").read_text())
        change(c)
        (p / "config.json").write_text(json.dumps(c))
    return damage


def put(name, data):
    def damage(p):
        (p / name).write_bytes(data)
    return damage


def probe(**arrays):
    def damage(p):
        np.savez(p / "probe.npz", **arrays)
    return damage


CONFIG_DAMAGES = [
    (config(lambda c: c["recorded_from"].pop("version")),
     "config.json: 'recorded_from' does not name a framework (pytorch, keras) and its version"),
    (config(lambda c: c["recorded_from"].update(framework="tensorflow")),
     "'recorded_from' does not name a framework"),
    (config(lambda c: c.update(recorded_from="keras")), "'recorded_from' does not name"),
    (config(lambda c: c["settings"]["model"].update(layers=3)),
     "unknown setting 'layers' in its model settings; the run is damaged"),
    (config(lambda c: c["settings"]["model"].update(activation="gelu")),
     "unknown activation 'gelu'"),
    (config(lambda c: c["settings"]["recording"].update(snapshot_every=0)),
     "snapshot_every must be 'epoch', 'auto' or a positive number of steps"),
    (config(lambda c: c["settings"]["model"].update(hidden=[0])), "hidden must be positive"),
    (config(lambda c: c["settings"].pop("training")), "its settings are incomplete"),
    (config(lambda c: c["data"].update(class_names=["a"])),
     "its data section does not match the network"),
]


@pytest.mark.parametrize("damage,match", CONFIG_DAMAGES)
def test_damaged_config(recorded, tmp_path, capsys, damage, match, run_cli, tree):
    run = tmp_path / "run"
    shutil.copytree(recorded, run)
    damage(run)
    with pytest.raises(RunError) as e:
        wl.load_run(run)
    assert match in str(e.value) and "\n" not in str(e.value)
    before = tree(run)
    code, _, err, shown = run_cli(["figure", str(run), "-o", str(tmp_path / "f.png")])
    assert code == 2 and len(shown) == 1 and match in err
    assert tree(run) == before and not (tmp_path / "f.png").exists()


@pytest.mark.parametrize("damage,match", [
    (put("probe.npz", b"not a zip"), "probe.npz is unreadable; delete it to go without the "
     "probe set"),
    (probe(X=np.ones((5, 4), np.float32)), "probe.npz is damaged (not a probe set of up to "
     "512 rows of the network's inputs)"),
    (probe(X=np.ones((5, 3))), "probe.npz is damaged"),               # not float32
    (probe(X=np.ones((600, 3), np.float32)), "probe.npz is damaged"),  # too many rows
    (probe(X=np.ones((5, 3), np.float32), y=np.ones(4)), "probe.npz is damaged"),
    (probe(y=np.ones(5)), "probe.npz is unreadable"),
])
def test_damaged_probe(recorded, tmp_path, damage, match):
    run = tmp_path / "run"
    shutil.copytree(recorded, run)
    assert wl.load_run(run).files.read_probe(3)[0].shape == (5, 3)
    damage(run)
    r = wl.load_run(run)                       # the probe is read only when asked for
    with pytest.raises(RunError) as e:
        r.files.read_probe(3)
    assert match in str(e.value) and "\n" not in str(e.value)
    assert wl.figure(r, tmp_path / "still.png").is_file()
