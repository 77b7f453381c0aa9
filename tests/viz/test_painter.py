"""viz/painter.py directly: DrawnPanel colours lines, units and tiles from
the values on each gap's scale, in figures (matplotlib artists) and in films
(painted into the canvas buffer)."""
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from weightlapse.viz.colors import lut, lut_index
from weightlapse.viz.draw_options import DrawOptions
from weightlapse.viz.drawn import ValueSource, build_drawn_graph
from weightlapse.viz.painter import DrawnPanel


@pytest.fixture(scope="module")
def run(tmp_path_factory, train_spiral):
    return train_spiral(tmp_path_factory.mktemp("painter"), "p", hidden=[6, 5], epochs=8)


def panel(G, fast, size=(8, 5)):
    fig = Figure(figsize=size, dpi=100)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes([0.05, 0.1, 0.9, 0.75])
    p = DrawnPanel(ax, G, 9, fast=fast)
    return fig, canvas, ax, p


def test_figure_lines_and_units_take_their_gaps_colours(run):
    G = build_drawn_graph(run, DrawOptions.create(edges="all"))
    v = ValueSource(G, run).at(-1)
    fig, canvas, ax, p = panel(G, fast=False)
    p.update(v)
    L, scales = lut(), G.graph["scales"]
    # every edge of the three gaps, in gap order, coloured on its gap's scale
    values = np.concatenate([v.gaps[l].ravel() for l in range(3)])
    per = np.concatenate([np.full(v.gaps[l].size, scales[l]) for l in range(3)])
    rgba = p.lines.get_colors()
    np.testing.assert_allclose(rgba[:, :3], L[lut_index(values, per)], atol=1e-6)
    a = np.clip(np.abs(values) / per, 0, 1)
    np.testing.assert_allclose(rgba[:, 3], 0.22 + 0.78 * a, atol=1e-6)   # stronger, opaquer
    widths = p.lines.get_linewidths()
    assert widths[np.argmax(a)] > widths[np.argmin(a)]
    # hidden units' fill: their bias on the scale of the gap into them
    face = p.nodes[1].get_facecolors()[:, :3]
    np.testing.assert_allclose(face, L[lut_index(v.nodes[1], scales[0])], atol=1e-6)
    assert len(p.bars) == 3                            # one colour bar per gap


def test_global_scale_has_one_bar(run):
    G = build_drawn_graph(run, DrawOptions.create(scale="global"))
    assert len(set(G.graph["scales"])) == 1
    assert len(panel(G, fast=False)[3].bars) == 1


def test_film_paints_the_units_into_the_buffer(run):
    G = build_drawn_graph(run, DrawOptions.create())
    fig, canvas, ax, p = panel(G, fast=True)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    buf = np.asarray(canvas.buffer_rgba())
    src = ValueSource(G, run)
    L = lut()
    for i in (0, -1):
        canvas.restore_region(background)
        v = src.at(i)
        p.update(v)
        p.paint(buf)
        # the centre pixel of output unit 0 has its bias's colour
        node = G.nodes[f"3:{G.graph['shown'][3][0]}"]
        x, y = ax.transData.transform((node["x"], node["y"]))
        px = buf[int(round(fig.bbox.height - y)), int(round(x)), :3]
        want = L[lut_index(v.nodes[3][:1], G.graph["scales"][2])][0] * 255
        np.testing.assert_allclose(px, want, atol=3)
    assert p.raster is not None                      # films use the line rasteriser


def test_film_tiles_show_each_pixels_weight(image_run):
    G = build_drawn_graph(image_run, DrawOptions.create())
    fig, canvas, ax, p = panel(G, fast=True, size=(12.8, 7.2))
    canvas.draw()
    buf = np.asarray(canvas.buffer_rgba())
    v = ValueSource(G, image_run).at(-1)
    p.update(v)
    p.paint(buf)
    h, w = G.graph["image_shape"]
    top, bottom, left, right = p.tiles[0]
    tile = buf[top:bottom, left:right, :3]
    # the tile's first and last image pixel, scaled up nearest-neighbour
    L, s = lut(), G.graph["scales"][0]
    for (r, c), (pr, pc) in (((0, 0), (0, 0)), ((h - 1, w - 1), (-1, -1))):
        want = (L[lut_index(v.gaps[0][r * w + c, :1], s)][0] * 255 + 0.5).astype(np.uint8)
        np.testing.assert_array_equal(tile[pr, pc], want)
