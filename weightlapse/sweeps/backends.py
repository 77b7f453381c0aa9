"""Where a sweep's runs train: a local process pool (the default, no extra
dependency) or a Dask cluster (``scheduler="local"`` for a LocalCluster of
worker processes on this machine, or the address of an existing scheduler).

Both answer the same few calls: ``submit(settings)`` returns a handle,
``wait(handles, timeout)`` the ones done, ``outcome(handle)`` says
("ok", result), ("lost", why) for a run whose worker died (worth retrying) or
("error", why); ``stop()`` asks running runs to stop at their next step,
``drain(handles, grace)`` waits for them, ``close()`` ends the workers.
"""
from __future__ import annotations

import logging
import os
import signal
import uuid
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

from ..core.errors import WeightlapseError
from .options import check_backend_options
from .tasks import StopWhen, roomy_malloc, train_one

BLAS_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
DASK_EXTRA = 'pip install "weightlapse[dask]"'


class SweepError(WeightlapseError):
    """A sweep that cannot start: no Dask, an unreachable scheduler, a bad
    sweep folder."""


# -- the process pool -----------------------------------------------------------
_stop = None   # in a pool worker: an Event shared with the parent


def _init_worker(stop):
    global _stop
    _stop = stop
    # A terminal's Ctrl-C reaches every process of its group. While a run
    # trains, the trainer's own handler stops it cleanly at a step boundary;
    # outside training a worker ignores the signal and the parent winds down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool_task(settings):
    return train_one(settings, "shared", StopWhen(_stop.is_set) if _stop else None)


