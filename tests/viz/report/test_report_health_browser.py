"""The report's diagnose panels in Chromium (fixtures in conftest.py): the
cursor follows the slider, the histograms show the slider's snapshot,
several runs overlay in the curves' colours, and runs without a health
record say so in words."""
import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core.health_read import load_health

RUN_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
              "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]     # the page's (curves.js)

PIXELS = """([layer, key]) => {
  const c = document.querySelector(`#health canvas[data-layer="${layer}"][data-panel="${key}"]`);
  return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); }"""


def rgb(hex_):
    return np.array([int(hex_[k:k + 2], 16) for k in (1, 3, 5)])


def pixels(page, layer, key):
    """The panel's canvas as (h, w, 3) ints."""
    w, h = page.js("""([l, k]) => { const c = document.querySelector(
        `#health canvas[data-layer="${l}"][data-panel="${k}"]`); return [c.width, c.height]; }""",
                   [layer, key])
    return np.array(page.js(PIXELS, [layer, key])).reshape(h, w, 4)[:, :, :3]


def red_columns(img):
    """The columns where the cursor's red (#d00000) runs down most of the plot."""
    red = (img[:, :, 0] > 180) & (img[:, :, 1] < 60) & (img[:, :, 2] < 60)
    return np.flatnonzero(red.sum(axis=0) > 0.5 * img.shape[0])


def ink_of(img, colour, tol=40):
    return int((np.abs(img - rgb(colour)).max(axis=2) <= tol).sum())


@pytest.fixture(scope="module")
def single(report_runs, tmp_path_factory, open_page):
    path = tmp_path_factory.mktemp("page") / "single.html"
    wl.report(report_runs["a"], path, snapshots=15)
    page = open_page(path)
    yield report_runs["a"], page
    page.page.close()


def test_moving_the_slider_moves_every_cursor_and_changes_the_histograms(single):
    run, page = single
    truth = load_health(run)
    keep = np.unique(np.linspace(0, len(truth.probes) - 1, 15).round().astype(int))
    dpr = page.js("window.devicePixelRatio || 1")
    seen = {}
    for i in (2, 11):
        page.page.locator("#slider").fill(str(i))       # a person dragging the slider
        assert page.js("weightlapse.snapshot") == i
        epoch = page.js("weightlapse.epoch")
        for layer, key in ((0, "ratio"), (1, "dead"), (2, "grad"), (0, "weights")):
            state = page.js("([l, k]) => weightlapse.healthPanel(l, k)", [layer, key])
            cols = red_columns(pixels(page, layer, key))
            # the red line is drawn where the panel says, on the epoch axis
            assert len(cols) and abs(cols.mean() / dpr - state["cursorPx"] * 300 / state["width"]) < 2
            seen.setdefault((layer, key), []).append(cols.mean())
            canvas = page.page.locator(f'#health canvas[data-layer="{layer}"][data-panel="{key}"]')
            assert float(canvas.get_attribute("data-cursor-epoch")) == epoch
        # the histograms show the probe record of the slider's snapshot
        for layer, key in ((0, "whist"), (1, "ahist")):
            shown = page.js("([l, k]) => weightlapse.healthPanel(l, k).shown", [layer, key])
            # the last probe record at or before the slider's epoch
            pe = [truth.probes[k]["epoch"] for k in keep]
            assert pe[shown[0]] <= epoch + 1e-9
            assert shown[0] == len(pe) - 1 or pe[shown[0] + 1] > epoch
            seen.setdefault((layer, key), []).append(pixels(page, layer, key))
    for key, (a, b) in seen.items():
        if key[1].endswith("hist"):
            assert (a != b).any(axis=2).sum() > 50, key     # a different histogram drawn
        else:
            assert b > a + 20, key                           # the cursor moved right
    page.check_clean()


