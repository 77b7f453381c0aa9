"""Getting data into the trainer: named datasets, user arrays, the split.

Everything here checks its input and raises :class:`DataError` with one line
naming the problem, before a run directory exists.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from .csvdata import load_csv
from .synthetic import SYNTHETIC, make_synthetic
from .download import download_set
from .errors import DataError, arg
from .idx import read_idx

IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
DATASET_NAMES = (*SYNTHETIC, "mnist", "fashion-mnist")  # images in <data dir>/<name>/


@dataclass
class Dataset:
    """X: (n_samples, n_features) float, y: (n_samples,) labels (or targets).

    ``input_shape`` is set for images (e.g. ``(28, 28)``) so the film can show
    weights as pictures; ``X_test``/``y_test`` hold an official test split.
    """
    X: np.ndarray
    y: np.ndarray
    name: str = "arrays"
    X_test: Optional[np.ndarray] = None
    y_test: Optional[np.ndarray] = None
    input_shape: Optional[tuple] = None
    class_names: list = field(default_factory=list)
    columns: Optional[list] = None     # feature names, for prediction from a CSV
    transform: Optional[dict] = None   # raw file values -> network inputs


def data_dir(explicit=None) -> Path:
    """``--data-dir``, else ``$WEIGHTLAPSE_DATA``, else ``./data`` (SPEC §5)."""
    return Path(explicit or os.environ.get("WEIGHTLAPSE_DATA") or "data")


def find_idx(directory: Path, stem: str) -> Optional[Path]:
    for name in (stem, stem + ".gz"):
        if (directory / name).is_file():
            return directory / name
    return None


def load_image_set(name: str, root=None, download=False, progress_factory=None) -> Dataset:
    """MNIST or Fashion-MNIST from the IDX files under ``<data dir>/<name>/``;
    with ``download``, missing files are fetched first (see :mod:`.download`)."""
    directory = data_dir(root) / name
    stems = [s for pair in IDX_FILES.values() for s in pair]
    missing = [s + ".gz" for s in stems if find_idx(directory, s) is None]
    if os.environ.get("WEIGHTLAPSE_OFFLINE"):
        download = False
    if missing and download:
        download_set(name, directory, missing, progress_factory)
    elif missing:
        raise DataError(f"{name} files missing: place {', '.join(missing)} in "
                        f"{directory}/ (or set {arg('data_dir')} / WEIGHTLAPSE_DATA)")
    arrays = {}
    for split, stems in IDX_FILES.items():
        paths = [find_idx(directory, s) for s in stems]
        images, labels = (read_idx(p) for p in paths)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DataError(f"{paths[0]} and {paths[1]} do not match: "
                            f"{images.shape} images, {labels.shape} labels")
        if labels.size and (labels.min() < 0 or labels.max() > 9):
            raise DataError(f"{paths[1]} has labels outside 0..9 (e.g. {int(labels.max())}); "
                            "delete it and fetch it again")
        pixels = images.reshape(len(images), -1).astype(np.float32)
        pixels /= 255.0  # in place: one 188 MB copy of MNIST, not two
        arrays[split] = (pixels,
                         labels.astype(np.int64), images.shape[1:])
    (X, y, shape), (Xt, yt, _) = arrays["train"], arrays["test"]
    return Dataset(X, y, name, Xt, yt, input_shape=tuple(shape),
                   class_names=list(range(10)),
                   columns=[f"pixel{i}" for i in range(X.shape[1])],
                   transform={"kind": "scale", "factor": 1 / 255})


def load_named(cfg, rng: np.random.Generator, download=True, progress_factory=None) -> Dataset:
    """The dataset a :class:`DataConfig` names: a CSV file, or a named set."""
    if cfg.data is not None:
        X, y, columns, shape, transform = load_csv(cfg.data, cfg.label_column, cfg.task)
        name = Path(cfg.data).stem
        digits = shape == (28, 28)
        return Dataset(X, y, "digits" if digits and name == "train" else name,
                       input_shape=shape, columns=columns, transform=transform,
                       class_names=list(range(10)) if digits and cfg.task ==
                       "classification" and set(np.unique(y).tolist()) <= set(range(10))
                       else [])
    if cfg.dataset in SYNTHETIC:
        X, y = make_synthetic(cfg.dataset, cfg.n_samples, cfg.noise, cfg.classes, rng)
        return Dataset(X, y, cfg.dataset, class_names=sorted(set(y.tolist())),
                       columns=["x0", "x1"])
    if cfg.dataset in DATASET_NAMES:
        return load_image_set(cfg.dataset, cfg.data_dir, download, progress_factory)
    raise DataError(f"unknown dataset {cfg.dataset!r}; choose one of "
                    f"{', '.join(DATASET_NAMES)} or pass a CSV with --data")


def check_arrays(X, y, task: str, what="X"):
    """Validate user arrays; return X as float (n, d) and y as labels/targets."""
    try:
        X = np.asarray(X, dtype=np.float64) if not np.issubdtype(
            np.asarray(X).dtype, np.floating) else np.asarray(X)
    except (TypeError, ValueError):
        raise DataError(f"{what} must be numeric, shape (n_samples, n_features)") from None
    yname = "y" if what == "X" else f"y{what[1:]}"      # y for X, y_val for X_val
    if y is None:
        raise DataError(f"{yname} is required with {what}")
    try:
        y = np.asarray(y)
    except (TypeError, ValueError):
        raise DataError(f"{yname} must be a 1-D list or array of labels") from None
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise DataError(f"{what} must have shape (n_samples, n_features), got {X.shape}")
    if y.ndim != 1 or len(y) != len(X):
        raise DataError(f"{yname} must have shape ({len(X)},) to match {what}, got {y.shape}")
    if y.dtype == object:
        bad = [i for i, v in enumerate(y.tolist()) if not isinstance(v, (str, int, float))
               or isinstance(v, bool)]
        if bad:
            raise DataError(f"{yname}[{bad[0]}] is {y[bad[0]]!r}; labels must be numbers "
                            "or strings, with none missing")
        kinds = {type(v) is str for v in y.tolist()}
        if len(kinds) > 1:
            raise DataError(f"{yname} mixes numbers and strings; use one kind of label")
    if not np.isfinite(X).all():
        row = int(np.argwhere(~np.isfinite(X))[0, 0])
        raise DataError(f"{what} has NaN or infinite values (first at row {row})")
    if task == "regression":
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError):
            raise DataError("regression targets y must be numeric") from None
        if not np.isfinite(y).all():
            raise DataError("y has NaN or infinite targets")
    elif y.dtype.kind == "f" and not np.all(np.isfinite(y) & (y == np.round(y))):
        raise DataError("classification labels y must be integers or strings; "
                        "use task='regression' for numeric targets")
    return X, y


def encode_labels(y, class_names=None):
    """Map labels to 0..K-1. Returns (indices, class_names)."""
    classes, idx = np.unique(y, return_inverse=True)
    if class_names and len(class_names) >= len(classes) and \
            set(classes.tolist()) <= set(class_names):
        lookup = {c: i for i, c in enumerate(class_names)}
        return np.array([lookup[c] for c in y.tolist()], dtype=np.int64), list(class_names)
    if len(classes) < 2:
        raise DataError(f"only one class ({classes[0]!r}) in the labels; "
                        "classification needs at least two")
    names = [c.item() if hasattr(c, "item") else c for c in classes]
    return idx.astype(np.int64), names


def split(X, y, val_fraction: float, rng: np.random.Generator):
    """Random hold-out split. Returns X_train, y_train, X_val, y_val."""
    n_val = int(round(len(X) * val_fraction))
    if val_fraction > 0 and n_val == 0:
        n_val = 1
    if n_val >= len(X):
        raise DataError(f"{arg('val_fraction')} {val_fraction} leaves no training samples "
                        f"out of {len(X)}")
    if n_val == 0:
        return X, y, X[:0], y[:0]
    perm = rng.permutation(len(X))
    tr, va = np.sort(perm[n_val:]), np.sort(perm[:n_val])
    return X[tr], y[tr], X[va], y[va]
