"""Drawing the sample (:mod:`.sample`) in a drawn network panel: the input
image in the input grid (or a table row's values at the input units), each
shown hidden unit filled by its activation, each output by its class
probability, with a bar beside its class name, and one legend per column
under the layer names saying what the fills mean.

``SamplePaint(panel, fontsize, legends=True)`` is made by :class:`~.painter.DrawnPanel`
when its graph carries a sample; ``update(values)`` recolours the units and
``paint(buffer)`` draws the bars of a film frame straight into the canvas.
The input and the legends are still: they are drawn once, into the film's
saved background.
"""
from __future__ import annotations

import numpy as np
from matplotlib.colorbar import ColorbarBase
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle

from .colors import LUT_SIZE
from .decor import pt

# Activations in orange (purple below 0), kept apart from the weights' blue and
# red: the colours of the 2-D unit maps (their one owner: unit_maps).
from .unit_maps import NEG, POS  # noqa: E402
_T = np.linspace(-1, 1, LUT_SIZE)[:, None]
SIGNED = ListedColormap(1 - np.abs(_T) + np.abs(_T) * np.where(_T < 0, NEG, POS),
                        name="wl_signed")              # purple < 0 (white) < orange
ACTIVE = ListedColormap(SIGNED.colors[LUT_SIZE // 2:].repeat(2, axis=0),
                        name="wl_active")              # 0..max: white to orange
INPUT = "gray_r"         # an image as it is drawn on paper: ink dark
BAR_RGB = (np.array(POS) * 255 + 0.5).astype(np.uint8)       # the probability bars
TRACK = "0.9"


def table(lo):
    """(LUT_SIZE, 3) float32 colours of a range starting at ``lo``."""
    cmap = SIGNED if lo < 0 else ACTIVE
    return cmap(np.linspace(0, 1, LUT_SIZE))[:, :3].astype(np.float32)


def input_scale(G) -> float:
    """A table row's fill scale: its largest |value| (symmetric)."""
    return float(max(np.abs(np.asarray(G.graph["sample_input"])).max(), 1e-12))


def _index(values, lo, hi):
    x = (np.asarray(values, np.float64) - lo) / max(hi - lo, 1e-12)
    return np.clip(x * (LUT_SIZE - 1) + 0.5, 0, LUT_SIZE - 1).astype(np.intp)


class SamplePaint:
    def __init__(self, panel, fontsize, legends=True):
        self.panel, G = panel, panel.G
        self.G, self.ax, self.fast = G, panel.ax, panel.fast
        g = G.graph
        self.scales = g["sample_scales"]
        self.last = len(g["sizes"]) - 1
        self.classify = self.scales[-1] == (0.0, 1.0)
        self.luts = [None] + [table(lo) for lo, _ in self.scales[1:]]
        from .unit_maps import lut
        self.maps = lut() if g.get("response_grid") else None   # the maps' colours
        self.shown = [np.asarray(s, np.intp) for s in g["shown"]]
        self._draw_input()
        self._build_bars(fontsize)
        counts = getattr(panel, "counts", None)      # unit marks' count lines, if any
        self.legends = draw_legends(self.ax, G, fontsize,
                                    counts.bottom_px if counts else None) if legends else []

    # -- still ---------------------------------------------------------------
    def _draw_input(self):
        G, x = self.G, np.asarray(self.G.graph["sample_input"], np.float64)
        lo, hi = float(min(x.min(), 0.0)), float(max(x.max(), 1e-12))
        if "0:grid" in G:       # the image, over the grid
            x0, y0, x1, y1 = G.nodes["0:grid"]["box"]
            self.ax.imshow(x.reshape(G.graph["image_shape"]), cmap=INPUT, vmin=lo, vmax=hi,
                           extent=(x0, x1, y0, y1), interpolation="nearest", aspect="auto",
                           zorder=1.5)
            self.ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fc="none", ec="0.45",
                                        lw=0.8, zorder=1.6))     # the grid's frame, over it
            return
        sc = self.panel.nodes[0]
        if G.graph.get("sample_at_inputs") == "values" and sc is not None and \
                hasattr(sc, "set_facecolor"):        # a table row: each feature's value
            s = input_scale(G)
            sc.set_facecolor(table(-1)[_index(x[self.shown[0]], -s, s)])

    def _build_bars(self, fontsize):
        """A bar right of each output's class name, as long as its probability."""
        self.bars = []
        sc = self.panel.nodes[self.last]
        if not self.classify or sc is None or not hasattr(sc, "set_facecolor"):
            return
        G, ax = self.G, self.ax
        fig = ax.get_figure(root=True)
        renderer = fig.canvas.get_renderer()
        font = FontProperties(size=pt(fontsize * 0.9))
        names = G.graph["class_names"] or []
        from .labels import short
        label_px = max((renderer.get_text_width_height_descent(short(n), font, False)[0]
                        for n in names), default=0)
        r = self.panel.radius[self.last]
        W = fig.bbox.width
        self.bar_len = float(np.clip(0.035 * W, 18, 64))
        bbox = ax.get_window_extent()
        out_x = bbox.x0 + G.graph["x"][self.last] * bbox.width
        room = bbox.x1 + 0.04 * W - (out_x + r + 9 + label_px)   # not into a panel beside
        self.bar_len = min(self.bar_len, room)
        if self.bar_len < 18:       # too short to read: the fills say it alone
            return
        ys = [G.nodes[f"{self.last}:{u}"]["y"] for u in self.shown[self.last]]
        pitch = abs(ys[0] - ys[1]) * ax.get_window_extent().height if len(ys) > 1 else 20
        h = float(np.clip(0.35 * pitch, 2, 7))
        Hf = fig.bbox.height
        for u in self.shown[self.last]:
            n = G.nodes[f"{self.last}:{u}"]
            px, py = ax.transData.transform((n["x"], n["y"]))
            left = px + r + 4 + label_px + 5
            ax.add_patch(Rectangle(ax.transData.inverted().transform((left, py - h / 2)),
                                   self.bar_len / ax.get_window_extent().width,
                                   h / ax.get_window_extent().height, fc=TRACK, ec="none",
                                   transform=ax.transData, clip_on=False, zorder=2))
            rows = (int(round(Hf - py - h / 2)), int(round(Hf - py + h / 2)))
            fill = None
            if not self.fast:
                fill = ax.add_patch(Rectangle(
                    ax.transData.inverted().transform((left, py - h / 2)), 0,
                    h / ax.get_window_extent().height, fc=BAR_RGB / 255, ec="none",
                    clip_on=False, zorder=2.5))
            self.bars.append((int(round(left)), rows, fill))

    # -- per frame -----------------------------------------------------------
    def update(self, values):
        """Fill the hidden and output units from the values' activations."""
        self.acts = acts = values.acts
        if acts is None:
            return
        for l in range(1, self.last + 1):
            sc = self.panel.nodes[l]
            if l == self.last and not self.classify:
                continue            # a regression's outputs keep their bias colours
            if sc is not None and hasattr(sc, "set_facecolor"):
                lo, hi = self.scales[l]
                if self.maps is not None and l < self.last:     # 2-D data: as its map is
                    from .unit_maps import map_rgb
                    sc.set_facecolor(map_rgb(acts[l][self.shown[l]], (lo, hi), self.maps))
                else:
                    sc.set_facecolor(self.luts[l][_index(acts[l][self.shown[l]], lo, hi)])
        if not self.fast and self.bars:
            p = acts[self.last][self.shown[self.last]]
            w = self.bar_len / self.ax.get_window_extent().width
            for (_, _, fill), q in zip(self.bars, p):
                fill.set_width(w * float(np.clip(q, 0, 1)))

    def paint(self, buffer):
        """The probability bars of a film frame, into the canvas ``buffer``."""
        if not self.bars or self.acts is None:
            return
        p = self.acts[self.last][self.shown[self.last]]
        H, W = buffer.shape[:2]
        for (left, (top, bottom), _), q in zip(self.bars, p):
            n = int(round(self.bar_len * float(np.clip(q, 0, 1))))
            t, b = max(top, 0), min(bottom, H)
            if n > 0 and b > t and left < W:
                buffer[t:b, left:min(left + n, W), :3] = BAR_RGB


