"""The snapshot file: every recorded state of the weights in one append-only file.

Format (``snapshots.bin``, little-endian)::

    header   64 bytes: b"WLSNAP01", dtype code (b"f4"/b"f8" + 6 spaces),
             n_params (uint64), 40 zero bytes
    records  one per snapshot, fixed size:
             epoch float64 | step int64 | W0, b0, W1, b1, ... (C order)

Why: a snapshot is one ``write`` of the arrays' own bytes (no encoding, no
compression, no per-file overhead), so recording costs about a memcpy; fixed-size
records make the file a NumPy structured array that ``np.memmap`` opens
lazily — ``snapshots[i]`` reads only that record, and a colour scale over all
snapshots is one vectorised pass; and a write torn by a crash shows up as a
trailing partial record, which the reader detects and skips.
"""
from __future__ import annotations

import os
import warnings

import numpy as np

from .errors import RunError

MAGIC = b"WLSNAP01"
HEADER_SIZE = 64
FILENAME = "snapshots.bin"


def layout(sizes):
    """Shapes of W0, b0, W1, b1, ... for layer sizes [n_in, ..., n_out]."""
    shapes = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        shapes += [(n_in, n_out), (n_out,)]
    return shapes


def record_dtype(shapes, dtype) -> np.dtype:
    n = sum(int(np.prod(s)) for s in shapes)
    return np.dtype([("epoch", "<f8"), ("step", "<i8"),
                     ("params", np.dtype(dtype).newbyteorder("<"), (n,))])


class SnapshotWriter:
    """Appends snapshots to ``path``.

    ``append`` hands the arrays' own buffers to one ``writev`` system call:
    the kernel's copy into the page cache is the only copy made (the one
    needed, since the optimizer updates the arrays in place), with no staging
    buffer, no encoding and no thread. Measured against a writer thread fed
    from a buffer pool, this costs less on a 2-core machine, where a second
    busy thread competes with BLAS (see README, Results).
    """

    def __init__(self, path, shapes, dtype, keep=None):
        """A new file, or with ``keep=N`` an existing one cut to its first N
        records and appended to (resuming a run)."""
        self.path = os.fspath(path)
        self.shapes = [tuple(s) for s in shapes]
        self.dtype = np.dtype(dtype)
        self.n_params = sum(int(np.prod(s)) for s in self.shapes)
        self.record_size = record_dtype(self.shapes, self.dtype).itemsize
        if keep is not None:
            self._f = open(self.path, "r+b", buffering=0)
            if os.fstat(self._f.fileno()).st_size < HEADER_SIZE + keep * self.record_size:
                self._f.close()  # cutting back must never extend the file with zeros
                raise RunError(f"{self.path} holds fewer than the {keep} snapshots to keep")
            self._f.truncate(HEADER_SIZE + keep * self.record_size)
            self._f.seek(0, os.SEEK_END)
            self.count = keep
        else:
            self._f = open(self.path, "wb", buffering=0)
            self.count = 0
            code = self.dtype.str[1:].encode().ljust(8)
            header = MAGIC + code + np.uint64(self.n_params).tobytes()
            self._write([header.ljust(HEADER_SIZE, b"\0")], HEADER_SIZE)
        self._head = np.zeros(1, [("epoch", "<f8"), ("step", "<i8")])

    def append(self, epoch: float, step: int, arrays) -> None:
        """Write one snapshot: ``arrays`` in layout order (W0, b0, W1, ...)."""
        self._head["epoch"], self._head["step"] = epoch, step
        bufs = [self._head] + [np.ascontiguousarray(a, self.dtype) for a in arrays]
        self._write(bufs, self.record_size)
        self.count += 1

    def set_epoch(self, index: int, epoch: float) -> None:
        """Rewrite the ``epoch`` of record ``index`` in place (8 bytes; a
        recorder that learns an epoch's length only at its end dates that
        epoch's snapshots afterwards)."""
        os.pwrite(self._f.fileno(), np.float64(epoch).astype("<f8").tobytes(),
                  HEADER_SIZE + index * self.record_size)

    def _write(self, bufs, size):
        if hasattr(os, "writev"):
            done = os.writev(self._f.fileno(), bufs)
            if done != size:  # a short write: the disk is full
                raise OSError(28, f"short write to {self.path} ({done} of {size} bytes); "
                              "is the disk full?")
        else:  # pragma: no cover - platforms without writev
            for b in bufs:
                self._f.write(b)

    def close(self):
        if not self._f.closed:
            self._f.close()


