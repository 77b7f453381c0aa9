"""A sweep's own arguments (where and how it runs, what it writes), checked
before anything starts, so a wrong type is one line naming the argument
(``jobs`` in Python, ``--jobs`` on the command line), never a TypeError.
The grid is checked by :func:`.space.check_grid`, the settings by their
declarations."""
from __future__ import annotations

from pathlib import Path

from ..core.errors import ConfigError, DataError, arg
from .backends import check_backend_options
from .runner import check_count, check_name


def check_sweep_options(*, jobs=None, scheduler=None, retries=1, shared_out=False,
                        blas_threads=1, connect_timeout=10.0, best=6, log=None,
                        progress=False, name=None):
    check_backend_options(scheduler, jobs, blas_threads, shared_out, connect_timeout)
    check_count("retries", retries, 0)
    check_count("best", best, 0)
    if log is not None and not callable(log):
        raise ConfigError(f"{arg('log')} must be a function of one message (got {log!r})")
    if not isinstance(progress, bool):
        raise ConfigError(f"{arg('progress')} must be True or False (got {progress!r})")
    if name is not None:
        check_name(name)


def check_data_files(base, grid):
    """Every data file the runs read is there now, not a failure per run later."""
    for path in [base.get("data"), *(grid.get("data") or [])]:
        if isinstance(path, str) and not Path(path).is_file():
            raise DataError(f"{arg('data')} {path}: no such file")
