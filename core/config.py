"""Settings: one dataclass per concern, validated once, at the edge.

``RunConfig.from_settings(**kw)`` sorts flat keyword settings (the names of the
Python API and, with dashes, of the command line) into the dataclasses and
validates them; ``asdict(config)`` is what ``config.json`` holds.

Each setting is declared once, here, with :func:`~.settings.setting`: its
default, help, allowed values (``choices`` or ``bounds``) and, if it differs
from ``--name-with-dashes``, its flag. The command line's options and their
help, the API's keyword names (``SETTING_NAMES``) and the checks are generated
from these declarations. To add a setting, add one field to the dataclass it
belongs to; ``device`` was added so::

    device: str = setting("cpu", "where to train", choices=DEVICES)

and it is a ``weightlapse train --device`` option with help and default, a
``wl.train(device=...)`` keyword, a ``--grid device=...`` sweep key, checked on
every run and saved in config.json. Checks that involve more than one value go
in the dataclass's ``validate``.
"""
from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from typing import Optional, Union

from .backend import DEVICES
from .convnet import check_conv, parse_conv
from .data import DATASET_NAMES
from .errors import ConfigError, arg
from .init import INITIALIZERS
from .layers import ACTIVATIONS
from .optim import OPTIMIZERS, SCHEDULES
from . import schedule
from .declare import check_declared, check_value, declared, default_of, setting

TASKS = ("classification", "regression")
DTYPES = ("float32", "float64")


def parse_hidden(text: str) -> list:
    """``"128,64"`` -> ``[128, 64]`` (``""``/``"none"``: no hidden layer)."""
    if text.strip().lower() in ("", "none"):
        return []
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise ValueError(f"expected comma-separated layer sizes like 128,64, "
                         f"got {text!r}") from None


@dataclass
class DataConfig:
    GROUP = "data"
    dataset: Optional[str] = setting(None, "a built-in dataset", choices=DATASET_NAMES,
                                     kind="str", metavar="NAME")
    data: Optional[str] = setting(None, "a CSV: Kaggle digits (label,pixel0..783) or any "
                                  "numeric table", kind="str", metavar="FILE.csv")
    label_column: str = setting("label", "the CSV's label column", metavar="NAME")
    data_dir: Optional[str] = setting(None, "where datasets live", kind="str", metavar="DIR",
                                      unset="$WEIGHTLAPSE_DATA, else ./data")
    limit: Optional[int] = setting(None, "use only the first N training samples",
                                   bounds="[1, inf)", kind="int", metavar="N", unset="all")
    val_fraction: float = setting(0.1, "fraction held out for validation", bounds="[0, 1)",
                                  metavar="F")
    n_samples: int = setting(1500, "synthetic sets: number of samples", bounds="[4, inf)",
                             metavar="N")
    noise: Optional[float] = setting(None, "synthetic sets: noise level", bounds="[0, inf)",
                                     kind="float", metavar="X", unset="the set's own")
    classes: int = setting(3, "spiral and gaussian: number of classes", bounds="[2, 100]",
                           metavar="K")
    task: str = setting("classification", "what the network predicts", choices=TASKS)

    def validate(self):
        if self.dataset is not None and self.data is not None:
            raise ConfigError(f"give either {arg('dataset', 'NAME')} or "
                              f"{arg('data', 'FILE.csv')}, not both")


@dataclass
class ModelConfig:
    GROUP = "model"
    hidden: list = setting([32, 32], "hidden layer sizes, e.g. 128,64 (none: no hidden "
                           "layer)", parse=parse_hidden, metavar="SIZES")
    activation: str = setting("relu", "hidden layers' activation", choices=ACTIVATIONS)
    init: str = setting("he", "weight initialisation", choices=INITIALIZERS)
    dtype: str = setting("float32", "floating-point precision", choices=DTYPES)
    dropout: float = setting(0.0, "inverted dropout rate on hidden layers", bounds="[0, 1)",
                             metavar="P")
    conv: list = setting([], "conv layers before the hidden layers, channels x kernel each, "
                         "e.g. 8x5,16x5 (image data only; none: no conv layer)",
                         parse=parse_conv, metavar="CxK,...")
    pool: int = setting(2, "conv layers: max pooling size and stride after each one "
                        "(1: none)", bounds="[1, 16]", metavar="N")
    conv_stride: int = setting(1, "conv layers: the kernels' stride", bounds="[1, 16]",
                               metavar="N")
    conv_padding: int = setting(0, "conv layers: zero padding on each side",
                                bounds="[0, 32]", metavar="N")

    def validate(self):
        check_conv(self.conv)
        _check(all(isinstance(h, int) and not isinstance(h, bool) and h > 0
                   for h in self.hidden), "hidden", self.hidden,
               "must be positive integer layer sizes, e.g. 128,64")
        _check(all(h <= 65536 for h in self.hidden) and len(self.hidden) <= 64, "hidden",
               self.hidden, "is too large (at most 64 layers of 65,536 units)")


