"""The drawing options shared by film, figure, comparison, report and graph
export, checked once where they enter (the command line or the Python API).

``DrawOptions.create(...)`` validates and normalises; an invalid value raises
:class:`~weightlapse.core.errors.ConfigError` naming the argument as the
caller knows it (``color=`` in Python, ``--color`` on the command line).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

from weightlapse.core.errors import ConfigError, arg

from .quantities import NAMES as COLORS   # the colour quantities (one owner: quantities.py)
SCALES = ("layer", "global")
DEFAULT_DURATION = 12.0      # seconds: a film about this long whatever its snapshots
MIN_DURATION, MAX_DURATION = 0.5, 600.0


@dataclass(frozen=True)
class DrawOptions:
    """What a picture shows and how a film is paced.

    color: a colour quantity of :mod:`.quantities` ("weight" W_t, "change"
    W_t - W_0, "update" (W_t - W_prev) / steps between them); nodes show the
    same quantity of the biases.
    scale: "layer" (one robust symmetric scale per gap) or "global" (one for all).
    units: "auto", "all" or a number K of units shown per large layer.
    edges: "auto" (all edges of a gap up to AUTO_EDGES lines, else the
    strongest into each unit so that about that many remain), "all", or
    "top:K" (the K strongest edges into each shown unit).
    duration (s), fps, size (width, height) in pixels: films only.
    """
    color: str = "weight"
    scale: str = "layer"
    units: object = "auto"
    edges: str = "auto"
    duration: float = DEFAULT_DURATION
    fps: float = 30.0
    size: tuple = (1280, 720)

    @classmethod
    def create(cls, **kw) -> "DrawOptions":
        """Validated options from keyword values (None keeps the default).
        Errors name the options with ``arg``: as flags on the command line,
        as argument names in Python."""
        known = {f.name for f in fields(cls)}
        bad = sorted(set(kw) - known)
        if bad:
            raise ConfigError(f"unknown drawing option {bad[0]!r}; use one of "
                              f"{', '.join(sorted(known))}")
        opts = cls(**{k: v for k, v in kw.items() if v is not None})
        return opts.checked()

    @classmethod
    def from_args(cls, args) -> "DrawOptions":
        """From an argparse namespace made with ``add_drawing_options``."""
        kw = {f.name: getattr(args, f.name, None) for f in fields(cls)}
        return cls.create(**kw)

    def with_(self, **kw) -> "DrawOptions":
        return replace(self, **{k: v for k, v in kw.items() if v is not None}).checked()

    def checked(self) -> "DrawOptions":
        def fail(key, what):
            raise ConfigError(f"{arg(key)} {what}")

        color = str(self.color).lower()
        if color not in COLORS:
            fail("color", f"must be weight, change or update (got {self.color!r})")
        scale = str(self.scale).lower()
        if scale not in SCALES:
            fail("scale", f"must be layer or global (got {self.scale!r})")
        units = parse_units(self.units, lambda what: fail("units", what))
        edges = str(self.edges).lower()
        if edges not in ("all", "auto"):
            kind, _, k = edges.partition(":")
            if kind != "top" or not k.isdigit() or int(k) < 1:
                fail("edges", f"must be 'auto', 'all' or 'top:K' with K >= 1 "
                     f"(got {self.edges!r})")
        duration = _number(self.duration, lambda what: fail("duration", what))
        if not MIN_DURATION <= duration <= MAX_DURATION:
            fail("duration", f"must be between {MIN_DURATION:g} and {MAX_DURATION:g} "
                 f"seconds (got {self.duration!r})")
        fps = _number(self.fps, lambda what: fail("fps", what))
        if not 0 < fps <= 240:
            fail("fps", f"must be in (0, 240] (got {self.fps!r})")
        size = self.size
        if isinstance(size, str):
            size = size.lower().split("x")
        try:
            w, h = (int(v) for v in size)
        except (TypeError, ValueError):
            fail("size", f"must be WIDTHxHEIGHT in pixels like 1280x720 (got {self.size!r})")
        if not (16 <= w <= 7680 and 16 <= h <= 4320):
            fail("size", f"{w}x{h} is out of range; use WIDTHxHEIGHT like 1280x720")
        return DrawOptions(color, scale, units, edges, duration, fps, (w, h))

    @property
    def top_k(self) -> int:
        """K of ``top:K`` edges, or 0 for all or auto."""
        return int(self.edges.split(":")[1]) if self.edges.startswith("top:") else 0


def parse_units(units, fail):
    """"auto", "all" or an int >= 1 (a string of digits is accepted)."""
    if isinstance(units, str):
        u = units.strip().lower()
        if u in ("auto", "all"):
            return u
        if u.isdigit():
            units = int(u)
        else:
            fail(f"must be a number of units K, 'auto' or 'all' (got {units!r})")
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        fail(f"must be a number of units K >= 1, 'auto' or 'all' (got {units!r})")
    return int(units)


def _number(value, fail) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        fail(f"must be a number (got {value!r})")
    if not math.isfinite(v):
        fail(f"must be a finite number (got {value!r})")
    return v
