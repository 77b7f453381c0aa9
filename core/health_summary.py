"""A run's health in a table's cells (issue 18): the final dead and saturated
share and the update ratio, each of the worst layer, from
:func:`~.health_read.load_health`. A run without the record gives NaN (an
empty cell), never 0.

* ``dead %``: per hidden layer, the share of its units dead on
  the probe set at the last probe record (the last snapshot); the largest.
* ``saturated %``: the same for saturated activations (tanh,
  sigmoid).
* ``log10 update ratio``: per weight matrix, the median of
  log10 update ratio over the records of the last epoch of training (those
  after the last record's epoch minus one); of these, the one farthest from
  10^-3, the healthy middle, so a layer too fast or too slow shows.
"""
from __future__ import annotations

import math

import numpy as np

from .errors import RunError

# each of the worst layer (the names stay short: a sweep's table prints in 80 columns)
DEAD = "dead %"
SATURATED = "saturated %"
RATIO = "log10 update ratio"
HEALTHY_LOG10 = -3.0


def read_health(run):
    """(Health, None), or (None, the one line that says why there is none)."""
    from .health_read import load_health
    try:
        return load_health(run), None
    except RunError as e:
        return None, str(e)


def final_health(health) -> dict:
    """The three cells of a run's :class:`~.health_read.Health` (None: NaN each)."""
    out = {DEAD: math.nan, SATURATED: math.nan, RATIO: math.nan}
    if health is None:
        return out
    hidden = range(health.n_layers - 1)
    last = health.probes[-1]["layers"] if health.probes else []
    for key, name in ((DEAD, "dead_fraction"), (SATURATED, "saturated_fraction")):
        vals = [last[i].get(name) for i in hidden if i < len(last)]
        vals = [v for v in vals if v is not None and math.isfinite(v)]
        if vals:
            out[key] = 100.0 * max(vals)
    worst = None
    for i in range(health.n_layers):
        m = last_epoch_log10_ratio(health.table, i)
        if m is not None and (worst is None or abs(m - HEALTHY_LOG10) > abs(worst - HEALTHY_LOG10)):
            worst = m
    if worst is not None:
        out[RATIO] = worst
    return out


def last_epoch_log10_ratio(table, layer):
    """Median log10 update ratio of W[layer] over the last epoch's records
    (None when it has no positive one)."""
    d = table[(table.layer == layer) & (table.update_ratio > 0)]
    if not len(d):
        return None
    end = float(d.epoch.iloc[-1])
    d = d[d.epoch > end - 1] if end > 1 else d
    return float(np.median(np.log10(d.update_ratio.to_numpy(float))))


def health_cells(runs, healths=None) -> list:
    """One dict of cells per run, the saturated share only where some run has
    one; ``healths``: the runs' Health (or None) when already read."""
    if healths is None:
        healths = [read_health(r)[0] for r in runs]
    cells = [final_health(h) for h in healths]
    if all(math.isnan(c[SATURATED]) for c in cells):
        for c in cells:
            del c[SATURATED]
    return cells
