"""Reading a run directory back: ``load_run(path) -> Run`` (SPEC §2)."""
from __future__ import annotations

import os
import socket
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import RunError
from .rundir import CHECKPOINT, CONFIG, SNAPSHOTS, RunDir
from .snapshots import SnapshotSequence

if TYPE_CHECKING:   # pandas loads on first use: it is a third of import time
    import pandas as pd


class Run:
    """A recorded training run.

    ``config`` (dict from config.json), ``status`` ("finished", "interrupted",
    "diverged", "failed", or "running" for a run still going, "killed" for one
    that died without saying), ``metrics`` (DataFrame of metrics.csv) and
    ``snapshots`` (lazy sequence of :class:`~weightlapse.core.snapshots.Snapshot`).
    Damaged files raise :class:`RunError` naming the file.
    """

    def __init__(self, path):
        if not isinstance(path, (str, os.PathLike)):
            raise RunError(f"a run is given by its folder's path (got {type(path).__name__})")
        self.path = Path(path)
        try:
            found = self.path.is_dir()
        except (OSError, ValueError):  # a NUL byte, a name too long
            found = False
        if not found:
            what = "is a file, not a folder" if self.path.is_file() else "not found"
            raise RunError(f"run directory {self.path} {what}")
        self.files = RunDir(self.path)
        self.config = self.files.read_config()
        net = self.config["network"]
        self.sizes = list(net["sizes"])
        #: network.layers (see :mod:`.rundir`): conv layers, then dense layers
        self.layers = net["layers"]
        self.is_conv = self.layers[0]["kind"] == "conv"
        try:
            self.snapshots = SnapshotSequence(self.path / SNAPSHOTS, net["layout"],
                                              net["dtype"])
        except (ValueError, OverflowError, MemoryError):  # sizes no snapshot can hold
            raise RunError(f"{self.path / CONFIG}: layer sizes {self.sizes} are impossible; "
                           "the run is damaged") from None

    @property
    def n_in(self) -> int:
        """Features of a sample as stored (a conv run's flattened images)."""
        from .convnet import input_width
        return input_width(self.layers)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def recorded_from(self):
        """For a run recorded from another framework, config.json's
        ``recorded_from`` ({"framework": "pytorch"|"keras", "version", ...});
        None for a run trained by weightlapse."""
        return self.config.get("recorded_from")

    @property
    def info(self) -> dict:
        """status.json: status, message, steps, final metrics."""
        return self.files.read_status()

    @property
    def status(self) -> str:
        """finished, interrupted, diverged, failed; running while its process
        lives, killed when it died without saying (SIGKILL, a crash)."""
        info = self.info
        status = info.get("status", "unknown")
        if status == "running" and info.get("host") == socket.gethostname():
            try:
                os.kill(int(info["pid"]), 0)
            except ProcessLookupError:
                return "killed"
            except (PermissionError, KeyError, ValueError, TypeError, OverflowError):
                pass
        return status

    @property
    def has_checkpoint(self) -> bool:
        return (self.path / CHECKPOINT).is_file()

    @cached_property
    def metrics(self) -> pd.DataFrame:
        """metrics.csv; a last line torn by a crash (no newline) is left out."""
        return self.files.read_metrics()

    @property
    def settings(self) -> dict:
        """All settings as one flat dict of API keyword names."""
        return {k: v for part in self.config["settings"].values() for k, v in part.items()}

    def samples(self):
        """(X, y) of up to 1,000 training points as the network saw them
        (2-D data only; None otherwise)."""
        return self.files.read_samples()

    def snapshot(self, i: int = -1):
        """Snapshot ``i`` (negative counts from the end), or a one-line error
        saying which exist."""
        n = len(self.snapshots)
        if n == 0:
            raise RunError(f"run {self.path} has no snapshots")
        if not -n <= i < n:
            raise RunError(f"snapshot {i} does not exist; run {self.path} has {n} "
                           f"(0..{n - 1}, or -1 for the last)")
        return self.snapshots[i]

    def network(self, snapshot: int = -1, dtype=None):
        """An :class:`~weightlapse.core.model.MLP` (with its conv layers, if
        any) holding a snapshot's weights (``dtype``: its arrays' type,
        default the run's)."""
        from .model import MLP
        s = self.settings
        try:
            # init only shapes the weights replaced below: a recorded run has none
            model = MLP(self.sizes, s["activation"], s.get("init", "he"),
                        dtype or self.config["network"]["dtype"],
                        task=self.config["data"]["task"], layers=self.layers)
        except KeyError as e:
            raise RunError(f"{self.path / CONFIG}: unknown or missing setting {e}; "
                           "the run is damaged") from None
        snap = self.snapshot(snapshot)
        model.set_weights(snap.weights, snap.biases)
        return model

    def __repr__(self):
        return (f"Run({str(self.path)!r}, status={self.status!r}, sizes={self.sizes}, "
                f"snapshots={len(self.snapshots)})")


def load_run(path) -> Run:
    """Open the run directory at ``path`` (lazy: snapshots are read on access)."""
    if isinstance(path, Run):
        return path
    return Run(path)
