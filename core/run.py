"""Reading a run directory back: ``load_run(path) -> Run`` (SPEC §2)."""
from __future__ import annotations

import io
import json
import os
import socket
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from ._version import __version__
from .errors import RunError
from .snapshots import FILENAME, SnapshotSequence

FORMAT = 1
SAMPLES = "samples.npz"


class Run:
    """A recorded training run.

    ``config`` (dict from config.json), ``status`` ("finished", "interrupted",
    "diverged", or "running" for a run still going or killed), ``metrics``
    (DataFrame of metrics.csv) and ``snapshots`` (lazy sequence of
    :class:`~weightlapse.core.snapshots.Snapshot`).
    """

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_dir():
            raise RunError(f"run directory {self.path} "
                           f"{'is a file, not a folder' if self.path.exists() else 'not found'}")
        cfg_path = self.path / "config.json"
        try:
            self.config = json.loads(cfg_path.read_text())
        except FileNotFoundError:
            raise RunError(f"{self.path} is not a weightlapse run (no config.json)") from None
        except (OSError, ValueError) as e:
            raise RunError(f"{cfg_path} is unreadable ({e}); the run is damaged") from None
        if not isinstance(self.config, dict) or self.config.get("format") != FORMAT:
            raise RunError(f"{self.path} was written by another version of weightlapse "
                           f"(format {self.config.get('format') if isinstance(self.config, dict) else '?'}, "
                           f"this is {__version__}, format {FORMAT})")
        net = self.config["network"]
        self.sizes = list(net["sizes"])
        self.snapshots = SnapshotSequence(self.path / FILENAME, net["layout"], net["dtype"])

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def info(self) -> dict:
        """status.json: status, message, steps, final metrics."""
        try:
            return json.loads((self.path / "status.json").read_text())
        except (OSError, ValueError):
            return {"status": "unknown"}

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
            except (PermissionError, KeyError, ValueError, TypeError):
                pass
        return status

    @cached_property
    def metrics(self) -> pd.DataFrame:
        """metrics.csv; a last line torn by a crash (no newline) is left out."""
        path = self.path / "metrics.csv"
        try:
            text = path.read_text()
            if text and not text.endswith("\n"):
                text = text[:text.rfind("\n") + 1]
            return pd.read_csv(io.StringIO(text))
        except FileNotFoundError:
            raise RunError(f"{path} is missing; the run is incomplete") from None
        except (OSError, ValueError, pd.errors.EmptyDataError) as e:
            raise RunError(f"{path} is unreadable ({e})") from None

    @property
    def settings(self) -> dict:
        """All settings as one flat dict of API keyword names."""
        return {k: v for part in self.config["settings"].values() for k, v in part.items()}

    def samples(self):
        """(X, y) of up to 1,000 training points as the network saw them
        (2-D data only; None otherwise)."""
        path = self.path / SAMPLES
        if not path.is_file():
            return None
        with np.load(path) as f:
            return f["X"], f["y"]

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

    def network(self, snapshot: int = -1):
        """An :class:`~weightlapse.core.model.MLP` holding a snapshot's weights."""
        from .model import MLP
        s = self.settings
        model = MLP(self.sizes, s["activation"], s["init"], self.config["network"]["dtype"],
                    task=s["task"])
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


def network_info(sizes, dtype, shapes) -> dict:
    return {"sizes": list(sizes), "dtype": str(np.dtype(dtype)),
            "layout": [list(s) for s in shapes],
            "n_params": int(sum(int(np.prod(s)) for s in shapes))}
