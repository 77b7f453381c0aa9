"""viz/values.py and viz/quantities.py directly: the drawn values of a
snapshot for every colour quantity, interpolation, reading each snapshot
once, and the quantities' one owner."""
import numpy as np
import pytest

import weightlapse as wl
from weightlapse.viz import quantities
from weightlapse.viz.draw_options import COLORS, DrawOptions
from weightlapse.viz.drawn import build_drawn_graph
from weightlapse.viz.values import DrawnValues, ShownCut, ValueSource


@pytest.fixture(scope="module")
def run(tmp_path_factory, train_spiral):
    """A spiral run with a layer cut to its important units (2-40-3)."""
    return train_spiral(tmp_path_factory.mktemp("values"), "v", hidden=[40], epochs=12,
                        snapshot_every=3)


class CountingRun:
    """A run whose snapshot reads are counted."""

    def __init__(self, run):
        self._run, self.reads = run, []
        outer = self

        class Snaps:
            steps = run.snapshots.steps

            def __len__(self):
                return len(run.snapshots)

            def __getitem__(self, i):
                outer.reads.append(i)
                return run.snapshots[i]
        self.snapshots = Snaps()

    def __getattr__(self, name):        # everything else as the run has it
        return getattr(self._run, name)


def expected(run, G, color, i):
    """The quantity of snapshot i, computed from the raw arrays."""
    rows, cols = G.graph["shown"][0], G.graph["shown"][1]
    s = run.snapshots
    W = s[i].weights[0][np.ix_(rows, cols)]
    if color == "weight":
        return W
    if color == "change":
        return W - s[0].weights[0][np.ix_(rows, cols)]
    if i == 0:
        return np.zeros_like(W)
    prev = s[i - 1].weights[0][np.ix_(rows, cols)]
    return (W - prev) / (s.steps[i] - s.steps[i - 1])


@pytest.mark.parametrize("color", ["weight", "change", "update"])
def test_values_of_each_quantity_cut_to_the_shown_units(run, color):
    G = build_drawn_graph(run, DrawOptions.create(color=color))
    assert G.graph["more"][1] > 0                       # a cut layer: rows/cols matter
    src = ValueSource(G, run)
    for i in (0, 2, len(run.snapshots) - 1):
        v = src.at(i)
        assert v.gaps[0].dtype == np.float32 and v.nodes[0] is None
        np.testing.assert_allclose(v.gaps[0], expected(run, G, color, i), rtol=1e-5,
                                   atol=1e-7)
        assert v.step == run.snapshots.steps[i]
    np.testing.assert_array_equal(src.at(-1).gaps[1], src.at(len(run.snapshots) - 1).gaps[1])


def test_fractional_positions_interpolate(run):
    G = build_drawn_graph(run, DrawOptions.create(color="change"))
    src = ValueSource(G, run)
    a, b, mid = src.at(2), src.at(3), src.at(2.25)
    np.testing.assert_allclose(mid.gaps[0], a.gaps[0] + 0.25 * (b.gaps[0] - a.gaps[0]),
                               rtol=1e-6)
    np.testing.assert_allclose(mid.nodes[1], a.nodes[1] + 0.25 * (b.nodes[1] - a.nodes[1]),
                               rtol=1e-6)
    assert mid.epoch == pytest.approx(a.epoch + 0.25 * (b.epoch - a.epoch))


def test_a_film_reads_each_snapshot_once(run):
    G = build_drawn_graph(run, DrawOptions.create(color="update"))
    counting = CountingRun(run)
    src = ValueSource(G, counting)
    for p in np.linspace(0, len(run.snapshots) - 1, 40):
        src.at(float(p))
    assert sorted(counting.reads) == list(range(len(run.snapshots)))


def test_shown_cut_and_lerp():
    class G:
        graph = {"shown": [[0, 1], [2, 0], [0]], "sizes": [2, 3, 1]}
    W = [np.arange(6.0).reshape(2, 3), np.arange(3.0).reshape(3, 1)]
    b = [np.array([10.0, 11, 12]), np.array([5.0])]
    v = ShownCut(G)(W, b, 1.0, 7)
    assert v.gaps[0].tolist() == [[2, 0], [5, 3]] and v.gaps[1].tolist() == [[2], [0]]
    assert v.nodes[1].tolist() == [12, 10] and v.nodes[2].tolist() == [5]
    w = DrawnValues([g * 3 for g in v.gaps], [None] + [n * 3 for n in v.nodes[1:]], 3.0, 9)
    half = v.lerp(w, 0.5)
    assert half.gaps[0].tolist() == [[4, 0], [10, 6]] and half.epoch == 2.0 and half.step == 8


def test_the_quantities_have_one_owner():
    """--color, the legends and the report's switch come from viz.quantities."""
    assert quantities.NAMES == ("weight", "change", "update")
    assert COLORS == ("auto",) + quantities.NAMES       # auto: chosen per run
    assert "difference" in quantities.QUANTITIES and "difference" not in COLORS
    W, W0, W1 = np.array([2.5, 0.0]), np.array([1.0, 2.0]), np.array([1.5, 1.0])
    assert quantities.value("weight", W, W0).tolist() == [2.5, 0.0]
    assert quantities.value("change", W, W0).tolist() == [1.5, -2.0]
    assert quantities.value("update", W, W0, W1, steps=2).tolist() == [0.5, -0.5]
    assert quantities.value("update", W, W0, None).tolist() == [0.0, 0.0]
    assert [e["name"] for e in quantities.page_entries()] == list(quantities.NAMES)
    for name in quantities.NAMES:
        q = quantities.get(name)
        assert q.legend() == f"lines, tiles: {q.edge}; units: {q.node}"   # a unit legend too
    with pytest.raises(wl.WeightlapseError, match="color"):
        DrawOptions.create(color="difference")


def test_scales_are_shared_by_one_rule():
    assert quantities.share([[1.0, 4.0], [2.0, 3.0, 5.0]]) == [2.0, 4.0, 5.0]
    assert quantities.share([[1.0, 4.0], [2.0, 3.0]], "global") == [4.0, 4.0]
