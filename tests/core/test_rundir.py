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


def test_resuming_health_rewrites_the_kept_records_in_place(tmp_path):
    """On resume the kept records overwrite the file's start and the rest is
    cut, in the same file (never opened empty first, as "w" would)."""
    import json
    import os
    from weightlapse.core.rundir import HealthWriter
    path = tmp_path / "health.jsonl"
    recs = [{"kind": "header", "n": 1}, {"kind": "row", "step": 1}, {"kind": "row", "step": 2}]
    w = HealthWriter(path)
    for r in recs:
        w.write(r)
    w.close()
    inode = os.stat(path).st_ino
    w = HealthWriter(path, keep=recs[:2])
    assert w.header == recs[0]
    w.write({"kind": "row", "step": 5})
    w.close()
    assert os.stat(path).st_ino == inode
    assert [json.loads(x) for x in path.read_text().splitlines()] == recs[:2] + [
        {"kind": "row", "step": 5}]


def test_a_health_file_with_no_record_yet_is_said_so(tmp_path):
    """A run killed before its first row (its header torn by the kill) is not
    called 'recorded before diagnostics'."""
    run = wl.train(dataset="xor", hidden=[3], epochs=1, out=tmp_path, name="a")
    path = run.path / "health.jsonl"
    path.write_text(path.read_text().splitlines()[0][:20])      # a torn header, no newline
    missing = wl.diagnostics(run).attrs["missing"]
    assert "has no record in its health.jsonl yet" in missing
    assert "before diagnostics" not in missing
