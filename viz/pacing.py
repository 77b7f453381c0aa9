"""A film's pacing: about ``duration`` seconds whatever the number of
snapshots, by interpolating between snapshots, with the first and last
frames held for about a second.

Each snapshot gets an equal share of the time, wherever it lies in the run:
with ``snapshot_every`` auto the first tenth of the steps, where the weights
change fastest, fills about a third of the film. Paced by step instead, the
receptive fields of an MNIST run and the spiral's decision regions form
within the first second after the opening hold (README, "Snapshots")."""
from __future__ import annotations

import numpy as np

HOLD_S = 1.0          # seconds the first and the last frame are held


def hold_frames(duration, fps) -> int:
    """Frames held at each end: about a second, less in very short films."""
    return int(round(min(HOLD_S, duration / 8) * fps))


def film_positions(n_snapshots, duration, fps) -> np.ndarray:
    """(n_frames,) float snapshot positions, one per frame: ``hold`` frames at
    0, then evenly from 0 to n - 1 (fractions interpolate), then ``hold``
    frames at n - 1. n_frames = round(duration * fps), at least 1."""
    total = max(int(round(duration * fps)), 1)
    last = max(n_snapshots - 1, 0)
    hold = hold_frames(duration, fps)
    move = total - 2 * hold
    if last == 0 or move < 2:
        return np.full(total, float(last) if move < 2 and last else 0.0)
    return np.concatenate([np.zeros(hold), np.linspace(0, last, move), np.full(hold, last)])


def film_epochs(epochs, duration, fps) -> np.ndarray:
    """(n_frames,) epochs for a film of several runs on one epoch axis, paced
    as one run's film is (:func:`film_positions`): each recorded epoch of the
    runs, pooled, gets an equal share of the time, so a dense start
    (``snapshot_every`` auto) takes the share of the film it takes in each
    run's own film; held at the first and last epoch. Runs recorded at even
    steps (every epoch, every N steps) move evenly in epochs."""
    ep = np.unique(np.asarray(epochs, float))
    pos = film_positions(len(ep), duration, fps)
    return np.interp(pos, np.arange(len(ep)), ep)
