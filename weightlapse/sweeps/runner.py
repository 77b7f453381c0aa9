"""Running a sweep: submit its runs to a backend, follow them, retry the ones
whose worker died, and keep ``index.json`` (the single record of the sweep:
its grid, shared settings, and every run's settings, status and attempts)
up to date, rewritten atomically as runs finish.

A failed run is reported and does not stop the others. Ctrl-C asks running
runs to stop (they are kept, marked interrupted), cancels queued ones, and
keeps every finished run. ``resume_sweep`` trains again only the runs that
did not finish.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ..core.errors import ConfigError, arg
from ..core.io import atomic_write_json, make_run_dir
from .backends import SweepError, make_backend
from .space import plan

KEPT = ("finished", "diverged")   # what resume keeps; everything else trains again
INDEX = "index.json"


def check_name(name):
    """A sweep folder name must stay inside ``out``: one plain folder name."""
    bad = (not isinstance(name, str) or name in ("", ".", "..") or "\0" in name
           or "/" in name or (os.altsep and os.altsep in name) or os.sep in name)
    if bad:
        raise ConfigError(f"{arg('name')} must be a plain folder name, not a path (got "
                          f"{name!r}); use {arg('out')} to choose where the sweep goes")


def check_count(key, value, low):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{arg(key)} must be a whole number >= {low} (got {value!r})")


def run_sweep(grid, base, *, out="outputs", name="sweep", random=None, repeat=1,
              log=None, progress=False, **how):
    """Plan and train a sweep; returns (sweep folder, index). ``how``: the
    backend's options (scheduler, jobs, retries, shared_out, blas_threads,
    connect_timeout)."""
    check_name(name)
    records = plan(grid, base, random, repeat)
    check_count("retries", how.get("retries", 1), 0)
    # The backend first: an unreachable scheduler leaves nothing on disk.
    backend = _backend(how, len(records))
    try:
        sweep_dir = make_run_dir(out, name)
        index = {"grid": grid, "base": base, "random": random, "repeat": repeat,
                 "seed": base.get("seed"), "runs": records}
        for rec in records:
            rec["status"] = "pending"
        atomic_write_json(sweep_dir / INDEX, index)
        _drive(backend, sweep_dir, index, records, how.get("retries", 1), log, progress)
    finally:
        backend.close()
    return sweep_dir, index


def read_index(sweep_dir) -> dict:
    path = Path(sweep_dir) / INDEX
    try:
        index = json.loads(path.read_text())
        if not (isinstance(index, dict) and isinstance(index.get("runs"), list)
                and all(isinstance(r, dict) and isinstance(r.get("name"), str)
                        and isinstance(r.get("settings"), dict) for r in index["runs"])):
            raise ValueError("no list of runs")
    except FileNotFoundError:
        raise SweepError(f"{sweep_dir} is not a sweep folder (no {INDEX})") from None
    except (OSError, ValueError) as e:
        raise SweepError(f"{path} is unreadable ({e}); the sweep's record is damaged") \
            from None
    for rec in index["runs"]:
        check_name(rec["name"])  # a damaged index must not write outside the sweep
    return index


def resume_sweep(sweep_dir, *, log=None, progress=False, **how):
    """Train again the runs of ``sweep_dir`` that failed, were cancelled,
    interrupted or killed (or whose folder is gone); finished runs are kept.
    Returns (sweep folder, index)."""
    sweep_dir = Path(sweep_dir)
    index = read_index(sweep_dir)
    todo = [r for r in index["runs"] if r.get("status") not in KEPT
            or not (sweep_dir / r["name"] / "config.json").is_file()]
    check_count("retries", how.get("retries", 1), 0)
    log = log or _stderr
    if not todo:
        log(f"nothing to resume: all {len(index['runs'])} runs of {sweep_dir} finished")
        return sweep_dir, index
    log(f"resuming {sweep_dir}: training {len(todo)} of {len(index['runs'])} runs again")
    backend = _backend(how, len(todo))
    try:
        _drive(backend, sweep_dir, index, todo, how.get("retries", 1), log, progress)
    finally:
        backend.close()
    return sweep_dir, index


def _backend(how, n_runs):
    return make_backend(how.get("scheduler"), how.get("jobs"), n_runs,
                        how.get("blas_threads", 1), how.get("retries", 1),
                        how.get("shared_out", False), how.get("connect_timeout", 10.0))


def _stderr(msg):
    print(msg, file=sys.stderr)


def _drive(backend, sweep_dir, index, todo, retries, log, progress):
    """Train the records ``todo`` (of ``index["runs"]``) and follow them."""
    from .progress import RunsBar
    base = index["base"]
    out = str(sweep_dir.resolve())
    for rec in todo:
        for k in ("message", "path", "seconds", "host", "final_metrics"):
            rec.pop(k, None)
        rec.update(status="pending", attempts=0)
    atomic_write_json(sweep_dir / INDEX, index)
    bar = RunsBar(index["runs"], log or _stderr, progress)
    pending = {}

    def submit(rec):
        rec["attempts"] += 1
        pending[backend.submit({**base, **rec["settings"], "out": out,
                                "name": rec["name"]})] = rec

    def settle(rec, kind, res):
        if kind == "ok":
            _install(sweep_dir, rec, res)
        else:
            n = rec["attempts"]
            rec.update(status="failed", message=res if kind == "error" else
                       f"{res} ({n} attempt{'s' if n > 1 else ''})")
        atomic_write_json(sweep_dir / INDEX, index)
        bar.finished(rec)

    try:
        bar.start(backend.describe())
        for rec in todo:
            submit(rec)
        while pending:
            for handle in backend.wait(pending, 0.5):
                rec = pending.pop(handle)
                kind, res = backend.outcome(handle)
                if kind == "ok" and res.get("attempts"):
                    rec["attempts"] = res.pop("attempts")
                elif kind == "lost":
                    rec["attempts"] = backend.attempts(handle) or rec["attempts"]
                if kind == "lost" and rec["attempts"] <= retries:
                    bar.line(f"{rec['name']}: {res}; training it again "
                             f"(attempt {rec['attempts'] + 1} of {retries + 1})")
                    submit(rec)
                    continue
                settle(rec, kind, res)
            bar.update(min(len(pending), backend.slots()))
    except KeyboardInterrupt:
        bar.line("interrupted: stopping the runs; finished runs are kept")
        backend.stop()
        done = backend.drain(list(pending), grace=20)
        for handle, rec in pending.items():
            if handle in done:
                kind, res = backend.outcome(handle)
                if kind == "ok":
                    _install(sweep_dir, rec, res)
                    continue
            rec.update(status="cancelled", message="the sweep was stopped")
        atomic_write_json(sweep_dir / INDEX, index)
        bar.close()
        raise
    bar.close()


def _install(sweep_dir, rec, res):
    """Record a run's result; a run that travelled as bytes is written into
    the sweep folder (atomically) here."""
    res = dict(res)
    data = res.pop("tar", None)
    if data is not None:
        from .tasks import unpack
        res["path"] = str(unpack(data, sweep_dir, rec["name"]))
    if res.get("path"):
        rec["name"] = Path(res["path"]).name
        res["final_metrics"] = _final_metrics(res["path"])
    rec.update(res)


def _final_metrics(path):
    try:
        status = json.loads((Path(path) / "status.json").read_text())
        return status.get("final_metrics", {})
    except (OSError, ValueError, AttributeError):
        return {}
