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

    def legend(self, tiles=True) -> str:
        """Legend text: what the colours of lines and tiles (``tiles`` False:
        a picture without tiles, lines only), and of the units' fills, show."""
        return f"{'lines, tiles' if tiles else 'lines'}: {self.edge}; units: {self.node}"


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
NAMES = tuple(n for n, q in QUANTITIES.items() if q.choosable)   # the quantities --color names
AUTO = "auto"             # --color auto (the default): chosen per run by ``auto``
AUTO_RATIO = 1.0          # ... "change" below this ||W_mid - W_0|| / ||W_0||
AUTO_RULE = ("auto: change W \u2212 W\u2080 for image data whose first weights (the tiles) "
             "have moved less than their initial size by the middle snapshot "
             "(||W_mid \u2212 W_0|| < ||W_0||: the initial noise would hide what is "
             "learned), else weight")


def auto(runs) -> str:
    """The quantity ``--color auto`` draws ``runs`` with (one for runs drawn
    side by side): "change" when any of them is an image run whose
    first weight array (the one its tiles show) has moved, by its middle
    snapshot, by less than its initial size, ``||W_mid - W_0|| < AUTO_RATIO *
    ||W_0||``; otherwise "weight". Measured (README, "--color auto"): mnist-mlp
    moves 0.24 (3,000 rows) and 0.57 (full MNIST) by its middle snapshot and
    its weight tiles are noise there; nielsen (3,000 rows, 10 epochs) moves
    8.5 and shows strokes in either view."""
    return "change" if any(_initial_dominates(r) for r in runs) else "weight"


def moved(run, i=None) -> float:
    """``||W_i - W_0|| / ||W_0||`` of ``run``'s first weight array at snapshot
    ``i`` (default: the middle one); inf where W_0 is all zeros."""
    snaps = run.snapshots
    i = (len(snaps) - 1) // 2 if i is None else i
    W0 = np.asarray(snaps[0].weights[0], np.float64)
    W = np.asarray(snaps[i].weights[0], np.float64)
    size = float(np.linalg.norm(W0))
    return float(np.linalg.norm(W - W0)) / size if size > 0 else float("inf")


def _initial_dominates(run) -> bool:
    if not run.config["data"].get("input_shape") or len(run.snapshots) < 2:
        return False
    return moved(run) < AUTO_RATIO


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
