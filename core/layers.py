"""Layers: each a small class with ``forward`` caching what ``backward`` needs.

Conventions (SPEC §3, §6): a dense layer computes ``X @ W + b`` with
``W: (n_in, n_out)`` and ``b: (n_out,)``. ``backward(dY)`` fills ``self.grads``
(same keys as ``self.params``) and returns ``dX``. Activations and dropout are
parameter-free layers.
"""
from __future__ import annotations

import numpy as np


class Layer:
    params: dict[str, np.ndarray] = {}
    grads: dict[str, np.ndarray] = {}

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dY: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class Dense(Layer):
    """Fully connected layer ``Y = X @ W + b``.

    X: (n_samples, n_in) -> Y: (n_samples, n_out). ``l2`` adds
    ``(l2 / 2) * sum(W**2)`` to the loss (see :meth:`penalty`), so ``l2 * W`` is
    added to ``grads["W"]``. ``input_grad=False`` (the first layer) skips ``dX``,
    a third of the layer's backward work, since nothing consumes it.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray, l2: float = 0.0,
                 input_grad: bool = True):
        self.params = {"W": W, "b": b}
        # Preallocated so each step writes gradients in place (no allocation).
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}
        self.l2 = l2
        self.input_grad = input_grad
        self._X = None

    def forward(self, X, training=False):
        self._X = X
        Y = X @ self.params["W"]
        Y += self.params["b"]
        return Y

    def backward(self, dY):
        W, g = self.params["W"], self.grads
        np.matmul(self._X.T, dY, out=g["W"])
        if self.l2:
            g["W"] += self.l2 * W
        np.sum(dY, axis=0, out=g["b"])
        return dY @ W.T if self.input_grad else None

    def penalty(self) -> float:
        W = self.params["W"]
        return 0.5 * self.l2 * float(np.vdot(W, W)) if self.l2 else 0.0


class ReLU(Layer):
    def forward(self, X, training=False):
        self._Y = np.maximum(X, 0)
        return self._Y

    def backward(self, dY):
        return dY * (self._Y > 0)


class LeakyReLU(Layer):
    def __init__(self, alpha: float = 0.01):
        self.alpha = alpha

    def forward(self, X, training=False):
        self._pos = X > 0
        return np.where(self._pos, X, self.alpha * X)

    def backward(self, dY):
        return np.where(self._pos, dY, self.alpha * dY)


class Sigmoid(Layer):
    def forward(self, X, training=False):
        # 0.5 * (1 + tanh(x / 2)) equals 1 / (1 + exp(-x)) and never overflows.
        self._Y = 0.5 * (np.tanh(0.5 * X) + 1)
        return self._Y

    def backward(self, dY):
        Y = self._Y
        return dY * Y * (1 - Y)


class Tanh(Layer):
    def forward(self, X, training=False):
        self._Y = np.tanh(X)
        return self._Y

    def backward(self, dY):
        return dY * (1 - self._Y * self._Y)


class Identity(Layer):
    def forward(self, X, training=False):
        return X

    def backward(self, dY):
        return dY


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability ``rate``
    and scale the survivors by ``1 / (1 - rate)``; identity at evaluation."""

    def __init__(self, rate: float, rng: np.random.Generator):
        self.rate = rate
        self.rng = rng
        self._mask = None

    def forward(self, X, training=False):
        if not training or self.rate == 0:
            self._mask = None
            return X
        keep = self.rng.random(X.shape) >= self.rate
        self._mask = keep.astype(X.dtype) / X.dtype.type(1 - self.rate)
        return X * self._mask

    def backward(self, dY):
        return dY if self._mask is None else dY * self._mask


ACTIVATIONS = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "identity": Identity,
}
