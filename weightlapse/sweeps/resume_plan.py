"""What ``sweep --resume`` will do, decided before anything is written.

Every check runs first, as ``train --resume`` does: each run's settings
(the shared ones and its own, from index.json) are valid, each data file is
there, no run is being trained by a live process, and each checkpoint to
continue from is readable. Only then are runs continued or trained again,
so a refused resume leaves the sweep as it was.

A run's folder decides what happens to it: finished (or diverged) on disk,
it is kept, even where index.json had not heard of it; with a checkpoint,
it continues from there (interrupted, killed, or failed mid-run); with no
readable run at all (it never started, or stopped before its first
checkpoint), it is trained again from the start.
"""
from __future__ import annotations

from pathlib import Path

from ..core.config import RunConfig
from ..core.errors import ConfigError, RunError
from ..core.rundir import CONFIG, RunDir
from .backends import SweepError

KEPT = ("finished", "diverged")


def resume_plan(sweep_dir: Path, index: dict):
    """(the records to train, the names of those to continue from their
    checkpoints); records found finished on disk are updated in ``index``
    (in memory: written with the rest once the checks have passed)."""
    from ..core.run import load_run
    where = sweep_dir / "index.json"
    base = index["base"]
    todo, from_checkpoint = [], set()
    for rec in index["runs"]:
        name, folder = rec["name"], sweep_dir / rec["name"]
        run = None
        if (folder / CONFIG).is_file():
            try:
                run = load_run(folder)
                status = run.status
            except RunError as e:
                raise SweepError(f"run {name} of {sweep_dir} is damaged ({e}); move it "
                                 "away to train it again") from None
        if run is not None and status in KEPT:
            if rec.get("status") not in KEPT:     # it finished; the index missed it
                rec.update(status=status, path=str(folder.resolve()),
                           final_metrics=RunDir(folder).final_metrics())
                rec.pop("message", None)
            continue
        try:
            RunConfig.from_settings(**{**base, **rec["settings"]}).validate()
        except (ConfigError, TypeError) as e:
            raise SweepError(f"{where}: run {name}: {e}; the sweep's record is "
                             "damaged") from None
        settings = run.config["settings"]["data"] if run is not None else \
            {**base, **rec["settings"]}
        data = settings.get("data")
        if isinstance(data, str) and not Path(data).is_file():
            raise SweepError(f"run {name} reads {data}, which is not there any more; put "
                             "the file back to resume the sweep")
        if run is not None and status == "running":
            info = run.info
            raise SweepError(f"run {name} of {sweep_dir} is being trained by process "
                             f"{info.get('pid')} on {info.get('host')}; wait for it to end "
                             "or stop it first")
        if run is not None and run.files.has_checkpoint():
            try:
                run.files.read_checkpoint(run.config)
            except RunError as e:
                raise SweepError(f"run {name} cannot continue: {e}; move it away to train "
                                 "it again") from None
            from_checkpoint.add(name)
        todo.append(rec)
    return todo, from_checkpoint
