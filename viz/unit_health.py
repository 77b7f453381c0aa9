"""Which units are dead or saturated at each snapshot (issue 18): the marks
that the film, the figure and the report draw on the network.

``health.jsonl`` records per layer only the dead and saturated *fractions*;
the state of each unit is worked out here, when a picture is drawn, by a
forward pass of the snapshot's weights over the run's probe set (its
``probe.npz``, or for an older run the rows training would have drawn),
with the recorder's own definitions (:func:`~weightlapse.core.health_record.active`,
:func:`~weightlapse.core.health_record.saturated`):

- **dead**: a ReLU unit that is active (> 0) on no probe row;
- **saturated**: a tanh or sigmoid unit whose activation is saturated
  (|a| > 0.97; sigmoid outside [0.03, 0.97]) on at least half the probe rows.

    uh = unit_health(run)        # one per run, cached
    uh.marks                     # "dead", "saturated" or None (no mark to draw)
    uh.at(i)                     # per hidden layer: UnitState(dead, saturated)
    uh.label(l, i)               # "12 dead" for hidden layer l (1-based)

Counts are over every unit of a layer, shown or not.
"""
from __future__ import annotations

import math
import weakref

import numpy as np

from weightlapse.core.errors import RunError
from weightlapse.core.health_record import (DEAD_ACTIVATIONS, SATURATING, active,
                                            hidden_activations, saturated)

SATURATED_SHARE = 0.5     # a unit saturated on at least this share of the probe rows
_CACHE = weakref.WeakKeyDictionary()


class UnitState:
    """One hidden layer at one snapshot: ``dead`` and ``saturated``, (units,) bool."""

    __slots__ = ("dead", "saturated")

    def __init__(self, dead, saturated):
        self.dead, self.saturated = dead, saturated


def unit_states(acts, activation) -> list:
    """Per hidden layer, the :class:`UnitState` of each unit from its
    activations on the probe rows (``acts``: (rows, units) arrays, or a conv
    layer's (rows, channels, h, w) maps: a channel is a unit, and its pixels
    count as rows, so a dead channel is zero at every pixel of every row)."""
    out = []
    for A in acts:
        if A.ndim == 4:
            A = np.moveaxis(A, 1, -1).reshape(-1, A.shape[1])
        n = A.shape[1]
        dead = ~active(A, activation).any(axis=0) if activation in DEAD_ACTIVATIONS else \
            np.zeros(n, bool)
        sat = saturated(A, activation)
        sat = sat.mean(axis=0) >= SATURATED_SHARE if sat is not None else np.zeros(n, bool)
        out.append(UnitState(dead, sat))
    return out


def legend_entries(marks) -> list:
    """(mark, text) for a legend: what a hollow or a ringed unit means."""
    if marks == "dead":
        return [("dead", "hollow: dead (active on no probe input)")]
    if marks == "saturated":
        return [("saturated", "ringed: saturated (on \u2265 half the probe inputs)")]
    return []


class UnitHealth:
    """The dead and saturated units of ``run``'s hidden layers at each snapshot.

    ``marks`` is None (nothing is drawn, and nothing said) when the
    activation has neither mark (identity, leaky ReLU), when the run has no
    probe set and its data cannot be loaded again, or when its probe set or
    network cannot be read. ``why`` then says which, for tests and tools.
    """

    def __init__(self, run):
        self.run = run
        self.activation = run.settings.get("activation")
        self.n_hidden = len(run.layers) - 1     # conv layers too: a channel is a unit
        self._states = {}
        self.marks, self.why, self._X, self._model = None, None, None, None
        if self.n_hidden < 1:
            self.why = "no hidden layer"
        elif self.activation in DEAD_ACTIVATIONS:
            self.marks = "dead"
        elif self.activation in SATURATING:
            self.marks = "saturated"
        else:
            self.why = f"{self.activation} units are neither dead nor saturated"
        if self.marks is None:
            return
        from weightlapse.core.health_read import probe_set
        try:
            probe = probe_set(run)
            self._model = run.network(0) if probe is not None else None
        except (RunError, KeyError, ValueError) as e:
            probe, self.why = None, str(e)
        if probe is None:
            self.marks, self.why = None, self.why or "no probe set"
            return
        self._X = probe[0]

    def index(self, position) -> int:
        """The snapshot a frame at ``position`` shows the marks of: the last
        one at or before it (negative positions count from the end)."""
        n = len(self.run.snapshots)
        i = int(math.floor(float(position)))
        return min(max(i + n if i < 0 else i, 0), n - 1)

    def at(self, position) -> list:
        """Per hidden layer (index 0 = hidden 1), its :class:`UnitState`;
        an empty list when there are no marks."""
        if self.marks is None:
            return []
        i = self.index(position)
        if i not in self._states:
            snap = self.run.snapshots[i]
            self._model.set_weights(snap.weights, snap.biases)
            with np.errstate(all="ignore"):
                acts = hidden_activations(self._model, self._X)
            self._states[i] = unit_states(acts, self.activation)
        return self._states[i]

    def counts(self, position) -> list:
        """Per hidden layer, how many of its units bear the mark."""
        return [int(getattr(s, self.marks).sum()) for s in self.at(position)]

    def label(self, layer, position) -> str:
        """The count for hidden layer ``layer`` (1-based, as in the drawn
        graph), "12 dead" or "3 saturated"; "" for other layers or no marks."""
        if self.marks is None or not 1 <= layer <= self.n_hidden:
            return ""
        return f"{self.counts(position)[layer - 1]} {self.marks}"

    def legend(self) -> list:
        return legend_entries(self.marks)


def unit_health(run) -> UnitHealth:
    """The :class:`UnitHealth` of ``run``, made once per run object."""
    uh = _CACHE.get(run)
    if uh is None:
        uh = _CACHE[run] = UnitHealth(run)
    return uh
