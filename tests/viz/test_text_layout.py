"""Pictures fit for a slide at 640x360, 1280x720 and 1920x1080: no text
outside the canvas, no two texts overlapping, no tile cut off or covered,
in the film's frame and the side-by-side comparison (a 2-D run and an image
run)."""
import itertools

import pytest
from matplotlib.text import Text

from weightlapse.viz.compare_video import CompareRenderer
from weightlapse.viz.draw_options import DrawOptions
from weightlapse.viz.frame import FrameRenderer

SIZES = [(640, 360), (1280, 720), (1920, 1080)]


@pytest.fixture(scope="module")
def spirals(tmp_path_factory, train_spiral):
    """Three spiral runs of the demo's shape (2-32-32-3: cut layers, "+N more")."""
    out = tmp_path_factory.mktemp("layout")
    return [train_spiral(out, f"s{k}", hidden=[32, 32], epochs=6, lr=lr, activation="tanh")
            for k, lr in enumerate((0.05, 0.01, 0.1))]


@pytest.fixture(scope="module")
def conv_image_run(tmp_path_factory, mnist_dir):
    """A small MNIST conv run (6x5,16x5 pool 2 + 32-10): its last columns
    stand close, so their legends under them must make room."""
    import weightlapse as wl
    return wl.train(dataset="mnist", data_dir=mnist_dir, limit=400, conv=[[6, 5], [16, 5]],
                    pool=2, hidden=[32], epochs=1, batch_size=50, snapshot_every=4,
                    out=tmp_path_factory.mktemp("layout-conv"), name="cnn")


def drawn_text_boxes(fig):
    """(text, (x0, y0, x1, y1)) of every text matplotlib draws in ``fig``, in
    canvas pixels with rows from the top; a text's box includes its frame
    ("+N more"). Tick labels of ticks not drawn are left out."""
    r = fig.canvas.get_renderer()
    H = fig.bbox.height
    hidden = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            drawn = set(axis._update_ticks()) if ax.axison and axis.get_visible() else set()
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if tick not in drawn:
                    hidden.update((id(tick.label1), id(tick.label2)))
    out = []
    for t in fig.findobj(Text):
        if not t.get_visible() or not t.get_text().strip() or id(t) in hidden:
            continue
        b = t.get_window_extent(r)
        if t.get_bbox_patch() is not None:
            b = b.union([b, t.get_bbox_patch().get_window_extent(r)])
        out.append((t.get_text(), (b.x0, H - b.y1, b.x1, H - b.y0)))
    return out


def overlap(a, b, tol=0.5):
    return min(a[2], b[2]) - max(a[0], b[0]) > tol and min(a[3], b[3]) - max(a[1], b[1]) > tol


def layout_problems(fig, sprites, panels):
    """What a person making slides would object to, as readable lines."""
    W, H = fig.bbox.width, fig.bbox.height
    boxes = drawn_text_boxes(fig) + [(s.text, s.extent()) for s in sprites]
    bad = [f"outside the canvas: {t!r}" for t, (x0, y0, x1, y1) in boxes
           if x0 < -0.5 or y0 < -0.5 or x1 > W + 0.5 or y1 > H + 0.5]
    bad += [f"overlap: {a!r} and {b!r}" for (a, A), (b, B) in itertools.combinations(boxes, 2)
            if overlap(A, B)]
    bars = [cb.ax.get_window_extent() for p in panels for cb in p.bars]
    bars = [(b.x0, H - b.y1, b.x1, H - b.y0) for b in bars]
    for p in panels:
        for top, bottom, left, right in p.tiles:
            tile = (left - 1, top - 1, right + 1, bottom + 1)      # with its frame
            if top < 0 or left < 0 or bottom > H or right > W:
                bad.append(f"tile cut off by the canvas: {tile}")
            bad += [f"tile under a text: {t!r}" for t, B in boxes if overlap(tile, B)]
            bad += [f"tile under a colour bar: {tile}" for B in bars if overlap(tile, B)]
    return bad


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("which", ["spiral", "image", "conv"])
def test_film_frame_text_fits(size, which, spirals, image_run, conv_image_run):
    run = {"spiral": spirals[0], "image": image_run, "conv": conv_image_run}[which]
    fr = FrameRenderer(run, DrawOptions.create(size=size))
    fr.frame_at(len(run.snapshots) - 1)
    problems = layout_problems(fr.fig, [fr.title], [fr.panel])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("which", ["spiral", "image"])
def test_first_frame_note_fits(size, which, spirals, image_run):
    """The note on a change film's blank first frame stays on the canvas and
    off every other text."""
    run = spirals[0] if which == "spiral" else image_run
    fr = FrameRenderer(run, DrawOptions.create(size=size, color="change"))
    fr.frame_at(0)
    assert fr.panel.note.shown
    problems = layout_problems(fr.fig, [fr.title] + fr.panel.note.sprites, [fr.panel])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("which", ["spiral", "image", "conv"])
def test_side_by_side_video_text_fits(size, which, spirals, image_run, conv_image_run):
    runs = {"spiral": spirals, "image": [image_run, image_run],
            "conv": [conv_image_run, image_run]}[which]
    cr = CompareRenderer(runs, DrawOptions.create(size=size))
    cr.frame(cr.timeline()[-1])
    problems = layout_problems(cr.fig, [cr.title] + cr.labels, cr.panels)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("size", [(16, 16), (64, 64), (200, 120), (300, 2000), (4000, 300)],
                         ids=lambda s: f"{s[0]}x{s[1]}")
def test_any_accepted_size_draws(size, spirals, image_run):
    """Frames too small or too oddly shaped for a slide are cramped, not a traceback."""
    o = DrawOptions.create(size=size)
    for run in (spirals[0], image_run):
        assert FrameRenderer(run, o).frame_at(0).shape == (size[1], size[0], 4)
    CompareRenderer(spirals[:2], o).frame(0.0)
    CompareRenderer([image_run, image_run], o).frame(0.0)


@pytest.mark.parametrize("size", [None, (1280, 720), (1920, 1080)],
                         ids=lambda s: "default" if s is None else f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("which", ["spiral", "image", "conv"])
def test_static_figure_text_fits(size, which, spirals, image_run, conv_image_run, tmp_path,
                                 monkeypatch):
    """The static figure (default --sample auto, unit marks, count lines):
    every text inside, none over another. The figure is caught on its way
    to the real writer."""
    import weightlapse.viz.figure as figure
    run = {"spiral": spirals[0], "image": image_run, "conv": conv_image_run}[which]
    seen, write = {}, figure.write

    def keep(kind, path, fig, **kw):
        seen["fig"] = fig
        return write(kind, path, fig, **kw)
    monkeypatch.setattr(figure, "write", keep)
    figure.render_figure(run, tmp_path / "f.png", size=size, dpi=100)
    assert (tmp_path / "f.png").stat().st_size > 1000
    problems = layout_problems(seen["fig"], [], [])
    assert not problems, "\n".join(problems)
