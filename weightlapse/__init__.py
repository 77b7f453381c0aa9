"""weightlapse: train a from-scratch NumPy network, record its weights, film them.

>>> import weightlapse as wl
>>> run = wl.train(dataset="spiral", hidden=[32, 32], epochs=200)   # doctest: +SKIP
>>> run = wl.load_run("outputs/spiral")                             # doctest: +SKIP
"""
import importlib.util as _util
from pathlib import Path as _Path

# Run from a source folder that was never installed (an unpacked sdist):
# core/ and viz/ sit beside this package, where pyproject's package-dir maps
# them from on installation. Let the package find them there too, so that
# `python -m weightlapse` and `python -m pytest` work in that folder.
_root = _Path(__file__).resolve().parent.parent
if _util.find_spec(__name__ + ".core") is None and (_root / "core" / "__init__.py").is_file():
    __path__.append(str(_root))

from .api import (compare, demo, figure, graph, load_dataset, load_run,  # noqa: E402,I001
                  predict, render, report, runs, sweep, train)
from .core import __version__  # noqa: E402
from .core.errors import WeightlapseError  # noqa: E402

__all__ = ["__version__", "train", "load_run", "load_dataset", "predict", "render", "figure",
           "graph", "demo", "compare", "sweep", "runs", "report", "WeightlapseError"]
