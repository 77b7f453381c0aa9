"""Predictions from a recorded run (any snapshot) on a CSV of raw features."""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from .csvdata import apply_transform, load_features
from .run import load_run

if TYPE_CHECKING:   # pandas loads on first use: it is a third of import time
    import pandas as pd


def is_digits(run) -> bool:
    """Digit data (MNIST or the Kaggle CSV): 28x28 inputs, classes 0..9."""
    d = run.config["data"]
    return d.get("input_shape") == [28, 28] and d.get("class_names") == list(range(10))


def scale_mismatch(X, transform):
    """Why raw features ``X: (n, d)`` look like they are on another scale than
    the training data's, or None. Pixel runs were trained on 0..255 values;
    standardised runs on columns of known mean and std."""
    if not transform or X.size == 0:
        return None
    lo, hi = float(np.min(X)), float(np.max(X))
    if transform.get("kind") == "scale":
        trained_hi = 1 / transform["factor"]
        if 0 < hi <= 1 < trained_hi:
            return (f"the values lie in [{lo:g}, {hi:g}], but the run was trained on raw "
                    f"0..{trained_hi:g} pixels; pass the unscaled values")
        return None
    if transform.get("kind") == "standardize" and "std" in transform:
        std = np.asarray(transform["std"], float)
        spread = float(np.median(6 * std[std > 0])) if (std > 0).any() else 0.0
        if spread <= 0 or hi == lo:
            return None
        ratio = (hi - lo) / spread
        if ratio < 0.05 or ratio > 20:
            mean = np.asarray(transform["mean"], float)
            return (f"the values span [{lo:g}, {hi:g}], but the training data spanned about "
                    f"[{float(np.min(mean - 3 * std)):.3g}, "
                    f"{float(np.max(mean + 3 * std)):.3g}]; scale them as the training "
                    "data were")
    return None


def predict_csv(run, path, snapshot: int = -1) -> pd.DataFrame:
    """Predict every row of ``path`` with the weights of ``snapshot``.

    Returns Kaggle's ``ImageId,Label`` (ImageId from 1) for digit data, else
    ``row,prediction`` (class names, or values for regression).
    """
    import pandas as pd
    run = load_run(run)
    d = run.config["data"]
    run.snapshot(snapshot)  # a bad index fails before the CSV is read
    X = load_features(path, d["columns"], d.get("label_column") or "label")
    problem = scale_mismatch(X, d.get("transform"))
    if problem:
        warnings.warn(f"{path}: {problem}; the predictions are likely wrong", stacklevel=2)
    X = apply_transform(X, d.get("transform"))
    model = run.network(snapshot)
    Z = model.predict_outputs(X)
    if d["task"] == "regression":
        pred = Z[:, 0] if Z.shape[1] == 1 else [list(r) for r in Z.astype(float)]
    else:
        pred = np.asarray(d["class_names"], dtype=object)[Z.argmax(axis=1)]
    if is_digits(run):
        return pd.DataFrame({"ImageId": np.arange(1, len(X) + 1),
                             "Label": pred.astype(np.int64)})
    return pd.DataFrame({"row": np.arange(1, len(X) + 1), "prediction": pred})