def draw_legends(ax, G, fontsize, below_px=None):
    """Under each column, below its layer name, one row saying what the
    units' fills mean: "value −2.1 [bar] 2.1" under a table's inputs,
    "activation 0 [bar] 2.3" under the hidden columns (per layer, fixed for
    the film; the word once) and "probability 0 [bar] 100%" under a
    classifier's outputs. One text row high, so that it fits above the
    caption of a 640x360 frame; as wide as the columns' spacing allows."""
    if G.graph.get("response_grid"):
        return []      # 2-D data: the unit maps' legend gives these colours already
    fig = ax.get_figure(root=True)
    bbox = ax.get_window_extent()
    scales = G.graph["sample_scales"]
    last = len(scales) - 1
    size = pt(fontsize * 0.85)
    px = fig.dpi / 72
    renderer = fig.canvas.get_renderer()

    def width(text):
        return renderer.get_text_width_height_descent(text, FontProperties(size=size),
                                                      ismath=False)[0]
    # Under the two-line layer names (at -0.015 of the panel, top-aligned), or
    # under the count lines of the unit marks (``below_px`` from the top).
    mid = bbox.y0 - 0.015 * bbox.height - 2 * 1.2 * pt(fontsize) * px - 0.6 * size * px - 2
    if below_px:
        mid = min(mid, fig.bbox.height - below_px - 0.6 * size * px - 2)
    h = float(np.clip(0.55 * size * px, 5, 9))
    bar = float(np.clip(0.05 * fig.bbox.width, 28, 96))
    FW, FH = fig.bbox.width, fig.bbox.height
    entries = []                                    # (column, low, high, word, high text)
    if G.graph.get("sample_at_inputs") == "values":
        s = input_scale(G)
        word = "standardised" if G.graph.get("sample_standardised") else "value"
        entries.append((0, -s, s, word, f"{s:.2g}"))
    for l in range(1, last + 1):
        lo, hi = scales[l]
        if l == last:
            if (lo, hi) == (0.0, 1.0):
                entries.append((l, lo, hi, "probability", "100%"))
        else:           # the word once, by the first hidden column
            entries.append((l, lo, hi, "activation" if l == 1 else "", f"{hi:.2g}"))
    xs = [bbox.x0 + x * bbox.width for x in G.graph["x"]]
    arts = []
    from .frame import caption                    # its lines: under every picture
    lines = caption(G).count("\n") + 1
    if mid - h / 2 < 0.012 * FH + lines * 1.3 * size * px + 2:
        return arts     # no room above the caption (comparisons side by side)
    end = -np.inf                   # the right end of the legend to the left
    for l, lo, hi, word, right_text in entries:
        room = min([abs(xs[l] - xs[k]) for k in (l - 1, l + 1) if 0 <= k < len(xs)] or [FW])
        cx = xs[l]
        # Centred under its column, and clear of the legend to its left: where
        # columns stand close (a conv run's last columns), it moves right as
        # far as it still reaches its column, dropping its word if need be.
        for say in ((word, "") if word else ("",)):
            left_text = (say + " " if say else "") + \
                ("0" if lo == 0 else f"{lo:.2g}".replace("-", "\u2212"))
            texts = width(left_text) + width(right_text) + 8
            b = float(np.clip(0.92 * room - texts, 12, bar))   # never into the next column's
            start = max(cx - (texts + b) / 2, end + 10, 3.0)       # inside the canvas
            start = max(min(start, bbox.x1 - texts - b), end + 10, 3.0)   # and the panel
            if start <= cx and start + texts + b <= bbox.x1 + 1:
                break
        end = start + texts + b
        x0 = start + width(left_text) + 4
        cax = fig.add_axes([x0 / FW, (mid - h / 2) / FH, b / FW, h / FH])
        cb = ColorbarBase(cax, cmap=SIGNED if lo < 0 else ACTIVE,
                          norm=Normalize(lo, hi), orientation="horizontal", ticks=[])
        cb.outline.set_linewidth(0.5)
        for x, text, ha in ((-4, left_text, "right"), (b + 4, right_text, "left")):
            arts.append(cax.annotate(text, xy=(0, 0.5), xycoords="axes fraction",
                                     xytext=(x / px, 0), textcoords="offset points", ha=ha,
                                     va="center", fontsize=size, color="0.2"))
        arts.append(cb)
    return arts


def caption(G) -> str:
    """The caption's words for the sample, or "" without one."""
    if G.graph.get("sample") is None:
        return ""
    out = "; outputs: its class probabilities" if G.graph["sample_scales"][-1] == (0.0, 1.0) \
        else ""
    at = G.graph.get("sample_at_inputs")
    if at is None:        # 2-D data: the inputs stay as they are; say where the point is
        names = G.graph.get("feature_names") or ["x0", "x1"]
        where = ", ".join(f"{n} {v:.2g}" for n, v in zip(names, G.graph["sample_input"]))
        if G.graph.get("sample_standardised"):
            where = "standardised " + where
        return f"units: activation on held-out point {G.graph['sample']} ({where}){out}"
    shown = "image" if at == "image" else "row"
    how = ", standardised" if G.graph.get("sample_standardised") else ""
    if any(G.graph.get("fmap_px") or ()):    # a conv run: each channel's map beside it
        how += "; right of each channel: its map on it"
    return (f"units: activation on held-out {shown} {G.graph['sample']} "
            f"(drawn at the inputs{how}){out}")
