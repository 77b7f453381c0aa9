"""A fast edge rasteriser for video frames.

Drawing 25,408 edges as matplotlib artists takes about a second a frame; this
draws them in milliseconds, by exploiting how a layered network looks. Every
edge into node j is a straight segment from its input's position, and inputs
are ordered down their column; so within one pixel column, the inputs whose
segments touch a given pixel row form a *contiguous* range ``lo <= i < hi``.
Which ranges, for every (column, node, row), depends only on the layout and
is computed once. Per frame, a cumulative sum down each node's incoming
weights turns every range into one subtraction: a pixel's total is
``C[hi] - C[lo]`` whatever the number of edges crossing it.

Overlapping translucent edges compose order-independently: each edge has an
optical depth ``-log(1 - opacity)``, depths add, and a pixel's colour is the
depth-weighted mean of its edges' weights (weighted blended transparency).
Edges are opaque in proportion to |w|, so strong edges dominate.
"""
from __future__ import annotations

import numpy as np

from .colors import LUT_SIZE


class EdgeField:
    """Rasterises all edges of a layered network into an (H, W) RGB panel.

    gaps: per pair of consecutive layers drawn here, ``((xa, ya), (xb, yb))``
    in panel pixels (x right, y down, ys increasing). The field is computed at a resolution ``factor`` (1, 1/2 or
    1/4: the largest whose per-frame work stays under ``max_work`` range sums)
    and each field pixel then covers factor^-2 panel pixels; at that density
    (thousands of edges) the picture is a texture, and a 2x2 block is finer
    than any line in it.
    """

    def __init__(self, gaps, shape, line_width=1.0, max_work=1.2e6, max_opacity=0.9):
        self.shape = shape
        self.max_opacity = max_opacity
        H, W = shape
        # Range sums per frame at full resolution: for each node, each pixel
        # column between the layers, about half the input column's height.
        work = sum(len(yb) * (xb - xa) * (np.ptp(ya) / 2 + line_width + 1)
                   for (xa, ya), (xb, yb) in gaps)
        self.factor = next((f for f in (1.0, 0.5, 0.25) if work * f * f <= max_work), 0.25)
        f = self.factor
        self.k = int(round(1 / f))
        self.fshape = (-(-H // self.k), -(-W // self.k))
        # A line `line_width` px wide covers this fraction of a field pixel.
        self.coverage = min(1.0, line_width * f)
        pix, lo, hi = [], [], []
        self.offsets = [0]
        for (xa, ya), (xb, yb) in gaps:
            p, l, h = _gap_tables(xa * f, np.asarray(ya) * f, xb * f, np.asarray(yb) * f,
                                  self.fshape, 0.5, self.offsets[-1])
            pix.append(p), lo.append(l), hi.append(h)
            self.offsets.append(self.offsets[-1] + (len(ya) + 1) * len(yb))
        pix = np.concatenate(pix)
        order = np.argsort(pix, kind="stable")  # sequential writes in bincount
        self.pix = pix[order].astype(np.intp)
        self.lo = np.concatenate(lo)[order].astype(np.intp)
        self.hi = np.concatenate(hi)[order].astype(np.intp)
        self.work = len(self.pix)
        # Sorted by pixel: each pixel's terms are one run, summed by reduceat.
        self.starts = np.flatnonzero(np.r_[True, self.pix[1:] != self.pix[:-1]]) \
            if self.work else np.zeros(0, np.intp)
        self.upix = self.pix[self.starts]
        # Scratch reused every frame: fresh arrays of this size cost more in
        # page faults than the arithmetic done in them.
        self._C = np.empty(self.offsets[-1], np.complex64)
        self._S, self._S2 = np.empty(self.work, np.complex64), np.empty(self.work, np.complex64)
        self._sum = np.empty(len(self.upix), np.complex64)
        self._field = np.zeros(self.fshape[0] * self.fshape[1], np.complex64)
        n = self._field.size
        self._f = [np.empty(n, np.float32) for _ in range(2)]
        self._i = [np.empty(n, np.intp) for _ in range(2)]
        self._words = np.empty(self.fshape, np.uint32)
        self._table_key = None

    def _accumulate(self, weights, scale, masks):
        """The field as one complex number per pixel (depth + i weighted sum),
        in scratch that the next call overwrites."""
        C = self._C
        for k, Wl in enumerate(weights):
            wn = np.clip(np.asarray(Wl, np.float32) * np.float32(1 / scale), -1, 1)
            depth = -np.log1p(-np.float32(self.max_opacity * self.coverage) * np.abs(wn))
            if masks is not None:
                depth = depth * masks[k]
            n_in, n_out = Wl.shape
            block = C[self.offsets[k]:self.offsets[k + 1]].reshape(n_in + 1, n_out)
            block[0] = 0
            np.cumsum(depth + 1j * (depth * wn), axis=0, out=block[1:])
        if self.work:
            S, S2 = self._S, self._S2
            np.take(C, self.hi, out=S)
            np.take(C, self.lo, out=S2)
            np.subtract(S, S2, out=S)
            np.add.reduceat(S, self.starts, out=self._sum)
            self._field[self.upix] = self._sum      # other pixels stay 0
        return self._field

    def render(self, weights, scale, lut, background, masks=None, out=None):
        """(H, W, 3) uint8: the edges composited over a plain ``background``
        colour (RGB floats in [0, 1]); written into ``out`` (an (H, W, 4)
        RGBA uint8 view, such as part of the canvas buffer) when given."""
        field = self._accumulate(weights, scale, masks)
        key = (lut.tobytes(), tuple(np.asarray(background, float)))
        if key != self._table_key:
            self._table, self._table_key = _blend_table(lut, background), key
        # Colour index: the depth-weighted mean of w / scale; opacity index: 1 - e^-depth.
        depth, mean = self._f
        mi, oi = self._i
        np.maximum(field.real, 1e-9, out=depth)
        np.divide(field.imag, depth, out=mean)
        np.multiply(mean, 0.5 * (LUT_SIZE - 1), out=mean)
        np.add(mean, 0.5 * LUT_SIZE, out=mean)           # |mean| <= 1: in range
        np.copyto(mi, mean, casting="unsafe")
        np.multiply(mi, OPACITY_LEVELS, out=mi)
        np.negative(field.real, out=depth)
        np.exp(depth, out=depth)
        np.multiply(depth, -(OPACITY_LEVELS - 1), out=depth)
        np.add(depth, OPACITY_LEVELS - 0.5, out=depth)   # (1 - e^-depth) x levels, rounded
        np.copyto(oi, depth, casting="unsafe")
        np.add(mi, oi, out=mi)
        np.take(self._table, mi, out=self._words.reshape(-1))
        H, W = self.shape
        if out is None:
            return self._write(np.empty((H, W, 4), np.uint8))[..., :3]
        return self._write(out)

    def _write(self, out):
        """Each field pixel fills a k x k block of ``out`` (H, W, 4 uint8)."""
        H, W = self.shape
        k, img = self.k, self._words
        words = out.view(np.uint32).reshape(H, W)
        m, n = H // k, W // k
        words[:m * k, :n * k].reshape(m, k, n, k)[...] = img[:m, None, :n, None]
        if m * k < H:
            words[m * k:, :n * k] = np.repeat(img[m:m + 1, :n], k, axis=1)
        if n * k < W:
            words[:, n * k:] = np.repeat(img[:, n:n + 1], k, axis=0)[:H]
        return out


OPACITY_LEVELS = 256


def _blend_table(lut, background):
    """RGBA words (opaque) for colour index m and opacity level o at
    ``m * OPACITY_LEVELS + o``: the colour over ``background`` at o / (levels - 1)."""
    bg = np.asarray(background, np.float64)
    o = np.arange(OPACITY_LEVELS) / (OPACITY_LEVELS - 1)
    rgb = bg + (np.asarray(lut, np.float64)[:, None, :] - bg) * o[None, :, None]
    rgba = np.empty(rgb.shape[:2] + (4,), np.uint8)
    rgba[..., :3] = np.clip(rgb * 255 + 0.5, 0, 255)
    rgba[..., 3] = 255
    return rgba.view(np.uint32).reshape(-1)


def _gap_tables(xa, ya, xb, yb, shape, half, c_offset):
    """Index tables for the edges between two layers (see the module doc)."""
    H, W = shape
    n_out = len(yb)
    cols = np.arange(max(int(np.floor(xa)), 0), min(int(np.ceil(xb)), W))
    t0 = np.clip((cols - xa) / (xb - xa), 0, 1)
    t1 = np.clip((cols + 1 - xa) / (xb - xa), 0, 1)
    pix, lo, hi = [], [], []
    for j in range(n_out):
        ya0 = ya[None, :] + t0[:, None] * (yb[j] - ya[None, :])
        ya1 = ya[None, :] + t1[:, None] * (yb[j] - ya[None, :])
        lower = np.minimum(ya0, ya1) - half
        upper = np.maximum(ya0, ya1) + half
        for ci, c in enumerate(cols):
            r0 = max(int(np.floor(lower[ci, 0])), 0)
            r1 = min(int(np.ceil(upper[ci, -1])), H)
            if r1 <= r0:
                continue
            rows = np.arange(r0, r1)
            # rows overlap [lower_i, upper_i] for i in [l, h): both bounds increase with i
            l = np.searchsorted(upper[ci], rows, side="right")
            h = np.searchsorted(lower[ci], rows + 1, side="left")
            keep = h > l
            pix.append(rows[keep] * W + c)
            lo.append(c_offset + l[keep] * n_out + j)
            hi.append(c_offset + h[keep] * n_out + j)
    if not pix:
        return (np.zeros(0, np.intp),) * 3
    return np.concatenate(pix), np.concatenate(lo), np.concatenate(hi)
