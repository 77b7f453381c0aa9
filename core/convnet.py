"""Convolutional networks: conv settings -> the network's layer plan -> layers.

A network is conv layers, then dense layers (issue 21). Each conv layer is
a convolution (:class:`.conv.Conv2D`), the activation, then max pooling
(:class:`.conv.MaxPool2D`, skipped when ``pool`` is 1); the last one's maps
are flattened in C, H, W order into the first dense layer.

:func:`plan_layers` turns the settings into ``network.layers``, the run
directory's description of every layer with parameters (its format is in
:mod:`.rundir`), checking the shapes on the way: a kernel larger than what it
slides over, or a pool that does not divide a map, is a one-line
:class:`ConfigError` before anything is allocated. :func:`layout` gives the
parameter arrays' shapes from it, :func:`build_front` the engine's layers.
"""
from __future__ import annotations

import math

import numpy as np

from .errors import ConfigError, arg

MAX_CHANNELS = 4096
MAX_KERNEL = 64


def parse_conv(text: str) -> list:
    """``"8x5,16x5"`` -> ``[[8, 5], [16, 5]]`` (channels x kernel per conv
    layer); ``""``/``"none"``: no conv layer."""
    if text.strip().lower() in ("", "none"):
        return []
    out = []
    for part in text.split(","):
        c, sep, k = part.strip().lower().partition("x")
        try:
            out.append([int(c), int(k)])
        except ValueError:
            raise ValueError(f"expected conv layers as CHANNELSxKERNEL, comma-separated, "
                             f"like 8x5,16x5, got {text!r}") from None
        if not sep:
            raise ValueError(f"expected conv layers as CHANNELSxKERNEL, like 8x5,16x5, "
                             f"got {text!r}")
    return out


def conv_text(conv) -> str:
    """``[[8, 5], [16, 5]]`` -> ``"8x5,16x5"`` (as the option is written)."""
    return ",".join(f"{c}x{k}" for c, k in conv) or "none"


def check_conv(conv) -> None:
    """``conv``: a list of [channels, kernel] pairs of whole numbers >= 1."""
    ok = isinstance(conv, list) and all(
        isinstance(p, (list, tuple)) and len(p) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) for v in p) for p in conv)
    if not ok:
        raise ConfigError(f"{arg('conv')} must be conv layers as [channels, kernel] pairs "
                          f"(8x5,16x5 on the command line), got {conv!r}")
    for i, (c, k) in enumerate(conv):
        if c < 1:
            raise ConfigError(f"{arg('conv')} {conv_text(conv)}: conv layer {i + 1} has "
                              f"{c} channels; a channel count must be >= 1")
        if k < 1:
            raise ConfigError(f"{arg('conv')} {conv_text(conv)}: conv layer {i + 1} has a "
                              f"kernel of {k}; a kernel must be >= 1 pixel")
        if c > MAX_CHANNELS or k > MAX_KERNEL:
            raise ConfigError(f"{arg('conv')} {conv_text(conv)}: conv layer {i + 1} is too "
                              f"large (at most {MAX_CHANNELS} channels, kernel "
                              f"{MAX_KERNEL})")
    if len(conv) > 16:
        raise ConfigError(f"{arg('conv')} has {len(conv)} conv layers; at most 16")


