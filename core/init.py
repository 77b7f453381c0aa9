"""Weight initialisers (SPEC §3). Each maps ``(n_in, n_out, rng)`` to ``(W, b)``
in float64; the model casts to its dtype. They draw on the host with NumPy for
every device (a GPU model copies the result), so CPU and GPU runs from one
seed start from the same weights."""
from __future__ import annotations

import numpy as np


def he(n_in, n_out, rng):
    """N(0, 2 / n_in) weights, zero biases."""
    return rng.normal(0.0, np.sqrt(2.0 / n_in), (n_in, n_out)), np.zeros(n_out)


def xavier(n_in, n_out, rng):
    """U(±sqrt(6 / (n_in + n_out))) weights, zero biases (Glorot uniform)."""
    a = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-a, a, (n_in, n_out)), np.zeros(n_out)


def uniform(n_in, n_out, rng):
    """U(-0.5, 0.5) weights and biases, as in the classic from-scratch MNIST notebook."""
    return rng.uniform(-0.5, 0.5, (n_in, n_out)), rng.uniform(-0.5, 0.5, n_out)


INITIALIZERS = {"he": he, "xavier": xavier, "uniform": uniform}
