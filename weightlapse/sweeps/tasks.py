"""The worker side of a sweep: train one run and hand it back.

A run trains either straight into the sweep folder (the process pool, or a
Dask cluster with ``shared_out``), or into a temporary folder on the worker,
whose finished run directory travels back to the client as the bytes of a tar
archive (a cluster whose workers do not share the client's disks). The client
unpacks it beside the sweep and renames it into place, so a run directory is
there whole or not at all.
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import io
import os
import shutil
import tarfile
import tempfile
import time
import uuid
from pathlib import Path

from ..core.errors import WeightlapseError


class StopWhen:
    """A trainer callback that stops the run (cleanly, at a step boundary)
    once ``is_set()`` says so; asked at most every ``every`` seconds, since
    asking a Dask cluster is a round trip."""

    def __init__(self, is_set, every=0.0):
        self.is_set, self.every, self._next = is_set, every, 0.0

    def on_step_end(self, t):
        now = time.monotonic()
        if now >= self._next:
            self._next = now + self.every
            if self.is_set():
                t.request_stop()


@contextlib.contextmanager
def roomy_malloc():
    """Let glibc keep the memory a run frees while it trains, then give it
    back. A Dask nanny starts its workers with ``MALLOC_TRIM_THRESHOLD_=65536``
    so that memory returns to the system between tasks; that also fixes
    glibc's mmap threshold at 128 kB, so every batch-sized array of every
    training step is a fresh mapping whose pages fault in again. Measured on
    a cluster started by hand: 16 runs took 50 s of worker time, against 27 s
    in a process pool. For the run, arrays come from a heap that is not
    trimmed; after it, the worker's settings are restored and the heap
    trimmed. Elsewhere (no such setting, not glibc) this does nothing."""
    trim = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    libc = _glibc() if trim is not None and trim.isdigit() else None
    if libc is None:
        yield
        return
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)     # glibc's largest
    libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)
    try:
        yield
    finally:
        libc.mallopt(M_MMAP_THRESHOLD, 128 << 10)  # what the setting left: the default
        libc.mallopt(M_TRIM_THRESHOLD, int(trim))
        libc.malloc_trim(0)


def _glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - glibc has both; musl, macOS do not
    except (OSError, AttributeError):
        return None
    return libc


def train_one(settings: dict, target=None, stop=None) -> dict:
    """Train the run ``settings`` describe (``out`` is the sweep folder and
    ``name`` the run's folder name), or with ``_resume`` continue it from its
    checkpoint (``_run_tar``: the run's folder packed, for a worker that
    cannot see the sweep folder).

    ``target``: "shared" writes into ``out/name`` directly (a leftover of an
    attempt whose worker died is removed first); "bytes" trains in a local
    temporary folder and returns the run directory as ``result["tar"]``.
    Returns {"status", "message", "path" or "tar", "host", "seconds"}; a
    failure is returned, never raised, so one bad run does not stop a sweep.
    """
    import socket
    t0 = time.perf_counter()
    result = {"host": socket.gethostname()}
    callbacks = [stop] if stop is not None else []
    if stop is not None and stop.is_set():  # queued before the stop: never started
        return {**result, "status": "cancelled", "message": "the sweep was stopped"}
    tmp = None
    settings = dict(settings)
    resume, packed = settings.pop("_resume", False), settings.pop("_run_tar", None)
    try:
        if target == "bytes":
            tmp = Path(tempfile.mkdtemp(prefix="weightlapse-sweep-"))
        run = (_continue(settings, tmp, packed, callbacks) if resume
               else _train(settings, tmp, callbacks))
        result.update(status=run.status, message=run.info.get("message", ""))
        if target == "bytes":
            result["tar"] = pack(run.path)
        else:
            result["path"] = str(run.path)
    except WeightlapseError as e:
        result.update(status="failed", message=str(e))
    except Exception as e:  # noqa: BLE001 - a crashed run must not stop the sweep
        result.update(status="failed", message=f"{type(e).__name__}: {e}")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    result["seconds"] = round(time.perf_counter() - t0, 2)
    return result


def _train(settings, tmp, callbacks):
    from ..core.config import RunConfig
    from ..core.pipeline import train_run
    if tmp is not None:
        settings["out"] = str(tmp)
    else:
        # A leftover of an attempt that never recorded a checkpoint (the
        # sweep's resume checked that): nothing in it can be continued.
        leftover = Path(settings["out"]) / settings["name"]
        if leftover.exists():
            shutil.rmtree(leftover)
    return train_run(RunConfig.from_settings(**settings), callbacks=callbacks)


def _continue(settings, tmp, packed, callbacks):
    """The run continued from its checkpoint (in ``tmp`` when it travelled packed)."""
    from ..core.resume import resume_run
    path = Path(settings["out"]) / settings["name"]
    if packed is not None:
        path = Path(tmp) / settings["name"]
        with tarfile.open(fileobj=io.BytesIO(packed), mode="r") as tar:
            tar.extractall(path, filter="data")
    return resume_run(path, callbacks=callbacks)


def pack(run_dir) -> bytes:
    """A run directory as the bytes of an uncompressed tar (snapshots are
    float arrays: compressing them costs more time than it saves)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(run_dir, arcname=".")
    return buf.getvalue()


def unpack(data: bytes, sweep_dir, name) -> Path:
    """Write a packed run as ``sweep_dir/name``, atomically: extracted into a
    hidden folder beside it, its config's ``out`` pointed at the sweep, then
    renamed into place (replacing an older attempt's folder)."""
    sweep_dir = Path(sweep_dir)
    incoming = sweep_dir / f".{name}.incoming-{uuid.uuid4().hex[:8]}"
    final = sweep_dir / name
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
            tar.extractall(incoming, filter="data")  # no paths outside, no devices
        from ..core.rundir import RunDir
        RunDir(incoming).relocate(sweep_dir)   # checked as it is read
        replace_dir(incoming, final)
    finally:
        shutil.rmtree(incoming, ignore_errors=True)
    return final


def replace_dir(src: Path, dst: Path):
    """Rename ``src`` to ``dst``; an existing ``dst`` is moved aside first and
    removed after, so ``dst`` is never a mix of the two."""
    old = None
    if dst.exists():
        old = dst.with_name(f".{dst.name}.old-{uuid.uuid4().hex[:8]}")
        dst.rename(old)
    src.rename(dst)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
