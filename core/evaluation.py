"""Measuring a network: loss and accuracy on a set, and the running training
metrics a recorder keeps between evaluation points."""
from __future__ import annotations

import numpy as np

SAMPLE_SIZE = 512   # training rows scored at step 0, before any batch was seen


def score(model, X, y, classify: bool, chunk=8192):
    """(mean data loss, accuracy or None) of ``model`` on X: (n, n_in),
    y: (n,) labels or (n, n_out) targets; in chunks, so memory stays bounded."""
    loss_sum, correct = 0.0, 0
    for i in range(0, len(X), chunk):
        Z = model.forward(X[i:i + chunk])
        yb = y[i:i + chunk]
        loss_sum += model.loss.forward(Z, yb) * len(yb)
        if classify:
            correct += int(np.count_nonzero(Z.argmax(axis=1) == yb))
    n = max(len(X), 1)
    return loss_sum / n, (correct / n if classify else None)


def sample_rows(n: int, rng: np.random.Generator, size=SAMPLE_SIZE) -> np.ndarray:
    """Sorted indices of a random sample of up to ``size`` of ``n`` rows: the
    built-in sets are sorted by class, so their first rows are one class."""
    return np.sort(rng.permutation(n)[:size])


class RunningMetrics:
    """Training loss and accuracy summed over the batches since the last
    evaluation point, as the training saw them (no extra forward pass)."""

    def __init__(self, classify: bool, state=None):
        self.classify = classify
        self.loss_sum, self.correct, self.seen = state if state else (0.0, 0, 0)

    def add(self, loss: float, Z, y) -> None:
        """One batch: its mean loss, outputs Z: (b, n_out) and targets y."""
        self.loss_sum += loss * len(y)
        self.seen += len(y)
        if self.classify:
            self.correct += int(np.count_nonzero(Z.argmax(axis=1) == y))

    def take(self):
        """(train_loss, train_acc) since the last call, or None if no batch; resets."""
        if not self.seen:
            return None
        out = (self.loss_sum / self.seen, self.correct / self.seen if self.classify else None)
        self.loss_sum, self.correct, self.seen = 0.0, 0, 0
        return out

    def state(self) -> list:
        return [self.loss_sum, self.correct, self.seen]
