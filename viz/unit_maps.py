"""What each hidden unit computes on 2-D data (issue 19): its output over the
input plane, drawn as a small heatmap (a "map") beside the unit.

One owner for the maps of every view (film, figure, comparison, report,
graph export):

- ``place(G, run)`` (from :func:`.drawn.build_drawn_graph`): for a run on
  2-D inputs with hidden layers, the grid the maps are computed on
  (``response_grid`` g x g points over ``response_extent``, the range the
  decision regions use) and each shown hidden unit's ``map`` box, left of
  the unit, in one to three zig-zag columns so a map can be taller than the
  units' spacing;
- ``set_ranges(G, run)``: the colour range per hidden layer, fixed for the
  film: -1..1 for tanh, 0..1 for sigmoid, 0..max for ReLU (the largest
  output of the layer's shown units over snapshots sampled over the run),
  -max..max otherwise;
- :class:`MapSource`: per snapshot, one forward pass of the grid through
  the snapshot's network (:func:`weightlapse.core.health_record.hidden_activations`),
  cut to the shown units; :class:`.values.ValueSource` caches and
  interpolates them with the other values (``DrawnValues.maps``);
- :class:`MapPainter`: draws the maps (films straight into the canvas,
  figures as images); ``draw_legend`` says what their colour means.

Colour: 0 white, negative purple, positive orange (kept apart from the
weights' blue and red); one-sided ranges (ReLU, sigmoid) use the
white-to-orange half.
"""
from __future__ import annotations

import numpy as np
from matplotlib.colorbar import ColorbarBase
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from .colors import LUT_SIZE, lut_index
from .decor import unit_radius

GRID = 24              # points per side of the grid the maps are computed on
NEG, POS = (0.37, 0.23, 0.60), (0.90, 0.45, 0.05)   # purple below 0, orange above
FRAME = 0.45           # grey of a map's frame and connector
MAX_SIDE = 0.12        # a map is at most this share of the panel's height
GAP_SHARE = 0.45       # the maps of a column take at most this share of its gap
MIN_SIDE = 4           # px; smaller maps are not drawn


def applies(run, sizes, grid_input) -> bool:
    """Whether a drawn graph of ``run`` carries unit maps: 2-D inputs (not an
    image), at least one hidden layer, a known activation, kept samples."""
    from weightlapse.core.layers import ACTIVATIONS
    if grid_input or sizes[0] != 2 or len(sizes) < 3:
        return False
    if run.settings.get("activation") not in ACTIVATIONS:
        return False
    return run.samples() is not None


def grid_points(extent, g):
    """(g*g, 2) points over ``extent`` = (x0, x1, y0, y1), row-major with y
    rising by row (row 0 at y0), as :func:`.sprites.region_grid` lays them."""
    x0, x1, y0, y1 = extent
    gx, gy = np.meshgrid(np.linspace(x0, x1, g), np.linspace(y0, y1, g))
    return np.c_[gx.ravel(), gy.ravel()]


def place(G, run, g=GRID):
    """Set the grid and the map boxes of G's shown hidden units (see the module)."""
    from .sprites import region_grid
    sizes = G.graph["sizes"]
    if G.graph["color"] == "difference":     # two runs' weights apart: no one network
        return
    if not applies(run, sizes, G.graph.get("image_shape") is not None):
        return
    X = run.samples()[0]
    G.graph.update(response_grid=int(g), response_extent=tuple(
        float(e) for e in region_grid(X, g)[1]), activation=run.settings["activation"],
        response_range=[None] * len(sizes), map_px=[0.0] * len(sizes))
    pw, ph = G.graph["panel_px"]
    xs = G.graph["x"]
    for l in range(1, len(sizes) - 1):
        units, pitch = G.graph["shown"][l], G.graph["pitch"][l]
        r = unit_radius(pitch)
        room = GAP_SHARE * (xs[l] - xs[l - 1]) * pw - r - 4
        best = (0.0, 1)
        for cols in (1, 2, 3):
            side = min(cols * pitch - 3 if len(units) > 1 else ph, room / cols - 3,
                       MAX_SIDE * ph)
            if side > best[0] * 1.15:
                best = (side, cols)
        side, cols = float(np.floor(best[0])), best[1]
        if side < MIN_SIDE:
            continue
        G.graph["map_px"][l] = side
        for o, u in enumerate(units):
            node = G.nodes[f"{l}:{u}"]
            x1 = xs[l] - (r + 4 + (o % cols) * (side + 3)) / pw
            node["map"] = (x1 - side / pw, node["y"] - 0.5 * side / ph, x1,
                           node["y"] + 0.5 * side / ph)
        if f"{l}:more" in G:   # under the lowest map, clear of it
            lowest = min(G.nodes[f"{l}:{u}"]["map"][1] for u in units)
            G.nodes[f"{l}:more"]["y"] = min(G.nodes[f"{l}:more"]["y"], lowest - 10 / ph)


