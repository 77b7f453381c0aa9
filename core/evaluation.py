"""Measuring a network: loss and accuracy on a set, and the running training
metrics a recorder keeps between evaluation points."""
from __future__ import annotations

import numpy as np

from .backend import is_host

SAMPLE_SIZE = 512   # training rows scored at step 0, before any batch was seen


def score(model, X, y, classify: bool, chunk=8192):
    """(mean data loss, accuracy or None) of ``model`` on X: (n, n_in),
    y: (n,) labels or (n, n_out) targets; in chunks, so memory stays bounded.
    X and y are arrays of the model's device; the sums are read back once a
    chunk."""
    xp = getattr(model, "xp", np)
    loss_sum, correct = 0.0, 0
    for i in range(0, len(X), chunk):
        Z = model.forward(X[i:i + chunk])
        yb = y[i:i + chunk]
        loss_sum += float(model.loss.forward(Z, yb)) * len(yb)
        if classify:
            correct += int(xp.count_nonzero(Z.argmax(axis=1) == yb))
    n = max(len(X), 1)
    return loss_sum / n, (correct / n if classify else None)


def sample_rows(n: int, rng: np.random.Generator, size=SAMPLE_SIZE) -> np.ndarray:
    """Sorted indices of a random sample of up to ``size`` of ``n`` rows: the
    built-in sets are sorted by class, so their first rows are one class."""
    return np.sort(rng.permutation(n)[:size])


class RunningMetrics:
    """Training loss and accuracy summed over the batches since the last
    evaluation point, as the training saw them (no extra forward pass).

    With ``xp`` NumPy the sums are Python numbers; with a GPU's module they are
    0-d device arrays (float64, int64), so adding a batch reads nothing back:
    :meth:`take` and :meth:`state` read them. ``host=False`` keeps the
    device's bookkeeping with NumPy (the tests compare the two)."""

    def __init__(self, classify: bool, state=None, xp=np, host=None):
        self.classify, self.xp = classify, xp
        self._host = is_host(xp) if host is None else host
        self._reset(*(state if state else (0.0, 0, 0)))

    def _reset(self, loss_sum=0.0, correct=0, seen=0):
        if self._host:
            self.loss_sum, self.correct = loss_sum, correct
        else:
            self.loss_sum = self.xp.asarray(loss_sum, np.float64)
            self.correct = self.xp.asarray(correct, np.int64)
        self.seen = seen

    def add(self, loss, Z, y) -> None:
        """One batch: its mean loss (a float, or a 0-d device array), outputs
        Z: (b, n_out) and targets y, arrays of ``xp``."""
        self.loss_sum += loss * len(y)
        self.seen += len(y)
        if self.classify:
            hits = self.xp.count_nonzero(Z.argmax(axis=1) == y)
            self.correct += int(hits) if self._host else hits

    def take(self):
        """(train_loss, train_acc) since the last call, or None if no batch; resets."""
        if not self.seen:
            return None
        out = (float(self.loss_sum) / self.seen,
               int(self.correct) / self.seen if self.classify else None)
        self._reset()
        return out

    def state(self) -> list:
        """[loss_sum, correct, seen] as host numbers (for the checkpoint)."""
        return [float(self.loss_sum), int(self.correct), self.seen]
