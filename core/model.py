"""The network: an optional convolutional front (:mod:`.convnet`), then a
multilayer perceptron, ending in a fused loss."""
from __future__ import annotations

import numpy as np

from .backend import array_module, to_host
from .convnet import build_front, dense_layers, dense_sizes, input_width
from .init import INITIALIZERS
from .layers import ACTIVATIONS, Dense, Dropout
from .losses import LOSSES


PREDICT_CHUNK = 8192   # rows evaluated at once
CONV_CHUNK = 1024      # ... by a conv network (its maps and columns: ~0.1 MB a row)


class MLP:
    """``sizes = [n_in, *hidden, n_out]``; Dense -> activation (-> dropout) per
    hidden layer, then a Dense output layer feeding ``loss``.

    ``params``/``grads`` are flat dicts ``{"W0", "b0", "W1", ...}`` holding the
    layers' own arrays, so optimizers update the layers in place.

    ``device="gpu"`` keeps every array on the GPU (CuPy, see :mod:`.backend`);
    the weights are drawn on the host by ``rng`` either way, so both devices
    start from the same snapshot 0. ``xp`` is the array module in use.

    ``layers``: the run directory's ``network.layers`` (see
    :func:`.convnet.plan_layers`); with conv layers in it, the network takes
    rows of ``n_in`` features, sees them as images, runs the conv layers
    (kernels drawn first from ``rng``), flattens and goes on with the dense
    layers; ``sizes`` is then the dense part's widths (taken from ``layers``).
    ``params`` number every layer with parameters in order, conv layers first
    (``W0`` a kernel (out, in, k, k)). Without conv layers nothing changes:
    the same draws, the same layers, the same bits.
    """

    def __init__(self, sizes, activation="relu", init="he", dtype="float32",
                 dropout=0.0, l2=0.0, task="classification",
                 rng: np.random.Generator | None = None,
                 dropout_rng: np.random.Generator | None = None, device="cpu",
                 layers=None):
        rng = rng if rng is not None else np.random.default_rng(0)
        self.xp = xp = array_module(device)
        self.device = device
        self.plan = list(layers) if layers else dense_layers(sizes)
        self.sizes = dense_sizes(self.plan)
        self.n_in = input_width(self.plan)
        self.is_conv = self.plan[0]["kind"] == "conv"
        self.eval_chunk = CONV_CHUNK if self.is_conv else PREDICT_CHUNK
        self.dtype = np.dtype(dtype)
        self.layers, self.dense = [], []
        self.parametric = []                 # conv and dense layers, in order
        if self.is_conv:
            self.layers = build_front(self.plan, activation, init, self.dtype, l2, rng, xp)
            self.parametric = [l for l in self.layers if "W" in l.params]
        sizes = self.sizes
        n_layers = len(sizes) - 1
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            W, b = INITIALIZERS[init](n_in, n_out, rng)
            layer = Dense(xp.asarray(W.astype(self.dtype)), xp.asarray(b.astype(self.dtype)),
                          l2=l2, input_grad=i > 0 or self.is_conv, xp=xp)
            self.layers.append(layer)
            self.dense.append(layer)
            self.parametric.append(layer)
            if i < n_layers - 1:
                self.layers.append(ACTIVATIONS[activation](xp=xp))
                if dropout:
                    self.layers.append(Dropout(dropout, dropout_rng or np.random.default_rng(1),
                                               xp=xp))
        for layer in self.layers:
            # Each backward gets a gradient array nothing else holds (a Dense,
            # Conv2D or MaxPool2D layer's new dX): the parameter-free layers
            # update it in place.
            layer.overwrite_grad = not layer.params
        self.loss = LOSSES[task](xp=xp)
        self.params = {}
        self.grads = {}
        for i, layer in enumerate(self.parametric):
            for k in ("W", "b"):
                self.params[f"{k}{i}"] = layer.params[k]
                self.grads[f"{k}{i}"] = layer.grads[k]

    @property
    def weights(self):
        """Weights of each layer with parameters: (n_in, n_out) for dense
        layers, (out, in, k, k) for conv layers (which come first)."""
        return [d.params["W"] for d in self.parametric]

    @property
    def biases(self):
        return [d.params["b"] for d in self.parametric]

    def set_weights(self, weights, biases):
        """Copy host (or device) arrays into the layers' own arrays."""
        xp = self.xp
        for d, W, b in zip(self.parametric, weights, biases):
            d.params["W"][...] = xp.asarray(W)
            d.params["b"][...] = xp.asarray(b)

    def host_params(self) -> dict:
        """``params`` as NumPy arrays: the arrays themselves on the CPU, copies
        from the GPU (one synchronising transfer per array)."""
        if self.xp is np:
            return self.params
        return {k: to_host(v) for k, v in self.params.items()}

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """X: (n_samples, n_in) -> outputs Z: (n_samples, n_out) (logits)."""
        for layer in self.layers:
            X = layer.forward(X, training)
        return X

    def backward(self, dZ: np.ndarray) -> None:
        for layer in reversed(self.layers):
            dZ = layer.backward(dZ)

    def penalty(self) -> float:
        return sum(d.penalty() for d in self.parametric)

    def objective(self, X, y, training=False) -> float:
        """Data loss plus the L2 penalty: the quantity gradients are taken of."""
        return float(self.loss.forward(self.forward(X, training), y)) + self.penalty()

    def train_step(self, X, y, optimizer):
        """One forward/backward/update on a batch (arrays of ``xp``). Returns
        (data loss, outputs Z); on a GPU the loss is a device scalar, so
        nothing is read back."""
        Z = self.forward(X, training=True)
        loss = self.loss.forward(Z, y)
        self.backward(self.loss.backward())
        optimizer.step(self.params, self.grads)
        return loss, Z

    def predict_outputs(self, X, chunk=None):
        """Outputs Z: (n_samples, n_out) for X: (n_samples, n_in), in chunks
        (bounded memory for large sets); arrays of ``xp``."""
        xp = self.xp
        chunk = chunk or self.eval_chunk
        X = xp.asarray(X, dtype=self.dtype)
        return xp.concatenate([self.forward(X[i:i + chunk]) for i in
                               range(0, len(X), chunk)]) if len(X) else \
            xp.zeros((0, self.sizes[-1]), self.dtype)
