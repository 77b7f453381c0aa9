"""The report's dead units, counts and update-ratio strips (issue 18, part 4)
in Chromium: the same states as viz.unit_health, a cursor that moves with the
slider, and old runs without strips."""
import shutil

import numpy as np
import pytest

import weightlapse as wl
from weightlapse.viz.colors import lut, lut_index
from weightlapse.viz.unit_health import unit_health


class Pin:
    """After every step, hidden 1's units 0 and 1 are pinned dead."""

    def on_step_end(self, t):
        W, b = t.model.params["W0"], t.model.params["b0"]
        W[:, :2], b[:2] = 0, -1


@pytest.fixture(scope="module")
def dead(tmp_path_factory, open_page):
    out = tmp_path_factory.mktemp("marks")
    run = wl.train(dataset="spiral", hidden=[6, 5], epochs=30, batch_size=0, lr=0.05,
                   optimizer="adam", n_samples=200, snapshot_every=3, out=out, name="dead",
                   callbacks=[Pin()])
    path = out / "dead.html"
    wl.report(run, path, snapshots=8)
    page = open_page(path)
    yield run, page
    page.page.close()


def _keep(run, count):
    return np.unique(np.linspace(0, len(run.snapshots) - 1, min(count, len(run.snapshots)))
                     .round().astype(int))


def test_marks_and_counts_are_the_films(dead):
    run, page = dead
    uh = unit_health(run)
    keep = _keep(run, page.js("weightlapse.count"))
    for i in (0, 4, 7):
        page.js("i => weightlapse.setSnapshot(i)", i)
        t = int(keep[page.js("weightlapse.runSnapshot(0)")])
        states = uh.at(t)
        for l in (1, 2):
            assert page.js("l => weightlapse.markCount(l)", l) == int(states[l - 1].dead.sum())
            for u in range(run.sizes[l]):
                want = "dead" if states[l - 1].dead[u] else None
                assert page.js("([l, u]) => weightlapse.unitMark(l, u)", [l, u]) == want
    assert page.js("weightlapse.unitMark(1, 0)") == "dead"
    # a dead unit is white inside; a live one keeps its bias colour
    at = page.js("weightlapse.locateUnit(1, 0)")
    assert page.pixel(at["x"], at["y"]) == [255, 255, 255]
    live = next(u for u in range(6) if not uh.at(t)[0].dead[u])
    at = page.js("u => weightlapse.locateUnit(1, u)", live)
    bias = page.js("u => weightlapse.bias('weight', 0, u)", live)
    k = int(lut_index(np.array([bias]), page.js("weightlapse.scale('weight', 0)"))[0])
    near = (lut() * 255).round().astype(int)[max(k - 1, 0):k + 2]
    assert np.abs(near - np.array(page.pixel(at["x"], at["y"]))).max(axis=1).min() <= 2
    text = page.js("document.querySelector('.hint.marks').textContent")
    assert text.startswith("Hollow: dead (active on no probe input). Strips: log10 update ratio")
    page.check_clean()


def test_strip_cursor_moves_with_the_slider(dead):
    run, page = dead
    xs = []
    for i in (0, 3, 7):
        page.js("i => weightlapse.setSnapshot(i)", i)
        xs.append(page.js("weightlapse.stripCursors(0)"))
    assert len(xs[0]) == len(run.sizes) - 1
    for k in range(len(xs[0])):
        assert xs[0][k] < xs[1][k] < xs[2][k]
    assert page.js("document.querySelectorAll('canvas.strips').length") == 1


def test_an_old_run_has_no_strip_and_says_nothing_of_it(dead, tmp_path, open_page):
    run, _ = dead
    old = tmp_path / "old"
    shutil.copytree(run.path, old)
    (old / "health.jsonl").unlink()
    wl.report(old, tmp_path / "old.html", snapshots=5)
    page = open_page(tmp_path / "old.html")
    try:
        assert page.js("document.querySelectorAll('canvas.strips').length") == 0
        assert page.js("weightlapse.stripCursors(0)") is None
        text = page.js("document.querySelector('.hint.marks').textContent")
        assert "Strips" not in text and text.startswith("Hollow: dead")   # probe.npz kept
        page.check_clean()
    finally:
        page.page.close()
