"""The run directory (SPEC §2): the one module that names, reads and writes its files
(its checks of what it reads are in :mod:`.run_checks`, its streaming writers
of metrics.csv and health.jsonl in :mod:`.run_writers`).

``config.json`` (settings, data description, network), ``metrics.csv`` (a row
per evaluation point), ``snapshots.bin`` (see :mod:`.snapshots`),
``status.json`` (running -> finished / interrupted / diverged / failed),
``checkpoint.npz`` (what ``train --resume`` continues from), for 2-D data
``samples.npz``, and ``probe.npz``: up to 512 held-out rows as the network sees
them (X: (n, n_in) float32, y optional), for diagnostics and activations.
Every reader checks what it reads and raises :class:`RunError` with one line
naming the damaged file.

A run recorded from PyTorch or Keras (:mod:`.recorded`) has the same files
but no checkpoint: its config.json names the framework and its version under
``recorded_from``, and its settings hold only what the recorder could know
(each one checked against its declaration).

The network (config.json ``"format": 2``; format 1 is read too)
----------------------------------------------------------------
``config["network"]``::

    sizes     [n_0, ..., n_L]  widths of the dense part: n_0 its inputs (for a
              conv network the flattened maps of the last conv layer, C*H*W),
              n_L the outputs. A dense-only network: [n_features, *hidden, n_out].
    layers    every layer with parameters, in order: conv layers, then dense
              layers. Layer i owns the arrays W{i}, b{i}.
                {"kind": "conv", "in_shape": [C, H, W], "out_channels": O,
                 "kernel": k, "stride": s, "padding": p, "pool": q,
                 "map_shape": [O, OH, OW],      # after convolution + activation
                 "out_shape": [O, OH/q, OW/q]}  # after q x q max pooling (q = 1: none)
                {"kind": "dense", "n_in": n, "n_out": m}
              A conv layer is convolution, the run's activation, then pooling;
              the first dense layer takes the last conv layer's out_shape
              flattened in C, H, W order. The first conv layer's in_shape is
              how a stored sample (a row of prod(in_shape) features, e.g. 784
              pixels) is seen: [1, 28, 28] for MNIST-like images.
    layout    [[shape of W0], [shape of b0], [W1], [b1], ...]:
              conv W (O, C, k, k) (PyTorch's layout), b (O,);
              dense W (n, m), b (m,).
    n_params  the total number of values in layout
    dtype     float32 or float64

Format 1 (runs written before conv layers) has no ``layers``: its network is
dense layers of ``sizes``, and :meth:`RunDir.read_config` fills ``layers`` in
for it, so every reader sees the format-2 section. A run's format is kept
when it is resumed.

``snapshots.bin`` (:mod:`.snapshots`) is unchanged: each record holds W0, b0,
W1, ... in ``layout`` order, so a conv layer's kernels are stored as its own
(O, C, k, k) array. In Python: ``run.layers`` is ``network.layers``,
``run.is_conv`` says whether any is a conv layer, ``run.n_in`` is a sample's
width; ``snap.weights[i]`` / ``snap.biases[i]`` are layer i's arrays in those
shapes (for a dense-only run, exactly as before). ``checkpoint.npz`` holds the
same arrays as ``param.W0``, ``param.b0``, ... The settings that made the
layers are ``settings.model.conv`` ([[channels, kernel], ...]), ``pool``,
``conv_stride`` and ``conv_padding`` (absent in format 1: no conv layers).
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .convnet import dense_layers, dense_sizes, input_width, layout as layers_layout
from .errors import ConfigError, RunError
from .io import atomic_write_json, atomic_write_npz, make_run_dir
from .run_checks import (DTYPES, FRAMEWORK_NAMES, RECORDED_FRAMEWORKS,  # noqa: F401
                         check_data, check_network, check_recorded, number_or_none,
                         valid_meta)
from .run_writers import METRIC_COLUMNS, HealthWriter, MetricsWriter, finite
from .snapshots import FILENAME as SNAPSHOTS, layout  # noqa: F401 (re-exported)

if TYPE_CHECKING:   # pandas loads on first use: it is a third of import time
    import pandas as pd

FORMAT = 2          # what this version writes
FORMATS = (1, 2)    # what it reads (format 1: dense layers only, no network.layers)
CONFIG, METRICS, STATUS = "config.json", "metrics.csv", "status.json"
CHECKPOINT, SAMPLES, PROBE = "checkpoint.npz", "samples.npz", "probe.npz"
HEALTH = "health.jsonl"
CONV_SETTINGS = ("conv", "pool", "conv_stride", "conv_padding")   # format 2 on
PROBE_ROWS = 512
CHECKPOINT_KEYS = ("epoch", "step", "batch", "elapsed", "shuffle_state", "dropout_state",
                   "optimizer_t", "running", "snapshots", "snapshot_step", "row_step")


class RunDir:
    """A run directory's files. ``RunDir.create(out, name)`` makes a new one."""

    def __init__(self, path):
        self.path = Path(path)
        self._lock_fd = None

    @classmethod
    def create(cls, out, name) -> "RunDir":
        return cls(make_run_dir(out, name))

    def file(self, name) -> Path:
        return self.path / name

    def is_run(self) -> bool:
        """The folder holds a run (its config.json), readable or not."""
        return self.file(CONFIG).exists()

    # -- config.json --------------------------------------------------------
    def read_config(self) -> dict:
        """config.json, checked: its format, network and settings sections."""
        path = self.file(CONFIG)
        try:
            cfg = json.loads(path.read_text())
        except FileNotFoundError:
            raise RunError(f"{self.path} is not a weightlapse run (no config.json)") from None
        except (OSError, ValueError) as e:
            raise RunError(f"{path} is unreadable ({e}); the run is damaged") from None
        if not isinstance(cfg, dict) or cfg.get("format") not in FORMATS or \
                isinstance(cfg.get("format"), bool):
            from ._version import __version__
            fmt = cfg.get("format") if isinstance(cfg, dict) else "?"
            raise RunError(f"{self.path} was written by another version of weightlapse "
                           f"(format {fmt}, this is {__version__}, format {FORMAT})")
        check_network(cfg.get("network"), path)
        for part in ("settings", "data"):
            if not isinstance(cfg.get(part), dict):
                raise RunError(f"{path} has no '{part}' section; the run is damaged")
        settings = cfg["settings"]
        if not all(isinstance(settings.get(p), dict) for p in
                   ("data", "model", "training", "recording")):
            raise RunError(f"{path}: its settings are incomplete; the run is damaged")
        from .config import RunConfig, check_known_settings
        try:
            if "recorded_from" in cfg:
                check_recorded(cfg["recorded_from"], path)
                check_known_settings(settings)
            else:
                RunConfig.from_dict(settings).validate()
        except ConfigError as e:
            raise RunError(f"{path}: {e}; the run is damaged") from None
        net = cfg["network"]
        check_data(cfg["data"], input_width(net["layers"]), net["sizes"][-1], path)
        return cfg

    def write_config(self, config: dict) -> None:
        """config.json; a format-1 run (resumed, relocated) stays format 1:
        without the ``layers`` its reader filled in and the conv settings."""
        if config.get("format") == 1:
            config = dict(config, network={k: v for k, v in config["network"].items()
                                           if k != "layers"})
            settings = dict(config["settings"])
            settings["model"] = {k: v for k, v in settings["model"].items()
                                 if k not in CONV_SETTINGS}
            config["settings"] = settings
        atomic_write_json(self.file(CONFIG), finite(config))

    def relocate(self, out) -> None:
        """Point config.json's ``out`` at ``out`` (a run moved into another
        folder, as a sweep's run sent back from its worker)."""
        config = self.read_config()
        config["settings"]["recording"]["out"] = str(out)
        self.write_config(config)

    def final_metrics(self) -> dict:
        """status.json's final metrics ({} while there are none)."""
        return dict(self.read_status().get("final_metrics") or {})

    # -- status.json --------------------------------------------------------
    def read_status(self) -> dict:
        """status.json as a dict; ``{"status": "unknown"}`` while it is missing."""
        path = self.file(STATUS)
        try:
            info = json.loads(path.read_text())
        except FileNotFoundError:
            return {"status": "unknown"}
        except (OSError, ValueError) as e:
            raise RunError(f"{path} is unreadable ({e}); the run is damaged") from None
        if not isinstance(info, dict) or not isinstance(info.get("status"), str) or not \
                isinstance(info.get("final_metrics", {}), dict) or not all(
                    number_or_none(v) for v in [*info.get("final_metrics", {}).values(),
                                                 *(info.get(k) for k in NUMBERS)]) or \
                not isinstance(info.get("message", ""), str):
            raise RunError(f"{path} is damaged (not a run status); the run is damaged")
        return info

    def write_status(self, info: dict) -> None:
        atomic_write_json(self.file(STATUS), finite(info))

    # -- metrics.csv --------------------------------------------------------
    def metrics_text(self) -> str:
        """metrics.csv's complete lines (a last line torn by a crash is left out),
        checked to start with the expected header."""
        path = self.file(METRICS)
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise RunError(f"{path} is missing; the run is incomplete") from None
        except (OSError, ValueError) as e:
            raise RunError(f"{path} is unreadable ({e})") from None
        text = text[:text.rfind("\n") + 1]
        if text.split("\n", 1)[0].rstrip("\r") != ",".join(METRIC_COLUMNS):
            raise RunError(f"{path} is damaged: its header is not "
                           f"{','.join(METRIC_COLUMNS)}")
        return text

    def read_metrics(self) -> pd.DataFrame:
        """metrics.csv as a DataFrame: at least one row, numeric columns."""
        df = self._parse_metrics(self.metrics_text())
        if df.empty:
            raise RunError(f"{self.file(METRICS)} has no rows yet; the run recorded nothing")
        return df

    def _parse_metrics(self, text) -> pd.DataFrame:
        import pandas as pd
        commas = len(METRIC_COLUMNS) - 1
        for i, ln in enumerate(text.splitlines()):
            if ln.count(",") != commas:
                raise RunError(f"{self.file(METRICS)} is damaged at line {i + 1} "
                               f"({ln[:40]!r} has {ln.count(',') + 1} fields, not "
                               f"{commas + 1})")
        try:
            df = pd.read_csv(io.StringIO(text))
            df = df.apply(pd.to_numeric, errors="raise").astype(float)
            df["step"] = df["step"].astype(np.int64)
        except (ValueError, pd.errors.ParserError) as e:
            raise RunError(f"{self.file(METRICS)} is damaged "
                           f"({str(e).splitlines()[0]})") from None
        return df

    def metrics_up_to(self, step: int, rows=None) -> str:
        """The text of metrics.csv kept when resuming from a checkpoint taken at
        ``row_step = step`` holding ``rows`` rows; an error when any of those
        rows is missing or damaged (resuming would lose it for good)."""
        text = self.metrics_text()
        lines = text.splitlines(keepends=True)
        keep = [lines[0]]
        for ln in lines[1:]:
            try:
                row_step = int(ln.split(",")[1])
            except (IndexError, ValueError):
                row_step = None
            if row_step is not None and row_step > step:
                break
            if row_step is None or ln.count(",") != len(METRIC_COLUMNS) - 1:
                raise RunError(f"{self.file(METRICS)} is damaged at line {len(keep) + 1} "
                               f"({ln.strip()[:40]!r}); resuming would lose that row")
            keep.append(ln)
        last = int(keep[-1].split(",")[1]) if len(keep) > 1 else None
        if last != step or (rows is not None and len(keep) - 1 != rows):
            raise RunError(f"{self.file(METRICS)} lacks rows up to step {step} that "
                           f"{CHECKPOINT} covers (it was cut short); the run cannot resume")
        self._parse_metrics("".join(keep))  # every kept value a number
        return "".join(keep)

    def open_metrics(self, keep_text=None) -> "MetricsWriter":
        """A writer of metrics.csv rows: a new file, or (resuming) the file cut
        back to ``keep_text``."""
        return MetricsWriter(self.file(METRICS), keep_text)

    # -- checkpoint.npz -----------------------------------------------------
    def has_checkpoint(self) -> bool:
        return self.file(CHECKPOINT).is_file()

    def write_checkpoint(self, meta: dict, arrays: dict) -> None:
        atomic_write_npz(self.file(CHECKPOINT), meta=np.array(json.dumps(meta)), **arrays)

    def read_checkpoint(self, config: dict):
        """(meta, arrays) of checkpoint.npz, checked against the run's network
        and its own id; one line naming the file when it is damaged."""
        path = self.file(CHECKPOINT)
        if not path.is_file():
            raise RunError(f"{self.path} has no checkpoint to resume from (it stopped "
                           "before its first epoch ended); train it again")
        try:
            with np.load(path, allow_pickle=False) as f:
                meta = json.loads(str(f["meta"]))
                arrays = {k: f[k] for k in f.files if k != "meta"}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
            why = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise RunError(f"{path} is unreadable ({why}); train the run again") from None
        if not isinstance(meta, dict) or any(k not in meta for k in CHECKPOINT_KEYS) \
                or not valid_meta(meta):
            raise RunError(f"{path} is incomplete or damaged (its training state)")
        if meta.get("run_id") != config.get("run_id"):
            raise RunError(f"{path} belongs to another run; train the run again")
        shapes = config["network"]["layout"]
        want = {f"param.{k}{i // 2}": tuple(s) for i, (k, s) in
                enumerate(zip("Wb" * len(shapes), shapes))}
        got = {k: a.shape for k, a in arrays.items() if k.startswith("param.")}
        opt = {k: a.shape for k, a in arrays.items() if k.startswith("opt.")}
        if got != want or any(want.get("param." + k[4:].split(".")[-1]) != s
                              for k, s in opt.items()):
            raise RunError(f"{path} does not match the run's network in config.json")
        return meta, arrays

    # -- samples.npz --------------------------------------------------------
    def write_samples(self, X, y) -> None:
        atomic_write_npz(self.file(SAMPLES), X=X, y=y)

    def read_samples(self):
        """(X: (n, 2), y: (n,)) or None when the run kept no samples."""
        path = self.file(SAMPLES)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as f:
                X, y = f["X"], f["y"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            raise RunError(f"{path} is unreadable; delete it to draw without "
                           "the data points") from None
        if X.ndim != 2 or y.ndim not in (1, 2) or len(X) != len(y):
            raise RunError(f"{path} is damaged; delete it to draw without the data points")
        return X, y

    # -- probe.npz ----------------------------------------------------------
    def write_probe(self, X, y=None) -> None:
        """probe.npz: X: (n, n_in) held-out rows as the network sees them
        (after the user's preprocessing; stored as float32, 1 <= n <= 512)
        and, if given, y: (n,) labels or (n, n_out) targets."""
        X = np.asarray(X, np.float32)
        if X.ndim != 2 or not 1 <= len(X) <= PROBE_ROWS or (y is not None
                                                          and len(y) != len(X)):
            raise ValueError(f"a probe set is 1 to {PROBE_ROWS} rows X: (n, n_in) "
                             f"with as many y (got X {X.shape})")
        arrays = {"X": X} if y is None else {"X": X, "y": np.asarray(y)}
        atomic_write_npz(self.file(PROBE), **arrays)

    def read_probe(self, n_in=None):
        """(X: (n, n_in) float32, y: (n,) or (n, n_out), or None), or None when
        the run stored no probe set; ``n_in``: the width X must have."""
        path = self.file(PROBE)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as f:
                X = f["X"]
                y = f["y"] if "y" in f.files else None
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            raise RunError(f"{path} is unreadable; delete it to go without the "
                           "probe set") from None
        if X.dtype != np.float32 or X.ndim != 2 or not 1 <= len(X) <= PROBE_ROWS or \
                (n_in is not None and X.shape[1] != n_in) or \
                (y is not None and (y.ndim not in (1, 2) or len(y) != len(X))):
            raise RunError(f"{path} is damaged (not a probe set of up to {PROBE_ROWS} rows "
                           "of the network's inputs); delete it to go without it")
        return X, y

    # -- health.jsonl -------------------------------------------------------
    def open_health(self, keep_step=None) -> "HealthWriter":
        """A writer of health.jsonl records: a new file, or (resuming) the file
        cut back to its header and the records up to step ``keep_step``."""
        keep = None
        if keep_step is not None:
            try:
                keep = [r for r in self.read_health()
                        if r["kind"] == "header" or r["step"] <= keep_step]
            except RunError:
                keep = []
        return HealthWriter(self.file(HEALTH), keep)

    def read_health(self):
        """health.jsonl's records (dicts with a "kind": header, row, probe), a
        last line torn by a crash left out; None when the run has none."""
        path = self.file(HEALTH)
        try:
            text = path.read_text()
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            raise RunError(f"{path} is unreadable ({e})") from None
        records = []
        for i, ln in enumerate(text[:text.rfind("\n") + 1].splitlines()):
            try:
                rec = json.loads(ln)
            except ValueError:
                rec = None
            if not isinstance(rec, dict) or rec.get("kind") not in ("header", "row", "probe") \
                    or (rec["kind"] != "header" and not isinstance(rec.get("step"), int)):
                raise RunError(f"{path} is damaged at line {i + 1}; delete it to diagnose "
                               "the run from its snapshots")
            records.append(rec)
        if records and records[0]["kind"] != "header":
            raise RunError(f"{path} is damaged (no header line); delete it to diagnose "
                           "the run from its snapshots")
        return records

    # -- one trainer at a time ----------------------------------------------
    def lock(self, busy=None) -> bool:
        """Hold an exclusive lock on the folder while training; an error when
        another live process holds it (two trainings would interleave;
        ``busy``: the error's message). False when this file system or
        platform has no locks."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - no flock: rely on status.json's pid
            return False
        fd = os.open(self.path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RunError(busy or f"{self.path} is being trained by another process; "
                           "wait for it to end or stop it first") from None
        except OSError:  # a file system without locks: status.json's pid must do
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    def unlock(self) -> None:
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
            self._lock_fd = None


NUMBERS = ("epochs_completed", "steps", "snapshots", "elapsed_s")


def network_info(sizes, dtype, layers=None) -> dict:
    """config.json's network section (format 2) for dense layers of ``sizes``,
    or for ``layers`` (:func:`.convnet.plan_layers`) when given."""
    layers = layers or dense_layers(sizes)
    shapes = layers_layout(layers)
    return {"sizes": dense_sizes(layers), "dtype": str(np.dtype(dtype)),
            "layers": layers, "layout": [list(s) for s in shapes],
            "n_params": int(sum(math.prod(s) for s in shapes))}


def find_runs(folder, depth=1) -> list:
    """The run folders under ``folder``, sorted: its subfolders that hold a
    run, and with ``depth=2`` theirs too (a sweep's runs inside an outputs
    folder)."""
    root, found = Path(folder), []
    for level in range(1, depth + 1):
        found += [p for p in root.glob("/".join(["*"] * level)) if RunDir(p).is_run()]
    return sorted(found)