class MapSource:
    """For a drawn graph ``G`` with maps (``g`` points a side, default its
    own): ``source(weights, biases)``: per layer l, None (inputs, outputs) or the
    (len(shown[l]), g, g) float32 outputs of the shown units of hidden
    layer l on the grid (``maps[l][o][r, c]``: unit ``shown[l][o]`` at
    x = c-th, y = r-th grid value, rows from the bottom)."""

    def __init__(self, G, g=None):
        from weightlapse.core.model import MLP
        self.g = g or G.graph["response_grid"]
        self.points = grid_points(G.graph["response_extent"], self.g)
        self.shown = G.graph["shown"]
        self.model = MLP(G.graph["sizes"], G.graph["activation"])   # weights set per call

    def __call__(self, weights, biases):
        self.model.set_weights(weights, biases)
        return responses(self.model, self.points, self.shown, self.g)


def responses(model, points, shown, g):
    """One forward pass of the g*g ``points`` (:func:`grid_points`) through
    ``model`` (an MLP): per layer None (inputs, outputs) or the hidden
    layer's units ``shown[l]`` as (len(shown[l]), g, g) float32 maps."""
    from weightlapse.core.health_record import hidden_activations
    acts = hidden_activations(model, points)
    return [None] + [np.ascontiguousarray(A[:, shown[l + 1]].T, np.float32).reshape(-1, g, g)
                     for l, A in enumerate(acts)] + [None]


def layer_range(activation, samples):
    """(lo, hi) colour range of a hidden layer from its map ``samples``."""
    if activation == "tanh":
        return (-1.0, 1.0)
    if activation == "sigmoid":
        return (0.0, 1.0)
    finite = [np.abs(s[np.isfinite(s)]) for s in samples]
    m = max((float(f.max()) for f in finite if f.size), default=0.0) or 1.0
    return (0.0, m) if activation == "relu" else (-m, m)


def set_ranges(G, run):
    """``response_range`` of G: per hidden layer (lo, hi), from the maps of
    the snapshots the gap scales are sampled from (fixed for the film)."""
    if "response_grid" not in G.graph:
        return
    from .drawn import scale_snapshots
    from .values import ValueSource
    src = ValueSource(G, run)
    maps = [src.at(int(i)).maps for i in scale_snapshots(G.graph["n_snapshots"])]
    L = len(G.graph["sizes"])
    G.graph["response_range"] = [None] + [
        layer_range(G.graph["activation"], [m[l] for m in maps]) for l in range(1, L - 1)
    ] + [None]


def share_ranges(graphs):
    """Runs drawn side by side: one range per hidden layer, the widest."""
    with_maps = [G for G in graphs if "response_grid" in G.graph]
    if len(with_maps) < 2 or len({len(G.graph["sizes"]) for G in with_maps}) > 1:
        return
    for l in range(1, len(with_maps[0].graph["sizes"]) - 1):
        rs = [G.graph["response_range"][l] for G in with_maps]
        lo, hi = min(r[0] for r in rs), max(r[1] for r in rs)
        for G in with_maps:
            G.graph["response_range"][l] = (lo, hi)


def write_responses(H, values):
    """Put each shown hidden unit's map (``values.maps``) on the copy ``H`` as
    ``response``: g lists of g floats, rows from the bottom (y rising)."""
    if values.maps is None:
        return
    for l, M in enumerate(values.maps):
        if M is None:
            continue
        for o, u in enumerate(H.graph["shown"][l]):
            H.nodes[f"{l}:{u}"]["response"] = M[o].astype(float).tolist()


