"""A tqdm progress bar as a trainer callback (tqdm: a well-kept bar that
handles terminals, notebooks and non-interactive output better than ours would)."""
from __future__ import annotations

import sys

from tqdm.auto import tqdm


class ProgressBar:
    def __init__(self, file=None, every=0.1):
        self.file = file or sys.stderr
        self.bar = None
        self.every = every

    def on_train_start(self, t):
        self.bar = tqdm(total=t.total_steps, initial=t.step, unit="step", file=self.file,
                        dynamic_ncols=True, mininterval=self.every, leave=True)

    def on_step_end(self, t):
        # tqdm's update is cheap, but only refresh the postfix a few times a second.
        self.bar.update(1)
        if self.bar.n == self.bar.last_print_n:
            self.bar.set_postfix(epoch=f"{t.epoch_float:.1f}", loss=f"{t.last_loss:.4f}",
                                 refresh=False)

    def on_train_end(self, t):
        if self.bar is not None:
            if t.status == "failed":
                self.bar.leave = False  # clear it: the error line says what happened
            self.bar.close()


class download_bar:
    """A byte progress bar for one downloading file: ``update(done, total)``."""

    def __init__(self, name, file=None):
        self.name, self.file, self.bar = name, file or sys.stderr, None

    def update(self, done, total):
        if self.bar is None:  # only once bytes arrive: a failed try prints nothing
            self.bar = tqdm(desc=self.name, total=total, unit="B", unit_scale=True,
                            unit_divisor=1024, file=self.file, leave=False)
        self.bar.update(done - self.bar.n)

    def close(self):
        if self.bar is not None:
            self.bar.close()


class counter:
    """A bar counting ``unit`` items: ``update(done, total)``."""

    def __init__(self, unit, file=None):
        self.unit, self.file, self.bar = unit, file or sys.stderr, None

    def update(self, done, total):
        if self.bar is None:
            self.bar = tqdm(total=total, unit=self.unit.rstrip("s"), file=self.file,
                            dynamic_ncols=True, desc=self.unit)
        self.bar.update(done - self.bar.n)

    def close(self):
        if self.bar is not None:
            self.bar.close()
