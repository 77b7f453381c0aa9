"""The colour quantities: the one place that says what a picture's colours
can show, how each is computed from the recorded weights, how its scales
are chosen and shared, and what its legends say.

Every picture (film, figure, comparison, difference, report page) reads
this registry: ``--color`` accepts ``NAMES``, ``value`` computes a
quantity, ``share`` gives pictures side by side one scale per gap, and the
legend texts come from each :class:`Quantity`. A new quantity (diagnostics,
activations) is one more entry in ``QUANTITIES``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Quantity:
    """One colour quantity.

    ``compute(W, W0, Wprev, steps)``: the drawn value of an array W (a weight
    matrix or a bias vector) at a snapshot, given the first snapshot's W0 and
    the previous snapshot's Wprev (None at the first snapshot) recorded
    ``steps`` steps earlier. ``edge``/``node``: legend names of the lines and
    tiles, and of the unit fills; ``short``: the name beside the colour bars;
    ``page``: the report's switch label; ``basis``: the legend name of what
    units and top:K edges are chosen by, the final weights or (``from_first``)
    their change since the first snapshot; ``needs``: which other snapshots
    ``compute`` reads ("first", "previous")."""

    name: str
    compute: Callable
    edge: str
    node: str
    short: str
    page: str
    basis: str
    from_first: bool = False
    needs: tuple = ()
    choosable: bool = True     # offered by --color (a difference of two runs is not)

    def legend(self) -> str:
        """Legend text: what the edge and node colours show."""
        return f"{self.edge} (lines, tiles), {self.node} (units)"


def _update(W, W0, Wprev, steps):
    if Wprev is None:
        return np.zeros_like(W)
    return (W - Wprev) / max(int(steps), 1)


QUANTITIES = {q.name: q for q in (
    Quantity("weight", lambda W, W0, Wprev, steps: W, "weight", "bias", "weight",
             "weight", "weights"),
    Quantity("change", lambda W, W0, Wprev, steps: W - W0, "change W \u2212 W\u2080",
             "bias change", "W \u2212 W\u2080", "change since init", "change W_T - W_0",
             from_first=True, needs=("first",)),
    Quantity("update", _update, "update per step", "bias update", "update/step",
             "update per step", "change W_T - W_0", from_first=True,
             needs=("previous",)),
    Quantity("difference", lambda W, W0, Wprev, steps: W - W0,
             "difference B \u2212 A", "bias difference", "B \u2212 A", "difference",
             "difference B - A", needs=("first",), choosable=False),
)}
NAMES = tuple(n for n, q in QUANTITIES.items() if q.choosable)   # what --color accepts


def get(name) -> Quantity:
    return QUANTITIES[name]


def value(name, W, W0=None, Wprev=None, steps=1):
    """The value drawn for one array (see :class:`Quantity`)."""
    return QUANTITIES[name].compute(W, W0, Wprev, steps)


def share(per_picture, mode="layer"):
    """One scale per gap for pictures drawn side by side, from each
    picture's own per-gap scales (a list of lists; pictures may have
    different numbers of gaps): the largest of theirs for each gap, so no
    picture is drawn more saturated than on its own; with ``mode`` "global"
    the largest over every gap. Returns the shared list (the longest length)."""
    n = max(len(p) for p in per_picture)
    shared = [max(p[l] for p in per_picture if l < len(p)) for l in range(n)]
    return [max(shared)] * n if mode == "global" and shared else shared


def page_entries() -> list:
    """The quantity switch of the report page: name, label and legend text."""
    return [{"name": q.name, "label": q.page, "legend": q.legend(), "short": q.short}
            for q in QUANTITIES.values() if q.choosable]
