"""Dead and saturated units, their counts and the update-ratio strips in the
film and the figure (issue 18, part 4); old runs draw without them."""
import shutil

import numpy as np
import pytest

import weightlapse as wl
from weightlapse.viz.colors import lut, lut_index
from weightlapse.viz.draw_options import DrawOptions
from weightlapse.viz.frame import FrameRenderer
from weightlapse.viz.health_marks import HOLLOW_EDGE
from weightlapse.viz.ratio_strip import CURSOR_COLOR, LEGEND, ratio_series
from weightlapse.viz.unit_health import unit_health

SIZES = [(640, 360), (1280, 720), (1920, 1080)]


class Pin:
    """After every step, hidden 1's units 0 and 1 are pinned dead (zero
    incoming weights, bias -1)."""

    def on_step_end(self, t):
        W, b = t.model.params["W0"], t.model.params["b0"]
        W[:, :2], b[:2] = 0, -1


@pytest.fixture(scope="module")
def dead_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("dead")
    return wl.train(dataset="spiral", hidden=[6, 5], epochs=30, batch_size=0, lr=0.05,
                    optimizer="adam", n_samples=200, snapshot_every=3, out=out, name="dead",
                    callbacks=[Pin()])


def _centre(fr, l, k):
    """Canvas pixel (row, col) of the k-th shown unit of layer l."""
    G, ax = fr.G, fr.panel.ax
    u = G.graph["shown"][l][k]
    x, y = ax.transData.transform((G.nodes[f"{l}:{u}"]["x"], G.nodes[f"{l}:{u}"]["y"]))
    return int(round(fr.size[1] - y)), int(round(x))


def test_a_dead_unit_is_hollow_and_a_live_one_keeps_its_colour(dead_run):
    fr = FrameRenderer(dead_run, DrawOptions.create(size=(1280, 720)))
    last = len(dead_run.snapshots) - 1
    buf = fr.frame_at(last).copy()
    dead = unit_health(dead_run).at(last)[0].dead
    shown = fr.G.graph["shown"][1]
    kd = next(k for k, u in enumerate(shown) if dead[u])
    kl = next(k for k, u in enumerate(shown) if not dead[u])
    r = fr.panel.radius[1]
    (yd, xd), (yl, xl) = _centre(fr, 1, kd), _centre(fr, 1, kl)
    assert buf[yd, xd, :3].tolist() == [255, 255, 255]            # hollow, whatever its bias
    ring = buf[yd, xd + int(r) - 1, :3].astype(int)               # its thick grey ring
    assert np.ptp(ring) <= 12 and abs(ring.mean() - 255 * HOLLOW_EDGE[0]) < 40
    v = fr.values.at(last).nodes[1][kl]
    want = (lut()[lut_index(np.array([v]), fr.G.graph["scales"][0])][0] * 255).round()
    assert np.abs(buf[yl, xl, :3].astype(int) - want).max() <= 3  # a live unit: its bias
    assert np.abs(buf[yd, xd, :3].astype(int) - buf[yl, xl, :3]).max() > 0


def test_layer_labels_count_every_unit_at_the_frames_snapshot(dead_run):
    fr = FrameRenderer(dead_run, DrawOptions.create(size=(1280, 720)))
    uh = unit_health(dead_run)
    for pos in (0, len(dead_run.snapshots) - 1.5):
        fr.frame_at(pos)
        texts = {l: s.text for l, s, _ in fr.panel.counts.items}
        i = uh.index(pos)
        assert texts == {1: f"{int(uh.at(i)[0].dead.sum())} dead",
                         2: f"{int(uh.at(i)[1].dead.sum())} dead"}
    assert int(texts[1].split()[0]) >= 2                         # the two pinned units
    legend = [t.get_text() for t in fr.fig.legends[0].get_texts()]
    assert legend == ["hollow: dead (active on no probe input)", LEGEND]


