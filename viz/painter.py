"""Drawing a drawn graph (:mod:`.drawn`) in a matplotlib axes, one way for
film, figure and comparison.

``DrawnPanel(ax, G, fontsize, fast=True)`` makes every artist once; then per
frame ``update(values)`` recolours them from a :class:`~.values.DrawnValues`
and, for films (``fast``), ``paint(buffer)`` draws the changing parts over
the restored background: image tiles are written straight into the canvas
buffer, dense gaps and lines are rasterised (:mod:`.raster`, :mod:`.lines`),
and units are redrawn with ``draw_artist``. With ``fast=False`` (static
figures, vector formats) the same things are ordinary matplotlib artists and
``savefig`` draws them.

Colour stages: value -> value / gap scale (clipped to [-1, 1]) -> the
diverging colour map; a line's opacity and width grow with |value| / scale.
"""
from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection

from . import decor
from .colors import lut, lut_index
from .lines import LineRaster
from .raster import EdgeField
from .sample_paint import SamplePaint

INPUT_GREY = (0.6, 0.6, 0.6)
BG = (1.0, 1.0, 1.0)
MIN_GROWTH, MAX_GROWTH = 0.6, 3.2   # a line's width: its base width x 0.6..3.2 with |value|


class DrawnPanel:
    """``health``: a :class:`~.unit_health.UnitHealth` to mark dead and
    saturated units with (:mod:`.health_marks`), or None; ``sample_legends``:
    whether a sample's per-column legends are drawn under the labels (the
    side-by-side video leaves them to its caption)."""

    def __init__(self, ax, G, fontsize=9, fast=True, legends=True, labels=True, health=None,
                 sample_legends=True):
        self.ax, self.G, self.fast = ax, G, fast
        self.lut = lut()
        self.lut8 = (self.lut * 255 + 0.5).astype(np.uint8)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_axis_off()
        fig = ax.get_figure(root=True)
        self.dpi = fig.dpi
        bbox = ax.get_window_extent()
        self.bbox = bbox
        g = G.graph
        self.scales = np.asarray(g["scales"], np.float32)
        self.radius = self._radii(bbox)
        self._build_nodes()
        self._build_lines()
        self._build_tiles(fig, bbox)
        self._build_dense(fig, bbox)
        self.maps = None
        if G.graph.get("response_grid"):   # 2-D data: each hidden unit's map
            from .unit_maps import MapPainter
            self.maps = MapPainter(ax, G, self.radius, fast)
        elif any(G.graph.get("fmap_px") or ()):    # a conv run's channels on the sample
            from .unit_maps import MapPainter
            self.maps = MapPainter(ax, G, self.radius, fast, feature=True)
        self.label_texts = decor.draw_labels(ax, G, fontsize, self.radius) if labels else []
        decor.draw_grid(ax, G, fontsize)
        self.bars = decor.draw_gap_legends(ax, G, fontsize) if legends else []
        self.marks = self.counts = None
        if health is not None and health.marks:
            from .health_marks import CountLabels, UnitMarks
            self.marks = UnitMarks(self, health)
            if labels:
                self.counts = CountLabels(self, self.marks, fontsize, self.label_texts)
        self.sample = (SamplePaint(self, fontsize, legends and sample_legends)   # --sample: see sample_paint
                       if G.graph.get("sample") is not None else None)
        self.note = StartNote(self, fontsize) if G.graph["color"] in START_NOTES else None

    # -- built once ----------------------------------------------------------
    def _radii(self, bbox):
        """Unit radius in px per layer (:func:`.decor.unit_radius` of its spacing)."""
        out = {}
        for l, idx in enumerate(self.G.graph["shown"]):
            ys = [self.G.nodes[f"{l}:{i}"]["y"] for i in idx[:2] if f"{l}:{i}" in self.G]
            pitch = abs(ys[0] - ys[1]) * bbox.height if len(ys) == 2 else 40.0
            out[l] = decor.unit_radius(pitch)
        return out

    def _build_nodes(self):
        G, ax = self.G, self.ax
        self.nodes = []
        for l, idx in enumerate(G.graph["shown"]):
            if l == 0 and "0:grid" in G:
                self.nodes.append(None)
                continue
            xy = np.array([(G.nodes[f"{l}:{i}"]["x"], G.nodes[f"{l}:{i}"]["y"]) for i in idx])
            if self.radius[l] < 1.5:   # too dense for dots: a compact column
                ys = xy[:, 1]
                self.nodes.append(ax.plot([xy[0, 0]] * 2, [ys.min(), ys.max()], color=INPUT_GREY,
                                          lw=3, solid_capstyle="butt", zorder=3,
                                          animated=self.fast)[0])
                continue
            d_pt = 2 * self.radius[l] * 72 / self.dpi
            small = self.radius[l] < 3
            sc = ax.scatter(xy[:, 0], xy[:, 1], s=d_pt ** 2, c=[INPUT_GREY] * len(idx),
                            edgecolors="none" if small else "0.25",
                            linewidths=0 if small else 0.6, zorder=3, animated=self.fast)
            self.nodes.append(sc)

    def _build_lines(self):
        G = self.G
        segs, self.line_index, per_seg, per_alpha = [], [], [], []
        self.lines = self.raster = None
        for l, kind in enumerate(G.graph["gap_kind"]):
            if kind != "lines" and not (kind == "dense" and not self.fast):
                continue
            rows, cols = G.graph["shown"][l], G.graph["shown"][l + 1]
            mask = G.graph["masks"][l]
            r, c = (np.nonzero(mask) if mask is not None else
                    np.divmod(np.arange(len(rows) * len(cols)), len(cols)))
            a = np.array([(G.nodes[f"{l}:{rows[i]}"]["x"], G.nodes[f"{l}:{rows[i]}"]["y"])
                          for i in range(len(rows))])
            b = np.array([(G.nodes[f"{l + 1}:{cols[j]}"]["x"],
                           G.nodes[f"{l + 1}:{cols[j]}"]["y"]) for j in range(len(cols))])
            segs.append(np.stack([a[r], b[c]], axis=1))
            self.line_index.append((l, r, c))
            n = len(r)
            width = (1.4 if n <= 80 else 1.1 if n <= 150 else 0.6 if n <= 400 else 0.45 if n <= 2000
                     else 0.2)
            per_seg.append(np.full(n, width, np.float32))
            per_alpha.append(np.full(n, 0.03 if kind == "dense" else 0.22, np.float32))
        if not segs:
            return
        self.seg_width = np.concatenate(per_seg)
        self.seg_alpha = np.concatenate(per_alpha)   # faint where edges are dense
        self.seg_gain = np.where(self.seg_alpha < 0.1, 0.5, 0.78).astype(np.float32)
        self.seg_scale = np.concatenate([np.full(len(r), self.scales[l], np.float32)
                                         for l, r, _ in self.line_index])
        segs = np.concatenate(segs)
        if self.fast:   # films: our own rasteriser, far faster than Agg on long lines
            fig = self.ax.get_figure(root=True)
            px = self.ax.transData.transform(segs.reshape(-1, 2)).reshape(-1, 2, 2)
            px[..., 1] = fig.bbox.height - px[..., 1]          # rows from the top
            widest = self.seg_width * MAX_GROWTH * self.dpi / 72
            if LineRaster.fits(px, widest):
                self.raster = LineRaster(px, (int(fig.bbox.height), int(fig.bbox.width)),
                                         widest)
                return
        # Figures (vector formats too), and films whose lines would need big tables.
        self.lines = LineCollection(segs, capstyle="round", zorder=1, animated=self.fast)
        self.ax.add_collection(self.lines)

    def _build_tiles(self, fig, bbox):
        """Per tile gap (:mod:`.drawn_conv`): its tile rectangles in canvas
        pixels (rows from the top) and the nearest-neighbour index map that
        scales the tile's picture (``tile_maps``) to them (-1: white)."""
        G = self.G
        self.tiles, self.tile_sets = [], []
        H = fig.bbox.height
        for l, M in enumerate(G.graph.get("tile_maps") or []):
            if M is None:
                continue
            units = G.graph["shown"][l + 1]
            x0, y0, x1, y1 = G.nodes[f"{l + 1}:{units[0]}"]["tile"]
            th = max(int(round((y1 - y0) * bbox.height)) - 1, 1)   # inside the 1 px frame
            tw = max(int(round((x1 - x0) * bbox.width)) - 1, 1)
            rects, images = [], []
            for j in units:
                x0, y0, x1, y1 = G.nodes[f"{l + 1}:{j}"]["tile"]
                left = int(round(bbox.x0 + x0 * bbox.width)) + 1
                top = int(round(H - (bbox.y0 + y1 * bbox.height))) + 1
                rects.append((top, top + th, left, left + tw))
                if not self.fast:
                    images.append(self.ax.imshow(
                        np.ones(M.shape + (3,)), extent=(x0, x1, y0, y1),
                        interpolation="nearest", zorder=2, aspect="auto"))
            h, w = M.shape
            rows = np.minimum((np.arange(th) + 0.5) * h / th, h - 1).astype(np.intp)
            cols = np.minimum((np.arange(tw) + 0.5) * w / tw, w - 1).astype(np.intp)
            big = M[rows][:, cols]
            if l == 0:    # the first tile gap's scaling, as tests and tools read it
                self.tile_rows, self.tile_cols = rows, cols
            self.tiles += rects
            self.tile_sets.append({"gap": l, "rects": rects, "map": M, "big": big,
                                   "white": bool((M < 0).any()), "images": images})

    def _build_dense(self, fig, bbox):
        """Dense gaps (every edge of big layers) go to the fan rasteriser,
        cropped to the columns they span."""
        self.field = None
        dense = [l for l, k in enumerate(self.G.graph["gap_kind"]) if k == "dense"]
        if not dense or not self.fast:
            return
        G, H = self.G, fig.bbox.height
        xs = G.graph["x"]
        x0 = int(np.floor(bbox.x0 + min(xs[l] for l in dense) * bbox.width))
        x1 = int(np.ceil(bbox.x0 + max(xs[l + 1] for l in dense) * bbox.width)) + 1
        top, bottom = int(round(H - bbox.y1)), int(round(H - bbox.y0))
        px = []
        for l in range(len(xs)):
            ys = np.array([G.nodes[f"{l}:{i}"]["y"] for i in G.graph["shown"][l]])
            px.append((xs[l] * bbox.width + bbox.x0 - x0, (1 - ys) * bbox.height))
        self.dense = dense
        self.field_rect = (top, bottom, x0, x1)
        self.field = EdgeField([(px[l], px[l + 1]) for l in dense], (bottom - top, x1 - x0))

    # -- per frame -----------------------------------------------------------
    def update(self, values, position=None):
        """Recolour every artist from ``values`` (a DrawnValues); with unit
        marks, mark the units as at snapshot ``position`` (a float: the last
        snapshot at or before it)."""
        self.values = values
        marks = self.marks
        if marks is not None and position is not None:
            marks.at(position)
            if self.counts is not None and not self.fast:
                self.counts.draw()
        if self.line_index:
            v = np.concatenate([values.gaps[l][r, c] for l, r, c in self.line_index])
            a = np.clip(np.abs(v) / self.seg_scale, 0, 1)
            self.line_values = np.clip(v / self.seg_scale, -1, 1)
            rgba = self.line_rgba = np.empty((len(v), 4), np.float32)
            rgba[:, :3] = self.lut[lut_index(v, self.seg_scale)]
            # opacity 0.22..1 (0.03..0.53 where edges are dense)
            rgba[:, 3] = self.seg_alpha + self.seg_gain * a
            self.line_widths = self.seg_width * (MIN_GROWTH + (MAX_GROWTH - MIN_GROWTH) * a)
            if self.lines is not None:
                self.lines.set_color(rgba)
                self.lines.set_linewidth(self.line_widths)
        for l, sc in enumerate(self.nodes):
            if sc is not None and l > 0 and hasattr(sc, "set_facecolor"):
                rgb = self.lut[lut_index(values.nodes[l], self.scales[l - 1])]
                sc.set_facecolor(rgb if marks is None else marks.faces(l, rgb))
        if self.maps is not None:
            self.maps.update(values)
        if not self.fast:
            for ts in self.tile_sets:
                rgb = self._tile_colours(ts, values, self.lut)
                for k, im in enumerate(ts["images"]):
                    im.set_data(rgb[ts["map"], k])
        if self.sample is not None:
            self.sample.update(values)
        if self.note is not None:
            self.note.update(values)

    def _tile_colours(self, ts, values, table):
        """(rows + 1, units, 3) colours of a tile gap's values; the extra
        last row is white (index -1 of a tile map)."""
        l = ts["gap"]
        rgb = table[lut_index(values.gaps[l], self.scales[l])]
        if ts["white"]:
            white = np.full((1,) + rgb.shape[1:], 255 if rgb.dtype == np.uint8 else 1.0,
                            rgb.dtype)
            rgb = np.concatenate([rgb, white])
        return rgb

    def paint(self, buffer):
        """Draw the changing parts into the canvas ``buffer`` (H, W, 4)."""
        v = self.values
        H, W = buffer.shape[:2]
        for ts in self.tile_sets:
            rgb = self._tile_colours(ts, v, self.lut8)[ts["big"]]   # (th, tw, units, 3)
            for k, (t, b, x0, x1) in enumerate(ts["rects"]):   # clipped to the canvas
                ct, cb = max(t, 0), min(b, H, t + rgb.shape[0])
                cl, cr = max(x0, 0), min(x1, W, x0 + rgb.shape[1])
                if cb > ct and cr > cl:
                    buffer[ct:cb, cl:cr, :3] = rgb[ct - t:cb - t, cl - x0:cr - x0, k]
        if self.field is not None:
            top, bottom, x0, x1 = self.field_rect
            mats = [v.gaps[l] * np.float32(1 / self.scales[l]) for l in self.dense]
            self.field.render(mats, 1.0, self.lut, BG, out=buffer[top:bottom, x0:x1])
        if self.raster is not None:
            self.raster.render(buffer, self.line_widths * (self.dpi / 72),
                               self.line_rgba[:, 3], self.line_values, self.lut)
        elif self.lines is not None and self.fast:
            self.ax.draw_artist(self.lines)
        if self.maps is not None:
            self.maps.paint(buffer)
        if self.sample is not None:
            self.sample.paint(buffer)
        for sc in self.nodes:
            if sc is not None:
                self.ax.draw_artist(sc)
        if self.marks is not None:
            self.marks.paint()
            if self.counts is not None:
                self.counts.draw(buffer)
        if self.note is not None:
            self.note.paint(buffer)


