"""weightlapse.core: the NumPy engine, datasets, trainer, recorder and run loader.

Imports numpy and pandas only (never ``weightlapse.viz``).
"""

if __name__ == "core":  # pragma: no cover - a source folder's top level on sys.path
    # A second copy of every module (core.errors.ConfigError would not be
    # weightlapse.core.errors.ConfigError): refuse it, naming the right import.
    raise ImportError("import weightlapse.core, not core: this folder is installed as "
                      "weightlapse.core")

from ._version import __version__
from .config import DataConfig, ModelConfig, RecordConfig, RunConfig, TrainConfig
from .errors import ConfigError, DataError, RunError, WeightlapseError
from .model import MLP
from .run import Run, load_run
from .trainer import Trainer

__all__ = ["__version__", "MLP", "Trainer", "Run", "load_run", "RunConfig", "DataConfig",
           "ModelConfig", "TrainConfig", "RecordConfig", "WeightlapseError",
           "ConfigError", "DataError", "RunError"]
