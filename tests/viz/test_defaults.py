"""Defaults and words that teach (issue 19 part 5): --color auto, the note on
a blank first frame, the legends' words, the title's epoch and step."""
from types import SimpleNamespace

import numpy as np
import pytest

from weightlapse.viz import quantities
from weightlapse.viz.draw_options import DrawOptions
from weightlapse.viz.frame import CLIPPED, FrameRenderer, caption
from weightlapse.viz.labels import epoch_text, steps_per_epoch


def fake_run(weights, image=True):
    """A run as quantities.auto reads it: snapshots' first weights, the data."""
    snaps = [SimpleNamespace(weights=[np.asarray(w, float)]) for w in weights]
    return SimpleNamespace(snapshots=snaps,
                           config={"data": {"input_shape": [2, 1] if image else None}})


def test_auto_colour_rule_worked_by_hand():
    """||W_mid - W_0|| / ||W_0||: W_0 = [[3], [4]] has norm 5; the middle of
    three snapshots is snapshot 1."""
    W0 = [[3.0], [4.0]]
    moved_4_9 = fake_run([W0, [[3.0], [8.9]], [[30.0], [40.0]]])    # |(0, 4.9)| / 5 = 0.98
    moved_5 = fake_run([W0, [[3.0], [9.0]], [[3.0], [4.0]]])        # |(0, 5)| / 5 = 1
    assert quantities.moved(moved_4_9) == pytest.approx(0.98)
    assert quantities.moved(moved_5) == pytest.approx(1.0)
    assert quantities.moved(moved_4_9, 2) == pytest.approx(9.0)      # any snapshot asked
    assert quantities.auto([moved_4_9]) == "change"                  # initial noise dominates
    assert quantities.auto([moved_5]) == "weight"                    # not below 1
    assert quantities.auto([fake_run([W0, [[3.0], [8.9]], W0], image=False)]) == "weight"
    assert quantities.auto([fake_run([W0])]) == "weight"            # one snapshot: no change
    assert quantities.auto([moved_5, moved_4_9]) == "change"        # side by side: one for all


def test_auto_is_the_default_and_resolves_per_run(image_run, train_spiral, tmp_path):
    from weightlapse.viz.drawn import build_drawn_graph
    assert DrawOptions().color == "auto"
    # The small MNIST run barely moves its He-initialised weights: change.
    assert quantities.moved(image_run) < 1
    fr = FrameRenderer(image_run, DrawOptions.create(size=(640, 360)))
    assert fr.opts.color == "change" and fr.G.graph["color"] == "change"
    assert build_drawn_graph(image_run).graph["color"] == "change"
    # Asked for explicitly, weight stays weight; 2-D data draws weights by default.
    assert build_drawn_graph(image_run, DrawOptions.create(color="weight")).graph["color"] \
        == "weight"
    spiral = train_spiral(tmp_path, "s", epochs=6)
    assert build_drawn_graph(spiral).graph["color"] == "weight"


def test_the_rule_is_in_the_help(run_cli):
    for command in ("render", "figure"):
        code, out, _, _ = run_cli([command, "--help"])
        text = " ".join(out.split())
        assert code == 0 and "auto|weight|change|update" in text
        assert "auto: change W - W0 for image data" in text and "(default: auto)" in text


def note_pixels(fr, frame):
    """Dark pixels (text) inside the first-frame note's box."""
    x0, x1, t, b = fr.panel.note.back
    return int((frame[t:b, x0:x1, :3].max(axis=2) < 110).sum())


def test_no_blank_opening_frame(image_run):
    """In change mode every line and tile is zero at snapshot 0: the frame
    says so in the panel instead of showing a blank diagram."""
    fr = FrameRenderer(image_run, DrawOptions.create(color="change", size=(640, 360)))
    first = fr.frame_at(0).copy()
    assert fr.panel.note.shown and note_pixels(fr, first) > 30
    fr.frame_at(len(image_run.snapshots) - 1)
    assert not fr.panel.note.shown                              # gone once weights move
    note, fr.panel.note = fr.panel.note, None                  # the same frame without it:
    bare = fr.frame_at(0).copy()
    fr.panel.note = note
    assert note_pixels(fr, bare) < 5 and (bare != first).any()  # blank where the note is
    upd = FrameRenderer(image_run, DrawOptions.create(color="update"))
    assert note_pixels(upd, upd.frame_at(0).copy()) > 30 and upd.panel.note.shown
    assert not (upd.frame_at(0.5), upd.panel.note.shown)[1]      # half way: updates drawn
    assert FrameRenderer(image_run, DrawOptions.create(color="weight")).panel.note is None


def test_no_blank_first_figure_or_side_by_side(image_run, tmp_path):
    from weightlapse.viz.compare_video import CompareRenderer
    from weightlapse.viz.figure import render_figure
    render_figure(image_run, tmp_path / "f.png", snapshot=0,          # the figure's path
                  options=DrawOptions.create(color="change"), dpi=60)
    from weightlapse.viz.drawn import build_drawn_graph
    from weightlapse.viz.painter import DrawnPanel, START_NOTES
    from weightlapse.viz.values import ValueSource
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    G = build_drawn_graph(image_run, DrawOptions.create(color="change"))
    fig = Figure()
    FigureCanvasAgg(fig)
    panel = DrawnPanel(fig.add_axes([0, 0, 1, 1]), G, fast=False)
    panel.update(ValueSource(G, image_run).at(0))
    assert panel.note.text.get_visible()
    assert panel.note.text.get_text() == "\n".join(START_NOTES["change"])
    cr = CompareRenderer([image_run, image_run], DrawOptions.create(color="change"))
    cr.frame(cr.timeline()[0])
    assert all(p.note.shown for p in cr.panels)


def test_legends_say_what_lines_tiles_and_units_show(image_run, train_spiral, tmp_path):
    fr = FrameRenderer(image_run, DrawOptions.create(size=(640, 360)))
    text = caption(fr.G)
    assert text.startswith("lines, tiles: change W \u2212 W\u2080")
    assert "units: activation on held-out image 0" in text     # the unit legend
    assert "arrows" not in text
    assert CLIPPED in text.split("\n") and any(lo or hi for lo, hi in fr.G.graph["clipped"])
    spiral = train_spiral(tmp_path, "s", epochs=6)
    text = caption(FrameRenderer(spiral, DrawOptions.create(color="weight")).G)
    assert text.startswith("lines: weight; units: bias  \u00b7  one scale per gap")  # no tiles
    G = SimpleNamespace(graph={"scale": "layer", "quantity": "lines, tiles: weight; units: "
                               "bias", "clipped": [(False, False)]})
    assert CLIPPED not in caption(G)                          # no arrows, no words for them


def test_epoch_and_step_read_alike(train_spiral, tmp_path):
    assert epoch_text(151, 1) == "epoch 151"
    assert epoch_text(151, 1, 300) == "epoch 151 of 300"
    assert epoch_text(100, 43) == "epoch 2.3"                 # 100 / 43 = 2.33
    run = train_spiral(tmp_path, "s", epochs=12, snapshot_every=3)   # full batch: 1 step an epoch
    assert steps_per_epoch(run) == 1
    fr = FrameRenderer(run, DrawOptions.create(size=(1920, 1080)))
    fr.frame_at(1.5)                                           # between steps 3 and 6
    epoch, step = fr.title_text.split("  \u00b7  ")[:2]
    assert epoch.removeprefix("epoch ") == step.removeprefix("step ")
