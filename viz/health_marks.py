"""Dead and saturated units marked on a drawn network (issue 18), for the
film and the figure: the states come from :mod:`.unit_health`, the one owner
of what "dead" and "saturated" mean.

- a dead unit is drawn hollow: white inside a thick grey ring, whatever its bias;
- a saturated unit keeps its bias colour and gets a dark ring around it;
- each hidden layer's label gains a line with its count over all of its
  units ("12 dead", "3 saturated") at the frame's snapshot.

:class:`UnitMarks` is made by a :class:`~.painter.DrawnPanel` given a
:class:`~.unit_health.UnitHealth`; the panel calls :meth:`UnitMarks.at`
before recolouring its units, :meth:`UnitMarks.faces` as it does, and
:meth:`UnitMarks.paint` after drawing them (films).
"""
from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from .decor import pt

HOLLOW_FACE = (1.0, 1.0, 1.0)
HOLLOW_EDGE = (0.55, 0.55, 0.55, 1.0)
RING = (0.1, 0.1, 0.1, 1.0)


def hollow_width_pt(radius_px, dpi) -> float:
    """The grey ring of a dead unit: a third of its radius, at least 1.2 px."""
    return max(0.33 * radius_px, 1.2) * 72 / dpi


class UnitMarks:
    def __init__(self, panel, health):
        self.panel, self.health = panel, health
        self.fast, ax, G = panel.fast, panel.ax, panel.G
        self.index = None
        self.layers = {}             # l -> (scatter, shown indices, base edge, base widths)
        self.rings = {}
        dpi = panel.dpi
        for l in range(1, len(G.graph["sizes"]) - 1):
            sc = panel.nodes[l]
            if sc is None or not hasattr(sc, "set_facecolor"):
                continue            # a compact column: only the count says it
            idx = np.asarray(G.graph["shown"][l])
            n = len(idx)
            ec = np.broadcast_to(sc.get_edgecolor(), (n, 4)).copy() if len(
                sc.get_edgecolor()) else np.zeros((n, 4))
            lw = np.broadcast_to(sc.get_linewidths(), (n,)).astype(float).copy() if len(
                sc.get_linewidths()) else np.zeros(n)
            self.layers[l] = (sc, idx, ec, lw)
            if health.marks == "saturated":
                r = panel.radius[l]
                ring_px = max(1.0, 0.22 * r)
                rr = r + max(1.5, 0.3 * r) + ring_px / 2
                xy = sc.get_offsets()
                ring = ax.scatter(xy[:, 0], xy[:, 1], s=(2 * rr * 72 / dpi) ** 2,
                                  facecolors="none", edgecolors=[RING],
                                  linewidths=ring_px * 72 / dpi, zorder=3.5,
                                  animated=self.fast)
                ring.set_offsets(np.empty((0, 2)))
                self.rings[l] = (ring, xy)
        self.hollow_pt = {l: hollow_width_pt(panel.radius[l], dpi) for l in self.layers}

    # -- per frame -----------------------------------------------------------
    def at(self, position):
        """Take the marks of the snapshot a frame at ``position`` shows."""
        i = self.health.index(position)
        if i == self.index:
            return
        self.index = i
        states = self.health.at(i)
        self.dead, self.sat = {}, {}
        for l, (sc, idx, ec, lw) in self.layers.items():
            st = states[l - 1]
            dead, sat = st.dead[idx], st.saturated[idx]
            self.dead[l] = dead
            e, w = ec.copy(), lw.copy()
            e[dead], w[dead] = HOLLOW_EDGE, self.hollow_pt[l]
            sc.set_edgecolor(e)
            sc.set_linewidths(w)
            if l in self.rings:
                ring, xy = self.rings[l]
                ring.set_offsets(xy[sat] if sat.any() else np.empty((0, 2)))

    def faces(self, l, rgb):
        """Layer l's face colours with its dead units hollow."""
        dead = self.dead.get(l) if self.index is not None else None
        if dead is None or not dead.any():
            return rgb
        rgb = np.array(rgb, copy=True)
        rgb[dead, :3] = HOLLOW_FACE
        return rgb

    def paint(self):
        for ring, _ in self.rings.values():
            if len(ring.get_offsets()):
                self.panel.ax.draw_artist(ring)

    def label(self, l) -> str:
        return self.health.label(l, self.index if self.index is not None else -1)


