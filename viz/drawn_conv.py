"""The conv part of the drawn graph (:mod:`.drawn`): how a convolutional run
(``run.is_conv``, its ``run.layers``: see core/rundir.py) is laid out as
columns of units, gaps and tiles.

Columns: the input image (its pixel grid), one column per conv layer whose
units are its output channels, then the dense layers' units. Gap l is the
run's parameter array ``W{l}``, so a conv run has as many gaps as arrays.

A conv layer is drawn as its filters: each shown channel carries its kernel
as a tile, left of its unit. The first conv layer's tile is its k x k kernel
(one per image channel, side by side); a later conv layer's tile is a
compact grid of k x k cells, one per input channel *shown in the column to
its left, in that column's order* (row by row), so a cell sits with the
unit it reads from. The first dense layer after the flattening carries its
incoming weights the same way: a grid of the pooled H x W maps of the shown
channels of the last conv layer. Cells are split by a one-pixel white line.

``tile_rows[l]`` (graph attribute) says which entries of a unit's
flattened incoming weights a tile gap's values hold (``W{l}`` seen as a
(fan-in, units) matrix: a kernel (O, C, k, k) flattened per output
channel, C-major), ``tile_maps[l]`` is the tile's picture as an int array
(rows, cols) of positions into ``tile_rows[l]``, -1 for the white lines;
``tile_cells[l]`` the input channels of the cells in order and
``tile_block[l]`` a cell's (h, w). A dense image input is the same with one
cell: its H x W pixels.
"""
from __future__ import annotations

import math

import numpy as np

from weightlapse.core.errors import ConfigError, arg

MAX_CELLS = 16        # at most this many input channels in one tile's grid
MAX_AUTO_TILED = 12   # units of a conv run's tile column shown by default
MAX_ALL_CHANNELS = 32  # --units all shows a tile column whole up to this many units


def is_conv(run) -> bool:
    return bool(getattr(run, "is_conv", False))


def same_architecture(a, b) -> bool:
    """Runs of the same layers (conv layers included): their units can be
    matched and their pictures share units and scales."""
    return list(a.sizes) == list(b.sizes) and \
        getattr(a, "layers", None) == getattr(b, "layers", None)


class ConvSpec:
    """The columns and gaps of a conv run's drawing.

    ``sizes``: units per column ([pixels, channels of each conv layer, dense
    widths...]); ``blocks[l]``: a tile cell's (h, w) for tile gaps, None for
    line gaps; ``in_shape``: the image (C, H, W); ``conv``: the conv layers."""

    def __init__(self, run):
        layers = run.layers
        self.conv = [L for L in layers if L["kind"] == "conv"]
        dense = [L for L in layers if L["kind"] == "dense"]
        self.in_shape = tuple(self.conv[0]["in_shape"])
        self.sizes = ([int(math.prod(self.in_shape))] + [L["out_channels"] for L in self.conv]
                      + [L["n_out"] for L in dense])
        last = self.conv[-1]["out_shape"]
        self.blocks = ([(L["kernel"], L["kernel"]) for L in self.conv] + [(last[1], last[2])]
                       + [None] * (len(dense) - 1))
        self.n_tile_gaps = len(self.conv) + 1

    def tile_gap(self, l) -> bool:
        return l < self.n_tile_gaps

    def cells(self, l, shown):
        """Input channels of gap l's tile cells: every image channel for the
        first conv layer, else the channels shown in column l (in its order),
        at most MAX_CELLS of them."""
        if l == 0:
            return list(range(self.in_shape[0]))
        return [int(c) for c in shown[l][:MAX_CELLS]]

    def check_units(self, units):
        """--units all keeps what is legible: a tile column of more than
        MAX_ALL_CHANNELS units is refused in one line."""
        if units != "all":
            return
        for l in range(1, self.n_tile_gaps + 1):
            n = self.sizes[l]
            if n > MAX_ALL_CHANNELS:
                what = (f"conv layer {l}" if l <= len(self.conv) else "the first dense layer")
                raise ConfigError(
                    f"{arg('units', 'all')}: {what} has {n} units, each drawn with its "
                    f"filter tile; more than {MAX_ALL_CHANNELS} are not legible; show the "
                    f"K most important with {arg('units', 'K')} (K <= {MAX_ALL_CHANNELS})")


def as_matrix(W) -> np.ndarray:
    """A parameter array as a (fan-in, units) matrix: a kernel (O, C, k, k)
    becomes (C * k * k, O) (a view); a dense (n_in, n_out) stays."""
    W = np.asarray(W)
    return W.reshape(W.shape[0], -1).T if W.ndim == 4 else W


def unit_matrices(Q, spec):
    """Per gap, a (units of column l, units of column l + 1) matrix of L2
    norms: of each kernel slice W[o, c] for conv layers, of each channel's
    block of rows for the flattened gap, the weights themselves after it.
    Unit importance (:func:`.select.importance`) reads these."""
    out = []
    for l, W in enumerate(Q):
        W = np.asarray(W, np.float64)
        if W.ndim == 4:
            out.append(np.sqrt((W ** 2).sum(axis=(2, 3))).T)
        elif l == len(spec.conv):          # flattened maps -> first dense layer
            C = spec.conv[-1]["out_shape"][0]
            out.append(np.sqrt((W.reshape(C, -1, W.shape[1]) ** 2).sum(axis=1)))
        else:
            out.append(W)
    return out


