"""Declaring a setting once: its default, help, allowed values and flag.

A setting is a dataclass field made with :func:`setting`; its metadata is the
one declaration that the command line's options, their help text, the API's
keyword names and the validation are all generated from::

    lr: float = setting(0.01, "learning rate", bounds="(0, 1e6)")

``bounds`` is an interval as written in maths (``"[0, 1)"``, ``"[1, inf)"``);
``choices`` a tuple (or a dict, whose keys are the choices); ``kind`` the type
when the default is None; ``parse`` turns command-line text into the value;
``unset`` says what None means, for the help.
"""
from __future__ import annotations

import math
from dataclasses import MISSING, field, fields

from .errors import ConfigError, arg

KINDS = {"float": "a finite number", "int": "a whole number", "str": "text",
         "list": "a list of whole numbers"}


def setting(default, help: str, *, choices=None, bounds: str = None, kind: str = None,
            parse=None, metavar: str = None, unset: str = None, flag: str = None):
    """A dataclass field carrying a setting's declaration in its metadata."""
    if kind is None:
        kind = {bool: "bool", float: "float", int: "int", str: "str",
                list: "list"}[type(default)]
    meta = {"help": help, "choices": tuple(choices) if choices is not None else None,
            "bounds": Interval(bounds) if bounds else None, "kind": kind, "parse": parse,
            "metavar": metavar, "unset": unset, "flag": flag}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"setting": meta})
    return field(default=default, metadata={"setting": meta})


class Interval:
    """``"[lo, hi)"``-style bounds: ``in``, and the words of an error."""

    def __init__(self, text: str):
        self.text = text.strip()
        lo, hi = self.text[1:-1].split(",")
        self.lo, self.hi = _number(lo), _number(hi)
        self.lo_text = lo.strip()
        self.closed = (self.text[0] == "[", self.text[-1] == "]")

    def __contains__(self, v) -> bool:
        above = v >= self.lo if self.closed[0] else v > self.lo
        below = v <= self.hi if self.closed[1] else v < self.hi
        return above and below

    def words(self) -> str:
        if math.isinf(self.hi):
            return f"must be {'>=' if self.closed[0] else '>'} {self.lo_text}"
        return f"must be in {self.text}"


def _number(text: str) -> float:
    base, _, power = text.strip().partition("^")     # "2^63"
    return float(base) ** float(power) if power else float(base)


def declared(cls) -> dict:
    """{name: (field, metadata)} of a settings dataclass's declared settings."""
    return {f.name: (f, f.metadata["setting"]) for f in fields(cls) if "setting" in f.metadata}


def default_of(f):
    return f.default_factory() if f.default is MISSING else f.default


def check_declared(obj) -> None:
    """Check every declared setting of ``obj`` against its type, choices and
    bounds; raises :class:`ConfigError` naming the setting."""
    for name, (f, meta) in declared(type(obj)).items():
        value = getattr(obj, name)
        if value is None and default_of(f) is None:
            continue
        check_value(name, value, meta)


def check_value(name, value, meta) -> None:
    kind = meta["kind"]
    if kind == "float":
        ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
              and math.isfinite(value))
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "str":
        ok = isinstance(value, str)
    elif kind == "list":
        ok = isinstance(value, list)
    else:
        ok = True   # a setting with its own check (validate())
    if not ok:
        raise ConfigError(f"{arg(name)} must be {KINDS[kind]} (got {value!r})")
    if kind == "str" and "\x00" in value:
        raise ConfigError(f"{arg(name)} must not contain a NUL character (got {value!r})")
    if meta["choices"] is not None and value not in meta["choices"]:
        raise ConfigError(f"unknown {arg(name)} {value!r}; choose one of "
                          f"{', '.join(map(str, meta['choices']))}")
    if meta["bounds"] is not None and value not in meta["bounds"]:
        raise ConfigError(f"{arg(name)} {meta['bounds'].words()} (got {value!r})")


def help_text(f, meta) -> str:
    """The option's help: what it is, its allowed values and its default."""
    parts = [meta["help"]]
    if meta["choices"] is not None:
        parts.append(f"one of {', '.join(map(str, meta['choices']))}")
    elif meta["bounds"] is not None:
        parts.append(meta["bounds"].words().replace("must be ", ""))
    default = default_of(f)
    if default is None:
        shown = meta["unset"] or "none"
    elif isinstance(default, list):
        shown = ",".join(map(str, default))
    elif isinstance(default, tuple):
        shown = "x".join(map(str, default))      # a size: 1280x720
    elif isinstance(default, bool):
        shown = "on" if default else "off"
    else:
        shown = str(default)
    return f"{'; '.join(parts)} (default: {shown})".replace("%", "%%")
