"""Settings: one dataclass per concern, validated once, at the edge.

``RunConfig.from_settings(**kw)`` sorts flat keyword settings (the names of the
Python API and, with dashes, of the command line) into the dataclasses and
validates them; ``asdict(config)`` is what ``config.json`` holds.
"""
from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, fields
from typing import Optional, Union

from .backend import DEVICES
from .errors import ConfigError
from .init import INITIALIZERS
from .layers import ACTIVATIONS
from .optim import OPTIMIZERS, SCHEDULES

TASKS = ("classification", "regression")
DTYPES = ("float32", "float64")


@dataclass
class DataConfig:
    dataset: Optional[str] = None      # a built-in or named dataset, or None for arrays/CSV
    data: Optional[str] = None         # a CSV file
    label_column: str = "label"
    data_dir: Optional[str] = None
    limit: Optional[int] = None        # use only the first N training samples
    val_fraction: float = 0.1
    n_samples: int = 1500              # synthetic sets
    noise: Optional[float] = None      # synthetic sets; None = the set's own default
    classes: int = 3                   # spiral and gaussian
    task: str = "classification"

    def validate(self):
        if self.dataset is not None and self.data is not None:
            raise ConfigError("give either a dataset or a data file (--data), not both")
        _check(0 <= self.val_fraction < 1, "val_fraction", self.val_fraction,
               "must be in [0, 1)")
        _check(self.limit is None or self.limit > 0, "limit", self.limit, "must be > 0")
        _check(self.n_samples >= 4, "n_samples", self.n_samples, "must be >= 4")
        _check(self.noise is None or self.noise >= 0, "noise", self.noise, "must be >= 0")
        _check(2 <= self.classes <= 100, "classes", self.classes, "must be in 2..100")
        _check(self.task in TASKS, "task", self.task, f"must be one of {', '.join(TASKS)}")


@dataclass
class ModelConfig:
    hidden: list = field(default_factory=lambda: [32, 32])
    activation: str = "relu"
    init: str = "he"
    dtype: str = "float32"
    dropout: float = 0.0

    def validate(self):
        _check(all(isinstance(h, int) and not isinstance(h, bool) and h > 0
                   for h in self.hidden), "hidden", self.hidden,
               "must be positive integer layer sizes, e.g. 128,64")
        _check(all(h <= 65536 for h in self.hidden) and len(self.hidden) <= 64, "hidden",
               self.hidden, "is too large (at most 64 layers of 65,536 units)")
        _choice("activation", self.activation, ACTIVATIONS)
        _choice("init", self.init, INITIALIZERS)
        _choice("dtype", self.dtype, DTYPES)
        _check(0 <= self.dropout < 1, "dropout", self.dropout, "must be in [0, 1)")


@dataclass
class TrainConfig:
    optimizer: str = "adam"
    lr: float = 0.01
    momentum: float = 0.9
    batch_size: int = 64               # 0 = full batch
    epochs: int = 100
    l2: float = 0.0
    lr_schedule: str = "constant"
    lr_step_every: int = 10            # "step" schedule: epochs between decays
    lr_gamma: float = 0.5              # "step" schedule: decay factor
    seed: int = 0
    device: str = "cpu"                # "gpu": CuPy on a CUDA GPU (the gpu extra)

    def validate(self):
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("device", self.device, DEVICES)
        _check(self.lr > 0 and self.lr < 1e6, "lr", self.lr, "must be > 0")
        _check(0 <= self.momentum < 1, "momentum", self.momentum, "must be in [0, 1)")
        _check(self.batch_size >= 0, "batch_size", self.batch_size,
               "must be >= 0 (0 = full batch)")
        _check(1 <= self.epochs <= 10_000_000, "epochs", self.epochs, "must be in 1..10^7")
        _check(self.l2 >= 0, "l2", self.l2, "must be >= 0")
        _choice("lr_schedule", self.lr_schedule, SCHEDULES)
        _check(self.lr_step_every >= 1, "lr_step_every", self.lr_step_every, "must be >= 1")
        _check(0 < self.lr_gamma <= 1, "lr_gamma", self.lr_gamma, "must be in (0, 1]")
        _check(0 <= self.seed < 2**63, "seed", self.seed, "must be a non-negative integer")


