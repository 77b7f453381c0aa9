"""From settings and data to a recorded run: the one place core's parts meet."""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timezone

import numpy as np

from ._version import __version__
from .backend import array_module
from .config import RunConfig
from .csvdata import apply_transform, fit_standardize
from .data import Dataset, check_arrays, encode_labels, load_named, split
from .errors import ConfigError, DataError, RunError
from .io import atomic_write_json, atomic_write_npz, atomic_write_text, make_run_dir
from .model import MLP
from .optim import make_optimizer
from .recorder import CHECKPOINT, Recorder
from .run import FORMAT, SAMPLES, load_run, network_info
from .snapshots import layout
from .trainer import Trainer


def seeded_rngs(seed: int):
    """Independent generators for data, split, init, shuffling and dropout,
    all from one seed: the same seed gives the same run, bit for bit."""
    return dict(zip(("data", "split", "init", "shuffle", "dropout"),
                    map(np.random.default_rng, np.random.SeedSequence(seed).spawn(5))))


def prepare_data(cfg: RunConfig, rngs, X=None, y=None, X_val=None, y_val=None,
                 progress_factory=None):
    """Load or check the data, split it, and fit the feature transform on the
    training split. Returns (train, val, test, info)."""
    d = cfg.data
    if X is not None:
        ds = Dataset(*check_arrays(X, y, d.task), name="arrays")
    elif d.dataset is not None or d.data is not None:
        ds = load_named(d, rngs["data"], progress_factory=progress_factory)
    else:
        raise ConfigError("no data: pass X and y, dataset=NAME, or data=FILE.csv")
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
    transform = ds.transform
    if transform and transform["kind"] == "standardize":
        # Statistics of the training split only, so validation stays unseen.
        transform = fit_standardize(Xt)
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
        yt, yv = (np.asarray(a, np.float64).reshape(len(a), -1) for a in (yt, yv))
        n_out = yt.shape[1]
    info = {"name": ds.name, "task": d.task, "n_features": int(Xt.shape[1]),
            "n_outputs": int(n_out), "n_train": len(Xt), "n_val": len(Xv),
            "n_test": len(test[0]) if test else 0,
            "input_shape": list(ds.input_shape) if ds.input_shape else None,
            "class_names": names, "label_column": d.label_column if d.data else None,
            "columns": ds.columns or [f"x{i}" for i in range(Xt.shape[1])],
            "transform": transform}
    return (Xt, yt), (Xv, yv), test, info


def train_run(cfg: RunConfig, X=None, y=None, X_val=None, y_val=None, callbacks=(),
              progress_factory=None):
    """Train a network as ``cfg`` says, recording into a new run directory.

    Everything that can fail on bad input (settings, data, a missing GPU)
    fails before the directory is created. Returns the :class:`Run`.
    """
    cfg.validate()
    array_module(cfg.training.device)  # CuPy and a GPU are there, or one line says which is not
    rngs = seeded_rngs(cfg.training.seed)
    data = prepare_data(cfg, rngs, X, y, X_val, y_val, progress_factory)
    info = data[3]
    sizes = [info["n_features"], *cfg.model.hidden, info["n_outputs"]]
    dtype = np.dtype(cfg.model.dtype)
    run_dir = make_run_dir(cfg.recording.out, cfg.recording.name or info["name"])
    atomic_write_json(run_dir / "config.json", {
        "format": FORMAT, "weightlapse_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "settings": asdict(cfg), "data": info,
        "network": network_info(sizes, dtype, layout(sizes))})
    Xt, yt = data[0]
    if Xt.shape[1] == 2:  # 2-D data: keep up to 1,000 points for decision-region plots
        pick = np.sort(rngs["split"].permutation(len(Xt))[:1000])
        atomic_write_npz(run_dir / SAMPLES, X=Xt[pick], y=yt[pick])
    return _fit(cfg, run_dir, data, rngs, callbacks)


