"""weightlapse: train a from-scratch NumPy network, record its weights, film them.

>>> import weightlapse as wl
>>> run = wl.train(dataset="spiral", hidden=[32, 32], epochs=200)   # doctest: +SKIP
>>> run = wl.load_run("outputs/spiral")                             # doctest: +SKIP
"""
from .api import (compare, demo, figure, graph, load_run, predict, render, report, runs, sweep,
                  train)
from .core import __version__
from .core.errors import WeightlapseError

__all__ = ["__version__", "train", "load_run", "predict", "render", "figure", "graph", "demo",
           "compare", "sweep", "runs", "report", "WeightlapseError"]
