"""Layers: each a small class with ``forward`` caching what ``backward`` needs.

Conventions (SPEC §3, §6): a dense layer computes ``X @ W + b`` with
``W: (n_in, n_out)`` and ``b: (n_out,)``. ``backward(dY)`` fills ``self.grads``
(same keys as ``self.params``) and returns ``dX``. Activations and dropout are
parameter-free layers. With ``overwrite_grad`` set (the MLP sets it, since it
hands each layer a gradient array that nothing else holds) their ``backward``
overwrites ``dY`` and returns it: no new array a step, the same operations in
the same order, so the same bits.

Every layer computes with its array module ``self.xp`` (NumPy, or CuPy on a
GPU, see :mod:`.backend`), so one implementation serves both devices.
"""
from __future__ import annotations

import numpy as np


class Layer:
    params: dict[str, np.ndarray] = {}
    grads: dict[str, np.ndarray] = {}
    xp = np  # the array module; an instance attribute when given
    overwrite_grad = False  # backward may overwrite dY (see the module's docstring)

    def __init__(self, xp=np):
        self.xp = xp

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
                 input_grad: bool = True, xp=np):
        self.xp = xp
        self.params = {"W": W, "b": b}
        # Preallocated so each step writes gradients in place (no allocation).
        self.grads = {"W": xp.zeros_like(W), "b": xp.zeros_like(b)}
        self.l2 = l2
        self.input_grad = input_grad
        self._X = None
        # NumPy: the ufunc's reduce itself, as ndarray.sum calls it without
        # the method's Python wrapper (the same call, so the same bits).
        self._add = np.add.reduce if xp is np else None

    def forward(self, X, training=False):
        self._X = X
        Y = X @ self.params["W"]
        Y += self.params["b"]
        return Y

    def backward(self, dY):
        W, g = self.params["W"], self.grads
        self.xp.matmul(self._X.T, dY, out=g["W"])
        if self.l2:
            g["W"] += self.l2 * W
        if self._add is not None:
            self._add(dY, 0, None, g["b"])
        else:
            dY.sum(axis=0, out=g["b"])
        return dY @ W.T if self.input_grad else None

    def penalty(self) -> float:
        """The L2 term, read back to the host (not used inside a training step)."""
        W = self.params["W"]
        return 0.5 * self.l2 * float(self.xp.vdot(W, W)) if self.l2 else 0.0


class ReLU(Layer):
    def forward(self, X, training=False):
        self._Y = self.xp.maximum(X, 0)
        return self._Y

    def backward(self, dY):
        if not self.overwrite_grad:
            return dY * (self._Y > 0)
        dY *= self._Y > 0
        return dY


class LeakyReLU(Layer):
    def __init__(self, alpha: float = 0.01, xp=np):
        self.xp = xp
        self.alpha = alpha

    def forward(self, X, training=False):
        self._pos = X > 0
        return self.xp.where(self._pos, X, self.alpha * X)

    def backward(self, dY):
        return self.xp.where(self._pos, dY, self.alpha * dY)


class Sigmoid(Layer):
    def forward(self, X, training=False):
        # 0.5 * (1 + tanh(x / 2)) equals 1 / (1 + exp(-x)) and never overflows.
        self._Y = 0.5 * (self.xp.tanh(0.5 * X) + 1)
        return self._Y

    def backward(self, dY):
        Y = self._Y
        if not self.overwrite_grad:
            return dY * Y * (1 - Y)
        dY *= Y             # (dY * Y) * (1 - Y)
        dY *= 1 - Y
        return dY


class Tanh(Layer):
    def forward(self, X, training=False):
        self._Y = self.xp.tanh(X)
        return self._Y

    def backward(self, dY):
        if not self.overwrite_grad:
            return dY * (1 - self._Y * self._Y)
        t = self._Y * self._Y
        self.xp.subtract(1, t, out=t)
        dY *= t             # dY * (1 - Y * Y)
        return dY


class Identity(Layer):
    def forward(self, X, training=False):
        return X

    def backward(self, dY):
        return dY


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability ``rate``
    and scale the survivors by ``1 / (1 - rate)``; identity at evaluation.

    The mask is drawn on the host by ``rng`` (NumPy), so a GPU run drops the
    same units as the CPU run from the same seed. The cost on a GPU: drawing
    the mask on the CPU (a few ns a unit) and copying it, one byte a unit, to
    the device each step; a copy from ordinary host memory also waits for the
    GPU's queued work, so with dropout the CPU and GPU no longer overlap.
    """

    def __init__(self, rate: float, rng: np.random.Generator, xp=np):
        self.xp = xp
        self.rate = rate
        self.rng = rng
        self._mask = None

    def forward(self, X, training=False):
        if not training or self.rate == 0:
            self._mask = None
            return X
        keep = self.xp.asarray(self.rng.random(X.shape) >= self.rate)
        self._mask = keep.astype(X.dtype) / X.dtype.type(1 - self.rate)
        return X * self._mask

    def backward(self, dY):
        if self._mask is None:
            return dY
        if not self.overwrite_grad:
            return dY * self._mask
        dY *= self._mask
        return dY


ACTIVATIONS = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "identity": Identity,
}
