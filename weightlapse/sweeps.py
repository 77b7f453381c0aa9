"""Sweeps: a grid of runs over hyperparameters, trained in parallel worker
processes, then compared.

Each run trains in its own folder under one sweep folder, which also holds
``index.json`` (the grid, the base settings, and every run's settings and
status, rewritten atomically as runs finish) and the comparison: figures and
the summary table. A failed run is reported and does not stop the others;
Ctrl-C stops the workers, whose runs are kept and marked interrupted.
"""
from __future__ import annotations

import html
import itertools
import os
import signal
import sys
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from .core.config import RunConfig
from .core.errors import ConfigError, WeightlapseError
from .core.io import atomic_write_json, make_run_dir


@dataclass
class SweepResult:
    path: Path
    runs: list = field(default_factory=list)      # Run objects that trained
    failed: list = field(default_factory=list)    # (name, message)
    table: object = None
    files: list = field(default_factory=list)

    def __repr__(self):
        return (f"SweepResult(path={str(self.path)!r}, runs={len(self.runs)}, "
                f"failed={len(self.failed)}, files={[str(f) for f in self.files]})")

    def _repr_html_(self):
        from .media import Media
        parts = [Media(f)._repr_html_() for f in self.files
                 if str(f).lower().endswith((".png", ".svg", ".gif", ".mp4"))]
        if self.table is not None:
            parts.append(self.table.to_html(index=False))
        parts += [f"<p>run {html.escape(n)} failed: {html.escape(m)}</p>"
                  for n, m in self.failed]
        return "".join(parts) or html.escape(repr(self))


def run_name(combo: dict) -> str:
    def fmt(v):
        if isinstance(v, (list, tuple)):
            return "x".join(map(str, v)) or "none"
        return f"{v:g}" if isinstance(v, float) else str(v)
    name = "_".join(f"{k}={fmt(v)}" for k, v in combo.items())
    return "".join(ch if ch.isalnum() or ch in "=._-x" else "-" for ch in name)


def expand(grid: dict, base: dict):
    """Every combination of the grid's values over the base settings, each
    validated now, so a bad grid fails before anything runs."""
    if not grid:
        raise ConfigError("a sweep needs at least one --grid KEY=V1,V2")
    for key, values in grid.items():
        if key in ("out", "name"):
            raise ConfigError(f"{key} cannot be swept")
        if not values:
            raise ConfigError(f"--grid {key} has no values")
    combos = [dict(zip(grid, vals)) for vals in itertools.product(*grid.values())]
    for combo in combos:
        RunConfig.from_settings(**{**base, **combo})
    return combos


# -- worker side --------------------------------------------------------------
_stop = None   # an Event shared with the parent: set when the sweep must stop


def _init_worker(stop):
    global _stop
    _stop = stop
    # A terminal's Ctrl-C reaches every process of its group. While a run
    # trains, the trainer's own handler stops it cleanly at a step boundary;
    # outside training a worker ignores the signal and the parent winds down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _StopWhenAsked:
    """Stops a worker's run when the parent sets the stop event."""

    def on_step_end(self, t):
        if _stop is not None and _stop.is_set():
            t.request_stop()


def _train_one(settings: dict) -> dict:
    from .core.pipeline import train_run
    if _stop is not None and _stop.is_set():  # queued before the stop: never started
        return {"status": "cancelled", "message": "the sweep was stopped"}
    try:
        run = train_run(RunConfig.from_settings(**settings), callbacks=[_StopWhenAsked()])
        return {"status": run.status, "message": run.info.get("message", ""),
                "path": str(run.path)}
    except WeightlapseError as e:
        return {"status": "failed", "message": str(e)}
    except Exception as e:  # noqa: BLE001 - a crashed run must not stop the sweep
        return {"status": "failed", "message": f"{type(e).__name__}: {e}"}


# -- parent side --------------------------------------------------------------
def run_sweep(grid: dict, base: dict, jobs=1, out="outputs", name="sweep", log=None):
    """Train every combination; returns (sweep folder, records)."""
    log = log or (lambda msg: print(msg, file=sys.stderr))
    combos = expand(grid, base)
    if jobs < 1:
        raise ConfigError(f"jobs must be >= 1 (got {jobs})")
    sweep_dir = make_run_dir(out, name)
    records = [{"name": run_name(c), "settings": c, "status": "pending"} for c in combos]
    index = {"grid": grid, "base": base, "runs": records}
    atomic_write_json(sweep_dir / "index.json", index)
    # One BLAS thread per worker: parallel runs must not fight over the cores.
    env_keys = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {k: os.environ.get(k) for k in env_keys}
    if jobs > 1:
        os.environ.update({k: "1" for k in env_keys})
    ctx = get_context("spawn")
    stop = ctx.Event()
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(combos)), mp_context=ctx,
                               initializer=_init_worker, initargs=(stop,))
    try:
        pending = {}
        for rec in records:
            settings = {**base, **rec["settings"], "out": str(sweep_dir), "name": rec["name"]}
            pending[pool.submit(_train_one, settings)] = rec
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                rec = pending.pop(fut)
                rec.update(fut.result())
                rec["name"] = Path(rec.get("path", rec["name"])).name
                log(f"[{sum(r['status'] != 'pending' for r in records)}/{len(records)}] "
                    f"{rec['name']}: {rec['status']}"
                    + (f" ({rec['message']})" if rec.get("message") else ""))
                atomic_write_json(sweep_dir / "index.json", index)
    except KeyboardInterrupt:
        log("interrupted: stopping the workers; every run's records are kept")
        stop.set()  # running runs stop at their next step; queued ones never start
        pool.shutdown(wait=True, cancel_futures=True)
        for fut, rec in pending.items():  # runs the signal stopped: kept, interrupted
            if fut.done() and not fut.cancelled():
                rec.update(fut.result())
            elif rec["status"] == "pending":
                rec["status"] = "cancelled"
        atomic_write_json(sweep_dir / "index.json", index)
        raise
    finally:
        pool.shutdown(wait=True)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return sweep_dir, records
