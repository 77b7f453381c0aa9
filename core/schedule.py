"""When snapshots are taken (``snapshot_every``): the one owner of the schedule.

- ``"auto"`` (the default): about :data:`TARGET` snapshots, a third of them in
  the first tenth of the steps, where the weights change fastest: there the
  gap grows in proportion to the step (log-spaced), never past the even gap
  that follows; then evenly spaced to the end. Every step for runs of up to
  :data:`TARGET` steps.
- ``"log"``: about :data:`TARGET` snapshots log-spaced over the whole run.
- ``"epoch"``: at each epoch end; ``N``: every N steps.

Step 0 and the final weights are always snapshots. A planned schedule is a
pure function of the planned length (epochs x batches per epoch) and the
step, so ``train --resume`` continues it exactly; a resume that changes the
length continues with the new length's schedule.

Recorders of other frameworks do not know the length: their ``"auto"`` is
:func:`auto_due`, open-ended.
"""
from __future__ import annotations

from functools import lru_cache

WORDS = ("auto", "log", "epoch")
OPEN_ENDED = ("epoch", "auto")   # what a recorder that does not know the length can follow
TARGET = 100          # auto and log: snapshots in a run of more steps than this
EARLY_SHARE = 34      # auto: snapshots in the first EARLY_SPAN of the steps, step 0 included
EARLY_SPAN = 10       # auto: the early part is the first 1/EARLY_SPAN of the steps
AUTO_DENSITY = 16     # open-ended auto: about this many snapshots per doubling of steps


def parse(text: str):
    """Command-line text: a number of steps, else the word as given (a word
    other than :data:`WORDS` is refused with the other settings' checks)."""
    try:
        return int(text)
    except ValueError:
        return text


def valid(every, words=WORDS) -> bool:
    """One of ``words`` or a positive number of steps."""
    if isinstance(every, str):
        return every in words
    return isinstance(every, int) and not isinstance(every, bool) and every >= 1


def _walk(lo, hi, limit, rho, cap):
    """Steps from ``lo`` below ``hi``, each gap ``rho`` times the step (at
    least 1, at most ``cap``); stops past ``limit`` steps."""
    out, x = [], lo
    while x < hi and len(out) <= limit:
        out.append(x)
        x += int(min(cap, max(1, round(rho * x))))
    return out


def _grown(lo, hi, k, cap):
    """At most ``k`` steps in [lo, hi) whose gaps grow in proportion to the
    step (log spacing), with the smallest growth that keeps them to ``k``."""
    if hi - lo <= k:
        return list(range(lo, hi))
    low, high = 0.0, 1.0
    while len(_walk(lo, hi, k, high, cap)) > k and high < 2 ** 40:
        high *= 2
    for _ in range(60):
        mid = (low + high) / 2
        if len(_walk(lo, hi, k, mid, cap)) > k:
            low = mid
        else:
            high = mid
    return _walk(lo, hi, k, high, cap)


@lru_cache(maxsize=64)
def planned(every, total: int, steps_per_epoch: int = 1) -> tuple:
    """Every snapshot step of a run of ``total`` steps, 0 and ``total`` included."""
    total = int(total)
    if every == "epoch":
        steps = range(0, total, max(int(steps_per_epoch), 1))
    elif isinstance(every, int):
        steps = range(0, total, every)
    elif total <= TARGET:
        steps = range(total)
    elif every == "log":
        steps = [0] + _grown(1, total, TARGET - 2, total)
    else:  # auto
        early = total // EARLY_SPAN
        late = TARGET - EARLY_SHARE
        gap = (total - early) / late
        steps = [0] + _grown(1, early, EARLY_SHARE - 2, max(1, int(gap))) + [
            early + round(j * gap) for j in range(late)]
    return tuple(steps) + (total,)


class Schedule:
    """A run's snapshot schedule once its length is known. ``at``: the
    mid-run snapshot steps (auto, log), or None; ``every``: the step
    cadence (N), or 0; "epoch" snapshots come at epoch ends (the trainer's
    ``on_epoch_end``), which :meth:`next_after` counts."""

    def __init__(self, every, total: int, steps_per_epoch: int):
        self.kind, self.total, self.steps_per_epoch = every, total, steps_per_epoch
        self.every = every if isinstance(every, int) else 0
        self.at = frozenset(planned(every, total, steps_per_epoch)) \
            if every in ("auto", "log") else None

    def due(self, step: int) -> bool:
        """A snapshot after ``step`` (epoch ends aside)."""
        return (self.every and step % self.every == 0) or (
            self.at is not None and step in self.at)

    def next_after(self, step: int) -> int:
        """The first snapshot step after ``step``."""
        if self.at is None:
            n = self.every or self.steps_per_epoch
            return min((step // n + 1) * n, self.total)
        steps = planned(self.kind, self.total, self.steps_per_epoch)
        from bisect import bisect_right
        i = bisect_right(steps, step)
        return steps[i] if i < len(steps) else self.total


def count(every, total: int, steps_per_epoch: int) -> int:
    """Snapshots a run of ``total`` steps records, the final weights included."""
    if isinstance(every, int) or every == "epoch":
        n = every if isinstance(every, int) else max(int(steps_per_epoch), 1)
        return -(-int(total) // n) + 1
    return len(planned(every, total, steps_per_epoch))


def auto_due(step: int, last: int) -> bool:
    """Open-ended ``"auto"`` (recorders of other frameworks, the run's length
    unknown): a snapshot at ``step`` when it is far enough from the last one
    (at step ``last``): every step at first, then gaps growing with the step
    count (about 16 snapshots per doubling), so a film of any length has
    enough frames and the fast early changes are the most densely sampled."""
    return step - last >= max(1, step // AUTO_DENSITY)
