"""Convolution layers on the engine's array module: ``Conv2D``, ``MaxPool2D``
and ``Flatten``, with the forward/backward/params/grads conventions of
:mod:`.layers`.

The layout is PyTorch's, so results can be checked against it: images are
``(N, C, H, W)``, kernels ``(out_channels, in_channels, kh, kw)``, and
``Flatten`` orders features C, H, W. Output sizes are floored as in PyTorch:
``(H + 2 * padding - kernel) // stride + 1``; rows or columns that no window
reaches are ignored (their gradient is zero).

No Python loop runs over samples or pixels. Convolution is im2col and one
matrix product: a strided view of the padded images holds every window, one
copy turns it into the column matrix ``(C * kh * kw, N * OH * OW)``, and
``W @ cols`` is the output. The backward pass is two matrix products (``dW``
and the columns' gradient) and col2im, which adds each column back onto its
window: one strided assignment where windows do not overlap (stride >=
kernel), else one vectorised add per kernel offset (kh * kw of them). With
stride 1 the columns' gradient is laid out over whole padded rows (zeros past
each row's last window), so each of those adds moves runs of ``OH * Wp``
contiguous values rather than ``OW``.
Max pooling is a running maximum over the kernel offsets (one vectorised
operation per offset over all windows of all samples); its backward pass
finds each window's first maximum the same way.

Working memory: the column matrix of a whole batch is cached for the
backward pass only while it fits :data:`COLUMN_BUDGET` (256 MiB). Beyond
that the batch is processed in chunks of samples whose columns fit the
budget, and the backward pass rebuilds each chunk's columns from the cached
input, so im2col never holds more than about the budget at once.
"""
from __future__ import annotations

import math

import numpy as np

from .errors import ConfigError, arg
from .init import INITIALIZERS
from .layers import Layer

COLUMN_BUDGET = 256 * 2**20  # bytes of im2col columns held at once


def _count(name, value, minimum=1):
    """``value`` as an int >= ``minimum``, else a one-line ConfigError."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or value < minimum:
        raise ConfigError(f"{arg(name)} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def _pair(name, value, minimum=1):
    """An int or an (h, w) pair of ints >= ``minimum``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ConfigError(f"{arg(name)} must be one number or a pair (h, w), "
                              f"got {value!r}")
        return tuple(_count(name, v, minimum) for v in value)
    v = _count(name, value, minimum)
    return v, v


def output_size(size: int, kernel: int, stride: int, padding: int = 0,
                what: str = "kernel") -> int:
    """Windows along one axis (floored, as in PyTorch); a window larger than the
    padded input is a one-line ConfigError."""
    padded = size + 2 * padding
    if kernel > padded:
        size_ = f"{size} + 2 x padding {padding} = {padded}" if padding else f"{size}"
        raise ConfigError(f"{arg(what, kernel)} is larger than the input it slides over "
                          f"({size_})")
    return (padded - kernel) // stride + 1


def _windows(xp, a, kh, kw, sh, sw, oh, ow):
    """A strided view (C, kh, kw, N, oh, ow) of every window of ``a`` (N, C, H, W)."""
    sN, sC, sH, sW = a.strides
    return xp.lib.stride_tricks.as_strided(
        a, (a.shape[1], kh, kw, a.shape[0], oh, ow), (sC, sH, sW, sN, sh * sH, sw * sW))


