"""core/rundir.py: which folders hold runs (``find_runs``, ``RunDir.is_run``),
the one place that knows a run by its files."""
import weightlapse as wl
from weightlapse.core.rundir import RunDir, find_runs


def test_find_runs_finds_runs_and_a_sweeps_runs_and_nothing_else(tmp_path):
    wl.train(dataset="xor", hidden=[3], epochs=1, out=tmp_path, name="a")
    wl.train(dataset="xor", hidden=[3], epochs=1, out=tmp_path / "sweep", name="s1")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "config.json.txt").write_text("{}")
    (tmp_path / "loose.json").write_text("{}")
    assert find_runs(tmp_path) == [tmp_path / "a"]
    assert find_runs(tmp_path, depth=2) == [tmp_path / "a", tmp_path / "sweep" / "s1"]
    assert RunDir(tmp_path / "a").is_run() and not RunDir(tmp_path / "sweep").is_run()
    assert find_runs(tmp_path / "missing") == []
