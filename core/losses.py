"""Output losses (SPEC §3).

``forward(Z, y)`` returns the mean loss over the batch; ``backward()`` returns
``dZ``, the gradient of that mean with respect to the logits/outputs ``Z``.
"""
from __future__ import annotations

import numpy as np


class SoftmaxCrossEntropy:
    """Softmax fused with cross-entropy: mean over the batch.

    Z: (n_samples, n_classes) logits, y: (n_samples,) integer labels.
    Fusing gives the simple, stable gradient ``(softmax(Z) - onehot(y)) / n``.
    """

    def forward(self, Z: np.ndarray, y: np.ndarray) -> float:
        shifted = Z - Z.max(axis=1, keepdims=True)
        expz = np.exp(shifted)
        sums = expz.sum(axis=1, keepdims=True)
        self._P = expz / sums
        self._y = y
        rows = np.arange(len(y))
        # log softmax at the true class = shifted[y] - log(sum exp(shifted))
        return float(np.mean(np.log(sums[:, 0]) - shifted[rows, y]))

    def backward(self) -> np.ndarray:
        dZ = self._P
        n = len(self._y)
        dZ[np.arange(n), self._y] -= 1
        dZ /= n
        return dZ


class MeanSquaredError:
    """Mean squared error, mean over batch and outputs.

    Z: (n_samples, n_out), y: (n_samples, n_out) float targets.
    """

    def forward(self, Z, y):
        self._diff = Z - y
        return float(np.mean(self._diff * self._diff))

    def backward(self):
        return self._diff * (2.0 / self._diff.size)


LOSSES = {"classification": SoftmaxCrossEntropy, "regression": MeanSquaredError}
