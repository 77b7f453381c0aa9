"""From settings and data to a recorded run: the one place core's parts meet."""
from __future__ import annotations

import uuid
import zlib
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ._version import __version__
from .backend import array_module
from .config import RunConfig
from .csvdata import apply_transform, fit_standardize
from .data import Dataset, check_arrays, encode_labels, load_named, split
from .errors import ConfigError, DataError, RunError, arg, python_only
from .evaluation import sample_rows, score
from .memory import check_disk, check_synthetic, check_training, snapshot_bytes
from .convnet import dense_sizes, layers_for
from .model import MLP
from .optim import make_optimizer, make_schedule
from .recorder import Recorder
from .schedule import planned
from .rundir import FORMAT, RunDir, network_info
from .signals import stop_on_signals
from .trainer import Trainer


def seeded_rngs(seed: int):
    """Independent generators for data, split, init, shuffling, dropout and the
    step-0 metrics sample, all from one seed: the same seed gives the same run,
    bit for bit."""
    names = ("data", "split", "init", "shuffle", "dropout", "sample")
    return dict(zip(names, map(np.random.default_rng,
                               np.random.SeedSequence(seed).spawn(len(names)))))


def prepare_data(cfg: RunConfig, rngs, X=None, y=None, X_val=None, y_val=None,
                 progress_factory=None):
    """Load or check the data, split it, fit the feature transform on the
    training split and cast to the run's dtype. Returns (train, val, test,
    info); train/val/test are (X: (n, n_features), y: (n,) or (n, n_out))."""
    d = cfg.data
    if X is not None:
        ds = Dataset(*check_arrays(X, y, d.task), name="arrays")
    elif d.dataset is not None or d.data is not None:
        check_synthetic(cfg)
        ds = load_named(d, rngs["data"], progress_factory=progress_factory)
    else:
        raise ConfigError(f"no data: give {python_only('arrays X and y, ')}"
                          f"{arg('dataset', 'NAME')} or {arg('data', 'FILE.csv')}")
    Xa, ya = ds.X, ds.y
    if d.limit:
        Xa, ya = Xa[:d.limit], ya[:d.limit]
    if X_val is not None:
        Xv, yv = check_arrays(X_val, y_val, d.task, "X_val")
        if Xv.shape[1] != Xa.shape[1]:
            raise ConfigError(f"X_val has {Xv.shape[1]} features, X has {Xa.shape[1]}")
        Xt, yt, Xv, yv = Xa, ya, Xv, yv
    else:
        Xt, yt, Xv, yv = split(Xa, ya, d.val_fraction, rngs["split"])
    test = (ds.X_test, ds.y_test) if ds.X_test is not None else None
    columns = ds.columns or [f"x{i}" for i in range(Xt.shape[1])]
    transform = ds.transform
    if transform and transform["kind"] == "standardize":
        # Statistics of the training split only, so validation stays unseen.
        with np.errstate(over="ignore", invalid="ignore"):
            transform = fit_standardize(Xt)
        bad = ~(np.isfinite(transform["mean"]) & np.isfinite(transform["std"]))
        if bad.any():
            col = int(np.flatnonzero(bad)[0])
            raise DataError(f"{d.data}: column {columns[col]!r} cannot be standardised: "
                            f"its values overflow (up to {np.abs(Xt[:, col]).max():.3g}); "
                            "rescale it")
        Xt, Xv = apply_transform(Xt, transform), apply_transform(Xv, transform)
    if d.task == "classification":
        all_y = [yt, yv] + ([test[1]] if test else [])
        idx, names = encode_labels(np.concatenate(all_y), ds.class_names or None)
        cuts = np.cumsum([len(a) for a in all_y])[:-1]
        parts = np.split(idx, cuts)
        yt, yv = parts[0], parts[1]
        if test:
            test = (test[0], parts[2])
        n_out = len(names)
    else:
        names = []
        # Targets as (n, n_out) columns, like the outputs: an (n,) vector
        # would broadcast against (n, 1) outputs into an (n, n) "error".
        # (The width comes from the training targets: an empty validation
        # set, val_fraction=0, cannot say how wide it is.)
        k = 1 if np.ndim(yt) == 1 else np.shape(yt)[1]
        yt, yv = (np.asarray(a, np.float64).reshape(len(a), k) for a in (yt, yv))
        if test:
            test = (test[0], np.asarray(test[1], np.float64).reshape(len(test[1]), k))
        n_out = yt.shape[1]
    dtype = np.dtype(cfg.model.dtype)
    what = "X" if ds.name == "arrays" else (d.data or d.dataset)
    Xt, Xv = (_cast(a, dtype, columns, what) for a in (Xt, Xv))
    if test:
        test = (_cast(test[0], dtype, columns, what), test[1])
    if d.task == "regression":
        yt, yv = (_cast(a, dtype, [d.label_column if d.data else "y"], what) for a in (yt, yv))
        if test:
            test = (test[0], _cast(test[1], dtype, ["y"], what))
    info = {"name": ds.name, "task": d.task, "n_features": int(Xt.shape[1]),
            "fingerprint": fingerprint(Xt, yt, Xv, yv),
            "n_outputs": int(n_out), "n_train": len(Xt), "n_val": len(Xv),
            "n_test": len(test[0]) if test else 0,
            "input_shape": list(ds.input_shape) if ds.input_shape else None,
            "class_names": names, "label_column": d.label_column if d.data else None,
            "columns": columns, "transform": transform}
    return (Xt, yt), (Xv, yv), test, info