def legend_handles(marks, fontsize):
    """Legend handles (a hollow or a ringed unit) and texts for ``marks``."""
    from .unit_health import legend_entries
    out = []
    ms = pt(fontsize) * 0.9
    for mark, text in legend_entries(marks):
        if mark == "dead":
            h = Line2D([], [], ls="none", marker="o", ms=ms, mfc="white",
                       mec=HOLLOW_EDGE, mew=max(ms * 0.22, 1.0))
        else:      # a coloured unit inside a dark ring
            h = (Line2D([], [], ls="none", marker="o", ms=ms, mfc=(0.84, 0.38, 0.30),
                        mec="0.25", mew=0.6),
                 Line2D([], [], ls="none", marker="o", ms=ms * 1.75, mfc="none", mec=RING,
                        mew=max(ms * 0.15, 0.8)))
        out.append((h, text))
    return out


class CountLabels:
    """The count line under each hidden layer's label ("12 dead"). Films
    draw it each frame under the label in the saved background; figures
    add it to the label as its last line. ``bottom_px``: where the lowest
    count line ends, in canvas pixels from the top (for what goes under)."""

    def __init__(self, panel, marks, fontsize, label_texts):
        self.marks, self.fast = marks, panel.fast
        fig = panel.ax.get_figure(root=True)
        W, H = fig.bbox.width, fig.bbox.height
        renderer = fig.canvas.get_renderer()
        self.items = []
        self.bottom_px = 0.0
        n = len(panel.G.graph["sizes"])
        for l in range(1, n - 1):
            if l >= len(label_texts):
                break
            text = label_texts[l]
            b = text.get_window_extent(renderer)
            size = pt(fontsize)
            top = H - b.y0 + 1
            if not self.fast:       # a last line of the label: it ends a line lower
                self.items.append((l, text, text.get_text()))
                self.bottom_px = max(self.bottom_px, top + 1.2 * size * fig.dpi / 72)
                continue
            from .sprites import TextSprite
            sprite = TextSprite((W, H), fig.dpi, b.x0 / W + b.width / W / 2, 1 - top / H,
                                size, width=max(b.width * 1.6, 8 * size) / W, bold=False)
            self.items.append((l, sprite, None))
            self.bottom_px = max(self.bottom_px, top + 1.2 * size * fig.dpi / 72)

    def draw(self, buffer=None):
        for l, item, base in self.items:
            text = self.marks.label(l)
            if self.fast:
                item.draw(buffer, text)
            else:
                item.set_text(f"{base}\n{text}" if text else base)


def legend_items(marks, strips, fontsize):
    """(handle, text) of the health legend: the unit marks, and the strips
    when there are any."""
    items = legend_handles(marks, fontsize)
    if strips:
        from matplotlib.patches import Patch
        from .ratio_strip import BAND_COLOR, LEGEND
        items.append((Patch(fc=BAND_COLOR, ec="0.6", lw=0.5), LEGEND))
    return items


def legend_columns(items, width_px, fontsize, dpi) -> int:
    """Entries per row so that the legend fits ``width_px`` (1 if none does)."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties
    r = RendererAgg(10, 10, dpi)
    font = FontProperties(size=pt(fontsize))
    widths = [r.get_text_width_height_descent(t, font, ismath=False)[0] +
              3.2 * pt(fontsize) * dpi / 72 for _, t in items]
    for ncol in range(len(items), 1, -1):
        rows = [widths[k:k + ncol] for k in range(0, len(widths), ncol)]
        if max(sum(r) for r in rows) <= width_px:
            return ncol
    return 1


def draw_legend(fig, items, x, y, fontsize, ncol):
    """The health legend centred at figure fraction ``x``, its bottom at ``y``."""
    from matplotlib.legend_handler import HandlerTuple
    if not items:
        return None
    return fig.legend([h for h, _ in items], [t for _, t in items], loc="lower center",
                      bbox_to_anchor=(x, y), ncol=ncol, frameon=False, fontsize=pt(fontsize),
                      handlelength=1.3, handletextpad=0.5, columnspacing=1.4,
                      borderaxespad=0, borderpad=0,
                      handler_map={tuple: HandlerTuple(ndivide=1)})


def strip_legend() -> str:
    from .ratio_strip import LEGEND
    return LEGEND
