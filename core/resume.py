"""Continuing a run from its checkpoint: ``train --resume RUN [--epochs N] [--device cpu|gpu]``.

Every check (the run's files, the process that may still train it, the new
length, the data) passes before anything in the run directory changes.
"""
from __future__ import annotations

import math
from socket import gethostname
import warnings
from dataclasses import asdict
from datetime import datetime, timezone

from .backend import array_module
from .config import RunConfig
from .errors import ConfigError, DataError, RunError, arg
from .memory import check_training
from .pipeline import _fit, _schedule, prepare_data, seeded_rngs
from .rundir import CHECKPOINT, FRAMEWORK_NAMES, SNAPSHOTS
from .run import load_run


def resume_run(path, epochs=None, X=None, y=None, X_val=None, y_val=None, callbacks=(),
               progress_factory=None, device=None):
    """Continue the run at ``path`` from its checkpoint (its last epoch end, or
    where Ctrl-C stopped it), to ``epochs`` in all if given, on ``device`` if
    given (a checkpoint holds host arrays, so a GPU run resumes on the CPU and
    back). With the same data
    the result is bit for bit the run that was never interrupted: the
    snapshots and metrics after the checkpoint are cut and recorded again.

    A run on a schedule that depends on the run's length (``cosine``) keeps
    its length: extending it would change the learning rates it already used,
    so that is refused; ``constant`` and ``step`` runs extend exactly.
    """
    run = load_run(path)
    if run.recorded_from:
        rec = run.recorded_from
        raise RunError(f"{run.path} was recorded from {FRAMEWORK_NAMES[rec['framework']]} "
                       f"{rec['version']} and cannot be resumed by weightlapse; continue its "
                       "training there")
    files = run.files
    locked = files.lock()
    try:
        info = run.info
        # Every training holds the folder's lock: with it held here, a "running"
        # status written on this host is stale (its process died, its pid may
        # be reused). Without a lock, or from another host, trust the status.
        if run.status == "running" and (not locked or info.get("host") != gethostname()):
            raise RunError(f"{run.path} is being trained by process {info.get('pid')} on "
                           f"{info.get('host')}; wait for it to end or stop it first")
        meta, arrays = files.read_checkpoint(run.config)
        cfg = RunConfig.from_dict(run.config["settings"])
        cfg.validate()
        old_epochs = cfg.training.epochs
        if epochs is not None:
            cfg.training.epochs = epochs
        if device is not None:
            cfg.training.device = device
        if epochs is not None or device is not None:
            cfg.validate()
        array_module(cfg.training.device)  # CuPy and a GPU, before anything is written
        _check_length(run, cfg, meta, old_epochs)
        if run.config["data"]["name"] == "arrays" and X is None:
            raise ConfigError(f"{run.path} was trained on arrays: resume it from Python "
                              "with wl.train(X, y, resume=path) and the same data")
        rngs = seeded_rngs(cfg.training.seed)
        data = prepare_data(cfg, rngs, X, y, X_val, y_val, progress_factory)
        info = data[3]
        for key in ("n_train", "n_val", "n_features", "n_outputs"):
            if info[key] != run.config["data"].get(key):
                raise DataError(f"the data differ from the run's ({key} {info[key]}, the "
                                f"run had {run.config['data'].get(key)}); pass the same data")
        old = run.config["data"].get("fingerprint")
        if old is not None and info["fingerprint"] != old:
            what = (f"{cfg.data.data} has changed since" if cfg.data.data else
                    "X, y are not the data" if X is not None else "the data differ from what")
            raise DataError(f"{what} {run.path} was trained on (same shape, other values); "
                            "it can only resume on the same data")
        _check_layers(run, cfg, info)
        check_training(cfg, run.sizes, info["n_train"], info["n_val"], run.layers)
        _check_snapshots(run, meta)
        metrics_keep = files.metrics_up_to(meta["row_step"], meta.get("rows"))
        schedule = _schedule(cfg)
        config = dict(run.config)
        config["settings"] = asdict(cfg)
        config["resumed"] = list(config.get("resumed", [])) + [
            {"from_step": meta["step"], "at": datetime.now(timezone.utc).isoformat(
                timespec="seconds")}]
        files.write_config(config)
        return _fit(cfg, files, data, rngs, callbacks, schedule, run.config.get("run_id"),
                    resume={"meta": meta, "arrays": arrays}, metrics_keep=metrics_keep)
    finally:
        files.unlock()


def _check_length(run, cfg, meta, old_epochs):
    """The new length must go past the steps done, and may change only for
    schedules that do not depend on it."""
    n = run.config["data"]["n_train"]
    bs = cfg.training.batch_size
    steps_per_epoch = math.ceil(n / (n if bs in (0, None) or bs >= n else bs))
    new = cfg.training.epochs
    done = meta["step"] / steps_per_epoch
    if new * steps_per_epoch <= meta["step"]:
        shown = f"{meta['epoch']}" if meta["batch"] == 0 else f"{done:.2f}"
        least = meta["epoch"] + 1
        raise ConfigError(f"{run.path} has already trained {shown} epochs; pass "
                          f"{arg('epochs', 'N')} with N >= {least} to continue it")
    if new != old_epochs and _schedule(cfg).length_dependent:
        raise ConfigError(
            f"{run.path} anneals its learning rate over its {old_epochs} epochs "
            f"({arg('lr_schedule')} {cfg.training.lr_schedule}); changing its length would "
            f"break that schedule: resume it without {arg('epochs')}, or train a new run "
            f"with {arg('epochs', str(new))}")


def _check_snapshots(run, meta):
    """snapshots.bin must hold every snapshot the checkpoint counts (a file
    cut short would otherwise be extended with zeros)."""
    want = meta["snapshots"]
    path = run.path / SNAPSHOTS
    with warnings.catch_warnings():  # a torn last record is cut away below anyway
        warnings.simplefilter("ignore")
        have = len(run.snapshots)
    if have < want:
        raise RunError(f"{path} holds {have} snapshots where {CHECKPOINT} expects {want} "
                       "(it was cut short); the run cannot resume")
    if want and int(run.snapshots.steps[want - 1]) != meta["snapshot_step"]:
        raise RunError(f"{path} does not match {CHECKPOINT} (snapshot {want - 1} is at "
                       f"step {int(run.snapshots.steps[want - 1])}, not "
                       f"{meta['snapshot_step']}); the run cannot resume")




def _check_layers(run, cfg, info):
    """The layers the run's settings build on its data must be the layers its
    snapshots and checkpoint hold (config.json's settings edited, say, to
    other conv layers, would resume a different network)."""
    from .convnet import conv_text, layers_for
    try:
        layers = layers_for(cfg.model, info)
    except ConfigError as e:
        raise RunError(f"{run.path}: its settings no longer build its network ({e}); "
                       "the run cannot resume") from None
    if layers != run.layers:
        m = cfg.model
        raise RunError(f"{run.path}: its conv settings ({arg('conv')} {conv_text(m.conv)}, "
                       f"{arg('pool')} {m.pool}, {arg('conv_stride')} {m.conv_stride}, "
                       f"{arg('conv_padding')} {m.conv_padding}, {arg('hidden')} "
                       f"{','.join(map(str, m.hidden)) or 'none'}) do not build the network "
                       f"its snapshots hold; the run cannot resume with other layer settings")
