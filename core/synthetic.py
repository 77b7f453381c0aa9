"""Built-in 2-D datasets, generated with NumPy from a seed.

Each ``make_*(n_samples, noise, rng, ...)`` returns ``X: (n_samples, 2)`` float64
and ``y: (n_samples,)`` int64 class labels.
"""
from __future__ import annotations

import numpy as np

from .errors import ConfigError, arg


def _split(n, k):
    """n samples shared as evenly as possible over k classes."""
    return [n // k + (i < n % k) for i in range(k)]


def make_spiral(n_samples=1500, noise=0.2, rng=None, classes=3):
    """``classes`` interleaved spiral arms (the classic CS231n spiral)."""
    rng = rng or np.random.default_rng(0)
    Xs, ys = [], []
    for c, n in enumerate(_split(n_samples, classes)):
        r = np.linspace(0.0, 1.0, n)
        t = np.linspace(c * 4.0, (c + 1) * 4.0, n) + rng.normal(0, noise, n)
        Xs.append(np.c_[r * np.sin(t), r * np.cos(t)])
        ys.append(np.full(n, c))
    return np.concatenate(Xs), np.concatenate(ys).astype(np.int64)


def make_moons(n_samples=1000, noise=0.1, rng=None, **_):
    """Two interleaving half circles."""
    rng = rng or np.random.default_rng(0)
    n0, n1 = _split(n_samples, 2)
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    X = np.r_[np.c_[np.cos(t0), np.sin(t0)],
              np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]]
    X += rng.normal(0, noise, X.shape)
    return X, np.r_[np.zeros(n0), np.ones(n1)].astype(np.int64)


def make_circles(n_samples=1000, noise=0.05, rng=None, factor=0.5, **_):
    """A small circle inside a large one."""
    rng = rng or np.random.default_rng(0)
    n0, n1 = _split(n_samples, 2)
    t0 = np.linspace(0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0, 2 * np.pi, n1, endpoint=False)
    X = np.r_[np.c_[np.cos(t0), np.sin(t0)], factor * np.c_[np.cos(t1), np.sin(t1)]]
    X += rng.normal(0, noise, X.shape)
    return X, np.r_[np.zeros(n0), np.ones(n1)].astype(np.int64)


def make_xor(n_samples=1000, noise=0.05, rng=None, **_):
    """Points in [-1, 1]^2 labelled by the sign of x*y (a jittered XOR)."""
    rng = rng or np.random.default_rng(0)
    X = rng.uniform(-1, 1, (n_samples, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return X + rng.normal(0, noise, X.shape), y


def make_gaussian(n_samples=1000, noise=0.5, rng=None, classes=3):
    """Isotropic Gaussian blobs with centres evenly spaced on a circle of radius 2."""
    rng = rng or np.random.default_rng(0)
    angles = 2 * np.pi * np.arange(classes) / classes
    centres = 2 * np.c_[np.cos(angles), np.sin(angles)]
    counts = _split(n_samples, classes)
    y = np.repeat(np.arange(classes), counts).astype(np.int64)
    return centres[y] + rng.normal(0, noise, (n_samples, 2)), y


MAX_NOISE = 1e6   # far past any useful noise; inf would make non-finite points

SYNTHETIC = {
    "spiral": (make_spiral, 0.2),
    "moons": (make_moons, 0.1),
    "circles": (make_circles, 0.05),
    "xor": (make_xor, 0.05),
    "gaussian": (make_gaussian, 0.5),
}


def make_synthetic(name, n_samples, noise=None, classes=3, rng=None):
    fn, default_noise = SYNTHETIC[name]
    if noise is not None and not 0 <= noise <= MAX_NOISE:  # also NaN and inf
        raise ConfigError(f"{arg('noise')} must be a number in [0, {MAX_NOISE:g}] (got {noise!r})")
    return fn(n_samples=n_samples, noise=default_noise if noise is None else noise,
              rng=rng, classes=classes)
