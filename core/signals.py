"""Ctrl-C and SIGTERM while training: stop cleanly at the next step boundary."""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager


@contextmanager
def stop_on_signals(trainer):
    """While the block runs (on the main thread), the first Ctrl-C or SIGTERM
    asks ``trainer`` to stop after its current step, so the weights and the
    optimizer state stay consistent and the run can resume exactly; a second
    Ctrl-C raises KeyboardInterrupt at once. The previous handlers come back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(signum, frame):
        if trainer.stop_requested and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: abort now
        trainer.request_stop()

    previous = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.getsignal(sig)
            signal.signal(sig, on_signal)
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
