"""The film's line rasteriser (viz/lines.py) against a pixel-by-pixel
evaluation of its definition, and against matplotlib's own drawing."""
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from weightlapse.viz.colors import LUT_SIZE, lut
from weightlapse.viz.lines import OPACITY_STEPS, LineRaster


def brute_force(segs, shape, widths, opacity, values, under, L):
    """Each pixel, each line: coverage clip(w/2 + 0.5 - d, 0, 1) (a line under
    1 px drawn 1 px wide at w x its opacity); the most opaque line wins."""
    H, W = shape
    out = under.astype(float).copy()
    for r in range(H):
        for c in range(W):
            best, colour = 0.0, None
            for (p, q), w, o, v in zip(segs, widths, opacity, values):
                p, q = np.asarray(p, float), np.asarray(q, float)
                x = np.array([c + 0.5, r + 0.5])
                L2 = np.dot(q - p, q - p)
                t = np.clip(np.dot(x - p, q - p) / L2, 0, 1) if L2 else 0.0
                d = np.hypot(*(x - (p + t * (q - p))))
                cov = np.clip(max(w, 1) / 2 + 0.5 - d, 0, 1)
                a = np.floor(o * min(w, 1) * OPACITY_STEPS * np.float32(cov)) / OPACITY_STEPS
                if a > best:
                    i = int(np.clip(v * 0.5 * (LUT_SIZE - 1) + 0.5 * LUT_SIZE, 0, LUT_SIZE - 1))
                    best, colour = a, L[i] * 255
            if colour is not None:
                out[r, c, :3] = out[r, c, :3] + (colour - out[r, c, :3]) * best
    return out


def test_line_raster_equals_its_definition_pixel_by_pixel():
    rng = np.random.default_rng(5)
    H, W = 24, 40
    segs = [((2.3, 3.1), (37.5, 20.2)), ((1.0, 20.0), (38.0, 2.0)), ((5.5, 11.0), (30.0, 11.4)),
            ((20.0, 1.0), (21.0, 23.0)), ((10.0, 5.0), (10.0, 5.0))]     # steep, and a dot
    widths = np.array([0.4, 1.0, 2.6, 1.7, 3.0], np.float32)
    opacity = np.array([0.9, 0.5, 1.0, 0.7, 0.6], np.float32)
    values = np.array([1.0, -1.0, 0.3, -0.6, 0.0], np.float32)
    under = rng.integers(0, 256, (H, W, 4)).astype(np.uint8)
    L = lut()
    raster = LineRaster(segs, (H, W), max_width=3.0)
    got = raster.render(under.copy(), widths, opacity, values, L)
    want = brute_force(segs, (H, W), widths, opacity, values, under, L)
    np.testing.assert_allclose(got[..., :3], want[..., :3], atol=1.01)
    assert (got[..., 3] == under[..., 3]).all()                   # alpha left alone
    assert (got != under).any(axis=-1).sum() > 200                # it drew something


def test_an_opaque_line_has_its_colour_inside_and_nothing_beyond_its_reach():
    L = lut()
    image = np.full((20, 60, 4), 255, np.uint8)
    raster = LineRaster([((5.0, 10.0), (55.0, 10.0))], (20, 60), max_width=4.0)
    raster.render(image, [3.0], [1.0], [1.0], L)
    np.testing.assert_allclose(image[9:11, 10:50, :3], np.broadcast_to(L[-1] * 255, (2, 40, 3)),
                               atol=1.01)                         # rows 8.5..11.5 covered
    assert (image[:7] == 255).all() and (image[13:] == 255).all()
    assert (image[:, :3] == 255).all() and (image[:, 58:] == 255).all()


def test_line_raster_draws_where_matplotlib_draws():
    """Same lines, same widths: the pixels each marks overlap almost exactly
    (the rasteriser's coordinates are Agg's, y down)."""
    rng = np.random.default_rng(1)
    W, H = 300, 200
    a = np.c_[np.full(12, 40.0), np.linspace(20, 180, 12)]
    b = np.c_[np.full(5, 260.0), np.linspace(40, 160, 5)]
    i, j = np.divmod(np.arange(60), 5)
    segs = np.stack([a[i], b[j]], axis=1)
    widths_pt = rng.uniform(0.4, 2.0, 60)
    fig = Figure(figsize=(W / 100, H / 100), dpi=100)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_axis_off()
    ax.set_xlim(0, W)
    ax.set_ylim(H, 0)                          # data coordinates are pixels, y down
    ax.add_collection(LineCollection(segs, colors="k", linewidths=widths_pt))
    canvas.draw()
    agg = np.asarray(canvas.buffer_rgba())[..., 0] < 128
    image = np.full((H, W, 4), 255, np.uint8)
    LineRaster(segs, (H, W), 2.0 * 100 / 72).render(
        image, widths_pt * 100 / 72, np.ones(60), -np.ones(60), np.zeros((LUT_SIZE, 3)))
    ours = image[..., 0] < 128
    assert (agg & ours).sum() / (agg | ours).sum() > 0.9        # 0.97 when written


def test_a_film_whose_lines_need_big_tables_draws_them_with_matplotlib(tmp_path, monkeypatch):
    """Past MAX_TERMS (about 120 MB of tables) the film keeps matplotlib's
    lines: slower, but the same picture."""
    import weightlapse as wl
    from weightlapse.viz import lines
    from weightlapse.viz.frame import FrameRenderer
    from weightlapse.viz.draw_options import DrawOptions
    run = wl.train(dataset="spiral", hidden=[8], epochs=3, out=tmp_path)
    opts = DrawOptions.create(size=(640, 360))
    ours = FrameRenderer(run, opts)
    assert ours.panel.raster is not None and ours.panel.lines is None
    a = ours.frame_at(len(run.snapshots) - 1)[..., :3].astype(int)
    monkeypatch.setattr(lines, "MAX_TERMS", 1000)
    theirs = FrameRenderer(run, opts)
    assert theirs.panel.raster is None and theirs.panel.lines is not None
    b = theirs.frame_at(len(run.snapshots) - 1)[..., :3].astype(int)
    inked_a, inked_b = (np.abs(x - 255).max(-1) > 60 for x in (a, b))
    assert inked_b.sum() > 2000
    assert (inked_a & inked_b).sum() / (inked_a | inked_b).sum() > 0.85