def lut():
    """(LUT_SIZE, 3) float32: purple, white at the middle, orange."""
    t = np.linspace(-1, 1, LUT_SIZE)[:, None]
    end = np.where(t < 0, np.array(NEG), np.array(POS))
    return (1 - np.abs(t) + np.abs(t) * end).astype(np.float32)


def map_index(values, rng):
    """LUT indices of map values on the range (lo, hi): 0 in the middle
    (white). A one-sided range (lo = 0) goes by the square root of
    value / hi, so a ReLU unit's small outputs are told from its zeros.
    Not-a-number (a diverged run) is white."""
    hi = max(abs(rng[0]), abs(rng[1]), 1e-12)
    values = np.nan_to_num(values, nan=0.0, posinf=hi, neginf=-hi)   # a diverged run
    if rng[0] >= 0:
        values = np.sqrt(np.clip(values * np.float32(1 / hi), 0, 1)) * np.float32(hi)
    return lut_index(values, hi)


def map_rgb(values, rng, table):
    """Colours (..., 3) of map values on the range (lo, hi) (:func:`map_index`)."""
    return table[map_index(values, rng)]


class MapPainter:
    """The maps of a DrawnPanel: ``update(values)``, then for films
    ``paint(buffer)`` writes them (bilinear from the grid), their frames and
    connectors to the units into the canvas; for figures (``fast=False``)
    they are images and lines that ``savefig`` draws."""

    def __init__(self, ax, G, radius, fast, feature=False):
        """``feature``: a conv run's feature maps (:mod:`.feature_maps`: boxes
        ``fmap`` right of the units, a grid per column, no connector)."""
        self.G, self.fast = G, fast
        self.lut = lut()
        box, px, rng = ("fmap", "fmap_px", "fmap_range") if feature else \
            ("map", "map_px", "response_range")
        self.ranges = G.graph[rng]
        self.layers = [l for l in range(len(G.graph["sizes"]))
                       if G.graph[px][l] and self.ranges[l]]
        grids = G.graph["fmap_grid"] if feature else \
            [G.graph["response_grid"]] * len(G.graph["sizes"])
        fig = ax.get_figure(root=True)
        bbox, H = ax.get_window_extent(), fig.bbox.height
        grey = (FRAME,) * 3
        self.rects, self.images, self.links, self.resample = {}, {}, [], {}
        for l in self.layers:
            rects, g = [], grids[l]
            for u in G.graph["shown"][l]:
                node = G.nodes[f"{l}:{u}"]
                x0, y0, x1, y1 = node[box]
                left = int(round(bbox.x0 + x0 * bbox.width))
                top = int(round(H - (bbox.y0 + y1 * bbox.height)))
                rects.append((top, left))
                ux = bbox.x0 + node["x"] * bbox.width - radius[l] - 1
                row = int(round(H - (bbox.y0 + node["y"] * bbox.height)))
                if not feature:      # a 2-D map's connector to its unit, on its right
                    self.links.append((row, int(round(bbox.x0 + x1 * bbox.width)) + 1,
                                       int(round(ux))))
                if not fast:
                    self.images.setdefault(l, []).append(ax.imshow(
                        np.ones((g, g, 3)), extent=(x0, x1, y0, y1), origin="lower",
                        interpolation="bilinear", zorder=2.5, aspect="auto"))
                    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fc="none", ec=grey,
                                           lw=0.5, zorder=2.6))
                    if not feature:
                        ax.add_line(Line2D([x1, node["x"]], [node["y"]] * 2, color=grey,
                                           lw=0.5, zorder=2.4))
            self.rects[l] = rects
            side = int(round(G.graph[px][l] * bbox.height / G.graph["panel_px"][1]))
            self.resample[l] = (_bilinear(1 - (np.arange(side) + 0.5) / side, g),
                                _bilinear((np.arange(side) + 0.5) / side, g))

    def update(self, values):
        self.values = values
        if not self.fast and values.maps is not None:
            for l in self.layers:
                rgb = map_rgb(values.maps[l], self.ranges[l], self.lut)
                for im, c in zip(self.images[l], rgb):
                    im.set_data(c)

    def paint(self, buffer):
        """Draw the maps of the values last given to ``update`` into ``buffer``."""
        maps = self.values.maps
        if maps is None:
            return
        Hb, Wb = buffer.shape[:2]
        grey = int(FRAME * 255)
        for row, a, b in self.links:
            if 0 <= row < Hb:
                buffer[row, max(a, 0):min(b, Wb), :3] = grey
        for l in self.layers:
            (iy, fy), (ix, fx) = self.resample[l]
            M = maps[l]
            V = M[:, iy] * (1 - fy)[:, None] + M[:, iy + 1] * fy[:, None]    # (n, s, g)
            V = V[:, :, ix] * (1 - fx) + V[:, :, ix + 1] * fx                 # (n, s, s)
            rgb = (map_rgb(V, self.ranges[l], self.lut) * 255 + 0.5).astype(np.uint8)
            s = rgb.shape[1]
            for k, (t, x0) in enumerate(self.rects[l]):
                ct, cb, cl, cr = max(t - 1, 0), min(t + s + 1, Hb), max(x0 - 1, 0), \
                    min(x0 + s + 1, Wb)
                if cb <= ct or cr <= cl:
                    continue
                buffer[ct:cb, cl:cr, :3] = grey                             # the frame
                it, il = max(t, 0), max(x0, 0)
                ib, ir = min(t + s, Hb), min(x0 + s, Wb)
                if ib > it and ir > il:
                    buffer[it:ib, il:ir, :3] = rgb[k, it - t:ib - t, il - x0:ir - x0]