# What a panel says while its quantity is zero everywhere (change and update
# at snapshot 0): a first frame that explains itself instead of a blank diagram.
START_NOTES = {"change": ("epoch 0:", "no change", "yet: W = W\u2080"),
               "update": ("epoch 0:", "no update", "yet")}


class StartNote:
    """Three short lines centred in the widest room between two columns, clear of
    their units, maps, input grid and tiles (over the blank tiles where no
    room between them fits the note at the smallest size), on a white box,
    shown while every drawn value is zero."""

    def __init__(self, panel, fontsize):
        self.panel, G = panel, panel.G
        self.lines = START_NOTES[G.graph["color"]]
        ax = panel.ax
        self.shown = False
        fig = ax.get_figure(root=True)
        pos = ax.get_position()
        W, H = int(fig.bbox.width), int(fig.bbox.height)
        from PIL import ImageFont
        from matplotlib.font_manager import FontProperties, findfont
        font = ImageFont.truetype(findfont(FontProperties()), 100)
        need = max(font.getlength(t) for t in self.lines) / 100 * fig.dpi / 72   # px per pt

        def room(tiles):
            a, b, l = widest_room(G, tiles)
            return a, b, ((b - a) * pos.width * W - 6     # px between the units
                          - panel.radius.get(l, 0) - panel.radius.get(l + 1, 0))
        a, b, px = room(True)                 # clear of the tiles where it fits
        if px < need * decor.MIN_PT:
            a, b, px = room(False)            # else over blank tiles
        x = 0.5 * (a + b)
        size = max(decor.MIN_PT, min(decor.pt(fontsize), px / need))   # smaller where narrow
        if not panel.fast:
            self.text = ax.text(x, 0.5, "\n".join(self.lines), ha="center", va="center",
                                fontsize=size, color="0.2", visible=False, zorder=5,
                                bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="none"))
            return
        from .sprites import TextSprite
        fx = pos.x0 + x * pos.width                        # the centre, figure units
        half = min(fx, 1 - fx)                             # as wide as keeps it centred
        line = 1.45 * size * fig.dpi / 72 / H             # a line's height (figure units)
        top = pos.y0 + 0.5 * pos.height + line * len(self.lines) / 2
        self.sprites = [TextSprite((W, H), fig.dpi, fx, top - k * line, size,
                                   width=2 * half, bold=False) for k in range(len(self.lines))]
        wide = max(s.font.getlength(t) for s, t in zip(self.sprites, self.lines)) + 4
        cx = fx * W
        self.back = (max(int(cx - wide / 2), 0), min(int(cx + wide / 2), W),
                     self.sprites[0].top - 2, self.sprites[-1].top + self.sprites[-1].box[1])

    def update(self, values):
        self.shown = all(not np.any(g) for g in values.gaps)
        if not self.panel.fast:
            self.text.set_visible(self.shown)

    def paint(self, buffer):
        if self.shown:
            x0, x1, t, b = self.back
            buffer[max(t, 0):b, x0:x1, :3] = 255
            for sprite, text in zip(self.sprites, self.lines):
                sprite.draw(buffer, text)


def widest_room(G, tiles=True):
    """(x0, x1, l) in panel units and gap: the widest span between two
    neighbouring columns, from the right edge of one (its units, maps, the
    input grid and, with ``tiles``, its tiles) to the left edge of the next.
    Without ``tiles`` they do not count: while the note shows, they are blank."""
    n = len(G.graph["sizes"])
    lo, hi = [1.0] * n, [0.0] * n
    for _, d in G.nodes(data=True):
        l = d["layer"]
        for box in (d.get("map"), d.get("box") if d["kind"] == "grid" else None,
                    d.get("tile") if tiles else None):
            if box is not None:
                lo[l], hi[l] = min(lo[l], box[0]), max(hi[l], box[2])
        lo[l], hi[l] = min(lo[l], d["x"]), max(hi[l], d["x"])
    rooms = [(lo[l + 1] - hi[l], hi[l], lo[l + 1], l) for l in range(n - 1)]
    return max(rooms)[1:]