@dataclass
class TrainConfig:
    GROUP = "optimisation"
    optimizer: str = setting("adam", "update rule", choices=OPTIMIZERS)
    lr: float = setting(0.01, "learning rate", bounds="(0, 1e6)")
    momentum: float = setting(0.9, "momentum and nesterov: momentum", bounds="[0, 1)")
    batch_size: int = setting(64, "samples per step; 0 = full batch", bounds="[0, inf)",
                              metavar="N")
    epochs: int = setting(100, "passes over the training data", bounds="[1, 1e7]",
                          metavar="N")
    l2: float = setting(0.0, "adds (l2/2)*sum(W**2) to the loss", bounds="[0, inf)")
    lr_schedule: str = setting("constant", "learning-rate schedule", choices=SCHEDULES)
    lr_step_every: int = setting(10, "step schedule: epochs between decays",
                                 bounds="[1, inf)", metavar="EPOCHS")
    lr_gamma: float = setting(0.5, "step schedule: decay factor", bounds="(0, 1]")
    seed: int = setting(0, "seeds data, split, init, shuffling and dropout",
                        bounds="[0, 2^63)")
    device: str = setting("cpu", "where to train: gpu is a CUDA GPU through CuPy (pip "
                          "install \"weightlapse[gpu]\")", choices=DEVICES)


@dataclass
class RecordConfig:
    GROUP = "recording and output"
    snapshot_every: Union[str, int] = setting(
        "auto", "when to record the weights: auto (about 100 snapshots, a third of them "
        "in the first tenth of the steps), log (about 100, log-spaced), every epoch, or "
        "every N steps", kind="auto|log|epoch|N", parse=schedule.parse,
        metavar="auto|log|epoch|N")
    out: str = setting("outputs", "parent folder of runs", metavar="DIR")
    name: Optional[str] = setting(None, "run folder name", kind="str",
                                  unset="the dataset's name")

    def validate(self):
        every = self.snapshot_every
        if isinstance(every, str) and every not in schedule.WORDS:
            near = difflib.get_close_matches(every.strip().lower(), schedule.WORDS, n=1)
            hint = f"; did you mean {near[0]}?" if near else ""
            raise ConfigError(f"{arg('snapshot_every')} must be auto, log, epoch or a "
                              f"positive number of steps (got {every!r}){hint}")
        _check(schedule.valid(every), "snapshot_every", every,
               "must be auto, log, epoch or a positive number of steps")
        _check(self.name is None or (self.name and "/" not in self.name and "\\" not in
                                     self.name and self.name not in (".", "..")),
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
        owners = setting_owners()
        parts = {part: {} for part in cls.PARTS}
        for key, value in settings.items():
            if key not in owners:
                near = difflib.get_close_matches(key, owners, n=1)
                hint = f"; did you mean {arg(near[0])}?" if near else ""
                raise ConfigError(f"unknown setting {key!r}{hint}")
            if isinstance(value, os.PathLike):
                value = os.fspath(value)    # out=Path(...) and the like
            if value is not None or key in ("name", "noise", "limit"):
                parts[owners[key]][key] = value
        cfg = cls(**{p: PART_TYPES[p](**kw) for p, kw in parts.items()})
        h = cfg.model.hidden
        if isinstance(h, int) and not isinstance(h, bool):
            cfg.model.hidden = [h]          # hidden=32: one hidden layer
        elif isinstance(h, tuple):
            cfg.model.hidden = list(h)
        c = cfg.model.conv
        if isinstance(c, str):
            try:
                cfg.model.conv = parse_conv(c)     # conv="8x5,16x5", as on the command line
            except ValueError as e:
                raise ConfigError(f"{arg('conv')}: {e}") from None
        elif isinstance(c, tuple) or (isinstance(c, list) and c and isinstance(c[0], tuple)):
            cfg.model.conv = [list(p) for p in c]
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
            check_declared(obj)
            if hasattr(obj, "validate"):   # checks beyond the declared ones, if any
                obj.validate()


def check_known_settings(settings: dict) -> None:
    """The settings of a run recorded from another framework: only what its
    recorder could know, so any part may lack any setting; each one given
    must be a setting of its part with a valid value (``snapshot_every`` may
    also be "auto"). Raises :class:`ConfigError` naming the setting."""
    for part, kind in PART_TYPES.items():
        decls = declared(kind)
        for name, value in settings.get(part, {}).items():
            if name not in decls:
                raise ConfigError(f"unknown setting {name!r} in its {part} settings")
            if value is None and default_of(decls[name][0]) is None:
                continue
            if name == "snapshot_every":
                _check(schedule.valid(value, schedule.OPEN_ENDED), name, value,
                       "must be 'epoch', 'auto' or a positive number of steps")
            else:
                check_value(name, value, decls[name][1])
    model = settings.get("model", {})
    if "hidden" in model:   # layer sizes: the same checks as a run trained here
        ModelConfig(hidden=model["hidden"]).validate()


def setting_owners() -> dict:
    """{setting name: the RunConfig part that owns it}, in declaration order."""
    return {name: part for part, kind in PART_TYPES.items() for name in declared(kind)}


def setting_declarations() -> dict:
    """{setting name: (dataclass field, metadata)} of every setting, in order."""
    return {name: decl for kind in PART_TYPES.values() for name, decl in declared(kind).items()}


SETTING_NAMES = tuple(setting_owners())


def _check(ok, name, value, what):
    if not ok:
        raise ConfigError(f"{arg(name)} {what} (got {value!r})")
