"""The report in a real browser: Debian's Chromium driven by Playwright
(no browser download). Skipped, with the reason, where either is missing.

Each page is opened from a file:// URL, as a person double-clicking it would,
and must make no request beyond its own file (the browser and ``open_page``
are in conftest.py).
"""
import numpy as np
import pytest

import weightlapse as wl
from weightlapse.viz.colors import lut, lut_index

LUT = (lut() * 255).round().astype(int)


def colour(value, scale):
    return LUT[int(lut_index(np.array([value]), scale)[0])]


def close(rgb, value, scale):
    """The pixel has the colour of ``value``, give or take one LUT step
    (the page holds 8-bit values)."""
    k = int(lut_index(np.array([value]), scale)[0])
    near = LUT[max(k - 1, 0):k + 2]
    return np.abs(near - np.array(rgb)).max(axis=1).min() <= 2


def kept(page, run_id=0):
    return page.js("r => weightlapse.runSnapshot(r)", run_id)


def snap_index(run, page, i):
    """The recorded snapshot index shown at slider position i."""
    page.js("i => weightlapse.setSnapshot(i)", i)
    count = page.js("weightlapse.count")
    keep = np.unique(np.linspace(0, len(run.snapshots) - 1, min(count, len(run.snapshots)))
                     .round().astype(int))
    return int(keep[kept(page)])


@pytest.fixture(scope="module")
def single(report_runs, tmp_path_factory, open_page):
    path = tmp_path_factory.mktemp("page") / "single.html"
    wl.report(report_runs["a"], path, snapshots=15, edges="all")
    page = open_page(path)
    yield report_runs["a"], page
    page.page.close()


def test_loads_without_errors_or_requests(single):
    run, page = single
    assert page.js("weightlapse.count") == 15
    assert page.js("weightlapse.snapshot") == 0
    page.check_clean()


@pytest.mark.parametrize("kind", ["weight", "change", "update"])
def test_edge_and_unit_pixels_have_their_values_colour(single, kind):
    run, page = single
    page.js("k => weightlapse.setColor(k)", kind)
    scale = page.js("k => weightlapse.scale(k, 1)", kind)
    for i in (0, 6, 14):
        t = snap_index(run, page, i)
        snap = run.snapshots[t]
        W, b = snap.weights[1], snap.biases[1]
        if kind == "weight":
            truth, bias = W, b
        elif kind == "change":
            truth, bias = W - run.snapshots[0].weights[1], b - run.snapshots[0].biases[1]
        else:
            prev = run.snapshots[max(t - 1, 0)]
            dt = max(int(snap.step - prev.step), 1)
            truth, bias = (W - prev.weights[1]) / dt, (b - prev.biases[1]) / dt
        # the decoded value is the recorded one within quantisation
        held = page.js("k => weightlapse.value(k, 1, 0, 0)", kind)
        assert held == pytest.approx(float(truth[0, 0]), abs=float(np.abs(truth).max()) / 120 + 1e-7)
        # the strongest edge (drawn widest, so a pixel lies wholly on it):
        # find a point on it that is drawn on top
        a, c = np.unravel_index(np.argmax(np.abs(truth)), truth.shape)
        if abs(truth[a, c]) < 0.8 * scale:    # all faint, e.g. no change yet at snapshot 0
            continue
        hit = None
        for f in np.linspace(0.15, 0.85, 15):
            p = page.js("([a, c, f]) => weightlapse.locate(1, a, c, 0, f)", [int(a), int(c), f])
            if page.js("p => weightlapse.edgeAt(p.x, p.y)", p) == {"run": 0, "layer": 1,
                                                                  "i": int(a), "j": int(c)}:
                hit = p
                break
        assert hit is not None
        assert close(page.pixel(hit["x"], hit["y"]), float(truth[a, c]), scale)
        # a unit of hidden layer 2 is filled with its bias's colour
        u = page.js("weightlapse.locateUnit(2, 3)")
        assert close(page.pixel(u["x"], u["y"]), float(bias[3]), scale)
    page.js("weightlapse.setColor('weight')")
    page.check_clean()