def _scatter_windows(xp, dst, cols, kh, kw, sh, sw, oh, ow):
    """col2im: add ``cols`` (C, kh, kw, N, oh, ow) onto the windows of ``dst``
    (zeros, N, C, H, W). One assignment through the strided view when windows
    do not overlap; else one add per kernel offset."""
    if sh >= kh and sw >= kw:
        _windows(xp, dst, kh, kw, sh, sw, oh, ow)[...] = cols
        return
    for i in range(kh):
        for j in range(kw):
            dst[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += \
                cols[:, i, j].transpose(1, 0, 2, 3)


class Conv2D(Layer):
    """2-D convolution (cross-correlation, as in PyTorch) with zero padding.

    X: (N, in_channels, H, W) -> Y: (N, out_channels, OH, OW), with
    ``OH = (H + 2 * padding - kh) // stride + 1`` (likewise OW).
    ``params = {"W": (out_channels, in_channels, kh, kw), "b": (out_channels,)}``.
    ``W``/``b`` may be given; else they are drawn by ``init`` (one of
    :data:`.init.INITIALIZERS`, fan-in ``in_channels * kh * kw``) from ``rng``
    in float64 and cast to ``dtype``. ``l2`` and ``input_grad`` are as for
    :class:`.layers.Dense`; ``input_grad=False`` (the first layer) skips
    col2im. ``budget`` bounds the im2col columns held at once (bytes).
    """

    def __init__(self, in_channels, out_channels, kernel, stride=1, padding=0, *,
                 W=None, b=None, init="he", rng=None, dtype="float32", l2=0.0,
                 input_grad=True, budget=COLUMN_BUDGET, xp=np):
        self.xp = xp
        self.in_channels = _count("in_channels", in_channels)
        self.out_channels = _count("out_channels", out_channels)
        self.kernel = _pair("kernel", kernel)
        self.stride = _pair("stride", stride)
        self.padding = _pair("padding", padding, minimum=0)
        shape = (self.out_channels, self.in_channels, *self.kernel)
        if W is None:
            fan_in = self.in_channels * self.kernel[0] * self.kernel[1]
            W0, b0 = INITIALIZERS[init](fan_in, self.out_channels,
                                        rng if rng is not None else np.random.default_rng(0))
            W, b = xp.asarray(W0.T.reshape(shape).astype(dtype)), xp.asarray(b0.astype(dtype))
        if b is None:
            b = xp.zeros(self.out_channels, W.dtype)
        if tuple(W.shape) != shape or tuple(b.shape) != (self.out_channels,):
            raise ConfigError(f"{arg('W')} must have shape {shape} and {arg('b')} "
                              f"({self.out_channels},), got {tuple(W.shape)} and "
                              f"{tuple(b.shape)}")
        self.params = {"W": W, "b": b}
        self.grads = {"W": xp.zeros_like(W), "b": xp.zeros_like(b)}
        self.l2 = l2
        self.input_grad = input_grad
        self.budget = budget
        self._X = self._cols = None

    def output_shape(self, in_shape):
        """(C, H, W) in -> (out_channels, OH, OW) out, checking the sizes."""
        c, h, w = in_shape
        if c != self.in_channels:
            raise ConfigError(f"{arg('in_channels')} is {self.in_channels} but the input "
                              f"has {c} channels")
        (kh, kw), (sh, sw), (ph, pw) = self.kernel, self.stride, self.padding
        return (self.out_channels, output_size(h, kh, sh, ph), output_size(w, kw, sw, pw))

    def _padded(self, X):
        ph, pw = self.padding
        if not (ph or pw):
            return X
        Xp = self.xp.zeros((X.shape[0], X.shape[1], X.shape[2] + 2 * ph, X.shape[3] + 2 * pw),
                           X.dtype)
        Xp[:, :, ph:ph + X.shape[2], pw:pw + X.shape[3]] = X
        return Xp

    def _columns(self, X, oh, ow):
        """The im2col columns (C * kh * kw, n * oh * ow) of images X (n, C, H, W):
        one copy of the strided view of every window."""
        (kh, kw), (sh, sw) = self.kernel, self.stride
        view = _windows(self.xp, self._padded(X), kh, kw, sh, sw, oh, ow)
        return self.xp.ascontiguousarray(view).reshape(-1, X.shape[0] * oh * ow)

    def _chunk(self, X, oh, ow):
        """Samples per chunk so that one chunk's columns fit the budget."""
        per_sample = self.in_channels * self.kernel[0] * self.kernel[1] * oh * ow \
            * X.dtype.itemsize
        return max(1, min(X.shape[0], self.budget // max(per_sample, 1)))

    def forward(self, X, training=False):
        xp = self.xp
        n = X.shape[0]
        o, oh, ow = self.output_shape(X.shape[1:])
        W2 = self.params["W"].reshape(o, -1)
        b = self.params["b"].reshape(1, o, 1, 1)
        Y = xp.empty((n, o, oh, ow), X.dtype)
        chunk = self._chunk(X, oh, ow)
        self._X, self._cols, self._shape = X, None, (oh, ow)
        for s in range(0, n, chunk):
            cols = self._columns(X[s:s + chunk], oh, ow)
            m = cols.shape[1] // (oh * ow)
            xp.add((W2 @ cols).reshape(o, m, oh, ow).transpose(1, 0, 2, 3), b,
                   out=Y[s:s + m])
            if chunk >= n:
                self._cols = cols       # the whole batch fits: keep it for backward
        return Y

    def backward(self, dY):
        xp, g = self.xp, self.grads
        X, (oh, ow) = self._X, self._shape
        n, o = dY.shape[:2]
        W2 = self.params["W"].reshape(o, -1)
        xp.sum(dY, axis=(0, 2, 3), out=g["b"])
        gW = g["W"].reshape(o, -1)
        dX = xp.empty(X.shape, X.dtype) if self.input_grad else None
        chunk = n if self._cols is not None else self._chunk(X, oh, ow)
        for s in range(0, n, chunk):
            cols = self._cols if self._cols is not None else \
                self._columns(X[s:s + chunk], oh, ow)
            m = cols.shape[1] // (oh * ow)
            dYc = dY[s:s + m].transpose(1, 0, 2, 3)
            dY2 = xp.ascontiguousarray(dYc).reshape(o, -1)
            if s == 0:
                xp.matmul(dY2, cols.T, out=gW)
            else:
                gW += dY2 @ cols.T
            if not self.input_grad:
                continue
            wp = X.shape[3] + 2 * self.padding[1]
            if self.stride == (1, 1) and wp != ow:
                # col2im over whole padded rows (long runs to add): the columns'
                # gradient from dY laid out over them, zeros past each row's end.
                dYr = xp.zeros((o, m, oh, wp), dY.dtype)
                dYr[..., :ow] = dYc
                dX[s:s + m] = self._col2im(W2.T @ dYr.reshape(o, -1), m, X.shape[1:],
                                           oh, ow, wp)
            else:
                dX[s:s + m] = self._col2im(W2.T @ dY2, m, X.shape[1:], oh, ow, ow)
        if self.l2:
            g["W"] += self.l2 * self.params["W"]
        self._cols = None
        return dX

    def _col2im(self, dcols, m, in_shape, oh, ow, wc):
        """The input gradient (m, C, H, W) from the columns' gradient."""
        xp = self.xp
        (kh, kw), (sh, sw), (ph, pw) = self.kernel, self.stride, self.padding
        c, h, w = in_shape
        if wc != ow:                    # stride 1, columns over whole padded rows
            hp = h + 2 * ph + 1
            dXp = xp.zeros((m, c, hp * wc), dcols.dtype)
            d = dcols.reshape(c, kh, kw, m, oh * wc)
            for i in range(kh):
                for j in range(kw):
                    off = i * wc + j
                    dXp[:, :, off:off + oh * wc] += d[:, i, j].transpose(1, 0, 2)
            return dXp.reshape(m, c, hp, wc)[:, :, ph:ph + h, pw:pw + w]
        dXp = xp.zeros((m, c, h + 2 * ph, w + 2 * pw), dcols.dtype)
        _scatter_windows(xp, dXp, dcols.reshape(c, kh, kw, m, oh, ow),
                         kh, kw, sh, sw, oh, ow)
        return dXp[:, :, ph:ph + h, pw:pw + w]

    def penalty(self) -> float:
        W = self.params["W"]
        return 0.5 * self.l2 * float(self.xp.vdot(W, W)) if self.l2 else 0.0


class MaxPool2D(Layer):
    """Max pooling over ``size`` x ``size`` windows every ``stride`` pixels
    (default ``stride = size``), no padding, floored like PyTorch.

    The gradient goes to the first maximum of each window in row-major order
    (PyTorch's choice for ties); overlapping windows (stride < size) add
    their gradients where they share a pixel.
    """

    def __init__(self, size, stride=None, xp=np):
        self.xp = xp
        self.size = _pair("size", size)
        self.stride = self.size if stride is None else _pair("stride", stride)
        self._X = self._Y = None

    def output_shape(self, in_shape):
        c, h, w = in_shape
        (kh, kw), (sh, sw) = self.size, self.stride
        return c, output_size(h, kh, sh, what="size"), output_size(w, kw, sw, what="size")

    def _offsets(self, oh, ow):
        """(q, rows, cols): each kernel offset and the slices it picks from an
        (N, C, H, W) array: the element at that offset of every window."""
        (kh, kw), (sh, sw) = self.size, self.stride
        return [(i * kw + j, slice(i, i + sh * (oh - 1) + 1, sh),
                 slice(j, j + sw * (ow - 1) + 1, sw)) for i in range(kh) for j in range(kw)]

    def forward(self, X, training=False):
        """The running maximum over kernel offsets, each step one vectorised
        operation over every window of every sample."""
        xp = self.xp
        _, oh, ow = self.output_shape(X.shape[1:])
        offsets = self._offsets(oh, ow)
        Y = xp.array(X[:, :, offsets[0][1], offsets[0][2]])
        for _, r, c in offsets[1:]:
            xp.maximum(Y, X[:, :, r, c], out=Y)
        self._X, self._Y = X, Y
        return Y

    def backward(self, dY):
        """Each window's gradient to its first maximum: offset by offset, the
        elements equal to the window's maximum that no earlier offset matched.
        Where windows overlap (stride < size) shared pixels add them up."""
        xp, X, Y = self.xp, self._X, self._Y
        (kh, kw), (sh, sw) = self.size, self.stride
        offsets = self._offsets(*dY.shape[2:])
        dX = xp.zeros(X.shape, dY.dtype)
        free = None                         # windows whose maximum is not yet found
        for k, (_, r, c) in enumerate(offsets):
            hit = X[:, :, r, c] == Y
            if free is None:
                free = ~hit
            else:
                hit &= free
                if k < len(offsets) - 1:
                    free &= ~hit
            if sh >= kh and sw >= kw:       # each pixel in one window at most
                xp.multiply(dY, hit, out=dX[:, :, r, c])
            else:
                dX[:, :, r, c] += dY * hit
        return dX


class Flatten(Layer):
    """(N, C, H, W) -> (N, C * H * W) in C, H, W order (PyTorch's)."""

    def forward(self, X, training=False):
        self._shape = X.shape
        return X.reshape(X.shape[0], -1)

    def backward(self, dY):
        return dY.reshape(self._shape)

    @staticmethod
    def output_shape(in_shape):
        return (math.prod(in_shape),)
