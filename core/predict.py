"""Predictions from a recorded run (any snapshot) on a CSV of raw features."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .csvdata import apply_transform, load_features
from .run import load_run


def is_digits(run) -> bool:
    """Digit data (MNIST or the Kaggle CSV): 28x28 inputs, classes 0..9."""
    d = run.config["data"]
    return d.get("input_shape") == [28, 28] and d.get("class_names") == list(range(10))


def predict_csv(run, path, snapshot: int = -1) -> pd.DataFrame:
    """Predict every row of ``path`` with the weights of ``snapshot``.

    Returns Kaggle's ``ImageId,Label`` (ImageId from 1) for digit data, else
    ``row,prediction`` (class names, or values for regression).
    """
    run = load_run(run)
    d = run.config["data"]
    run.snapshot(snapshot)  # a bad index fails before the CSV is read
    X = load_features(path, d["columns"], d.get("label_column") or "label")
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
