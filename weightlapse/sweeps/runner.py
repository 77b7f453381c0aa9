"""Running a sweep: submit its runs to a backend, follow them, retry the ones
whose worker died, and keep ``index.json`` (the single record of the sweep:
its grid, shared settings, and every run's settings, status and attempts)
up to date, rewritten atomically as runs finish.

A sweep folder is locked while a process sweeps it (as a run's folder is
while it trains): a second sweep or resume of it is refused in one line.
A failed run is reported and does not stop the others. Ctrl-C asks running
runs to stop (they are kept, marked interrupted), cancels queued ones, and
keeps every finished run. ``resume_sweep`` checks everything first (see
:mod:`.resume_plan`), then continues interrupted runs from their
checkpoints and trains again the runs that never recorded one.
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
from pathlib import Path

from ..core.io import atomic_write_json, make_run_dir
from ..core.rundir import RunDir
from .backends import SweepError, make_backend
from .options import check_count, check_name  # noqa: F401 (re-exported)
from .script_guard import workers_skip_main
from .space import check_grid, plan

KEPT = ("finished", "diverged")   # what resume keeps; everything else trains again
INDEX = "index.json"


@contextlib.contextmanager
def locked(sweep_dir):
    """Hold the sweep folder's lock; one line when another process holds it."""
    files = RunDir(sweep_dir)
    owner = ""
    try:
        pid = json.loads((Path(sweep_dir) / INDEX).read_text()).get("pid")
        owner = f" (process {pid})" if isinstance(pid, int) else ""
    except (OSError, ValueError, AttributeError):
        pass
    files.lock(busy=f"{sweep_dir} is being swept by another process{owner}; wait for "
                    "it to end or stop it first")
    try:
        yield
    finally:
        files.unlock()


def run_sweep(grid, base, *, out="outputs", name="sweep", random=None, repeat=1, best=6,
              log=None, progress=False, analyse=True, **how):
    """Plan, train and (``analyse``) analyse a sweep; returns its
    SweepResult. ``how``: the backend's options (scheduler, jobs, retries,
    shared_out, blas_threads, connect_timeout)."""
    from .analysis import SweepResult, analysis
    check_name(name)
    grid = check_grid(grid)          # materialised: iterables become lists
    records = plan(grid, base, random, repeat)
    check_count("retries", how.get("retries", 1), 0)
    check_count("best", best, 0)
    with contextlib.ExitStack() as held:
        with workers_skip_main():
            # The backend first: an unreachable scheduler leaves nothing on disk.
            backend = _backend(how, len(records))
            try:
                sweep_dir = make_run_dir(out, name)
                held.enter_context(locked(sweep_dir))
                index = {"grid": grid, "base": base, "random": random, "repeat": repeat,
                         "seed": base.get("seed"), "runs": records}
                for rec in records:
                    rec["status"] = "pending"
                _drive(backend, sweep_dir, index, records, set(), how.get("retries", 1),
                       log, progress)
            finally:
                backend.close()
        return analysis(sweep_dir, index, best) if analyse else SweepResult(sweep_dir, index)


def read_index(sweep_dir) -> dict:
    """index.json, checked: a list of runs with plain, distinct names and
    settings, a grid and shared settings."""
    path = Path(sweep_dir) / INDEX
    try:
        index = json.loads(path.read_text())
        if not (isinstance(index, dict) and isinstance(index.get("runs"), list)
                and all(isinstance(r, dict) and isinstance(r.get("name"), str)
                        and isinstance(r.get("settings"), dict) for r in index["runs"])):
            raise ValueError("no list of runs")
        if not isinstance(index.get("grid", {}), dict) or \
                not isinstance(index.get("base", {}), dict):
            raise ValueError("its grid and shared settings must be objects")
    except FileNotFoundError:
        raise SweepError(f"{sweep_dir} is not a sweep folder (no {INDEX})") from None
    except (OSError, ValueError) as e:
        raise SweepError(f"{path} is unreadable ({e}); the sweep's record is damaged") \
            from None
    index.setdefault("grid", {})
    index.setdefault("base", {})
    seen = set()
    for rec in index["runs"]:
        check_name(rec["name"])  # a damaged index must not write outside the sweep
        if rec["name"] in seen:
            raise SweepError(f"{path} lists run {rec['name']} twice; the sweep's record is "
                             "damaged (two trainings would share one folder)")
        seen.add(rec["name"])
    return index


