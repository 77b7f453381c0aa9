"""Keeping the user's script out of a sweep's worker processes."""
from __future__ import annotations

import contextlib
import sys


@contextlib.contextmanager
def workers_skip_main():
    """While a sweep's worker processes start, hide the user's script from
    them.

    A spawned process runs the parent's main script again (as
    ``__mp_main__``) before its task, so that functions defined there can
    be unpickled. A sweep's tasks are weightlapse's own functions: nothing
    in the script is needed. And a script that calls ``wl.sweep`` at its
    top level, with no ``if __name__ == "__main__":`` guard (the README's
    example, or joblib's habit), would start a sweep again in every worker,
    which multiprocessing refuses: every run failed. multiprocessing skips
    the main module when it has neither ``__spec__`` nor ``__file__`` (as
    for ``python -c``), so both are hidden for the sweep's duration (a local
    Dask cluster restarts a killed worker at any time) and put back after.
    """
    main = sys.modules.get("__main__")
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__")
             if main is not None and k in main.__dict__}
    if main is not None:
        main.__dict__.pop("__file__", None)
        main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        if main is not None:
            main.__dict__.pop("__spec__", None)
            main.__dict__.update(saved)
