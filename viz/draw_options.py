"""The drawing options shared by film, figure, comparison, report and graph
export, checked once where they enter (the command line or the Python API).

``DrawOptions.create(...)`` validates and normalises; an invalid value raises
:class:`~weightlapse.core.errors.ConfigError` naming the argument as the
caller knows it (``color=`` in Python, ``--color`` on the command line).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

from weightlapse.core.declare import declared, setting
from weightlapse.core.errors import ConfigError, arg

from .quantities import AUTO, AUTO_RULE, NAMES   # the colour quantities (one owner: quantities.py)
COLORS = (AUTO,) + NAMES                # what --color accepts
SCALES = ("layer", "global")
DEFAULT_DURATION = 12.0      # seconds: a film about this long whatever its snapshots
MIN_DURATION, MAX_DURATION = 0.5, 600.0
FILM_ONLY = ("duration", "fps", "size")


@dataclass(frozen=True)
class DrawOptions:
    """What a picture shows and how a film is paced.

    color: a colour quantity of :mod:`.quantities` ("weight" W_t, "change"
    W_t - W_0, "update" (W_t - W_prev) / steps between them), or "auto" (the
    default: chosen per run by :func:`.quantities.auto`, see ``for_runs``);
    nodes show the same quantity of the biases.
    scale: "layer" (one robust symmetric scale per gap) or "global" (one for all).
    units: "auto", "all" or a number K of units shown per large layer.
    edges: "auto" (all edges of a gap up to AUTO_EDGES lines, else the
    strongest into each unit so that about that many remain), "all", or
    "top:K" (the K strongest edges into each shown unit).
    duration (s), fps, size (width, height) in pixels: films only.
    sample: "auto", "none" or N, the held-out row followed through the
    network (:mod:`.sample`; checked against a run when drawn).
    """
    color: str = setting(AUTO, "what colours show: the weight, its change since the "
                         "start W - W0, or the update per step since the previous snapshot; "
                         + AUTO_RULE.replace("\u2212", "-").replace("\u2080", "0"),
                         choices=COLORS, metavar="auto|weight|change|update")
    scale: str = setting("layer", "one colour scale per gap between layers, or one for all",
                         choices=SCALES, metavar="layer|global")
    units: object = setting("auto", "units shown per large layer: the K most important, or "
                            "all (auto: as many as fit)", kind="units", metavar="K|all")
    edges: str = setting("auto", "edges between shown units: all, or the K strongest into "
                         "each (auto: all unless a gap has more than 150)",
                         metavar="all|top:K")
    duration: float = setting(DEFAULT_DURATION, "film length in seconds, whatever the "
                              "number of snapshots", bounds=f"[{MIN_DURATION:g}, {MAX_DURATION:g}]",
                              metavar="SECONDS")
    fps: float = setting(30.0, "frames per second", bounds="(0, 240]", metavar="FPS")
    size: tuple = setting((1280, 720), "frame size in pixels", kind="size", metavar="WxH")
    sample: object = setting("auto", "follow one held-out input through the network: row N "
                             "of the run's held-out rows drawn at the inputs, each unit "
                             "coloured by its activation on it, each output by its class "
                             "probability (auto: row 0 for image and table data, none for "
                             "2-D data; none: no sample)", kind="sample", metavar="N|auto|none")

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
            fail("color", f"must be auto, weight, change or update (got {self.color!r})")
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
        decl = declared(DrawOptions)
        duration, fps = (_bounded(self, key, decl[key][1]["bounds"], fail)
                         for key in ("duration", "fps"))
        from .outputs import check_size
        size = check_size(self.size)
        from .sample import parse_sample
        sample = parse_sample(self.sample, lambda what: fail("sample", what))
        return DrawOptions(color, scale, units, edges, duration, fps, size, sample)

    @classmethod
    def declarations(cls) -> dict:
        """{name: (field, metadata)}: the options' one declaration, from which
        the command line's flags and help are made."""
        return declared(cls)

    def for_runs(self, runs) -> "DrawOptions":
        """These options with ``color`` "auto" resolved for ``runs`` (a run or
        runs drawn side by side, which share one quantity)."""
        if self.color != AUTO:
            return self
        from .quantities import auto
        return replace(self, color=auto(runs if isinstance(runs, (list, tuple)) else [runs]))

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


def _bounded(opts, key, bounds, fail) -> float:
    """A finite number within the option's declared bounds."""
    value = getattr(opts, key)
    v = _number(value, lambda what: fail(key, what))
    if v not in bounds:
        fail(key, f"{bounds.words()} (got {value!r})")
    return v


def _number(value, fail) -> float:
    if isinstance(value, bool):     # float(True) is 1.0: a flag given by mistake
        fail(f"must be a number (got {value!r})")
    try:
        v = float(value)
    except (TypeError, ValueError):
        fail(f"must be a number (got {value!r})")
    if not math.isfinite(v):
        fail(f"must be a finite number (got {value!r})")
    return v