def test_the_panels_label_their_layers_and_draw_the_healthy_band(single):
    run, page = single
    heads = page.page.locator("#health .hlayer h3").all_inner_texts()
    assert heads == ["W[0]: input (2) → hidden 1 (relu) (6)",
                     "W[1]: hidden 1 (relu) (6) → hidden 2 (relu) (5)",
                     "W[2]: hidden 2 (relu) (5) → output (3)"]
    # the output layer feeds no hidden units: no dead or activation panels
    keys = page.js("""() => Array.from(document.querySelectorAll('#health canvas[data-layer="2"]'))
        .map(c => c.dataset.panel)""")
    assert keys == ["ratio", "grad", "weights", "whist"]
    assert ink_of(pixels(page, 0, "ratio"), "#e6f4e6", tol=8) > 2000     # the green band
    assert ink_of(pixels(page, 0, "ratio"), RUN_COLORS[0]) > 100          # the run's line


def test_three_runs_overlay_in_the_curves_colours(report_runs, train_spiral, tmp_path, open_page):
    a, b = report_runs["a"], report_runs["b"]
    c = train_spiral(tmp_path, "c", activation="tanh", epochs=20)
    path = tmp_path / "three.html"
    wl.report([a, b, c], path, snapshots=20)
    page = open_page(path)
    try:
        keys = page.page.locator("#health-legend .hkey")
        assert keys.all_inner_texts() == ["a", "b", "c"]
        swatches = page.js("""() => Array.from(document.querySelectorAll('#health-legend .swatch'))
            .map(s => getComputedStyle(s).backgroundColor)""")
        assert swatches == ["rgb(%d, %d, %d)" % tuple(rgb(h)) for h in RUN_COLORS[:3]]
        img = pixels(page, 0, "ratio")
        ink = [ink_of(img, col) for col in RUN_COLORS[:3]]
        assert min(ink) > 60, ink                          # every run's line is there
        # the dead panel: a and b (relu) draw dead units, c (tanh) saturated ones
        dead = pixels(page, 0, "dead")
        dink = [ink_of(dead, col) for col in RUN_COLORS[:3]]
        assert min(dink) > 30, dink
        # runs of several activations: the headings name none
        assert page.page.locator("#health .hlayer h3").first.inner_text() == \
            "W[0]: input (2) → hidden 1 (6)"
        # picking c out in the legend fades the others
        keys.nth(2).click()
        faded = pixels(page, 0, "ratio")
        assert ink_of(faded, RUN_COLORS[0]) < ink[0] / 3 and ink_of(faded, RUN_COLORS[2]) > 60
        keys.nth(2).click()
        assert ink_of(pixels(page, 0, "ratio"), RUN_COLORS[0]) == ink[0]
        page.check_clean()
    finally:
        page.page.close()


def test_runs_without_a_health_record_say_so(train_spiral, tmp_path, open_page):
    old = train_spiral(tmp_path, "old", epochs=10)
    (old.path / "health.jsonl").unlink()
    (old.path / "probe.npz").unlink(missing_ok=True)
    torn = train_spiral(tmp_path, "torn", epochs=10)
    f = torn.path / "health.jsonl"
    lines = f.read_text().splitlines(keepends=True)
    f.write_text(lines[0] + "{not json\n" + "".join(lines[2:]))
    for runs, name in (([old], "old"), ([old, torn], "both")):
        path = tmp_path / f"{name}.html"
        wl.report(runs, path)
        page = open_page(path)
        try:
            empty = page.js("""() => Object.fromEntries(Array.from(document.querySelectorAll(
                '#health canvas[data-layer="0"]')).map(c => [c.dataset.panel, c.dataset.empty || null]))""")
            # nothing recorded of the updates: said in words; the snapshots' weights drawn
            assert empty["ratio"] == empty["grad"] == "no health record"
            assert empty["weights"] is None and empty["whist"] is None
            notes = page.page.locator("#health-notes .note").all_inner_texts()
            assert any("has no health.jsonl" in n for n in notes)
            if name == "both":
                assert any(n.startswith("torn: no health record: ") and "damaged at line 2" in n
                           for n in notes)
                assert page.page.locator("#health-legend .hkey").all_inner_texts() == \
                    ["old (no health record)", "torn (no health record)"]
            # the words are drawn on the canvas (dark pixels in the middle), not a blank frame
            img = pixels(page, 0, "ratio")
            h, w = img.shape[:2]
            assert (img[h // 3:2 * h // 3, w // 4:3 * w // 4].max(axis=2) < 150).sum() > 50
            page.check_clean()
        finally:
            page.page.close()
