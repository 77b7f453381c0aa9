"""weightlapse: train a from-scratch NumPy network, record its weights, film them.

>>> import weightlapse as wl
>>> run = wl.train(dataset="spiral", hidden=[32, 32], epochs=200)   # doctest: +SKIP
>>> run = wl.load_run("outputs/spiral")                             # doctest: +SKIP
"""
import importlib.util as _util
import sys as _sys
from pathlib import Path as _Path


class _SourceFolder:
    """In a source folder (a checkout, an editable install, an unpacked
    sdist), ``core/`` and ``viz/`` sit beside this package, where pyproject's
    package-dir maps them from on installation. This finder maps exactly
    those two names, ``weightlapse.core`` and ``weightlapse.viz``, to the
    folders beside the ``weightlapse`` package that was imported, so the
    three always come from one tree (never core from another checkout's
    editable install) and ``python -m weightlapse`` or ``python -m pytest``
    work there uninstalled. One copy of each module: ``core/__init__.py``
    refuses to be imported as a top-level ``core``."""

    ROOT = _Path(__file__).resolve().parent.parent
    NAMES = {__name__ + ".core": "core", __name__ + ".viz": "viz"}

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        folder = cls.NAMES.get(fullname)
        if folder is None:
            return None
        init = cls.ROOT / folder / "__init__.py"
        return _util.spec_from_file_location(
            fullname, init, submodule_search_locations=[str(init.parent)])


# Installed normally, core/ and viz/ are inside this package: nothing to do.
if (_SourceFolder.ROOT / "core" / "__init__.py").is_file() and \
        (_SourceFolder.ROOT / "pyproject.toml").is_file():
    _sys.meta_path.insert(0, _SourceFolder)

from .api import (demo, diagnostics, figure, graph, load_dataset, load_run,  # noqa: E402,I001
                  predict, render, train)
from .api_many import compare, diagnose, report, runs, sweep  # noqa: E402
from .core import __version__  # noqa: E402
from .core.errors import WeightlapseError  # noqa: E402

__all__ = ["__version__", "train", "load_run", "load_dataset", "predict", "render", "figure",
           "graph", "demo", "compare", "sweep", "runs", "report", "diagnostics", "diagnose",
           "WeightlapseError"]
