"""Antialiased straight lines for video frames, rasterised with NumPy.

Matplotlib's Agg renders a line in time proportional to the scanlines it
spans, and a layer gap's lines are long and steep: 320 lines between 32 and
10 units cost about 11 ms a frame, whatever their width. Here the geometry
is fixed for the film, so every pixel a line can touch (at its widest) and
its distance from the line are computed once; per frame only widths, opacities
and colours change, and a frame costs a few array passes over those pixels.

A pixel's coverage by a line of width w at distance d from it is the box
filter ``clip(w/2 + 0.5 - d, 0, 1)``, which gives round caps at the ends; a
line thinner than a pixel is drawn 1 px wide and w times as opaque. Where
lines cross, a pixel shows the line most opaque there (opacity x coverage),
as if the lines had been drawn weakest first: the strong lines, which are
also the wide and saturated ones, stay whole where they cross. (Averaging
the crossing lines' values instead would turn a red line crossing a blue one
white.)
"""
from __future__ import annotations

import numpy as np

from .colors import LUT_SIZE, lut_index


MAX_TERMS = 2_000_000   # (line, pixel) pairs: about 60 bytes each while building
OPACITY_STEPS = 2 ** 15 - 1
COLOUR_BITS = 8           # LUT_SIZE = 2 ** COLOUR_BITS colours


class LineRaster:
    """Lines ``segments`` ((n, 2, 2) pixel coordinates in an (H, W) image,
    x right, y down, pixel centres at +0.5) at most ``max_width`` px wide
    (a scalar or one per line)."""

    @staticmethod
    def fits(segments, max_width, limit=None):
        """Whether the lines touch few enough pixels (at most ``limit``,
        default MAX_TERMS, counted with a pixel per line for overlaps) for
        their tables to stay small; else draw them with matplotlib."""
        segs = np.asarray(segments, np.float64).reshape(-1, 2, 2)
        reach = np.maximum(max_width, 1.0) / 2 + 0.5
        length = np.hypot(*(segs[:, 1] - segs[:, 0]).T)
        return float(np.sum((length + 2 * reach) * (2 * reach + 1))) <= (limit or MAX_TERMS)

    def __init__(self, segments, shape, max_width):
        segs = np.asarray(segments, np.float64).reshape(-1, 2, 2)
        n = len(segs)
        reach = np.broadcast_to(np.maximum(max_width, 1.0) / 2 + 0.5, (n,))
        H, W = shape
        pix, seg, dist = [], [], []
        for k in range(n):
            p, d = _pixels_near(segs[k], reach[k], H, W)
            pix.append(p), dist.append(d), seg.append(np.full(len(p), k, np.int32))
        pix = np.concatenate(pix) if n else np.zeros(0, np.intp)
        seg = np.concatenate(seg) if n else np.zeros(0, np.intp)
        dist = np.concatenate(dist) if n else np.zeros(0)
        # Order the terms in layers: layer r holds the r-th line of every pixel
        # crossed by more than r lines, pixels ascending. A pixel's maximum is
        # then one elementwise maximum per layer (a few dozen), far cheaper
        # than numpy's reduceat over a hundred thousand short runs.
        by_pixel = np.argsort(pix, kind="stable")
        self.upix, first, counts = np.unique(pix[by_pixel], return_index=True,
                                             return_counts=True)
        rank = np.arange(len(pix)) - np.repeat(first, counts)
        position = np.repeat(np.arange(len(self.upix)), counts)
        order = np.lexsort((position, rank))
        self.seg = seg[by_pixel][order].astype(np.intp)
        self.dist = dist[by_pixel][order].astype(np.float32)
        position, rank = position[order], rank[order]
        bounds = np.searchsorted(rank, np.arange(counts.max(initial=0) + 1))
        self.layers = [(bounds[r], bounds[r + 1], position[bounds[r]:bounds[r + 1]])
                       for r in range(1, len(bounds) - 1)]
        # Scratch reused every frame: fresh arrays of this size cost more in
        # page faults than the arithmetic done in them.
        m, k = len(self.seg), len(self.upix)
        self._cov, self._key, self._tmp = (np.empty(m, np.float32) for _ in range(3))
        self._best, self._words = np.empty(k, np.float32), np.empty(k, np.uint32)
        self._f = [np.empty(k, np.float32) for _ in range(2)]
        self._i = [np.empty(k, np.int32) for _ in range(2)]

    def render(self, image, widths, opacity, values, lut):
        """Composite the lines over ``image`` ((H, W, 4) uint8, C-contiguous,
        changed in place): ``widths`` px, ``opacity`` in [0, 1] and
        ``values`` in [-1, 1] (the colour map's range), one each per line."""
        if not len(self.seg):
            return image
        w = np.asarray(widths, np.float32)
        cov, key, tmp = self._cov, self._key, self._tmp
        np.take(np.maximum(w, 1) / 2 + 0.5, self.seg, out=cov)
        np.subtract(cov, self.dist, out=cov)
        np.clip(cov, 0, 1, out=cov)
        # Each term's key: its opacity (15 bits) above the line's colour index
        # (8 bits), exact in a float32; a pixel shows the line of its largest key.
        line_opacity = np.clip(opacity, 0, 1) * np.minimum(w, 1)   # thin: 1 px and fainter
        np.take((line_opacity * OPACITY_STEPS).astype(np.float32), self.seg, out=key)
        np.multiply(key, cov, out=key)
        np.floor(key, out=key)
        np.multiply(key, LUT_SIZE, out=key)
        np.take(lut_index(values, 1.0).astype(np.float32), self.seg, out=tmp)
        np.add(key, tmp, out=key)
        top = self._best
        top[:] = key[:len(top)]                    # layer 0: every pixel once
        for a, b, at in self.layers:
            here = top[at]
            np.maximum(here, key[a:b], out=here)
            top[at] = here
        best, colour = self._i
        np.copyto(best, top, casting="unsafe")
        np.bitwise_and(best, LUT_SIZE - 1, out=colour)
        np.right_shift(best, COLOUR_BITS, out=best)
        keep, u = self._f
        np.multiply(best, -1 / OPACITY_STEPS, out=keep)
        np.add(keep, 1, out=keep)                          # 1 - opacity
        # One 32-bit word per RGBA pixel: a gather and a scatter, not 2-D fancy indexing.
        words = image.reshape(-1).view(np.uint32)
        np.take(words, self.upix, out=self._words)
        chans = self._words.view(np.uint8).reshape(-1, 4)
        for c in range(3):       # colour x opacity + what was under x (1 - opacity)
            np.take(lut[:, c] * 255, colour, out=tmp[:len(u)])
            np.copyto(u, chans[:, c])
            np.subtract(u, tmp[:len(u)], out=u)
            np.multiply(u, keep, out=u)
            np.add(u, tmp[:len(u)], out=u)
            np.add(u, 0.5, out=u)
            np.copyto(chans[:, c], u, casting="unsafe")
        words[self.upix] = self._words
        return image