@dataclass
class RecordConfig:
    snapshot_every: Union[str, int] = "epoch"   # "epoch" or a number of steps
    out: str = "outputs"
    name: Optional[str] = None

    def validate(self):
        ok = self.snapshot_every == "epoch" or (
            isinstance(self.snapshot_every, int) and self.snapshot_every >= 1)
        _check(ok, "snapshot_every", self.snapshot_every,
               "must be 'epoch' or a positive number of steps")
        _check(self.name is None or (self.name and "/" not in self.name
                                     and self.name not in (".", "..")),
               "name", self.name, "must be a plain folder name")


PART_TYPES = {"data": DataConfig, "model": ModelConfig, "training": TrainConfig,
              "recording": RecordConfig}


@dataclass
class RunConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainConfig = field(default_factory=TrainConfig)
    recording: RecordConfig = field(default_factory=RecordConfig)

    PARTS = ("data", "model", "training", "recording")

    @classmethod
    def from_settings(cls, **settings) -> "RunConfig":
        """Sort flat settings into the parts; unknown names are an error."""
        owners = {f.name: part for part, kind in PART_TYPES.items() for f in fields(kind)}
        parts = {part: {} for part in cls.PARTS}
        for key, value in settings.items():
            if key not in owners:
                raise ConfigError(f"unknown setting '{key}'")
            if isinstance(value, os.PathLike):
                value = os.fspath(value)    # out=Path(...) and the like
            if value is not None or key in ("name", "noise", "limit"):
                parts[owners[key]][key] = value
        cfg = cls(**{p: PART_TYPES[p](**kw) for p, kw in parts.items()})
        h = cfg.model.hidden
        if isinstance(h, int) and not isinstance(h, bool):
            cfg.model.hidden = [h]          # hidden=32: one hidden layer
        elif isinstance(h, (list, tuple)):
            cfg.model.hidden = list(h)
        cfg.validate()
        return cfg

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        """From ``asdict`` output (config.json's "settings")."""
        try:
            return cls(**{p: PART_TYPES[p](**d[p]) for p in cls.PARTS})
        except (KeyError, TypeError) as e:
            raise ConfigError(f"config.json settings are incomplete or unknown ({e}); "
                              "the run was written by another version") from None

    def validate(self):
        for part in self.PARTS:
            obj = getattr(self, part)
            _check_types(obj)
            obj.validate()

    def flat(self) -> dict:
        """All settings as one flat dict (the API's keyword names)."""
        return {k: v for part in self.PARTS for k, v in asdict(getattr(self, part)).items()}


def _check_types(obj):
    """Each setting has the type of its default (ints where floats are
    expected are fine; booleans are not numbers here)."""
    for f in fields(obj):
        value, default = getattr(obj, f.name), f.default
        if value is None or default is None or f.name == "snapshot_every":
            continue
        if isinstance(default, float):
            ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
                  and math.isfinite(value))
            what = "a finite number"
        elif isinstance(default, int):
            ok = isinstance(value, int) and not isinstance(value, bool)
            what = "a whole number"
        elif isinstance(default, str):
            ok, what = isinstance(value, str), "text"
        else:
            continue
        if not ok:
            raise ConfigError(f"{f.name} must be {what} (got {value!r})")
    if isinstance(obj, ModelConfig) and not isinstance(obj.hidden, (list, tuple)):
        raise ConfigError(f"hidden must be a list of layer sizes (got {obj.hidden!r})")


def _check(ok, name, value, what):
    if not ok:
        raise ConfigError(f"{name} {what} (got {value!r})")


def _choice(name, value, options):
    if value not in options:
        raise ConfigError(f"unknown {name} {value!r}; choose one of {', '.join(options)}")