def test_strip_cursor_moves_with_the_frame(dead_run):
    fr = FrameRenderer(dead_run, DrawOptions.create(size=(1280, 720)))
    assert len(fr.strips) == len(dead_run.sizes) - 1
    ax = fr.strips.axes[1]
    b = ax.get_window_extent()
    H = fr.size[1]
    rows = slice(int(H - b.y1) + 2, int(H - b.y0) - 2)
    cols = slice(int(b.x0), int(b.x1) + 1)
    red = np.array([214, 39, 40])

    def cursor_col(pos):
        area = fr.frame_at(pos)[rows, cols, :3].astype(int)
        hit = (np.abs(area - red).max(axis=2) < 40).sum(axis=0)
        return int(np.argmax(hit)) if hit.max() > 0.8 * area.shape[0] else None

    n = len(dead_run.snapshots)
    xs = [cursor_col(p) for p in (0, n // 2, n - 1)]
    assert None not in xs and xs[0] < xs[1] < xs[2]
    assert CURSOR_COLOR == "#d62728"


@pytest.mark.parametrize("which", ["dead_run", "image_run"])
@pytest.mark.parametrize("size", SIZES)
def test_counts_strips_and_labels_do_not_collide(request, which, size):
    """Counts, strips, legend, layer labels and "+N more" (MNIST: 784-40-12-10)."""
    run = request.getfixturevalue(which)
    fr = FrameRenderer(run, DrawOptions.create(size=size))
    fr.frame_at(len(run.snapshots) - 1)
    r = fr.canvas.get_renderer()
    H = fr.size[1]
    boxes = [t.get_window_extent(r) for t in fr.panel.label_texts]    # labels, "+N more"
    for l, s, _ in fr.panel.counts.items:
        x0, y0, x1, y1 = s.extent()
        boxes.append(type(boxes[0]).from_extents(x0, H - y1, x1, H - y0))
    assert len(fr.strips) >= 2
    boxes += [ax.get_window_extent() for ax in fr.strips.axes]
    boxes.append(fr.fig.legends[0].get_window_extent(r))
    boxes += [t.get_window_extent(r) for t in fr.fig.texts]    # caption, maps' legend...
    for a in range(len(boxes)):
        for b in range(a + 1, len(boxes)):
            assert not boxes[a].overlaps(boxes[b]), (size, a, b)
        assert 0 <= boxes[a].x0 and boxes[a].x1 <= fr.size[0] and boxes[a].y0 >= 0


def test_old_runs_draw_without_strips_and_say_nothing(dead_run, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(dead_run.path, old)
    (old / "health.jsonl").unlink()            # recorded before health.jsonl
    run = wl.load_run(old)
    assert ratio_series(run) is None
    fr = FrameRenderer(run, DrawOptions.create(size=(640, 360)))
    fr.frame_at(1.5)
    assert fr.strips is None
    legend = [t.get_text() for t in fr.fig.legends[0].get_texts()]
    assert legend == ["hollow: dead (active on no probe input)"]   # probe.npz is still there
    # a run on arrays without a probe set: no marks, no counts, no legend
    arrays = wl.train(np.random.default_rng(0).random((60, 3)), np.arange(60) % 2,
                      hidden=[4], epochs=2, out=tmp_path, name="arrays")
    (arrays.path / "health.jsonl").unlink()
    (arrays.path / "probe.npz").unlink()
    fr = FrameRenderer(wl.load_run(arrays.path), DrawOptions.create(size=(640, 360)))
    fr.frame_at(0)
    assert fr.strips is None and fr.panel.counts is None and not fr.fig.legends


def test_figure_marks_and_counts(dead_run, tmp_path):
    from weightlapse.viz.figure import render_figure
    for ext in ("png", "svg"):
        render_figure(dead_run, tmp_path / f"f.{ext}", dpi=80)
    svg = (tmp_path / "f.svg").read_text()
    n = int(unit_health(dead_run).at(-1)[0].dead.sum())
    assert f"{n} dead" in svg and "hollow: dead (active on no probe input)" in svg