class PoolBackend:
    target = "shared"

    def __init__(self, jobs, n_runs, blas_threads=1):
        self.jobs = max(1, min(jobs, n_runs))
        # Spawned workers read these when NumPy loads: one BLAS thread per run,
        # so parallel runs do not fight over the cores.
        self.saved = {k: os.environ.get(k) for k in BLAS_VARS}
        os.environ.update({k: str(blas_threads) for k in BLAS_VARS})
        self.ctx = get_context("spawn")
        self.stop_event = self.ctx.Event()
        self.pool = None

    def describe(self):
        return f"{self.jobs} worker process{'es' if self.jobs > 1 else ''}"

    def slots(self):
        return self.jobs

    def submit(self, settings):
        if self.pool is None:  # first use, or the pool broke when a worker died
            self.pool = ProcessPoolExecutor(self.jobs, mp_context=self.ctx,
                                            initializer=_init_worker,
                                            initargs=(self.stop_event,))
        return self.pool.submit(_pool_task, settings)

    def wait(self, handles, timeout):
        return wait_futures(handles, timeout, FIRST_COMPLETED)[0]

    def outcome(self, fut):
        try:
            return "ok", fut.result()
        except BrokenProcessPool:
            # One dead worker breaks the whole pool: every run in it is lost.
            if self.pool is not None:
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = None
            return "lost", "a worker process died"
        except Exception as e:  # noqa: BLE001
            return "error", f"{type(e).__name__}: {e}"

    def attempts(self, fut):
        return None   # the runner counts submissions: a pool never retries on its own

    def stop(self):
        self.stop_event.set()  # running runs stop at their next step; queued ones never start

    def drain(self, handles, grace):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        return {f for f in handles if f.done() and not f.cancelled()}

    def close(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        _restore_env(self.saved)


# -- Dask -----------------------------------------------------------------------
def _dask_task(settings, target, event_name, counter_name, max_attempts):
    """One attempt at a run on a Dask worker. The attempts are counted in a
    cluster Variable, because a scheduler reschedules a task whose worker
    died on its own (up to its ``allowed-failures``): counting here keeps
    ``retries`` exact on any cluster."""
    from distributed import Event, Variable
    counter = Variable(counter_name)
    attempt = int(counter.get()) + 1
    counter.set(attempt)
    if attempt > max_attempts:
        return {"status": "failed", "attempts": attempt - 1,
                "message": f"its worker died ({attempt - 1} attempt{'s' if attempt > 2 else ''})"}
    with roomy_malloc():
        result = train_one(settings, target, StopWhen(Event(event_name).is_set, every=1.0))
    return {**result, "attempts": attempt}


def _import_distributed():
    try:
        import dask  # noqa: F401
        import distributed
    except ImportError:
        raise SweepError(f"sweeping on Dask needs the optional extra: {DASK_EXTRA}") from None
    return distributed


class DaskBackend:
    def __init__(self, scheduler, jobs=None, blas_threads=1, retries=1, shared_out=False,
                 connect_timeout=10.0, n_runs=1):
        distributed = _import_distributed()
        import dask
        self.distributed, self.cluster = distributed, None
        # A local cluster's workers are processes of this machine: they write
        # into the sweep folder as a pool's do. Remote ones may not see it.
        self.target = "shared" if shared_out or scheduler == "local" else "bytes"
        self.address = scheduler
        if scheduler == "local":
            environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
            environ.update({k: blas_threads for k in BLAS_VARS})
            # Dask's 64 kB trim threshold slows training (see tasks.roomy_malloc,
            # which covers only the run itself on workers we do not start):
            # local workers keep glibc's adaptive default their whole life
            # (None unsets it). Relying on roomy_malloc alone measured 0.876 of
            # the pool's runs per minute, against 0.968 with this.
            environ["MALLOC_TRIM_THRESHOLD_"] = None
            # A nanny writes its worker's settings into its own process's
            # environment before it spawns the worker (and Dask adds a note of
            # the parent), and a LocalCluster's nannies live in this process:
            # put the environment back as it was when the cluster closes.
            self.saved_env = dict(os.environ)
            # We count lost runs ourselves (retries), and a worker holds only
            # the run it trains, so a killed worker loses just that run.
            # A worker's periodic chores (the stack profiler, the event loop's
            # tick, the system and memory monitors) take the GIL from the
            # training thread: measured, one run trained in 2.7 s on a local
            # worker with the defaults, 1.75 s with these, 1.2 s in a plain
            # process. Our workers run one task at a time and need none of it.
            quiet = {"distributed.worker.profile.enabled": False,
                     "distributed.worker.profile.interval": "10s",
                     "distributed.worker.profile.cycle": "100s",
                     "distributed.admin.tick.interval": "1s",
                     "distributed.admin.system-monitor.interval": "10s",
                     "distributed.worker.memory.monitor-interval": "10s"}
            with dask.config.set({**quiet, "distributed.scheduler.allowed-failures": 0,
                                  "distributed.scheduler.worker-saturation": 1.0,
                                  "distributed.worker.preload": [
                                      "weightlapse.sweeps.preload"],
                                  "distributed.nanny.pre-spawn-environ": environ}):
                try:
                    self.cluster = distributed.LocalCluster(
                        n_workers=max(1, min(jobs or 1, n_runs)), threads_per_worker=1,
                        processes=True, dashboard_address=":0", silence_logs=logging.ERROR)
                    self.client = distributed.Client(self.cluster)
                except BaseException:
                    if self.cluster is not None:
                        self.cluster.close(timeout=10)
                    _restore_env(self.saved_env, whole=True)
                    raise
        else:
            try:
                self.client = distributed.Client(scheduler, timeout=connect_timeout)
            except (OSError, TimeoutError, ValueError, TypeError) as e:
                why = str(e).splitlines()[0] if str(e) else type(e).__name__
                raise SweepError(f"cannot reach the Dask scheduler at {scheduler!r} ({why}); "
                                 "check the address (like tcp://HOST:8786) and that the "
                                 "scheduler is running") from None
        self.id = uuid.uuid4().hex[:12]
        self.retries = retries
        self.event = distributed.Event(f"weightlapse-stop-{self.id}", client=self.client)
        self.counters = {}

    def describe(self):
        n = self.slots()
        where = "a local Dask cluster" if self.cluster else f"the Dask cluster at {self.address}"
        if n == 0:
            return f"{where} (no workers yet: the runs wait for one)"
        return f"{where} ({n} worker thread{'s' if n != 1 else ''})"

    def slots(self):
        try:
            return sum(w["nthreads"] for w in self.client.scheduler_info()["workers"].values())
        except Exception:  # noqa: BLE001 - only for the progress display
            return 0

    def submit(self, settings):
        name = settings["name"]
        if name not in self.counters:
            self.counters[name] = self.distributed.Variable(
                f"weightlapse-{self.id}-{name}-attempts", client=self.client)
            self.counters[name].set(0)
        fut = self.client.submit(_dask_task, settings, self.target, self.event.name,
                                 self.counters[name].name, self.retries + 1,
                                 key=f"weightlapse-{name}-{uuid.uuid4().hex[:8]}", pure=False)
        fut.run_name = name
        return fut

    def attempts(self, fut):
        """How many times the run of ``fut`` started (None if unknown)."""
        try:
            return int(self.counters[fut.run_name].get(timeout=5))
        except Exception:  # noqa: BLE001 - the cluster is gone
            return None

    def wait(self, handles, timeout):
        try:
            self.distributed.wait(list(handles), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            pass
        return {f for f in handles if f.done()}

    def outcome(self, fut):
        from distributed.scheduler import KilledWorker
        if fut.status == "finished":
            try:
                return "ok", fut.result()
            except Exception as e:  # noqa: BLE001 - lost between done and fetch
                return "lost", f"its result was lost ({type(e).__name__}: {e})"
        if fut.status == "error":
            exc = fut.exception()
            if isinstance(exc, KilledWorker):
                return "lost", "its worker died"
            if isinstance(exc, ImportError) and "weightlapse" in str(exc):
                return "error", ("its Dask worker cannot import weightlapse: install the "
                                 "same version of weightlapse where the workers run")
            return "error", f"{type(exc).__name__}: {exc}"
        return "lost", f"the cluster lost it ({fut.status})"

    def stop(self):
        try:
            self.event.set()
        except Exception:  # noqa: BLE001 - a cluster already gone stops nothing
            pass

    def drain(self, handles, grace):
        handles = list(handles)
        try:
            self.distributed.wait(handles, timeout=grace)
        except (TimeoutError, Exception):  # noqa: BLE001
            pass
        self.client.cancel([f for f in handles if not f.done()])
        return {f for f in handles if f.status == "finished"}

    def close(self):
        try:
            for var in self.counters.values():
                try:
                    var.delete()
                except Exception:  # noqa: BLE001 - a cluster already gone
                    pass
            self.client.close(timeout=10)
        finally:
            if self.cluster is not None:
                self.cluster.close(timeout=10)
                _restore_env(self.saved_env, whole=True)


def _restore_env(saved, whole=False):
    """Set back the variables of ``saved`` (None: unset); ``whole``: saved is
    the whole environment, and variables added since are unset too."""
    if whole:
        for k in set(os.environ) - set(saved):
            del os.environ[k]
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        elif os.environ.get(k) != v:
            os.environ[k] = v


def make_backend(scheduler, jobs, n_runs, blas_threads=1, retries=1, shared_out=False,
                 connect_timeout=10.0):
    check_backend_options(scheduler, jobs, blas_threads, shared_out, connect_timeout)
    if scheduler is None:
        return PoolBackend(jobs or 1, n_runs, blas_threads)
    return DaskBackend(scheduler.strip(), jobs, blas_threads, retries, shared_out,
                       connect_timeout, n_runs)
