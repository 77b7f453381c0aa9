"""The sweep's own options, declared once (as the training settings are in
core/config.py): the command line's flags, their help and the bounds it
checks are made from these declarations (cli_options.add_declared)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..core.declare import setting



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