def _bilinear(t, g):
    """Lower grid index and upper weight for positions ``t`` in [0, 1]."""
    u = np.clip(t, 0, 1) * (g - 1)
    i = np.minimum(u.astype(np.intp), g - 2)
    return i, (u - i).astype(np.float32)


def legend_text(G) -> str:
    """What a map's colour means, with each hidden layer's range."""
    act = G.graph["activation"]
    ranges = G.graph["response_range"]
    names = [G.graph["layer_labels"][l].split("\n")[0] for l in range(len(ranges))]
    if act in ("tanh", "sigmoid"):
        lo, hi = next(r for r in ranges if r)
        span = f"{_num(lo)} .. {_num(hi)}"
    else:
        lo = "0" if act == "relu" else "\u2212max"
        span = f"{lo} .. max (" + ", ".join(f"{n}: {_num(r[1])}" for n, r in
                                               zip(names, ranges) if r) + ")"
    feats = G.graph.get("feature_names") or ("x0", "x1")
    return (f"maps: unit output over the input plane ({feats[0]} across, {feats[1]} up), "
            f"{span}")


def _num(v):
    from .decor import fmt_scale
    return ("\u2212" if v < 0 else "") + fmt_scale(abs(v)) if v else "0"


def draw_legend(fig, G, fontsize, x, y, bar_px=70):
    """A colour bar and ``legend_text`` centred at (x, y) (figure fractions):
    what the maps' colours mean. Nothing without maps."""
    from .decor import pt
    if "response_grid" not in G.graph or not any(G.graph["map_px"]):
        return None
    rng = next(r for r in G.graph["response_range"] if r)
    table = lut()
    one_sided = rng[0] >= 0
    cmap = ListedColormap(map_rgb(np.linspace(0, 1, LUT_SIZE // 2), (0, 1), table)
                          if one_sided else table)
    text = legend_text(G)
    renderer = fig.canvas.get_renderer()
    t = fig.text(0, y, text, fontsize=pt(fontsize), va="center", ha="left", color="0.2")
    tw = t.get_window_extent(renderer).width
    W, H = fig.bbox.width, fig.bbox.height
    left = x * W - (bar_px + 6 + tw) / 2
    t.set_x((left + bar_px + 6) / W)
    cax = fig.add_axes([left / W, y - 3.5 / H, bar_px / W, 7 / H])
    cb = ColorbarBase(cax, cmap=cmap, norm=Normalize(0 if one_sided else -1, 1),
                      orientation="horizontal", ticks=[])
    cb.outline.set_linewidth(0.5)
    return t
