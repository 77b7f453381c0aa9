"""Progress output: a tqdm bar on a terminal, plain occasional lines otherwise.

On a terminal tqdm draws the bar; in a notebook (an IPython kernel) the
notebook's own (``tqdm.auto``: a widget where ipywidgets is installed), and
the Python API shows progress there by default (``progress=None``). When stderr is a file or
a pipe (CI logs, ``2> log``), carriage-return animation is noise, so a plain
line is written at most every ``every`` seconds and once at the end.
``TQDM_DISABLE=1`` (or ``--quiet``) silences both.
"""
from __future__ import annotations

import os
import sys
import time

PLAIN_EVERY_S = 10.0


def _disabled() -> bool:
    return os.environ.get("TQDM_DISABLE", "").strip().lower() not in ("", "0", "false", "no")


def in_notebook() -> bool:
    """Running in a Jupyter (IPython) kernel, where tqdm.auto draws the
    notebook's own bar; a terminal's IPython is not a notebook."""
    if "ipykernel" not in sys.modules or "IPython" not in sys.modules:
        return False
    shell = sys.modules["IPython"].get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def wanted(progress) -> bool:
    """The API's ``progress``: True, False, or None (on in a notebook only)."""
    return in_notebook() if progress is None else bool(progress)


def _interactive(file) -> bool:
    if in_notebook():     # a notebook: tqdm.auto draws its widget (or a text bar)
        return True
    try:
        return file.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """``label``: done/total ``unit`` with a postfix (``{"epoch": "3.0"}``).

    ``update(done, postfix=None)`` after each item; ``close(postfix=None)``
    writes the final state (on a terminal the bar stays, on a log one line).
    A postfix may be a function returning the dict: it is called only when
    shown (reading a GPU run's loss waits for the GPU).
    """

    def __init__(self, label, total=None, unit="it", file=None, initial=0, bytes=False,
                 every=PLAIN_EVERY_S, leave=True):
        self.label, self.total, self.unit = label, total, unit
        self.file = file or sys.stderr
        self.bytes, self.every, self.leave = bytes, every, leave
        self.done, self.postfix, self.bar = initial, {}, None
        self.start = self.last = time.monotonic()
        self.off = _disabled()
        if not self.off and _interactive(self.file):
            from tqdm.auto import tqdm
            self.bar = tqdm(desc=label, total=total, initial=initial, unit=unit,
                            unit_scale=bytes, unit_divisor=1024 if bytes else 1000,
                            file=self.file, dynamic_ncols=True, mininterval=0.1, leave=leave)
        self._last_postfix = 0.0

    def update(self, done, postfix=None):
        step, self.done = done - self.done, done
        now = time.monotonic()
        if postfix is not None:
            self.postfix = postfix
        if self.off:
            return
        if self.bar is not None:
            self.bar.update(step)
            if postfix is not None and now - self._last_postfix >= 0.2:
                self._last_postfix = now
                self.bar.set_postfix(self._postfix(), refresh=False)
        elif now - self.last >= self.every:
            self.last = now
            self._line()

    def close(self, postfix=None, failed=False):
        if postfix is not None:
            self.postfix = postfix
        if self.bar is not None:
            self.bar.set_postfix(self._postfix(), refresh=False)
            if failed:
                self.bar.leave = False   # the error line says what happened
            self.bar.close()
            self.bar = None
        elif not self.off and not failed and self.leave and self.done:
            self._line(final=True)
            self.done = 0   # closing twice writes one line

    def _postfix(self) -> dict:
        return self.postfix() if callable(self.postfix) else self.postfix

    def _line(self, final=False):
        elapsed = time.monotonic() - self.start
        if self.bytes:
            count = f"{self.done / 2**20:.1f} MiB" + (
                f" of {self.total / 2**20:.1f} MiB" if self.total else "")
        else:
            count = f"{self.done}" + (f"/{self.total}" if self.total else "") + f" {self.unit}s"
        pct = f" ({self.done / self.total:.0%})" if self.total else ""
        post = "".join(f", {k} {v}" for k, v in self._postfix().items())
        end = ", done" if final else ""
        print(f"{self.label}: {count}{pct}{post}, {elapsed:.0f} s{end}", file=self.file,
              flush=True)


class ProgressBar:
    """The training bar, as a trainer callback."""

    def __init__(self, file=None, label="training", every=PLAIN_EVERY_S):
        self.file, self.label, self.every = file, label, every
        self.progress = None

    def on_train_start(self, t):
        self.progress = Progress(self.label, t.total_steps, "step", self.file,
                                 initial=t.step, every=self.every)

    def on_step_end(self, t):
        # Read only when shown: on a GPU, reading the loss waits for the GPU.
        self.progress.update(t.step, lambda: self._postfix(t))

    def on_train_end(self, t):
        if self.progress is not None:
            # The final epoch and loss, not those of the last refresh.
            self.progress.close(self._postfix(t), failed=t.status == "failed")

    @staticmethod
    def _postfix(t):
        return {"epoch": f"{t.epoch_float:.1f}", "loss": f"{t.last_loss:.4f}"}


class download_bar:
    """A byte progress bar for one downloading file: ``update(done, total)``."""

    def __init__(self, name, file=None):
        self.name, self.file, self.progress = name, file, None

    def update(self, done, total):
        if self.progress is None:  # only once bytes arrive: a failed try prints nothing
            self.progress = Progress(f"downloading {self.name}", total, "B", self.file,
                                     bytes=True, leave=False)
        self.progress.update(done)

    def close(self, failed=False):
        if self.progress is not None:
            self.progress.close(failed=failed)


class counter:
    """A bar counting ``unit`` items: ``update(done, total)``."""

    def __init__(self, unit, file=None, label=None):
        self.unit, self.file, self.label, self.progress = unit, file, label or unit, None

    def update(self, done, total):
        if self.progress is None:
            self.progress = Progress(self.label, total, self.unit.rstrip("s"), self.file)
        self.progress.update(done)

    def close(self, failed=False):
        if self.progress is not None:
            self.progress.close(failed=failed)
