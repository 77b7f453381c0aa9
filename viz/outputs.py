"""The one owner of output files: which extension is which kind of output
and which writer writes it (a registry, in the spirit of matplotlib's
animation writers), and the checks of ``-o``, ``--dpi`` and ``--size``.

Every writer goes through :func:`weightlapse.core.io.atomic_path`: it fills a
temporary file named after its process, renamed into place when complete, and
an error names the file asked for, never the temporary one::

    write("figure", "final.svg", fig, dpi=200)

A writer is ``writer(obj, tmp_path, **options)``; register one with
``@writer("kind", ".ext", ...)``. The kinds and extensions are declared here
(so a path is checked before the module that draws it is even imported); a
kind's writer is imported when first used.
"""
from __future__ import annotations

import importlib
import math
from pathlib import Path

from weightlapse.core.errors import ConfigError, arg
from weightlapse.core.io import atomic_path, check_output_path

# kind -> (extensions, "module:function" of its writer)
KINDS = {
    "figure": ((".png", ".svg", ".pdf"), "weightlapse.viz.outputs:save_figure"),
    "video": ((".mp4", ".gif"), "weightlapse.viz.video:encode_video"),
    "graph": ((".graphml", ".gexf", ".json"), "weightlapse.viz.export:write_graph"),
    "page": ((".html", ".htm"), "weightlapse.viz.outputs:save_text"),
    "table": ((".csv", ".md"), "weightlapse.viz.outputs:save_text"),
    "predictions": ((".csv",), "weightlapse.viz.outputs:save_text"),
}
_WRITERS = {}
DPI_RANGE = (20, 600)
DEFAULT_DPI = {"figure": 200, "video": 100}   # figures print; a film's dpi sets text size
SIZE_RANGE = ((16, 7680), (16, 4320))


def formats(kind) -> tuple:
    """The extensions of one kind of output, e.g. (".mp4", ".gif")."""
    return KINDS[kind][0]


def writer(kind, *exts):
    """Register ``function(obj, tmp, **options)`` as the writer of ``exts``."""
    def register(function):
        for ext in exts or formats(kind):
            _WRITERS[ext] = function
        return function
    return register


def check_output(path, kind, what="path") -> Path:
    """An output path of ``kind`` with one of its extensions, in a folder that
    exists, not itself a folder; ``what`` names the argument (``-o``)."""
    exts = formats(kind)
    p = Path(path)
    if p.is_dir():
        example = p / ("out" + exts[0])
        raise ConfigError(f"{arg(what)} {p} is a folder; give a file name inside it, "
                          f"e.g. {example}")
    p = check_output_path(p, what)
    if p.suffix.lower() not in exts:
        choices = ", ".join(exts[:-1]) + " or " + exts[-1] if len(exts) > 1 else exts[0]
        raise ConfigError(f"unknown {kind} format {p.suffix or '(none)'!r} for {p}; "
                          f"use {choices}")
    return p


def write(kind, path, obj, what="path", **options) -> Path:
    """Check ``path`` and write ``obj`` there with its extension's writer,
    through a temporary file renamed into place. Returns the path."""
    path = check_output(path, kind, what)
    ext = path.suffix.lower()
    if ext not in _WRITERS:
        module, _, name = KINDS[kind][1].partition(":")
        _WRITERS.setdefault(ext, getattr(importlib.import_module(module), name))
    with atomic_path(path, what) as tmp:
        try:
            _WRITERS[ext](obj, tmp, **options)
        except OSError as e:       # name the file asked for, not the temporary one
            if e.filename is None or str(tmp) not in str(e.filename):
                raise
            raise OSError(e.errno, e.strerror, str(path)) from None
    return path


def check_dpi(dpi, what="dpi") -> float:
    """A finite number of dots per inch in [20, 600] (text from the command
    line or a number from Python)."""
    lo, hi = DPI_RANGE
    try:
        value = float(dpi) if not isinstance(dpi, bool) else math.nan
    except (TypeError, ValueError):
        value = None
    if value is None or not (math.isfinite(value) and lo <= value <= hi):
        raise ConfigError(f"{arg(what)} must be a number in [{lo}, {hi}] dots per inch "
                          f"(got {dpi!r})")
    return value


def check_size(size, what="size", ext=None) -> tuple:
    """``(width, height)`` in pixels from ``"WxH"`` or a pair; even for H.264
    (``ext`` ".mp4")."""
    parts = size.lower().split("x") if isinstance(size, str) else size
    try:
        w, h = (int(v) for v in parts)
        if any(isinstance(v, bool) or (isinstance(v, float) and v != int(v)) for v in parts):
            raise ValueError
    except (TypeError, ValueError):
        raise ConfigError(f"{arg(what)} must be WIDTHxHEIGHT in pixels like 1280x720 "
                          f"(got {size!r})") from None
    (w0, w1), (h0, h1) = SIZE_RANGE
    if not (w0 <= w <= w1 and h0 <= h <= h1):
        raise ConfigError(f"{arg(what)} {w}x{h} is out of range ({w0}..{w1} by {h0}..{h1}); "
                          "use WIDTHxHEIGHT like 1280x720")
    if ext == ".mp4" and (w % 2 or h % 2):
        raise ConfigError(f"{arg(what)} {w}x{h}: H.264 needs even width and height")
    return w, h


# -- writers that need nothing but matplotlib or text ------------------------------

# Slides: PDF embeds TrueType (Type 42) fonts, editable and searchable; SVG
# keeps text as <text> elements instead of paths.
FONT_RC = {"pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "none"}


def save_figure(fig, tmp, dpi=200):
    """A matplotlib figure as .png, .svg or .pdf (by ``tmp``'s extension)."""
    import matplotlib
    with matplotlib.rc_context(FONT_RC):
        fig.savefig(tmp, dpi=dpi, format=Path(tmp).suffix[1:].lower())


def save_text(text, tmp):
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