def test_hover_shows_the_value_and_a_sparkline(single):
    run, page = single
    page.js("weightlapse.setColor('weight')")   # whatever an earlier test left
    t = snap_index(run, page, 9)
    p = page.js("weightlapse.locateUnit(1, 2)")
    page.page.mouse.move(p["x"], p["y"])
    tip = page.page.locator("#tip")
    assert tip.is_visible()
    text = page.page.locator("#tip-text").inner_text()
    assert "hidden 1 unit 2" in text
    shown = float(text.split("= ")[1].split()[0])
    assert shown == pytest.approx(float(run.snapshots[t].biases[0][2]), rel=0.02, abs=1e-3)
    spark = page.js("""() => { const c = document.getElementById('spark');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let ink = 0; for (let k = 0; k < d.length; k += 4) if (d[k] < 200) ink++; return ink; }""")
    assert spark > 20
    # an edge: the tooltip names it and gives its value
    q = page.js("weightlapse.locate(2, 1, 2, 0, 0.5)")
    page.page.mouse.move(q["x"], q["y"])
    hit = page.js("p => weightlapse.edgeAt(p.x, p.y)", q)
    text = page.page.locator("#tip-text").inner_text()
    assert text.startswith(f"W[{hit['layer']}][{hit['i']}, {hit['j']}]")
    v = float(text.split("= ")[1].split()[0])
    assert v == pytest.approx(page.js("h => weightlapse.value('weight', h.layer, h.i, h.j)", hit),
                              rel=1e-3, abs=1e-4)
    page.page.mouse.move(5, 5)


def test_slider_and_curve_cursor_agree(single):
    run, page = single
    page.js("weightlapse.setSnapshot(4)")
    assert page.page.locator("#slider").input_value() == "4"
    epoch = page.js("weightlapse.epoch")
    assert float(page.page.locator("#curves").get_attribute("data-cursor-epoch")) == epoch
    # the cursor's red line is where the epoch axis says
    page.page.locator("#curves").scroll_into_view_if_needed()
    xs = page.js("weightlapse.cursorPx()")
    box = page.page.locator("#curves").bounding_box()
    px = page.js("""x => { const c = document.getElementById('curves'), r = c.getBoundingClientRect();
        const k = c.width / r.width;
        return Array.from(c.getContext('2d').getImageData(Math.round((x - 1) * k), Math.round(100 * k), 3, 1).data); }""", xs[0])
    assert any(px[o] > 180 and px[o + 1] < 60 and px[o + 2] < 60 for o in (0, 4, 8))
    # a click on the curves moves the slider to the nearest snapshot
    page.page.mouse.click(box["x"] + xs[0] + box["width"] * 0.1, box["y"] + 100)
    now = page.js("weightlapse.snapshot")
    assert now > 4 and page.page.locator("#slider").input_value() == str(now)
    assert page.js("weightlapse.cursorPx()")[0] > xs[0]
    # dragging the slider moves the cursor
    page.page.locator("#slider").fill("2")
    assert page.js("weightlapse.snapshot") == 2
    assert float(page.page.locator("#curves").get_attribute("data-cursor-epoch")) == \
        page.js("weightlapse.epoch")


def test_play_advances_and_stops_at_the_end(single):
    run, page = single
    page.js("weightlapse.setSnapshot(10)")
    page.page.click("#play")
    page.page.wait_for_function("() => weightlapse.snapshot === weightlapse.count - 1", timeout=10000)
    page.page.wait_for_timeout(400)
    assert "play" in page.page.locator("#play").inner_text()
    page.check_clean()


def test_clicking_a_unit_highlights_it(single):
    run, page = single
    page.js("weightlapse.setSnapshot(3)")
    page.js("window.scrollTo(0, 0)")      # an earlier test scrolled to the curves
    p = page.js("weightlapse.locateUnit(1, 4)")
    page.page.mouse.click(p["x"], p["y"])
    assert "hidden 1 unit 4" in page.page.locator("#selection h3").inner_text()
    page.page.mouse.click(p["x"] + 200, 5 + p["y"] * 0)   # empty canvas clears it
    page.check_clean()


