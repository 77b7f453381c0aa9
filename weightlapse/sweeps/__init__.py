"""Sweeps: many runs over hyperparameters (a grid, or random search from
distributions, each setting with K seeds), trained in a local process pool or
on a Dask cluster, then compared.

Each run trains in its own folder under one sweep folder, which also holds
``index.json``, the single record of the sweep, and the analysis (see
``weightlapse.api.sweep``).
"""
from .analysis import SweepResult
from .backends import SweepError
from .runner import check_name, read_index, resume_sweep, run_sweep
from .space import plan, run_name

__all__ = ["SweepError", "SweepResult", "check_name", "plan", "read_index", "resume_sweep", "run_name",
           "run_sweep"]
