"""CSV data: the Kaggle Digit Recognizer files and any table of numbers.

Digit files (``label,pixel0..pixel783``; the test file without ``label``) are
recognised by their pixel columns, scaled from 0..255 to [0, 1] and known to be
28x28 images. Any other CSV's numeric feature columns are standardised with
the training split's mean and standard deviation, saved in the run so
prediction applies the same transform. Every problem is a :class:`DataError`
naming the file and the column or line (line 1 is the header).
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import DataError, arg
from .io import input_problem

if TYPE_CHECKING:   # pandas loads on first use: it is a third of import time
    import pandas as pd

_PIXEL = re.compile(r"pixel(\d+)$")
_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def read_table(path) -> pd.DataFrame:
    import pandas as pd
    path = Path(path)
    problem = input_problem(path)
    if problem:
        raise DataError(f"data file {path} {problem}")
    with open(path, "rb") as f:
        if b"\0" in f.read(8192):
            raise DataError(f"{path} is not a text CSV file (it holds binary data)")
    try:
        df = pd.read_csv(path, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty; expected a CSV with a header row") from None
    except pd.errors.ParserError as e:
        m = _FIELDS.search(str(e))
        if m:
            want, line, got = m.groups()
            raise DataError(f"{path}: line {line} has {got} fields where the header has "
                            f"{want}; fix that row") from None
        raise DataError(f"{path} is not a readable CSV ({str(e).splitlines()[0]})") from None
    except UnicodeDecodeError:
        raise DataError(f"{path} is not a text CSV file") from None
    if len(df) == 0:
        raise DataError(f"{path} has a header but no rows")
    unnamed = [c for c in df.columns if str(c).startswith("Unnamed:")]
    if unnamed:
        raise DataError(f"{path}: the header has an empty column name "
                        f"(column {list(df.columns).index(unnamed[0]) + 1})")
    return df


def image_shape(columns):
    """(side, side) when the columns are pixel0..pixelN-1 with N a square, else None."""
    idx = [_PIXEL.match(str(c)) for c in columns]
    if not idx or not all(idx) or [int(m.group(1)) for m in idx] != list(range(len(idx))):
        return None
    side = math.isqrt(len(idx))
    return (side, side) if side * side == len(idx) else None


def numeric_features(df: pd.DataFrame, columns, path) -> np.ndarray:
    """The feature columns as float64 (n, d), or an error naming the first bad cell."""
    import pandas as pd
    for c in columns:
        col = df[c]
        if not (pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)):
            as_num = pd.to_numeric(col, errors="coerce")
            bad = np.flatnonzero(as_num.isna().to_numpy() & col.notna().to_numpy())
            if len(bad) or pd.api.types.is_bool_dtype(col):
                i = bad[0] if len(bad) else 0
                raise DataError(f"{path}: column {c!r} is not numeric ({col.iloc[i]!r} at "
                                f"line {i + 2}); features must be numbers")
            df[c] = as_num
    X = df[list(columns)].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(X)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        what = "a missing or NaN value" if np.isnan(X[row, col]) else "an infinite value"
        raise DataError(f"{path}: column {columns[col]!r} has {what} at line {row + 2}")
    return X


def load_csv(path, label_column="label", task="classification"):
    """Read a training CSV. Returns (X, y, columns, input_shape, transform).

    ``transform`` is ``{"kind": "scale", "factor": 1/255}`` for pixel data
    (already applied) or ``{"kind": "standardize"}`` (to be fitted on the
    training split by the caller).
    """
    import pandas as pd
    df = read_table(path)
    if label_column not in df.columns:
        cols = ", ".join(map(str, df.columns[:8])) + (", ..." if len(df.columns) > 8 else "")
        raise DataError(f"{path} has no column {label_column!r} (columns: {cols}); "
                        f"name the label column with {arg('label_column', 'NAME')}")
    columns = [c for c in df.columns if c != label_column]
    if not columns:
        raise DataError(f"{path} has no feature columns besides {label_column!r}")
    X = numeric_features(df, columns, path)
    labels = df[label_column]
    missing = np.flatnonzero(labels.isna().to_numpy())
    if len(missing):
        raise DataError(f"{path}: label column {label_column!r} is empty at line "
                        f"{missing[0] + 2}")
    if task == "regression":
        y = pd.to_numeric(labels, errors="coerce").to_numpy(np.float64)
        if not np.isfinite(y).all():
            i = int(np.flatnonzero(~np.isfinite(y))[0])
            raise DataError(f"{path}: regression target {label_column!r} is not a finite "
                            f"number at line {i + 2} ({labels.iloc[i]!r})")
    else:
        y = labels.to_numpy()
        if y.dtype.kind == "f":
            if not np.all(y == np.round(y)):
                raise DataError(f"{path}: label column {label_column!r} has fractional "
                                "values; use --task regression for a numeric target")
            y = y.astype(np.int64)
    shape = image_shape(columns)
    if shape is not None:
        transform = {"kind": "scale", "factor": 1 / 255}
        if X.min() < 0 or X.max() > 255:
            raise DataError(f"{path}: pixel values must be in 0..255")
        X = X * transform["factor"]
    else:
        transform = {"kind": "standardize"}
    return X, y, [str(c) for c in columns], shape, transform


def fit_standardize(X: np.ndarray) -> dict:
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std[std == 0] = 1.0  # a constant column stays constant (0) instead of dividing by 0
    return {"kind": "standardize", "mean": mean.tolist(), "std": std.tolist()}


def apply_transform(X: np.ndarray, transform) -> np.ndarray:
    """Map raw feature values to network inputs as the run did in training."""
    if not transform:
        return X
    if transform["kind"] == "scale":
        return X * transform["factor"]
    return (X - np.asarray(transform["mean"])) / np.asarray(transform["std"])


def load_features(path, columns, label_column="label"):
    """Read a CSV to predict on: its columns must be the run's feature columns
    (a label column, if present, is ignored). Returns raw X (n, d)."""
    df = read_table(path)
    have = [str(c) for c in df.columns if str(c) != label_column]
    if have != list(columns):
        missing = [c for c in columns if c not in have]
        extra = [c for c in have if c not in columns]
        detail = "; ".join(filter(None, [
            f"missing {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}" if missing else "",
            f"unexpected {', '.join(extra[:5])}{' ...' if len(extra) > 5 else ''}" if extra else "",
            "same columns in another order" if not missing and not extra else ""]))
        raise DataError(f"{path} does not match the run's {len(columns)} input columns "
                        f"({detail})")
    df.columns = [str(c) for c in df.columns]
    return numeric_features(df, list(columns), path)