def _pixels_near(seg, reach, H, W):
    """Flat indices of the pixels whose centres lie within ``reach`` of the
    segment, and those distances. Walks the segment's longer axis."""
    (x0, y0), (x1, y1) = seg
    swap = abs(y1 - y0) > abs(x1 - x0)
    if swap:                       # walk rows instead of columns
        x0, y0, x1, y1 = y0, x0, y1, x1
        H, W = W, H
    if x1 < x0:
        x0, y0, x1, y1 = x1, y1, x0, y0
    slope = (y1 - y0) / (x1 - x0) if x1 > x0 else 0.0
    span = reach * np.hypot(1.0, slope)          # vertical reach of the band
    cols = np.arange(max(int(np.floor(x0 - reach)), 0), min(int(np.ceil(x1 + reach)), W))
    yc = y0 + (np.clip(cols + 0.5, x0, x1) - x0) * slope
    r0 = np.maximum(np.floor(yc - span - reach).astype(np.intp), 0)
    r1 = np.minimum(np.ceil(yc + span + reach).astype(np.intp), H)
    counts = np.maximum(r1 - r0, 0)
    c = np.repeat(cols, counts)
    r = np.repeat(r0 - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    d = _distance(c + 0.5, r + 0.5, x0, y0, x1, y1)
    keep = d < reach
    c, r, d = c[keep], r[keep], d[keep]
    if swap:
        c, r = r, c
        H, W = W, H
    return r * W + c, d


def _distance(px, py, x0, y0, x1, y1):
    """Distance from points to the segment (x0, y0)-(x1, y1)."""
    dx, dy = x1 - x0, y1 - y0
    L2 = dx * dx + dy * dy
    t = np.clip(((px - x0) * dx + (py - y0) * dy) / L2, 0, 1) if L2 > 0 else 0.0
    return np.hypot(px - (x0 + t * dx), py - (y0 + t * dy))
