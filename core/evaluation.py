"""Measuring a network: loss and accuracy on a set, and the running training
metrics a recorder keeps between evaluation points."""
from __future__ import annotations

import functools

import numpy as np

from .backend import is_host

SAMPLE_SIZE = 512   # training rows scored at step 0, before any batch was seen, and the
                    # fewest samples a row's running training figures cover


def score(model, X, y, classify: bool, chunk=None):
    """(mean data loss, accuracy or None) of ``model`` on X: (n, n_in),
    y: (n,) labels or (n, n_out) targets; in chunks (the model's
    ``eval_chunk`` rows unless given), so memory stays bounded.
    X and y are arrays of the model's device; the sums are read back once a
    chunk."""
    xp = getattr(model, "xp", np)
    chunk = chunk or getattr(model, "eval_chunk", 8192)
    loss_sum, correct = 0.0, 0
    for i in range(0, len(X), chunk):
        Z = model.forward(X[i:i + chunk])
        yb = y[i:i + chunk]
        loss_sum += float(model.loss.forward(Z, yb)) * len(yb)
        if classify:
            correct += int(xp.count_nonzero(Z.argmax(axis=1) == yb))
    n = max(len(X), 1)
    return loss_sum / n, (correct / n if classify else None)


def sample_rows(n: int, rng: np.random.Generator, size=SAMPLE_SIZE) -> np.ndarray:
    """Sorted indices of a random sample of up to ``size`` of ``n`` rows: the
    built-in sets are sorted by class, so their first rows are one class."""
    return np.sort(rng.permutation(n)[:size])


@functools.lru_cache(maxsize=4)
def seeded_sample(n: int) -> np.ndarray:
    """``sample_rows(n, default_rng(0))``, read-only, drawn once per ``n`` (a
    permutation of 60,000 rows takes about 0.5 ms): the rows a recorder given
    no sample scores at step 0, and the probe set's rows (core/health_record)."""
    rows = sample_rows(n, np.random.default_rng(0))
    rows.flags.writeable = False
    return rows


class RunningMetrics:
    """Training loss and accuracy summed over the batches since the last
    evaluation point, as the training saw them (no extra forward pass).

    A row's figures cover at least ``need`` samples (:meth:`take`): when the
    batches since the previous row hold fewer (a 12-sample tail batch at an
    epoch end, a row one step after a snapshot), the spans of the rows
    before it are added, newest first, until they do, so no row's figures
    come from a sliver of data. Until training has seen that many samples
    in all (its first steps), :meth:`take` returns None and the recorder
    scores the fixed training sample instead, as at step 0.

    With ``xp`` NumPy the sums are Python numbers; with a GPU's module they are
    0-d device arrays (float64, int64), so adding a batch reads nothing back:
    :meth:`take` and :meth:`state` read them. ``host=False`` keeps the
    device's bookkeeping with NumPy (the tests compare the two). ``window``:
    the earlier spans, as :meth:`window` gave them (from a checkpoint).
    """

    def __init__(self, classify: bool, state=None, xp=np, host=None, window=()):
        self.classify, self.xp = classify, xp
        self._count_nonzero = xp.count_nonzero
        self._host = is_host(xp) if host is None else host
        self._reset(*(state if state else (0.0, 0, 0)))
        self._spans = [tuple(s) for s in window]   # (loss_sum, correct, seen), oldest first

    def _reset(self, loss_sum=0.0, correct=0, seen=0):
        if self._host:
            self.loss_sum, self.correct = loss_sum, correct
        else:
            self.loss_sum = self.xp.asarray(loss_sum, np.float64)
            self.correct = self.xp.asarray(correct, np.int64)
        self.seen = seen

    def add(self, loss, Z, y) -> None:
        """One batch: its mean loss (a float, or a 0-d device array), outputs
        Z: (b, n_out) and targets y, arrays of ``xp``."""
        n = len(y)
        self.loss_sum += loss * n
        self.seen += n
        if self.classify:   # a Python int with NumPy, a 0-d array on a GPU: no read-back
            self.correct += self._count_nonzero(Z.argmax(axis=1) == y)

    def take(self, need: int = SAMPLE_SIZE):
        """(train_loss, train_acc) over the batches since the last call,
        reaching back over earlier spans until at least ``need`` samples are
        covered; None if no batch came since the last call, or fewer than
        ``need`` samples were seen in all. Starts a new span."""
        if not self.seen:
            return None
        self._spans.append((float(self.loss_sum), int(self.correct), self.seen))
        self._reset()
        loss_sum = correct = seen = 0
        for i in range(len(self._spans) - 1, -1, -1):
            span = self._spans[i]
            loss_sum, correct, seen = loss_sum + span[0], correct + span[1], seen + span[2]
            if seen >= need:
                del self._spans[:i]   # older spans are never needed again
                return loss_sum / seen, (correct / seen if self.classify else None)
        return None

    def state(self) -> list:
        """[loss_sum, correct, seen] as host numbers (for the checkpoint)."""
        return [float(self.loss_sum), int(self.correct), self.seen]

    def window(self) -> list:
        """The earlier spans a later row may reach back over (for the checkpoint)."""
        return [list(s) for s in self._spans]
