"""What a user tells a recorder of another framework (``weightlapse.torch``,
``weightlapse.keras``), checked once, before anything is written: each check
returns the value as the run directory stores it, or raises ConfigError
naming the argument."""
from __future__ import annotations

import difflib
import math
import os

import numpy as np

from .config import TASKS
from .errors import ConfigError, arg
from .rundir import PROBE_ROWS

METRICS = ("train_loss", "train_acc", "val_loss", "val_acc", "lr")


def check_every(every):
    """"epoch", "auto" (open-ended: see :func:`.schedule.auto_due`) or a
    positive number of steps."""
    from .schedule import OPEN_ENDED, valid
    if not valid(every, OPEN_ENDED):
        raise ConfigError(f"{arg('every')} must be 'epoch', 'auto' or a positive number of "
                          f"steps (got {every!r})")
    return every


def check_out(out):
    """The parent folder of runs: a path (str or os.PathLike)."""
    if not isinstance(out, (str, os.PathLike)) or not os.fspath(out):
        raise ConfigError(f"{arg('out')} must be a folder's path (got {out!r})")
    return out


def check_task(task, n_out: int) -> str:
    """The task, by default classification for two outputs or more."""
    if task is None:
        return "classification" if n_out >= 2 else "regression"
    if task not in TASKS:
        raise ConfigError(f"unknown {arg('task')} {task!r}; choose one of {', '.join(TASKS)}")
    if task == "classification" and n_out < 2:
        raise ConfigError(f"{arg('task')} 'classification' needs two outputs or more (one per "
                          f"class); the last layer has {n_out}: use task='regression'")
    return task


def check_image_shape(shape, n_in: int, first: str):
    """(height, width) with height * width = n_in, as a list; None stays None.
    ``first`` names the first dense layer in the error."""
    if shape is None:
        return None
    try:
        dims = [int(s) for s in shape]
        ok = len(dims) == 2 and all(d > 0 and d == s for d, s in zip(dims, shape))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ConfigError(f"{arg('image_shape')} must be (height, width), two positive whole "
                          f"numbers (got {shape!r})")
    if dims[0] * dims[1] != n_in:
        raise ConfigError(f"{arg('image_shape')} {tuple(dims)} has {dims[0] * dims[1]} pixels "
                          f"but {first} takes {n_in} inputs")
    return dims


def check_names(name, names, n: int, what: str):
    """A list of ``n`` names (str or int) for ``what``; None stays None."""
    if names is None:
        return None
    if isinstance(names, (str, bytes)) or not hasattr(names, "__len__"):
        raise ConfigError(f"{arg(name)} must be a list of {n} names (got {names!r})")
    names = list(names)
    if len(names) != n or not all(isinstance(v, (str, int)) and not isinstance(v, bool)
                                  for v in names):
        raise ConfigError(f"{arg(name)} must be {n} names, one per {what} (got "
                          f"{len(names)}: {_short(names)})")
    return names


def check_probe(probe, n_in: int, n_out: int, task: str):
    """(X: (n, n_in) float32, y or None) from ``probe`` = X or (X, y), arrays
    already on the host; rows of images are flattened; only the first 512
    rows are kept. None stays None."""
    if probe is None:
        return None
    X, y = probe if isinstance(probe, tuple) and len(probe) == 2 else (probe, None)
    try:
        X = np.asarray(X, np.float32)
    except (TypeError, ValueError):
        raise ConfigError(f"{arg('probe')} must be an array of input rows "
                          f"(got {type(X).__name__})") from None
    if X.ndim > 2 and math.prod(X.shape[1:]) == n_in:
        X = X.reshape(len(X), n_in)       # images: the rows the first layer sees
    if X.ndim != 2 or X.shape[1] != n_in or not len(X):
        raise ConfigError(f"{arg('probe')} must be rows of {n_in} inputs, the first layer's "
                          f"width: (n, {n_in}) (got shape {X.shape})")
    if not np.isfinite(X).all():
        raise ConfigError(f"{arg('probe')} holds NaN or infinite values")
    X = X[:PROBE_ROWS]
    if y is None:
        return X, None
    y = np.asarray(y)
    if len(y) < len(X) or y.ndim not in (1, 2):
        raise ConfigError(f"{arg('probe')}'s y must have a label or target per row "
                          f"(got shape {y.shape} for {len(X)} rows)")
    y = y[:len(X)]
    if task == "classification":
        if y.ndim != 1 or y.dtype.kind not in "iu" or (y < 0).any() or (y >= n_out).any():
            raise ConfigError(f"{arg('probe')}'s y must be class indices 0..{n_out - 1} "
                              f"(got {y.dtype} of shape {y.shape})")
        return X, y.astype(np.int64)
    try:
        y = np.asarray(y, np.float32).reshape(len(X), -1)
    except (TypeError, ValueError):
        y = None
    if y is None or y.shape[1] != n_out:
        raise ConfigError(f"{arg('probe')}'s y must be {n_out} target(s) per row")
    return X, y


def metric_row(metrics: dict) -> dict:
    """{column: float} from ``epoch_end(**metrics)``: numbers, NumPy scalars or
    one-element tensors of any framework (read with ``.item()``); None is
    left empty. Accuracies are fractions."""
    row = {}
    for name, value in metrics.items():
        if name not in METRICS:
            near = difflib.get_close_matches(name, METRICS, n=1)
            hint = f"did you mean {near[0]}? " if near else ""
            raise ConfigError(f"unknown metric {name!r}; {hint}a run records "
                              f"{', '.join(METRICS)}")
        if value is None:
            continue
        try:
            if isinstance(value, (bool, str, bytes)):
                raise TypeError
            v = float(value.item() if hasattr(value, "item") else value)
        except (TypeError, ValueError, RuntimeError):
            raise ConfigError(f"{arg(name)} must be a number or a one-element tensor "
                              f"(got {_short(value)})") from None
        if name.endswith("_acc") and v > 1 + 1e-9:
            raise ConfigError(f"{arg(name)} {v:g} is above 1: give accuracy as a fraction "
                              f"({v / 100:g} for {v:g}%)")
        row[name] = v
    return row


def _short(value, n=60) -> str:
    text = repr(value)
    return text if len(text) <= n else text[:n - 1] + "\u2026"
