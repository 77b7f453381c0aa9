"""The array module behind the engine: NumPy on the CPU, CuPy on a GPU.

The layers, losses, optimizers and the trainer are written once against an
``xp`` module; :func:`array_module` picks it from the ``device`` setting.
CuPy is imported here, lazily, and only for ``device="gpu"``, so ``core``
needs nothing but NumPy and pandas otherwise.

Random numbers stay on the host: NumPy's generators draw the initial weights,
the shuffling order and the dropout masks for both devices, so a GPU run is
the CPU run from the same seed (the draws are copied to the device).
"""
from __future__ import annotations

import numpy as np

from .errors import ConfigError, arg

DEVICES = ("cpu", "gpu")

_GPU = None  # the CuPy module once it has been checked


def array_module(device: str = "cpu"):
    """``numpy`` for ``"cpu"``; ``cupy`` for ``"gpu"``, after checking that
    CuPy imports and sees at least one CUDA device. Never falls back to the
    CPU: a missing piece is a one-line :class:`ConfigError` naming it."""
    if device == "cpu":
        return np
    if device != "gpu":
        raise ConfigError(f"unknown {arg('device')} {device!r}; choose one of "
                          f"{', '.join(DEVICES)}")
    global _GPU
    if _GPU is None:
        _GPU = _load_cupy()
    return _GPU


def _load_cupy():
    try:
        import cupy
    except ImportError as e:  # not installed, or installed without its CUDA libraries
        raise ConfigError(
            f"{arg('device', 'gpu')} needs CuPy, which is not installed or does not import "
            f"({e}); install it with: pip install \"weightlapse[gpu]\"") from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # noqa: BLE001 - CUDARuntimeError, a missing driver, ...
        raise ConfigError(
            f"{arg('device', 'gpu')} needs a usable CUDA GPU, but CuPy found none "
            f"({_one_line(e)}); use {arg('device', 'cpu')}") from None
    if count < 1:
        raise ConfigError(f"{arg('device', 'gpu')} needs a usable CUDA GPU, but CuPy found "
                          f"none; use {arg('device', 'cpu')}")
    return cupy


def _one_line(e) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


def is_host(xp) -> bool:
    """True when ``xp`` is NumPy: reading a value back costs nothing."""
    return xp is np


def to_host(a) -> np.ndarray:
    """A NumPy array of ``a``'s values: CuPy arrays are copied to the host
    (a synchronising transfer); NumPy arrays are returned as they are."""
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else np.asarray(a)
