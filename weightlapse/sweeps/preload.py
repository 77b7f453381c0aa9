"""Preloaded by the worker processes of a local Dask cluster.

A terminal's Ctrl-C reaches every process of its group, and a Dask worker
dies of it mid-task. The sweep's client handles Ctrl-C itself (it asks the
runs to stop and keeps them), so its local workers ignore the signal."""
import signal
import threading


def dask_setup(worker):
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
