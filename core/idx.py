"""The IDX format of the MNIST files, ``.gz`` or raw.

Header: two zero bytes, a type code (0x08 = unsigned byte), the number of
dimensions, then one big-endian uint32 per dimension. The parser checks the
magic number and that the payload has exactly the size the header announces.
"""
from __future__ import annotations

import gzip
import math
import os

import numpy as np

from .errors import DataError

_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
          0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path) -> np.ndarray:
    """Read an IDX file (gzip-compressed when its first bytes say so)."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError) as e:  # gzip raises EOFError/BadGzipFile when truncated
        raise DataError(f"cannot read {path}: {e}; delete it and fetch it again") from None
    return parse_idx(raw, path)


def parse_idx(raw: bytes, name="<bytes>") -> np.ndarray:
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise DataError(f"{name} is not an IDX file (bad magic number); "
                        "delete it and fetch it again")
    ndim = raw[3]
    if ndim == 0 or len(raw) < 4 + 4 * ndim:
        raise DataError(f"{name} has a truncated IDX header; delete it and fetch it again")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_TYPES[raw[2]])
    # Python integers: np.prod would wrap around past 2**63 and pass the check.
    expected = 4 + 4 * ndim + math.prod(shape) * dtype.itemsize
    if len(raw) != expected:
        raise DataError(f"{name} is {'truncated' if len(raw) < expected else 'too long'}: "
                        f"{len(raw)} bytes where its header announces {expected}; "
                        "delete it and fetch it again")
    return np.frombuffer(raw, dtype, offset=4 + 4 * ndim).reshape(shape)
