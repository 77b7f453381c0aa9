"""What a sweep trains: a grid's product, or random samples from
distributions, each setting repeated with K seeds.

A grid maps a setting to a list of values, or (for random search) to a
distribution written as text: ``log:LOW:HIGH`` (log-uniform), ``lin:LOW:HIGH``
(uniform) or ``int:LOW:HIGH`` (a uniform integer, both ends included). Random
search samples every setting independently (a list: uniformly among its
values) with a generator seeded from the sweep's seed, so the same seed gives
the same runs.
"""
from __future__ import annotations

import itertools
import math
import os

import numpy as np

from dataclasses import fields

from ..core.config import PART_TYPES, RunConfig
from ..core.errors import ConfigError, arg

KINDS = ("log", "lin", "int")
DEFAULT_SEED = RunConfig().training.seed
# Settings whose values are whole numbers: a log or lin sample is rounded
# (hidden=log:16:512 samples one hidden layer's width).
WHOLE = {f.name for kind in PART_TYPES.values() for f in fields(kind)
         if isinstance(f.default, int) and not isinstance(f.default, bool)} | {"hidden"}


def is_distribution(value) -> bool:
    return isinstance(value, str) and value.split(":", 1)[0] in KINDS and ":" in value


def parse_distribution(key, text):
    """``'log:1e-4:1e-1'`` -> ("log", 1e-4, 1e-1), checked."""
    parts = text.split(":")
    kind = parts[0]
    if len(parts) != 3:
        raise ConfigError(f"{arg('grid')} {key}={text}: write a distribution as {kind}:LOW:HIGH")
    try:
        lo, hi = (int(p) if kind == "int" else float(p) for p in parts[1:])
    except ValueError:
        number = "integers" if kind == "int" else "numbers"
        raise ConfigError(f"{arg('grid')} {key}={text}: LOW and HIGH must be {number}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ConfigError(f"{arg('grid')} {key}={text}: needs finite LOW < HIGH")
    if kind == "log" and lo <= 0:
        raise ConfigError(f"{arg('grid')} {key}={text}: a log distribution needs 0 < LOW < HIGH")
    return kind, lo, hi


def check_grid(grid) -> dict:
    """{setting: list of values or distribution text}, checked and copied.

    A string that is not a distribution is refused rather than iterated
    letter by letter ({"optimizer": "adam"} means ["adam"] or a mistake)."""
    if not isinstance(grid, dict) or not grid:
        raise ConfigError(f"{arg('grid')} must map at least one setting to its values, e.g. "
                          "{'lr': [0.1, 0.01]}")
    out = {}
    for key, values in grid.items():
        if not isinstance(key, str):
            raise ConfigError(f"{arg('grid')}'s keys must be setting names (got {key!r})")
        if key in ("out", "name"):
            raise ConfigError(f"{arg(key)} cannot be swept")
        if is_distribution(values):
            parse_distribution(key, values)
            out[key] = values
            continue
        if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
            shown = repr(values)[:60]
            raise ConfigError(f"{arg('grid')} {key}: expected a list of values or a distribution "
                              f"such as log:1e-4:1e-1 (got {shown}; for one value "
                              f"write [{shown}])")
        try:   # any iterable (a generator, a range, an array): its values, once
            values = [v.item() if isinstance(v, np.generic) else
                      os.fspath(v) if isinstance(v, os.PathLike) else v for v in values]
        except Exception as e:  # noqa: BLE001 - a user's iterable may raise anything
            raise ConfigError(f"{arg('grid')} {key}: its values could not be read "
                              f"({type(e).__name__}: {e})") from None
        if not values:
            raise ConfigError(f"{arg('grid')} {key} has no values")
        out[key] = values
    return out


def _round(x, digits=4):
    """Round to ``digits`` significant figures: readable names, exact configs."""
    return float(f"{x:.{digits - 1}e}")


def sample(key, spec, rng):
    if not is_distribution(spec):
        return spec[int(rng.integers(len(spec)))]
    kind, lo, hi = parse_distribution(key, spec)
    if kind == "int":
        return int(rng.integers(lo, hi + 1))
    if kind == "log":
        x = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    else:
        x = rng.uniform(lo, hi)
    return int(round(x)) if key in WHOLE else _round(x)


def run_name(combo: dict) -> str:
    def fmt(v):
        if isinstance(v, (list, tuple)):
            return "x".join(map(str, v)) or "none"
        return f"{v:g}" if isinstance(v, float) else str(v)
    name = "_".join(f"{k}={fmt(v)}" for k, v in combo.items())
    return "".join(ch if ch.isalnum() or ch in "=._-x" else "-" for ch in name)


def plan(grid: dict, base: dict, random=None, repeat=1) -> list:
    """The runs of a sweep: a list of {"name", "settings", "seed"} records,
    each validated now, so a bad grid fails before anything runs.

    ``settings`` holds only what differs from ``base`` (the swept values and,
    with ``repeat``, the seed)."""
    grid = check_grid(grid)
    if random is not None and (isinstance(random, bool) or not isinstance(random, int)
                               or random < 1):
        raise ConfigError(f"{arg('random')} must be a positive number of runs (got {random!r})")
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
        raise ConfigError(f"{arg('repeat')} must be a positive number of seeds (got {repeat!r})")
    if repeat > 1 and "seed" in grid:
        raise ConfigError(f"{arg('repeat')} gives each setting its own seeds; do not also "
                          f"sweep {arg('seed')}")
    seed = base.get("seed", DEFAULT_SEED)
    dists = [k for k, v in grid.items() if is_distribution(v)]
    if random is None:
        if dists:
            raise ConfigError(f"{arg('grid')} {dists[0]}={grid[dists[0]]} is a distribution: sample "
                              "it with random search (--random N, random=N in Python)")
        combos = [dict(zip(grid, vals)) for vals in itertools.product(*grid.values())]
    else:
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5EED]))
        combos = [{k: sample(k, v, rng) for k, v in grid.items()} for _ in range(random)]
    for key in dists:  # both ends of a distribution must be valid settings
        kind, lo, hi = parse_distribution(key, grid[key])
        for end in (lo, hi):
            _validate(base, {key: int(round(end)) if key in WHOLE else end})
    records, seen = [], {}
    for i, combo in enumerate(combos):
        _validate(base, combo)
        for k in range(repeat):
            settings = dict(combo)
            if repeat > 1:
                settings["seed"] = int(seed) + k
            name = run_name(settings)
            if random is not None:
                name = f"r{i + 1:0{len(str(random))}d}_{name}"
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                name = f"{name}-{seen[name]}"
            records.append({"name": name, "settings": settings})
    return records


def _validate(base, combo):
    try:
        RunConfig.from_settings(**{**base, **combo}).validate()
    except ConfigError as e:
        if not any(f"\x1f{k}\x1f" in e.args[0] or f"'{k}'" in e.args[0] for k in combo):
            raise     # a shared setting's fault, not the grid's
        shown = ", ".join(f"{arg(k)}={v}" for k, v in combo.items())
        raise ConfigError(f"{arg('grid')} {shown}: {e.args[0]}") from None