def fingerprint(*arrays) -> str:
    """A CRC-32 of the arrays' bytes (fast: ~0.1 s for MNIST), so resuming can
    tell the run's data from other data of the same shape."""
    crc = 0
    for a in arrays:
        crc = zlib.crc32(np.ascontiguousarray(a).reshape(-1).view(np.uint8), crc)
    return f"{crc:08x}"


def _cast(a, dtype, columns, what):
    """``a`` as contiguous ``dtype``; values that overflow it (1e308 in
    float32) are an error naming the column, never a "divergence" later."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.ascontiguousarray(a, dtype)
    bad = ~np.isfinite(out)
    if bad.any():
        col = int(np.argwhere(bad)[0, 1])
        name = columns[col] if col < len(columns) else col
        raise DataError(f"{what}: column {name!r} has values too large for {dtype.name} "
                        f"(up to {np.abs(a[:, col]).max():.3g}); rescale it"
                        + (" or use dtype float64" if dtype.itemsize < 8 else ""))
    return out


def train_run(cfg: RunConfig, X=None, y=None, X_val=None, y_val=None, callbacks=(),
              progress_factory=None):
    """Train a network as ``cfg`` says, recording into a new run directory.

    Everything that can fail on bad input (settings, data, the memory they
    need, a missing GPU) fails before the directory is created. Returns the
    :class:`Run`.
    """
    cfg.validate()
    array_module(cfg.training.device)  # CuPy and a GPU are there, or one line says which is not
    d = cfg.data
    # Absolute paths, so the run resumes from any working directory.
    if d.data is not None:
        d.data = str(Path(d.data).resolve())
    if d.data_dir is not None:
        d.data_dir = str(Path(d.data_dir).resolve())
    rngs = seeded_rngs(cfg.training.seed)
    data = prepare_data(cfg, rngs, X, y, X_val, y_val, progress_factory)
    info = data[3]
    layers = layers_for(cfg.model, info)
    sizes = dense_sizes(layers)
    check_training(cfg, sizes, info["n_train"], info["n_val"], layers)
    check_disk(cfg.recording.out, snapshot_bytes(sizes, np.dtype(cfg.model.dtype).itemsize,
                                                 info["n_train"], cfg, layers))
    schedule = _schedule(cfg)
    run_dir = RunDir.create(cfg.recording.out, cfg.recording.name or info["name"])
    run_id = uuid.uuid4().hex
    run_dir.lock()
    try:
        run_dir.write_config({
            "format": FORMAT, "weightlapse_version": __version__, "run_id": run_id,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "settings": asdict(cfg), "data": info,
            "network": network_info(sizes, cfg.model.dtype, layers)})
        Xt, yt = data[0]
        if Xt.shape[1] == 2:  # 2-D data: keep up to 1,000 points for decision-region plots
            pick = np.sort(rngs["split"].permutation(len(Xt))[:1000])
            run_dir.write_samples(Xt[pick], yt[pick])
        return _fit(cfg, run_dir, data, rngs, callbacks, schedule, run_id)
    finally:
        run_dir.unlock()


def _schedule(cfg):
    t = cfg.training
    options = {"step": {"step_every": t.lr_step_every, "gamma": t.lr_gamma}}
    return make_schedule(t.lr_schedule, **options.get(t.lr_schedule, {}))


def _fit(cfg, run_dir, data, rngs, callbacks, schedule, run_id, resume=None,
         metrics_keep=None):
    (Xt, yt), (Xv, yv), test, info = data
    m, t = cfg.model, cfg.training
    classify = cfg.data.task == "classification"
    layers = layers_for(m, info)
    sizes = dense_sizes(layers)
    conv = layers if layers[0]["kind"] == "conv" else None
    xp = array_module(t.device)
    n_train = len(Xt)
    # The data go to the device once; every batch is then cut there.
    Xt, yt, Xv, yv = (xp.asarray(a) for a in (Xt, yt, Xv, yv))
    model = MLP(sizes, m.activation, m.init, m.dtype, m.dropout, t.l2, cfg.data.task,
                rng=rngs["init"], dropout_rng=rngs["dropout"], device=t.device, layers=conv)
    optimizer = make_optimizer(t.optimizer, t.lr, t.momentum, schedule, xp=xp)
    if resume:
        # A checkpoint holds host arrays: it resumes on either device.
        for k, p in model.params.items():
            p[...] = xp.asarray(resume["arrays"][f"param.{k}"])
    recorder = Recorder(run_dir, sizes, m.dtype, cfg.recording.snapshot_every,
                        classify=classify, sample=sample_rows(n_train, rngs["sample"]),
                        resume=resume and resume["meta"], metrics_keep=metrics_keep,
                        run_id=run_id, xp=xp, layers=conv)
    trainer = Trainer(model, optimizer, Xt, yt, Xv, yv, epochs=t.epochs,
                      batch_size=t.batch_size, rng=rngs["shuffle"],
                      callbacks=[recorder, *callbacks])
    trainer.check_every = _check_every(cfg.recording, trainer.total_steps,
                                       trainer.steps_per_epoch)
    if resume:
        trainer.load_state_dict(resume)
    try:
        with stop_on_signals(trainer):
            trainer.fit()
    except OSError as e:
        # A full disk or a vanished folder while recording: what was written
        # before stays readable (whole records; a torn last one is skipped).
        recorder.close()
        msg = (f"could not write to {run_dir.path} ({e.strerror or e}); what was recorded "
               f"is kept: free space, then resume with: weightlapse train --resume "
               f"{run_dir.path}")
        try:
            run_dir.write_status({"status": "failed", "message": msg, "steps": trainer.step})
        except OSError:
            pass
        raise RunError(msg) from None
    finally:
        recorder.close()
    if test is not None and trainer.status == "finished":
        loss, acc = score(model, xp.asarray(test[0]), xp.asarray(test[1]), classify)
        status = run_dir.read_status()
        status.setdefault("final_metrics", {}).update(test_loss=loss, test_acc=acc)
        run_dir.write_status(status)
    from .run import load_run
    return load_run(run_dir.path)


def _check_every(recording, total_steps, steps_per_epoch):
    """Steps between divergence checks on a GPU (or the set of steps checked):
    the snapshot schedule, so that no recorded snapshot holds weights from
    past a non-finite loss (epoch ends are always checked)."""
    every = recording.snapshot_every
    if isinstance(every, int):
        return every
    if every == "epoch":
        return 0
    return frozenset(planned(every, total_steps, steps_per_epoch))
