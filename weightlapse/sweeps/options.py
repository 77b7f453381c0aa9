"""A sweep's own arguments (where and how it runs, what it writes), checked
before anything starts, so a wrong type is one line naming the argument
(``jobs`` in Python, ``--jobs`` on the command line), never a TypeError.
The grid is checked by :func:`.space.check_grid`, the settings by their
declarations."""
from __future__ import annotations

import os
from pathlib import Path

from dataclasses import dataclass
from typing import Optional

from ..core.declare import setting
from ..core.errors import ConfigError, DataError, arg, switch


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


def check_backend_options(scheduler, jobs, blas_threads=1, shared_out=False,
                          connect_timeout=10.0):
    """Where the runs train, checked before anything starts or is written."""
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ConfigError(f"{arg('jobs')} must be a whole number >= 1 (got {jobs!r})")
    if isinstance(blas_threads, bool) or not isinstance(blas_threads, int) or blas_threads < 1:
        raise ConfigError(f"{arg('blas_threads')} must be a whole number >= 1 "
                          f"(got {blas_threads!r})")
    if isinstance(connect_timeout, bool) or not isinstance(connect_timeout, (int, float)) \
            or not 0 < connect_timeout <= 3600:
        raise ConfigError(f"{arg('connect_timeout')} must be in (0, 3600] seconds "
                          f"(got {connect_timeout!r})")
    if not isinstance(shared_out, bool):
        raise ConfigError(f"{arg('shared_out')} must be True or False (got {shared_out!r})")
    if scheduler is None:
        if shared_out:
            raise ConfigError(f"{switch('shared_out')} goes with a Dask {arg('scheduler')} "
                              "(a local process pool always writes into the sweep folder)")
        return
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise ConfigError(f"{arg('scheduler')} must be 'local' or a Dask scheduler address "
                          f"like tcp://HOST:8786 (got {scheduler!r})")
    if scheduler.strip() != "local":
        for key, given in (("jobs", jobs is not None), ("blas_threads", blas_threads != 1)):
            if given:
                raise ConfigError(f"{arg(key)} is for local workers; a cluster at an "
                                  "address has its own workers (dask worker sets one BLAS "
                                  "thread per process)")


# -- the declarations the command line's sweep flags and help are made from ---------

@dataclass(frozen=True)
class SweepOptions:
    random: Optional[int] = setting(
        None, "sample N settings from the grid (reproducibly from --seed) instead of "
        "training the whole product", kind="int", bounds="[1, inf)", metavar="N",
        unset="the whole product")
    repeat: int = setting(1, "train each setting with K seeds: --seed, --seed+1, ...",
                          bounds="[1, inf)", metavar="K")
    jobs: Optional[int] = setting(None, "worker processes here, or local Dask workers",
                                  kind="int", bounds="[1, inf)", metavar="N", unset="1")
    scheduler: Optional[str] = setting(
        None, "run on Dask: 'local' starts a cluster of --jobs worker processes; an address "
        "like tcp://HOST:8786 uses an existing one (needs weightlapse[dask])", kind="str",
        metavar="ADDRESS|local", unset="a local process pool")
    shared_out: bool = setting(False, "the Dask workers see --out too and write their runs "
                               "there (otherwise each run is sent back to this machine; local "
                               "workers always write there)")
    retries: int = setting(1, "train a run again up to N times when its worker dies",
                           bounds="[0, inf)", metavar="N")
    blas_threads: int = setting(1, "BLAS threads per run, here or in local Dask workers",
                                bounds="[1, inf)", metavar="N")
    connect_timeout: float = setting(10.0, "how long to try reaching --scheduler, in seconds",
                                     bounds="(0, 3600]", metavar="SECONDS")
    best: int = setting(6, "compare the final weights of the N best runs", bounds="[0, inf)",
                        metavar="N")
    resume: Optional[str] = setting(
        None, "train again the runs of SWEEP_DIR that failed, were cancelled, interrupted or "
        "killed; finished runs are kept", kind="str", metavar="SWEEP_DIR",
        unset="a new sweep")
