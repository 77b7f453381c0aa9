"""What recording costs a PyTorch training: one epoch of 784-128-10 ReLU,
batch 64, SGD lr 0.1, float32, on the 60,000 MNIST training images (CPU),
without a recorder and with ``weightlapse.torch.Recorder`` snapshotting every
epoch or every 10 steps, alternated round by round in this one process.

    python scripts/bench_recorder.py [--repeats 15] [--threads N] [--data-dir DIR]

A recorded epoch is timed from before the Recorder is made (tracing the
model, writing config.json and snapshot 0) to after it closes (the final
snapshot and status.json), with ``epoch_end`` given the epoch's mean loss:
everything a one-epoch run pays. Targets (issue 20): <= 2% extra recording
every epoch, <= 10% every 10 steps.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time

import numpy as np
import torch
from torch import nn

from weightlapse.core.data import load_image_set
from weightlapse.torch import Recorder

BATCH, LR = 64, 0.1


def epoch(X, y, seed, every, out):
    """(wall, CPU) seconds for one epoch; ``every`` None = no recorder."""
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    lossf = nn.CrossEntropyLoss()
    order = torch.randperm(len(X))
    t, c = time.perf_counter(), time.process_time()
    rec = None if every is None else Recorder(net, opt, out=out, name="bench", every=every)
    total = torch.zeros(())
    for s in range(0, len(X), BATCH):
        idx = order[s:s + BATCH]
        loss = lossf(net(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.detach() * len(idx)
    if rec is not None:
        rec.epoch_end(train_loss=total / len(X))
        rec.close()
    took = time.perf_counter() - t, time.process_time() - c
    if rec is not None:
        shutil.rmtree(rec.path)     # 38 MB at every 10 steps: keep the disk use flat
    return took


def fixed_costs(out, n=50):
    """(ms per snapshot, ms per one-epoch recording besides its steps) of
    784-128-10, medians of ``n``: an optimizer step that does nothing (no
    gradients) with and without a recorder snapshotting every step; and a
    Recorder made, given one epoch_end and closed, with no steps."""
    net = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.SGD(net.parameters(), lr=LR)

    def steps():
        ts = []
        for _ in range(n):
            t = time.perf_counter()
            opt.step()
            ts.append(time.perf_counter() - t)
        return statistics.median(ts)

    bare = steps()
    with Recorder(net, opt, out=out, name="snap", every=1):
        snap = steps() - bare
    runs = []
    for _ in range(n):
        t = time.perf_counter()
        with Recorder(net, opt, out=out, name="run") as rec:
            rec.epoch_end(train_loss=0.5)
        runs.append(time.perf_counter() - t)
    return 1000 * snap, 1000 * statistics.median(runs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, help="torch threads (default: torch's own)")
    ap.add_argument("--data-dir")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    ds = load_image_set("mnist", args.data_dir)
    X, y = torch.from_numpy(np.ascontiguousarray(ds.X, np.float32)), torch.from_numpy(ds.y)
    variants = {"PyTorch, no recorder": None, "recorder, snapshot every epoch": "epoch",
                "recorder, snapshot every 10 steps": 10}
    times = {k: [] for k in variants}
    cpu = {k: [] for k in variants}
    with tempfile.TemporaryDirectory() as out:
        snap, run = fixed_costs(out)
        for every in variants.values():    # warm-up
            epoch(X, y, 0, every, out)
        names = list(variants)
        for r in range(args.repeats):
            # alternated, so drift hits every variant alike, and in a rotating
            # order, so none always runs first (or after another's writes)
            for k in names[r % 3:] + names[:r % 3]:
                every = variants[k]
                wall, c = epoch(X, y, r + 1, every, out)
                times[k].append(wall)
                cpu[k].append(c)

    def ratio(a, b, t=times):
        """Median over rounds of a/b timed in the same round: the host's speed
        drifts between rounds, and a paired ratio cancels that drift."""
        return statistics.median(x / z for x, z in zip(t[a], t[b]))

    bare = "PyTorch, no recorder"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"784-128-10 ReLU, batch {BATCH}, SGD lr {LR}, float32, 60,000 MNIST images, CPU; "
          f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); {args.repeats} "
          f"rounds; load average {load:.1f} on {os.cpu_count()} CPUs")
    print(f"{'variant':36s} {'wall s/epoch':>12s} {'x none':>7s} {'CPU s/epoch':>12s} "
          f"{'x none':>7s} {'best wall s':>11s} {'x none':>7s}")
    for k, v in times.items():
        print(f"{k:36s} {statistics.median(v):12.3f} {ratio(k, bare):7.3f} "
              f"{statistics.median(cpu[k]):12.3f} {ratio(k, bare, cpu):7.3f} "
              f"{min(v):11.3f} {min(v) / min(times[bare]):7.3f}")
    steps, epoch_s = -(-len(X) // BATCH), statistics.median(times[bare])
    print("(medians, and the best of the rounds; x none: the median over rounds of the "
          "ratio to the round's epoch without a recorder, or the ratio of the bests)")
    print(f"one snapshot: {snap:.3f} ms; making, ending and closing a recorder (snapshots 0 "
          f"and 1, config, rows, status): {run:.1f} ms (medians of 50).\nSo on this epoch of "
          f"{epoch_s:.3f} s, recording every epoch adds {100 * run / 1000 / epoch_s:.1f}% and "
          f"every 10 steps {100 * (run + steps // 10 * snap) / 1000 / epoch_s:.1f}%\n")
    for k, target in (("recorder, snapshot every epoch", 2),
                      ("recorder, snapshot every 10 steps", 10)):
        extra, extra_cpu = (100 * (ratio(k, bare, t) - 1) for t in (times, cpu))
        print(f"{k}: {extra:+.1f}% wall, {extra_cpu:+.1f}% CPU (target <= {target}%): "
              f"{'met' if max(extra, extra_cpu) <= target else 'NOT met'}")


if __name__ == "__main__":
    main()
