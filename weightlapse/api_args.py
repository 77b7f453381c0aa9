"""The Python API's own arguments (paths, indices, frame options), checked at
the edge so a wrong type is one ConfigError naming the argument, never a
TypeError from deep inside NumPy or matplotlib. Settings are checked by their
declarations (core/config.py)."""
from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping

from .core.errors import ConfigError, arg
from .core.run import Run


def path_arg(name, value, run=False):
    """A str or os.PathLike path (or, with ``run``, a Run)."""
    if run and isinstance(value, Run):
        return value
    if not isinstance(value, (str, os.PathLike)) or isinstance(value, bytes):
        what = "a run directory's path or a Run" if run else "a path"
        raise ConfigError(f"{arg(name)} must be {what} (got {value!r})")
    text = os.fspath(value)
    if not text or "\x00" in text:
        raise ConfigError(f"{arg(name)} must be a non-empty path without NUL characters "
                          f"(got {text!r})")
    return value


def int_arg(name, value, lo=None, hi=None):
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(f"{arg(name)} must be a whole number (got {value!r})")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ConfigError(f"{arg(name)} must be in [{lo}, {hi}] (got {value!r})")
    return value


def number_arg(name, value, lo, hi, lo_open=False):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > lo if lo_open else value >= lo) and value <= hi
    if not ok:
        raise ConfigError(f"{arg(name)} must be a number in {'(' if lo_open else '['}{lo}, "
                          f"{hi}] (got {value!r})")
    return value


def runs_arg(name, value, single=True, example=None):
    """Runs given as one run (a path or a Run; with ``single``) or as any
    iterable of them (a list, a tuple, a generator...): a list, each item
    checked, so a wrong item is named by its place (``runs[1]``)."""
    one = isinstance(value, (str, os.PathLike, Run))
    if one and single:
        return [path_arg(name, value, run=True)]
    if one or isinstance(value, (bytes, Mapping)) or not isinstance(value, Iterable):
        what = "a run (a path or a Run) or " if single else ""
        eg = f", e.g. {example}" if example else ""
        raise ConfigError(f"{arg(name)} must be {what}a list of runs (paths or Run "
                          f"objects){eg} (got {_short(value)})")
    items = list(value)
    for i, item in enumerate(items):
        path_arg(f"{name}[{i}]", item, run=True)
    return items


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