def plan_layers(input_shape, conv, pool, stride, padding, hidden, n_out) -> list:
    """``network.layers`` for images of ``input_shape`` (C, H, W) through the
    conv layers ``conv`` ([[channels, kernel], ...]) and dense layers
    ``hidden`` to ``n_out`` outputs. Without conv layers, ``input_shape`` may
    be None and the first dense layer takes ``prod(input_shape)`` features
    (give ``input_shape=(n_features,)``)."""
    layers, shape = [], tuple(int(s) for s in input_shape)
    for i, (c, k) in enumerate(conv):
        ch, h, w = shape
        padded = min(h, w) + 2 * padding
        where = f"conv layer {i + 1}'s {ch}x{h}x{w} input" + \
            (f" (padded by {padding}: {h + 2 * padding}x{w + 2 * padding})" if padding else "")
        if k > padded:
            raise ConfigError(f"{arg('conv')} {conv_text(conv)}: the kernel {k}x{k} is larger "
                              f"than {where}; use a smaller kernel or fewer conv layers")
        oh, ow = ((s + 2 * padding - k) // stride + 1 for s in (h, w))
        if pool > 1 and (oh % pool or ow % pool):
            raise ConfigError(f"{arg('pool')} {pool} does not divide conv layer {i + 1}'s "
                              f"{oh}x{ow} maps ({arg('conv')} {conv_text(conv)}, stride "
                              f"{stride}, padding {padding}); choose kernels, "
                              f"{arg('conv_padding')} or {arg('pool')} so that it does")
        ph, pw = (oh // pool, ow // pool) if pool > 1 else (oh, ow)
        layers.append({"kind": "conv", "in_shape": [ch, h, w], "out_channels": c,
                       "kernel": k, "stride": stride, "padding": padding, "pool": pool,
                       "map_shape": [c, oh, ow], "out_shape": [c, ph, pw]})
        shape = (c, ph, pw)
    n = math.prod(shape)
    for n_next in [*hidden, n_out]:
        layers.append({"kind": "dense", "n_in": int(n), "n_out": int(n_next)})
        n = n_next
    return layers


def dense_layers(sizes) -> list:
    """``network.layers`` of a dense-only network of layer sizes ``sizes``."""
    return [{"kind": "dense", "n_in": a, "n_out": b} for a, b in zip(sizes[:-1], sizes[1:])]


def layout(layers) -> list:
    """Shapes of W0, b0, W1, b1, ... (a conv layer's W: (out, in, k, k))."""
    shapes = []
    for layer in layers:
        if layer["kind"] == "conv":
            o, c, k = layer["out_channels"], layer["in_shape"][0], layer["kernel"]
            shapes += [(o, c, k, k), (o,)]
        else:
            shapes += [(layer["n_in"], layer["n_out"]), (layer["n_out"],)]
    return shapes


def dense_sizes(layers) -> list:
    """Widths of the dense part: [its inputs (the flattened maps), *hidden, n_out]."""
    dense = [l for l in layers if l["kind"] == "dense"]
    return [dense[0]["n_in"], *(l["n_out"] for l in dense)]


def input_width(layers) -> int:
    """Features of a sample as stored (a flattened image for a conv network)."""
    first = layers[0]
    return math.prod(first["in_shape"]) if first["kind"] == "conv" else first["n_in"]


class Reshape:
    """(N, C*H*W) rows -> (N, C, H, W) images (a view): the data stay flat
    rows everywhere else (files, batches, probe sets)."""

    params: dict = {}
    grads: dict = {}
    overwrite_grad = False

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, X, training=False):
        return X.reshape((X.shape[0], *self.shape))

    def backward(self, dY):   # the first layer: nothing consumes its input's gradient
        return None


def build_front(layers, activation, init, dtype, l2, rng, xp=np) -> list:
    """The engine layers of the conv part of ``layers``: Reshape, then per conv
    layer Conv2D, activation, MaxPool2D (pool > 1), then Flatten; kernels are
    drawn from ``rng`` in order (before the dense layers' weights)."""
    from .conv import Conv2D, Flatten, MaxPool2D
    from .layers import ACTIVATIONS
    conv = [l for l in layers if l["kind"] == "conv"]
    out = [Reshape(conv[0]["in_shape"])]
    for i, l in enumerate(conv):
        out.append(Conv2D(l["in_shape"][0], l["out_channels"], l["kernel"], l["stride"],
                          l["padding"], init=init, rng=rng, dtype=dtype, l2=l2,
                          input_grad=i > 0, xp=xp))
        out.append(ACTIVATIONS[activation](xp=xp))
        if l["pool"] > 1:
            out.append(MaxPool2D(l["pool"], xp=xp))
    out.append(Flatten())
    return out


def layers_for(model, info) -> list:
    """``network.layers`` for a run's model settings (``cfg.model``) on data
    described by ``info`` (the run's data section: ``n_features``,
    ``n_outputs``, ``input_shape``). Conv layers need images: a one-line
    :class:`ConfigError` on tabular or 2-D data."""
    if not model.conv:
        return dense_layers([info["n_features"], *model.hidden, info["n_outputs"]])
    shape = info.get("input_shape")
    if not shape:
        from .synthetic import SYNTHETIC
        what = "a set of 2-D points" if info["name"] in SYNTHETIC else \
            f"a table of {info['n_features']} feature columns"
        raise ConfigError(f"{arg('conv')} needs image data (mnist, fashion-mnist, a Kaggle "
                          f"digits CSV), and {info['name']} is {what}; train it with "
                          f"dense layers only ({arg('hidden')})")
    return plan_layers([1, *shape], model.conv, model.pool, model.conv_stride,
                       model.conv_padding, model.hidden, info["n_outputs"])


def describe(layers) -> str:
    """The network in a few characters: ``2-32-32-3`` for dense layers,
    ``1x28x28-c6x5-p2-c16x5-p2-256-120-84-10`` with conv layers."""
    parts = []
    for l in layers:
        if l["kind"] == "conv":
            if not parts:
                parts.append("x".join(map(str, l["in_shape"])))
            parts.append(f"c{l['out_channels']}x{l['kernel']}"
                         + (f"s{l['stride']}" if l["stride"] > 1 else "")
                         + (f"p{l['padding']}" if l["padding"] else ""))
            if l["pool"] > 1:
                parts.append(f"pool{l['pool']}")
        else:
            if not parts or not parts[-1].isdigit():   # the first dense layer's inputs
                parts.append(str(l["n_in"]))
            parts.append(str(l["n_out"]))
    return "-".join(parts)