def test_image_run_receptive_fields(image_run, tmp_path, open_page):
    path = tmp_path / "digits.html"
    wl.report(image_run, path, snapshots=20, units=10,    # tiles of 3 px per input pixel
              color="weight")                              # opens on weights, not auto's change
    page = open_page(path)
    try:
        shown = page.js("""() => { const s = []; const c = weightlapse;
            for (let j = 0; j < 40; j++) s.push(c.locate(0, 0, j) !== null); return s; }""")
        units = [j for j, ok in enumerate(shown) if ok]
        assert 0 < len(units) < 40         # 40 hidden units are more than fit: some held
        hidden = [j for j, ok in enumerate(shown) if not ok][0]
        assert page.js("j => weightlapse.value('weight', 0, 300, j)", hidden) is None
        scale = page.js("weightlapse.scale('weight', 0)")
        for i in (0, 19):
            t = snap_index(image_run, page, i)
            W0 = image_run.snapshots[t].weights[0]
            j = units[len(units) // 2]
            for pixel in (0, 350, 406):       # a corner and two central pixels
                p = page.js("([i, j]) => weightlapse.locate(0, i, j)", [pixel, j])
                assert page.js("p => weightlapse.edgeAt(p.x, p.y)", p) == \
                    {"run": 0, "layer": 0, "i": pixel, "j": j}
                assert close(page.pixel(p["x"], p["y"]), float(W0[pixel, j]), scale)
        # clicking a first-layer unit shows its receptive field large
        u = page.js("j => weightlapse.locateUnit(1, j)", units[0])
        page.page.mouse.click(u["x"], u["y"])
        assert page.page.locator("#rf-large").is_visible()
        page.check_clean()
    finally:
        page.page.close()


def test_compare_report(report_runs, tmp_path, open_page, train_spiral):
    a, b = report_runs["a"], report_runs["b"]
    c = train_spiral(report_runs["out"], "c", epochs=20, lr=0.02)     # fewer epochs than a, b
    path = tmp_path / "cmp.html"
    wl.report([a, b, c], path, snapshots=30)
    page = open_page(path)
    try:
        assert page.page.locator("#nets canvas.network").count() == 3
        for layer in range(3):
            s = page.js("l => [0, 1, 2].map(r => weightlapse.scale('weight', l, r))", layer)
            assert s[0] == s[1] == s[2]
        # one slider, synchronised by epoch: each run shows its last snapshot at or before it
        for i in (0, 10, page.js("weightlapse.count") - 1):
            page.js("i => weightlapse.setSnapshot(i)", i)
            e = page.js("weightlapse.epoch")
            for r, run in enumerate((a, b, c)):
                keep = page.js("r => weightlapse.runSnapshot(r)", r)
                epochs = run.snapshots.epochs
                idx = np.unique(np.linspace(0, len(epochs) - 1, min(30, len(epochs)))
                                .round().astype(int))
                assert epochs[idx[keep]] <= e + 1e-9
                assert keep == len(idx) - 1 or epochs[idx[keep + 1]] > e
        # the table sorts by a column, both ways
        heads = page.page.locator("#cmp-table th")
        cols = [heads.nth(k).inner_text() for k in range(heads.count())]
        k = next(i for i, h in enumerate(cols) if h.startswith("final") and "acc" in h)
        heads.nth(k).click()
        vals = page.js("k => Array.from(document.querySelectorAll('#cmp-table tr')).slice(1)"
                       ".map(tr => parseFloat(tr.children[k].textContent))", k)
        assert vals == sorted(vals)
        page.page.locator("#cmp-table th").nth(k).click()
        vals2 = page.js("k => Array.from(document.querySelectorAll('#cmp-table tr')).slice(1)"
                        ".map(tr => parseFloat(tr.children[k].textContent))", k)
        assert vals2 == sorted(vals, reverse=True)
        assert page.page.locator("#effects svg").count() == 2     # lr and epochs differ
        assert page.page.locator("#effects svg circle").count() == 6
        page.check_clean()
    finally:
        page.page.close()


def test_sweep_report(tmp_path, open_page):
    result = wl.sweep({"hidden": [[4], [8]], "lr": [0.01, 0.05]}, dataset="moons", epochs=6,
                      snapshot_every=2, batch_size=0, out=tmp_path, name="sw")
    path = tmp_path / "sweep.html"
    wl.report(result.path, path)
    page = open_page(path)
    try:
        assert page.page.locator("#nets canvas.network").count() == 4
        assert page.page.locator("#cmp-table tr").count() == 5
        assert page.page.locator("#effects svg").count() == 2
        page.js("weightlapse.setSnapshot(weightlapse.count - 1)")
        assert page.js("weightlapse.value('weight', 0, 0, 0, 3)") is not None
        page.check_clean()
    finally:
        page.page.close()


def test_killed_run_is_marked_in_the_page(report_runs, tmp_path, open_page, train_spiral, mark_status):
    run = mark_status(train_spiral(tmp_path, "k", epochs=8), "running", pid=2 ** 22 + 4321)
    # killed early: one snapshot recorded (and a torn second), only the step-0 metrics row
    size = (run.path / "snapshots.bin").stat().st_size
    record = (size - 64) // len(run.snapshots)
    with open(run.path / "snapshots.bin", "r+b") as f:
        f.truncate(64 + record + record // 2)
    text = (run.path / "metrics.csv").read_text()
    (run.path / "metrics.csv").write_text("\n".join(text.splitlines()[:2]) + "\n")
    with pytest.warns(UserWarning, match="torn"):
        run = wl.load_run(run.path)
    path = tmp_path / "k.html"
    with pytest.warns(UserWarning, match="torn"):
        wl.report(run.path, path)
    page = open_page(path)
    try:
        assert "killed" in page.page.locator("#notes").inner_text()
        assert page.page.locator(".badge.killed").count() >= 1
        assert page.js("weightlapse.count") == 1
        page.js("weightlapse.setSnapshot(5)")          # clamped to the one there is
        assert page.js("weightlapse.snapshot") == 0
        assert page.js("weightlapse.value('weight', 0, 0, 0)") == pytest.approx(
            float(run.snapshots[0].weights[0][0, 0]), abs=1e-6)
        page.check_clean()
    finally:
        page.page.close()


def test_eight_runs_keep_their_legend_and_the_key_on_the_canvas(tmp_path, open_page, train_spiral):
    """A sweep's curves: every run's name and the train/validation key fit
    the canvas (wrapped into rows), and the title counts the runs."""
    for k in range(8):
        train_spiral(tmp_path / "sw", f"lr={0.01 * (k + 1):g}-hidden=6,5-seed={k}", epochs=6,
                     lr=0.01 * (k + 1))
    path = tmp_path / "sweep.html"
    wl.report(tmp_path / "sw", path)
    page = open_page(path)
    try:
        assert page.page.title() == "weightlapse report: 8 runs"
        c = page.js("weightlapse.curves()")
        entries = [e for row in c["legend"] for e in row]
        assert "dashed: train" in c["legend"][0][0]["text"]            # the key, first
        assert sorted(e["text"] for e in entries[1:]) == sorted(
            p.name for p in (tmp_path / "sw").iterdir())               # every run named
        assert all(e["right"] <= c["W"] for e in entries), entries      # none off the canvas
        assert len(c["legend"]) >= 3                                    # so they wrapped
        # the rows are drawn inside the canvas: its last row has ink
        last = page.js("""() => { const c = document.getElementById('curves');
            const ctx = c.getContext('2d'), s = c.height / weightlapse.curves().H;
            const y = Math.round((weightlapse.curves().H - 12) * s);
            const d = ctx.getImageData(0, y - 4 * s, c.width, 8 * s).data;
            let ink = 0; for (let i = 0; i < d.length; i += 4) ink += d[i] < 128;
            return ink; }""")
        assert last > 50
        page.check_clean()
    finally:
        page.page.close()


def test_the_accuracy_axis_shows_the_whole_curve(tmp_path, open_page, train_spiral):
    """A run near chance for its first evaluations only (moons: 0.6, then
    above 0.85 within an epoch): the axis reaches down to its lowest value,
    so those are drawn where they are, not flat on an axis starting at the
    curve's 10th percentile (MNIST read as ~80% at epoch 0)."""
    run = train_spiral(tmp_path, "moons", dataset="moons", batch_size=32, snapshot_every=20)
    path = tmp_path / "moons.html"
    wl.report(run, path)
    page = open_page(path)
    try:
        acc = next(p for p in page.js("weightlapse.curves()")["plots"] if p["key"] == "acc")
        m = run.metrics
        lowest = min(m["train_acc"].min(), m["val_acc"].min())
        assert acc["lo"] <= lowest and acc["hi"] == 1, (acc, lowest)
        assert lowest - acc["lo"] < 0.1                 # from the lowest value, not 0 always
        page.check_clean()
    finally:
        page.page.close()


def test_the_colour_switch_lists_the_quantities_of_the_page_data(single):
    """One radio button per colour quantity, labelled as viz.quantities says;
    clicking one recolours the page."""
    from weightlapse.viz import quantities
    run, page = single
    got = page.js("""Array.from(document.querySelectorAll('#kinds label')).map(l =>
        [l.querySelector('input').value, l.textContent.trim()])""")
    assert got == [[e["name"], e["label"]] for e in quantities.page_entries()]
    page.page.click("#kinds input[value=change]")
    assert page.js("weightlapse.color") == "change"
    page.js("weightlapse.setColor('weight')")
    page.check_clean()


def test_unit_maps_are_drawn_in_their_boxes(single):
    """2-D data: each hidden unit's map is drawn in its box, in the maps' colours."""
    import base64
    run, page = single
    page.js("i => weightlapse.setSnapshot(i)", 14)
    data = payload_of(page)
    maps, sc = data["maps"], data["scene"]
    g, lut_rgb = maps["g"], np.array([[int(h[k:k + 2], 16) for k in (1, 3, 5)]
                                      for h in maps["lut"]])
    rect = page.js("""() => { const r = document.querySelector('#nets canvas.network').getBoundingClientRect();
        return [r.left, r.top, r.width, r.height]; }""")
    row = maps["snaps"][kept(page)]
    checked = 0
    for L in maps["layers"]:
        U = len(L["boxes"])
        codes = np.frombuffer(base64.b64decode(L["data"]), np.uint8).reshape(-1, U, g, g)[row]
        for o, (x, y, w, h) in enumerate(L["boxes"]):
            # a point a quarter in from the top-left corner: grid cell (g/4, g/4)
            fx, fy = x + w * 0.25, y + h * 0.25
            rgb = page.pixel(rect[0] + fx * rect[2] / sc["width"],
                             rect[1] + fy * rect[3] / sc["height"])
            k = int(g * 0.25)
            near = lut_rgb[codes[o, k - 1:k + 2, k - 1:k + 2].ravel()]
            assert np.abs(near - np.array(rgb)).max(axis=1).min() <= 30 or (
                near.min(axis=0) - 30 <= np.array(rgb)).all() and (
                np.array(rgb) <= near.max(axis=0) + 30).all(), (L["layer"], o, rgb)
            checked += 1
    assert checked == sum(len(L["boxes"]) for L in maps["layers"]) > 0
    page.check_clean()


def payload_of(page):
    import json
    return json.loads(page.js("document.getElementById('wl-data').textContent"))["runs"][0]


# -- the strip of held-out samples (--sample, issue 19) ---------------------------

def _forward(snap, x):
    """Hidden activations (ReLU) and class probabilities of x, by hand."""
    a, acts = np.asarray(x, np.float64), []
    for k, (W, b) in enumerate(zip(snap.weights, snap.biases)):
        z = a @ np.asarray(W, np.float64) + b
        if k < len(snap.weights) - 1:
            a = np.maximum(z, 0)
            acts.append(a)
    e = np.exp(z - z.max())
    return acts + [e / e.sum()]


def _sample_colour(page, value, layer, k):
    """The page's colour of an activation on layer ``layer``'s range for sample k."""
    return page.js("""([v, l, j]) => { const S = weightlapse._samples(0);
        return [1, 3, 5].map(k => parseInt(S.css(l, v, j).substr(k, 2), 16)); }""",
                   [value, layer, k])


def test_sample_strip_click_shows_that_samples_activations(image_run, tmp_path, open_page):
    path = tmp_path / "samples.html"
    wl.report(image_run, path, snapshots=20, units=10)
    page = open_page(path)
    X, y = image_run.files.read_probe()
    try:
        assert page.js("weightlapse.sampleRows()") == list(range(16))
        assert page.js("weightlapse.sample()") == 0           # --sample auto: row 0
        assert page.page.locator(".samples button.sample").count() == 16
        t = snap_index(image_run, page, 19)
        units = [u for u in range(40) if page.js("u => weightlapse.locateUnit(1, u)", u)]
        drawn = {}
        for k in (0, 3):
            if k:
                page.page.locator(".samples button.sample").nth(k).click()
            assert page.js("weightlapse.sample()") == k
            truth = _forward(image_run.snapshots[t], X[k])
            lo_hi = page.js("weightlapse._samples(0).layers[0]")
            step = (lo_hi["hi"][k] - lo_hi["lo"][k]) / 255
            for u in units:
                got = page.js("u => weightlapse.activation(1, u)", u)
                assert got == pytest.approx(truth[0][u], abs=step / 2 + 1e-6)
            u = max(units, key=lambda u: truth[0][u])         # the most active shown unit
            p = page.js("u => weightlapse.locateUnit(1, u)", u)
            rgb = page.pixel(p["x"], p["y"])
            assert np.abs(np.array(rgb) - _sample_colour(page, truth[0][u], 1, k)).max() <= 3
            drawn[k] = [page.js("u => weightlapse.activation(1, u)", u) for u in units]
            answer = page.page.locator(".answer").inner_text()
            said = int(np.argmax(truth[-1]))
            assert f"held-out row {k} (true {int(y[k])}): the network says {said}" in answer
        assert drawn[0] != drawn[3]                          # the click changed them
        # hovering a unit: its activation beside its bias
        u = units[0]
        p = page.js("u => weightlapse.locateUnit(1, u)", u)
        page.page.mouse.move(p["x"], p["y"])
        text = page.page.locator("#tip-text").inner_text()
        bias = float(text.split("= ")[1].split()[0])
        act = float(text.split("activation ")[1].split()[0])
        assert bias == pytest.approx(float(image_run.snapshots[t].biases[0][u]), abs=2e-3)
        assert act == pytest.approx(_forward(image_run.snapshots[t], X[3])[0][u], abs=0.02)
        page.page.mouse.move(5, 5)
        # clicking the chosen sample again: no sample, the fills are the biases again
        page.page.locator(".samples button.sample").nth(3).click()
        assert page.js("weightlapse.sample()") is None
        assert page.js("u => weightlapse.activation(1, u)", u) is None
        page.check_clean()
    finally:
        page.page.close()


def test_the_answer_is_over_every_output_and_the_first_sample_on_its_films_range(
        image_run, tmp_path, open_page):
    """With --units 3 most outputs are hidden: the answer is still the argmax
    over all ten; the sample the page opens on is coloured on its film's range."""
    from weightlapse.viz.draw_options import DrawOptions
    from weightlapse.viz.drawn import build_drawn_graph
    path = tmp_path / "three.html"
    wl.report(image_run, path, snapshots=20, units=3, sample=2)
    X, y = image_run.files.read_probe()
    page = open_page(path)
    try:
        assert page.js("weightlapse.sample()") == 2
        t = snap_index(image_run, page, 0)
        truth = _forward(image_run.snapshots[t], X[2])[-1]
        answer = page.page.locator(".answer").inner_text()
        assert f"the network says {int(np.argmax(truth))}, " in answer
        assert "orange" in answer and "high" not in answer          # the range in numbers
        G = build_drawn_graph(image_run, DrawOptions.create(units=3, sample=2))
        lo_hi = page.js("weightlapse._samples(0).layers[0]")
        assert (lo_hi["lo"][2], lo_hi["hi"][2]) == pytest.approx(G.graph["sample_scales"][1])
        page.check_clean()
    finally:
        page.page.close()


def test_a_regression_sample_shows_its_prediction_not_class_words(tmp_path, open_page):
    """A regression run's answer line: the prediction and the target (as the
    network sees them, from a forward pass by hand), no 'class probability'."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = X @ [0.5, -1.0, 0.25] + 0.1 * rng.normal(size=300)
    path = tmp_path / "reg.csv"
    header = "a,b,c,target\n"
    path.write_text(header + "\n".join(",".join(f"{v:.5f}" for v in [*x, t])
                                       for x, t in zip(X, y)) + "\n")
    run = wl.train(data=str(path), label_column="target", task="regression", hidden=[6],
                   epochs=3, out=tmp_path, name="reg", progress=False)
    page_path = tmp_path / "reg.html"
    wl.report(run, page_path, sample=1)
    Xp, yp = run.files.read_probe()
    page = open_page(page_path)
    try:
        t = snap_index(run, page, page.js("weightlapse.count") - 1)
        snap = run.snapshots[t]
        h = np.tanh(Xp[1] @ snap.weights[0] + snap.biases[0]) \
            if run.settings["activation"] == "tanh" else \
            np.maximum(Xp[1] @ snap.weights[0] + snap.biases[0], 0)
        pred = float((h @ snap.weights[1] + snap.biases[1])[0])
        answer = page.page.locator(".answer").inner_text()
        assert "class probab" not in answer and "says" not in answer
        got = float(answer.split("predicts ")[1].split()[0])
        assert got == pytest.approx(pred, rel=1e-3, abs=1e-3)
        target = float(answer.split("(target ")[1].split(")")[0])
        assert target == pytest.approx(float(np.ravel(yp[1])[0]), rel=1e-3, abs=1e-3)
        page.check_clean()
    finally:
        page.page.close()


def test_layer_labels_of_close_columns_stay_apart(image_run, mnist_dir, tmp_path, open_page):
    """A conv run beside an MLP (each canvas shown small, its text larger):
    the layer labels under close columns shrink or shorten, never overlap,
    and stay inside the canvas (960 design px wide)."""
    conv = wl.train(dataset="mnist", data_dir=mnist_dir, limit=300, conv=[[6, 5], [16, 5]],
                    pool=2, hidden=[32], epochs=1, out=tmp_path, name="cnn", progress=False)
    path = tmp_path / "two.html"
    wl.report([image_run, conv], path, snapshots=5)
    page = open_page(path)
    try:
        for run, n in ((0, 4), (1, 5)):
            boxes = page.js("r => weightlapse.labelBoxes(r)", run)
            assert len(boxes) == n
            counts = page.js("r => weightlapse.countBoxes(r)", run)
            assert len(counts) == n - 2 and all("dead" in t for _, _, t in counts)
            for row in (boxes, counts):
                for (a0, a1, ta), (b0, b1, tb) in zip(row, row[1:]):
                    assert a1 <= b0 + 0.5, (ta, tb)
                assert row[0][0] >= 0 and row[-1][1] <= 960
        page.check_clean()
    finally:
        page.page.close()


def test_a_conv_runs_feature_maps_follow_the_chosen_sample(mnist_dir, tmp_path, open_page):
    """Each shown channel's map is drawn right of its unit, coloured, and
    clicking another sample of the strip redraws the maps with its own."""
    run = wl.train(dataset="mnist", data_dir=mnist_dir, limit=300, conv=[[6, 5], [16, 5]],
                   pool=2, hidden=[32], epochs=1, out=tmp_path, name="cnn", progress=False)
    path = tmp_path / "cnn.html"
    wl.report(run, path, snapshots=10)
    page = open_page(path)
    try:
        page.js("i => weightlapse.setSnapshot(i)", page.js("weightlapse.count") - 1)
        assert len(page.js("weightlapse.sampleRows()")) == 16

        def cells(k):
            page.js("k => weightlapse.setSample(k)", k)
            return [page.pixel(**page.js("a => weightlapse.fmapCell(2, a[0], a[1], a[2])",
                                         [o, r, c])) for o in range(3)
                    for r in (1, 4, 6) for c in (1, 4, 6)]
        a, b = cells(0), cells(1)
        assert a != b                                         # the maps follow the sample
        assert any(max(p) - min(p) > 40 for p in a + b)       # and are coloured somewhere
        page.check_clean()
    finally:
        page.page.close()
