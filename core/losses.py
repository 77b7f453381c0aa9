"""Output losses (SPEC §3).

``forward(Z, y)`` returns the mean loss over the batch; ``backward()`` returns
``dZ``, the gradient of that mean with respect to the logits/outputs ``Z``.

The loss is returned as a Python float with NumPy, and as a 0-d CuPy array
that stays on the GPU otherwise: reading it as a float would wait for the
GPU at every step, so GPU callers convert it only where they need the value.
"""
from __future__ import annotations

import numpy as np


def _value(mean, xp):
    """The mean loss: a float on the host, a device scalar on a GPU (no sync)."""
    return float(mean) if xp is np else mean


class SoftmaxCrossEntropy:
    """Softmax fused with cross-entropy: mean over the batch.

    Z: (n_samples, n_classes) logits, y: (n_samples,) integer labels.
    Fusing gives the simple, stable gradient ``(softmax(Z) - onehot(y)) / n``.
    """

    def __init__(self, xp=np):
        self.xp = xp
        self._host = xp is np
        self._rows = xp.arange(0)   # 0..n-1, kept while batches are n rows

    def forward(self, Z: np.ndarray, y: np.ndarray):
        xp = self.xp
        if self._host:  # the ufuncs' reduce as ndarray.max/.sum call it, without their wrappers
            shifted = Z - np.maximum.reduce(Z, 1, None, None, True)
            expz = np.exp(shifted)
            sums = np.add.reduce(expz, 1, None, None, True)
        else:
            shifted = Z - Z.max(axis=1, keepdims=True)
            expz = xp.exp(shifted)
            sums = expz.sum(axis=1, keepdims=True)
        expz /= sums                       # softmax, in place
        self._P = expz
        self._y = y
        rows = self._rows
        if len(rows) != len(y):
            self._rows = rows = xp.arange(len(y))
        # log softmax at the true class = shifted[y] - log(sum exp(shifted))
        terms = xp.log(sums[:, 0])
        terms -= shifted[rows, y]
        if not self._host:
            return terms.mean()            # a device scalar (see _value)
        # NumPy's mean without its Python wrapper, the same bits: the sum in
        # the array's dtype, divided in float64 by the count, cast back.
        total, n = np.add.reduce(terms, None), len(terms)
        return float(total.dtype.type(float(total) / n)) if n else float("nan")

    def backward(self) -> np.ndarray:
        dZ = self._P
        n = len(self._y)
        dZ[self._rows, self._y] -= 1
        dZ /= n
        return dZ


class MeanSquaredError:
    """Mean squared error, mean over batch and outputs.

    Z: (n_samples, n_out), y: (n_samples, n_out) float targets.
    """

    def __init__(self, xp=np):
        self.xp = xp

    def forward(self, Z, y):
        self._diff = Z - y
        return _value(self.xp.mean(self._diff * self._diff), self.xp)

    def backward(self):
        return self._diff * (2.0 / self._diff.size)


LOSSES = {"classification": SoftmaxCrossEntropy, "regression": MeanSquaredError}