def resume_run(path, epochs=None, X=None, y=None, X_val=None, y_val=None, callbacks=(),
               progress_factory=None, device=None):
    """Continue the run at ``path`` from its checkpoint (its last epoch end, or
    where Ctrl-C stopped it), to ``epochs`` in all if given, on ``device`` if
    given (a checkpoint holds host arrays, so a GPU run resumes on the CPU and
    back). With the same data the result is bit for bit the run that was never
    interrupted: the snapshots and metrics after the checkpoint are cut and
    recorded again."""
    run = load_run(path)
    ck_path = run.path / CHECKPOINT
    if not ck_path.is_file():
        raise RunError(f"{run.path} has no checkpoint to resume from (it stopped before "
                       "its first epoch ended); train it again")
    try:
        with np.load(ck_path) as f:
            meta = json.loads(str(f["meta"]))
            arrays = {k: f[k] for k in f.files if k != "meta"}
    except (OSError, ValueError, KeyError) as e:
        raise RunError(f"{ck_path} is unreadable ({e}); train the run again") from None
    cfg = RunConfig.from_dict(run.config["settings"])
    if epochs is not None:
        cfg.training.epochs = epochs
    if device is not None:
        cfg.training.device = device
    cfg.validate()
    array_module(cfg.training.device)
    if cfg.training.epochs <= meta["epoch"] and meta["batch"] == 0:
        raise ConfigError(f"{run.path} has already trained {meta['epoch']} epochs; pass "
                          f"--epochs N with N > {meta['epoch']} to continue it")
    if run.config["data"]["name"] == "arrays" and X is None:
        raise ConfigError(f"{run.path} was trained on arrays: resume it from Python with "
                          "wl.train(X, y, resume=path) and the same data")
    rngs = seeded_rngs(cfg.training.seed)
    data = prepare_data(cfg, rngs, X, y, X_val, y_val, progress_factory)
    if data[3]["n_train"] != run.config["data"]["n_train"]:
        raise DataError(f"the data differ from the run's ({data[3]['n_train']} training "
                        f"samples, the run had {run.config['data']['n_train']})")
    config = dict(run.config)
    config["settings"] = asdict(cfg)
    config.setdefault("resumed", []).append(
        {"from_step": meta["step"], "at": datetime.now(timezone.utc).isoformat(
            timespec="seconds")})
    atomic_write_json(run.path / "config.json", config)
    _cut_metrics(run.path / "metrics.csv", meta["row_step"])
    state = {"meta": meta, "arrays": arrays}
    return _fit(cfg, run.path, data, rngs, callbacks, resume=state)


def _cut_metrics(path, step):
    """Keep metrics.csv's rows up to ``step`` (and drop a torn last line)."""
    lines = path.read_text().splitlines(keepends=True)
    keep = [lines[0]] + [ln for ln in lines[1:] if ln.endswith("\n")
                         and int(ln.split(",")[1]) <= step]
    atomic_write_text(path, "".join(keep))


def _fit(cfg, run_dir, data, rngs, callbacks, resume=None):
    (Xt, yt), (Xv, yv), test, info = data
    m, t = cfg.model, cfg.training
    dtype = np.dtype(m.dtype)
    sizes = [info["n_features"], *m.hidden, info["n_outputs"]]

    xp = array_module(t.device)

    def cast(a):
        return np.ascontiguousarray(a, dtype)

    Xt, Xv = cast(Xt), cast(Xv)
    if cfg.data.task == "regression":
        yt, yv = cast(yt), cast(yv)
    # The data go to the device once; every batch is then cut there.
    Xt, yt, Xv, yv = (xp.asarray(a) for a in (Xt, yt, Xv, yv))
    model = MLP(sizes, m.activation, m.init, dtype, m.dropout, t.l2, cfg.data.task,
                rng=rngs["init"], dropout_rng=rngs["dropout"], device=t.device)
    optimizer = make_optimizer(t.optimizer, t.lr, t.momentum, xp=xp)
    position = None
    if resume:
        for k, p in model.params.items():
            p[...] = xp.asarray(resume["arrays"][f"param.{k}"])
        meta = resume["meta"]
        position = (meta["snapshots"], meta["snapshot_step"], meta["row_step"])
    recorder = Recorder(run_dir, sizes, dtype, cfg.recording.snapshot_every, resume=position)
    trainer = Trainer(model, optimizer, Xt, yt, Xv, yv, epochs=t.epochs,
                      batch_size=t.batch_size, lr_schedule=t.lr_schedule,
                      schedule_options={"step_every": t.lr_step_every, "gamma": t.lr_gamma},
                      rng=rngs["shuffle"], callbacks=[recorder, *callbacks],
                      task=cfg.data.task, check_every=_check_every(cfg.recording))
    if resume:
        trainer.load_state_dict(resume)
    try:
        trainer.fit()
    except OSError as e:
        # A full disk or a vanished folder while recording: what was written
        # before stays readable (whole records; a torn last one is skipped).
        recorder.close()
        msg = (f"could not write to {run_dir} ({e.strerror or e}); what was recorded "
               f"is kept: free space, then resume with: weightlapse train --resume {run_dir}")
        try:
            atomic_write_json(run_dir / "status.json", {"status": "failed", "message": msg,
                                                        "steps": trainer.step})
        except OSError:
            pass
        raise RunError(msg) from None
    finally:
        recorder.close()
    if test is not None and trainer.status == "finished":
        loss, acc = trainer.score(xp.asarray(cast(test[0])), xp.asarray(test[1]))
        status_path = run_dir / "status.json"
        status = json.loads(status_path.read_text())
        status.setdefault("final_metrics", {}).update(test_loss=loss, test_acc=acc)
        atomic_write_json(status_path, status)
    return load_run(run_dir)


def _check_every(recording) -> int:
    """Steps between divergence checks on a GPU: the snapshot cadence, so that
    no recorded snapshot holds weights from past a non-finite loss (epoch ends
    are always checked)."""
    every = recording.snapshot_every
    return every if isinstance(every, int) else 0
