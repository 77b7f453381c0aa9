"""Seconds per epoch of the ``mnist-cnn`` preset's network (batch 64, Adam,
float32, CPU) on MNIST's 54,000 training images: weightlapse (no recording,
recording per epoch) against PyTorch eager CPU on the same network, in this
one process, interleaved round by round; then the peak memory of a recorded
epoch.

    python scripts/bench_cnn.py [--rounds 5] [--threads 1] [--rows 54000] [--data-dir DIR]
    python scripts/bench_cnn.py --costs-only     # the recorder's CPU time by callback

The network is the preset's (core/presets.py): conv layers, ReLU, 2x2 max
pooling, then dense layers, as ``weightlapse.core.model.MLP`` builds it and
as ``torch.nn`` builds it. Each round runs every variant once, in a rotating
order; each ratio is the median over rounds of the two times taken in the
same round (the host's speed drifts between rounds; a paired ratio cancels
that). Both sides use ``--threads`` threads (BLAS for NumPy, intra-op for
PyTorch), set before either is imported; on a shared host the CPU time
(this process's) is printed beside the wall time.

"Recording per epoch" is the real trainer with the real Recorder writing a
run directory (snapshot 0 and the epoch end, metrics rows, health.jsonl, the
checkpoint), timed from before the Recorder is made to after it closes, as
in scripts/bench_train.py; "no recording" is the trainer without it. Neither
has a validation split (the trainer's evaluation of one is the same work
with or without recording). The peak memory is that of one recorded epoch
as tracemalloc counts NumPy's allocations (weights, batches, im2col columns,
the recorder), besides the data set itself.

Targets (issue 21): weightlapse <= 1.5x PyTorch eager; recording <= 2% per epoch.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time


def parse():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rows", type=int, default=54000,
                    help="train on the first N rows of the training split (default 54,000)")
    ap.add_argument("--data-dir")
    ap.add_argument("--costs-only", action="store_true",
                    help="only the recorder's costs by callback (no rounds, no PyTorch)")
    return ap.parse_args()


def callback_costs(np, cfg, layers, X, y):
    """CPU ms spent in each recorder callback during a one-epoch recorded run
    (the second of two, so first-call costs are left out), by wrapping them."""
    from weightlapse.core import health_record, recorder
    spent = {}

    def wrap(cls, name):
        f = getattr(cls, name)

        def timed(*a, **k):
            c = time.process_time()
            try:
                return f(*a, **k)
            finally:
                key = f"{cls.__name__}.{name}"
                spent[key] = spent.get(key, 0.0) + time.process_time() - c
        setattr(cls, name, timed)
    for name in ("on_train_start", "on_step_end", "on_epoch_end", "on_train_end"):
        wrap(recorder.Recorder, name)
    for name in ("start", "snapshot"):
        wrap(health_record.HealthRecorder, name)
    for _ in range(2):
        spent.clear()
        wall, cpu = weightlapse_epoch(np, cfg, layers, X, y, 7, True)
    print(f"recorder callbacks in a one-epoch run ({cpu:.2f} s CPU in all), CPU ms:")
    for k, v in spent.items():
        print(f"  {k:32s} {1000 * v:8.1f}")


def _clock():
    return time.perf_counter(), time.process_time()


def _since(t):
    return time.perf_counter() - t[0], time.process_time() - t[1]


def preset_network(np):
    """(the preset's settings, network.layers for 1x28x28 images and 10 classes)."""
    from weightlapse.core.config import RunConfig
    from weightlapse.core.convnet import layers_for
    from weightlapse.core.presets import preset_settings
    s = preset_settings("mnist-cnn")
    cfg = RunConfig.from_settings(**{k: v for k, v in s.items() if k != "dataset"})
    info = {"n_features": 784, "n_outputs": 10, "input_shape": [28, 28], "name": "mnist"}
    return cfg, layers_for(cfg.model, info)


def weightlapse_epoch(np, cfg, layers, X, y, seed, record):
    from weightlapse.core.model import MLP
    from weightlapse.core.optim import make_optimizer
    from weightlapse.core.recorder import Recorder
    from weightlapse.core.rundir import RunDir
    from weightlapse.core.trainer import Trainer
    m, t = cfg.model, cfg.training
    model = MLP(None, m.activation, m.init, m.dtype, layers=layers,
                rng=np.random.default_rng(seed))
    opt = make_optimizer(t.optimizer, t.lr)
    with tempfile.TemporaryDirectory() as d:
        c = _clock()
        cbs = [Recorder(RunDir(d), model.sizes, m.dtype, "epoch", layers=layers)] \
            if record else []
        Trainer(model, opt, X, y, epochs=1, batch_size=t.batch_size,
                rng=np.random.default_rng(seed), callbacks=cbs).fit()
        return _since(c)


def torch_net(torch, layers):
    nn = torch.nn
    mods = []
    for l in layers:
        if l["kind"] == "conv":
            mods += [nn.Conv2d(l["in_shape"][0], l["out_channels"], l["kernel"], l["stride"],
                               l["padding"]), nn.ReLU()]
            if l["pool"] > 1:
                mods.append(nn.MaxPool2d(l["pool"]))
        else:
            if not any(isinstance(x, nn.Flatten) for x in mods):
                mods.append(nn.Flatten())
            mods += [nn.Linear(l["n_in"], l["n_out"]), nn.ReLU()]
    return nn.Sequential(*mods[:-1])     # no activation after the output layer


def torch_epoch(torch, cfg, layers, X, y, seed):
    torch.manual_seed(seed)
    net = torch_net(torch, layers)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.training.lr)
    lossf = torch.nn.CrossEntropyLoss()
    bs = cfg.training.batch_size
    c = _clock()
    order = torch.randperm(len(X))
    for s in range(0, len(X), bs):
        idx = order[s:s + bs]
        loss = lossf(net(X[idx].view(-1, 1, 28, 28)), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return _since(c)


def main():
    args = parse()
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[k] = str(args.threads)
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    from weightlapse.core.config import RunConfig
    from weightlapse.core.convnet import conv_text
    from weightlapse.core.pipeline import prepare_data, seeded_rngs
    cfg, layers = preset_network(np)
    data_cfg = RunConfig.from_settings(dataset="mnist", data_dir=args.data_dir)
    (X, y), _, _, _ = prepare_data(data_cfg, seeded_rngs(0))
    X, y = np.ascontiguousarray(X[:args.rows]), y[:args.rows]
    if args.costs_only:
        callback_costs(np, cfg, layers, X, y)
        return
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    load_before = os.getloadavg()
    variants = {
        "weightlapse, no recording": lambda s: weightlapse_epoch(np, cfg, layers, X, y, s, False),
        "weightlapse, recording per epoch":
            lambda s: weightlapse_epoch(np, cfg, layers, X, y, s, True),
        "PyTorch eager CPU": lambda s: torch_epoch(torch, cfg, layers, Xt, yt, s),
    }
    times = {k: [] for k in variants}
    for fn in variants.values():                   # warm-up, a short epoch each
        fn(0)
    names = list(variants)
    for r in range(args.rounds):
        for k in names[r % len(names):] + names[:r % len(names)]:
            times[k].append(variants[k](r + 1))

    def ratio(a, b, cpu=False):
        return statistics.median(x[cpu] / y_[cpu] for x, y_ in zip(times[a], times[b]))

    m = cfg.model
    print(f"mnist-cnn: conv {conv_text(m.conv)}, pool {m.pool}, hidden "
          f"{','.join(map(str, m.hidden))}, batch {cfg.training.batch_size}, "
          f"{cfg.training.optimizer} lr {cfg.training.lr}, float32, {len(X):,} images; "
          f"{args.rounds} paired rounds; {args.threads} thread(s); NumPy {np.__version__}, "
          f"torch {torch.__version__}, Python {sys.version.split()[0]}")
    print(f"load average (1, 5, 15 min) before: "
          f"{', '.join(f'{v:.2f}' for v in load_before)}; after: "
          f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}; {os.cpu_count()} CPUs")
    print(f"{'variant':34s} {'median s/epoch':>14s} {'CPU s/epoch':>12s} "
          f"{'x PyTorch (paired)':>19s} {'x PyTorch, CPU':>15s}")
    pt = "PyTorch eager CPU"
    for k, v in times.items():
        print(f"{k:34s} {statistics.median(w for w, _ in v):14.2f} "
              f"{statistics.median(c for _, c in v):12.2f} {ratio(k, pt):19.3f} "
              f"{ratio(k, pt, True):15.3f}")
    none, rec = "weightlapse, no recording", "weightlapse, recording per epoch"
    print(f"\nweightlapse / PyTorch eager:   {ratio(none, pt):.3f} wall, "
          f"{ratio(none, pt, True):.3f} CPU  (target <= 1.5)")
    print(f"recording overhead, per epoch: {100 * (ratio(rec, none) - 1):+.1f}% wall, "
          f"{100 * (ratio(rec, none, True) - 1):+.1f}% CPU  (target <= 2%)")
    import tracemalloc
    tracemalloc.start()
    weightlapse_epoch(np, cfg, layers, X, y, 99, True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    import resource
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of a recorded epoch: {peak / 2**20:.1f} MiB allocated (tracemalloc), "
          f"besides the {X.nbytes / 2**20:.0f} MiB data set; process peak RSS {rss:.0f} MiB "
          f"(with PyTorch loaded)")


if __name__ == "__main__":
    main()