class Snapshot:
    """One recorded state: ``epoch`` (float, completed epochs), ``step``,
    ``weights`` (layer i: (n_in, n_out)) and ``biases`` (layer i: (n_out,))."""

    __slots__ = ("index", "epoch", "step", "params", "_shapes")

    def __init__(self, index, epoch, step, params, shapes):
        self.index, self.epoch, self.step = index, float(epoch), int(step)
        self.params = params
        self._shapes = shapes

    def _arrays(self):
        out, start = [], 0
        for s in self._shapes:
            n = int(np.prod(s))
            out.append(self.params[start:start + n].reshape(s))
            start += n
        return out

    @property
    def weights(self):
        return self._arrays()[0::2]

    @property
    def biases(self):
        return self._arrays()[1::2]

    def __repr__(self):
        return f"Snapshot(index={self.index}, epoch={self.epoch:g}, step={self.step})"


class SnapshotSequence:
    """Lazy, read-only sequence of the snapshots in a file (``len``, indexing,
    slicing, iteration). Nothing is read until a snapshot is accessed."""

    def __init__(self, path, shapes, dtype):
        self.path = os.fspath(path)
        self.shapes = [tuple(s) for s in shapes]
        self.rdtype = record_dtype(self.shapes, dtype)
        try:
            size = os.path.getsize(self.path)
            with open(self.path, "rb") as f:
                header = f.read(HEADER_SIZE)
        except OSError:
            raise RunError(f"{self.path} is missing; the run recorded no snapshots") from None
        n_params = self.rdtype["params"].shape[0]
        if len(header) < HEADER_SIZE or header[:8] != MAGIC:
            raise RunError(f"{self.path} is not a weightlapse snapshot file")
        if int(np.frombuffer(header[16:24], "<u8")[0]) != n_params:
            raise RunError(f"{self.path} does not match the run's layer sizes in config.json")
        body = size - HEADER_SIZE
        self._n, torn = divmod(body, self.rdtype.itemsize)
        if torn:
            warnings.warn(f"{self.path}: skipped a torn last snapshot "
                          f"({torn} of {self.rdtype.itemsize} bytes)", stacklevel=3)
        self._index = None

    def __repr__(self):
        return (f"SnapshotSequence({len(self)} snapshots of layers "
                f"{' -> '.join(str(s) for s in self.shapes[0::2])}, file={self.path!r})")

    @property
    def records(self) -> np.ndarray:
        """All records as a read-only memory-mapped structured array, for
        vectorised passes over many snapshots. A fresh mapping each time: drop
        it when done, since the pages it touches count as resident memory."""
        if not self._n:
            return np.zeros(0, self.rdtype)
        return np.memmap(self.path, self.rdtype, "r", HEADER_SIZE, (self._n,))

    def _epoch_step(self):
        if self._index is None:
            rec = self.records
            self._index = (np.array(rec["epoch"]), np.array(rec["step"]))
        return self._index

    @property
    def steps(self) -> np.ndarray:
        return self._epoch_step()[1]

    @property
    def epochs(self) -> np.ndarray:
        return self._epoch_step()[0]

    def __len__(self):
        return self._n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        i = int(i)
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(f"snapshot {i} out of range ({self._n} snapshots)")
        # One pread per snapshot: a film reads every record once, and through
        # a memory map all of them would stay resident until the end.
        size = self.rdtype.itemsize
        with open(self.path, "rb", buffering=0) as f:
            if hasattr(os, "pread"):
                raw = os.pread(f.fileno(), size, HEADER_SIZE + i * size)
            else:  # pragma: no cover - platforms without pread
                f.seek(HEADER_SIZE + i * size)
                raw = f.read(size)
        if len(raw) != size:
            raise RunError(f"{self.path} was cut short while being read")
        r = np.frombuffer(raw, self.rdtype)[0]
        return Snapshot(i, r["epoch"], r["step"], r["params"], self.shapes)

    def __iter__(self):
        for i in range(self._n):
            yield self[i]