def resume_sweep(sweep_dir, *, best=6, log=None, progress=False, analyse=True, **how):
    """Continue the sweep ``sweep_dir``: interrupted or killed runs from their
    checkpoints, failed, cancelled or missing ones from the start; finished
    runs are kept. Every check passes before anything is written. Returns
    its SweepResult."""
    from .analysis import SweepResult, analysis
    from .resume_plan import resume_plan
    sweep_dir = Path(sweep_dir)
    check_count("retries", how.get("retries", 1), 0)
    check_count("best", best, 0)
    if not sweep_dir.is_dir():
        raise SweepError(f"{sweep_dir} is not a sweep folder (no {INDEX})")
    log = log or _stderr
    with locked(sweep_dir):
        index = read_index(sweep_dir)
        todo, from_checkpoint = resume_plan(sweep_dir, index)
        if not todo:
            log(f"nothing to resume: all {len(index['runs'])} runs of {sweep_dir} finished")
            atomic_write_json(sweep_dir / INDEX, index)   # with any run found finished
        else:
            with workers_skip_main():
                backend = _backend(how, len(todo))   # reached before anything is announced
                try:
                    again = (f" ({len(from_checkpoint)} from their checkpoints)"
                             if from_checkpoint else "")
                    log(f"resuming {sweep_dir}: training {len(todo)} of "
                        f"{len(index['runs'])} runs again{again}")
                    _drive(backend, sweep_dir, index, todo, from_checkpoint,
                           how.get("retries", 1), log, progress)
                finally:
                    backend.close()
        return analysis(sweep_dir, index, best) if analyse else SweepResult(sweep_dir, index)


def _backend(how, n_runs):
    return make_backend(how.get("scheduler"), how.get("jobs"), n_runs,
                        how.get("blas_threads", 1), how.get("retries", 1),
                        how.get("shared_out", False), how.get("connect_timeout", 10.0))


def _stderr(msg):
    print(msg, file=sys.stderr)


def _drive(backend, sweep_dir, index, todo, from_checkpoint, retries, log, progress):
    """Train the records ``todo`` (of ``index["runs"]``; those named in
    ``from_checkpoint`` continue from their checkpoints) and follow them."""
    from .progress import RunsBar
    from .tasks import pack
    base = index["base"]
    out = str(sweep_dir.resolve())
    index.update(pid=os.getpid(), host=socket.gethostname())   # who sweeps it now
    for rec in todo:
        for k in ("message", "path", "seconds", "host", "final_metrics"):
            rec.pop(k, None)
        rec.update(status="pending", attempts=0)
    atomic_write_json(sweep_dir / INDEX, index)
    bar = RunsBar(index["runs"], log or _stderr, progress)
    pending = {}

    def submit(rec):
        rec["attempts"] += 1
        task = {**base, **rec["settings"], "out": out, "name": rec["name"]}
        if rec["name"] in from_checkpoint:
            task["_resume"] = True
            if backend.target == "bytes":   # the worker cannot see the run: send it
                task["_run_tar"] = pack(sweep_dir / rec["name"])
        pending[backend.submit(task)] = rec

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
    from ..core.errors import RunError
    res = dict(res)
    data = res.pop("tar", None)
    if data is not None:
        from .tasks import unpack
        res["path"] = str(unpack(data, sweep_dir, rec["name"]))
    if res.get("path"):
        rec["name"] = Path(res["path"]).name
        try:
            res["final_metrics"] = RunDir(res["path"]).final_metrics()
        except RunError:
            res["final_metrics"] = {}
    rec.update(res)