def incoming(Q, l, keep):
    """(len(keep), fan-in) incoming weights of units ``keep`` of column l + 1."""
    return as_matrix(Q[l])[:, keep].T


def tile_layout(cells, block):
    """(rows, map) of a tile whose cells are the input channels ``cells``,
    each a ``block`` (h, w) of the flattened fan-in: rows, the fan-in
    positions held (cell by cell, row-major); map, the picture (positions
    into rows, -1 on the white lines between cells)."""
    bh, bw = block
    n = len(cells)
    B = bh * bw
    rows = np.concatenate([c * B + np.arange(B) for c in cells])
    ncol = int(math.ceil(math.sqrt(n)))
    nrow = int(math.ceil(n / ncol))
    M = np.full((nrow * (bh + 1) - 1, ncol * (bw + 1) - 1), -1, np.intp)
    for o in range(n):
        r, c = divmod(o, ncol)
        M[r * (bh + 1):r * (bh + 1) + bh, c * (bw + 1):c * (bw + 1) + bw] = \
            o * B + np.arange(B).reshape(bh, bw)
    return rows, M


def tile_layouts(G, spec, shown, grid):
    """Per gap: ``tile_maps``, ``tile_rows``, ``tile_cells``, ``tile_block``
    (see above); None for gaps drawn as lines. A dense image
    input's one tile gap holds every pixel (``tile_rows`` None: the shown
    units of column 0, all of them)."""
    n = len(shown) - 1
    maps, rows, cells, blocks = [None] * n, [None] * n, [None] * n, [None] * n
    if spec:
        for l in range(spec.n_tile_gaps):
            cells[l] = spec.cells(l, shown)
            blocks[l] = tuple(spec.blocks[l])
            rows[l], maps[l] = tile_layout(cells[l], blocks[l])
            rows[l] = [int(r) for r in rows[l]]
    elif grid:
        h, w = G.graph["image_shape"]
        maps[0], cells[0], blocks[0] = np.arange(h * w).reshape(h, w), [0], (h, w)
    G.graph.update(tile_maps=maps, tile_rows=rows, tile_cells=cells, tile_block=blocks)


def place_tiles(G, layer, units, xs, pitch, panel_px, aspect, start, crisp=0):
    """Tile boxes of column ``layer``'s shown units, left of their unit,
    cycling through one to three columns (near to far) so that tiles may be
    taller than the units' spacing without overlapping; ``start``: the x
    they must stay right of; ``crisp``: the tile picture's rows, to make its
    height a whole multiple of them (every cell pixel the same size)."""
    pw, ph = panel_px
    room = (xs[layer] - start) * pw - 16          # px between the grid and the units
    best = (0.0, 1)
    for cols in (1, 2, 3):
        side = min(cols * pitch - 3, room / cols / aspect - 6, 84)
        if side > best[0] * 1.15:
            best = (side, cols)
    side, cols = best
    side = float(max(side - side % 1, 4))
    if crisp and side >= 2 * crisp and side % crisp <= 0.15 * side:
        side -= side % crisp
    for o, j in enumerate(units):
        node = G.nodes[f"{layer}:{j}"]
        col = o % cols
        x1 = xs[layer] - (10 + col * (side * aspect + 6)) / pw
        x0 = x1 - side * aspect / pw
        yc = node["y"]
        node["tile"] = (x0, yc - 0.5 * side / ph, x1, yc + 0.5 * side / ph)
    G.graph["tile_side"][layer - 1] = side
    more = f"{layer}:more"
    if more in G:   # under the lowest tile, clear of it
        lowest = min(G.nodes[f"{layer}:{j}"]["tile"][1] for j in units)
        G.nodes[more]["y"] = min(G.nodes[more]["y"], lowest - 10 / ph)
        G.nodes[more]["top"] = lowest - 7 / ph   # its label (and frame) hangs below this
        if crisp:   # a conv run: under its tiles, clear of the next column's label
            x0 = min(G.nodes[f"{layer}:{j}"]["tile"][0] for j in units)
            G.nodes[more]["x"] = 0.5 * (x0 + xs[layer])


def layer_labels(run, spec, activation):
    """Labels under the columns: "input 28×28\\n784 pixels", "conv 1\\n6 × 5×5
    relu", ..., "hidden 1\\n32 relu", "output\\n10"."""
    c, h, w = spec.in_shape
    names = [f"input {h}\u00d7{w}" + (f"\u00d7{c}" if c > 1 else "") + f"\n{spec.sizes[0]} pixels"]
    act = f" {activation}" if activation else ""
    for i, L in enumerate(spec.conv):     # pooling is in the film's subtitle
        k = L["kernel"]
        names.append(f"conv {i + 1}\n{L['out_channels']} \u00d7 {k}\u00d7{k}{act}")
    dense = spec.sizes[len(spec.conv) + 1:]
    names += [f"hidden {i + 1}\n{n}{act}" for i, n in enumerate(dense[:-1])]
    return names + [f"output\n{dense[-1]}"]


def tile_caption(G) -> str:
    """What a conv run's tiles show, for the caption under a picture."""
    n_conv = len(G.graph["conv"])
    dense = G.graph["layer_labels"][n_conv + 1].split("\n")[0]
    bh, bw = G.graph["tile_block"][n_conv]
    pooled = "pooled " if int(G.graph["conv"][-1].get("pool") or 1) > 1 else ""
    return (f"tiles: kernels (a cell per shown channel to the left, row by row); "
            f"{dense}: weights from each {pooled}{bh}\u00d7{bw} map")
