"""The cost of recording health.jsonl (issue 18) on mnist-mlp: seconds per
epoch of 784-128-10 ReLU, batch 64, SGD lr 0.1, float32, through the real
trainer and recorder, with and without health, per-epoch snapshots and a
snapshot every 10 steps, interleaved round by round (paired ratios).

    python scripts/bench_health.py [--repeats 3] [--rows 60000] [--data-dir DIR]

Targets (issue 18): health costs <= 3% per epoch over today's per-epoch
recording, and recording with health every 10 steps <= 12% over no recording.
Also times the reading side: wl.diagnostics and the diagnose report.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import numpy as np

from weightlapse.core.data import load_image_set
from weightlapse.core.model import MLP
from weightlapse.core.optim import SGD
from weightlapse.core.recorder import Recorder
from weightlapse.core.trainer import Trainer

SIZES, BATCH, LR = [784, 128, 10], 64, 0.1


def epoch(X, y, Xv, yv, seed, every, health):
    model = MLP(SIZES, "relu", "he", "float32", rng=np.random.default_rng(seed))
    with tempfile.TemporaryDirectory() as d:
        cbs = [] if every is None else [Recorder(d, SIZES, np.float32, every, health=health)]
        trainer = Trainer(model, SGD(LR), X, y, Xv, yv, epochs=1, batch_size=BATCH,
                          rng=np.random.default_rng(seed), callbacks=cbs)
        t = time.perf_counter()
        trainer.fit()
        return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--rows", type=int, default=60000)
    ap.add_argument("--data-dir")
    args = ap.parse_args()
    ds = load_image_set("mnist", args.data_dir)
    X, y = np.ascontiguousarray(ds.X[:args.rows], np.float32), ds.y[:args.rows]
    Xv, yv = np.ascontiguousarray(ds.X_test[:2000], np.float32), ds.y_test[:2000]
    variants = {
        "no recording": (None, False),
        "per epoch": ("epoch", False),
        "per epoch + health": ("epoch", True),
        "every 10 steps": (10, False),
        "every 10 steps + health": (10, True),
    }
    times = {k: [] for k in variants}
    for r in range(args.repeats + 1):      # round 0 warms up
        for k, (every, health) in variants.items():
            t = epoch(X, y, Xv, yv, r, every, health)
            if r:
                times[k].append(t)

    def ratio(a, b):
        return statistics.median(x / y for x, y in zip(times[a], times[b]))

    print(f"784-128-10 ReLU, batch {BATCH}, SGD lr {LR}, float32, {len(X):,} images, "
          f"{args.repeats} rounds")
    for k, v in times.items():
        print(f"{k:28s} {statistics.median(v):8.3f} s/epoch")
    print(f"health, per epoch:            {100 * (ratio('per epoch + health', 'per epoch') - 1):+.1f}%"
          "  (target <= 3%)")
    print(f"health, every 10 steps:       "
          f"{100 * (ratio('every 10 steps + health', 'every 10 steps') - 1):+.1f}%")
    print(f"all recording, every 10 steps: "
          f"{100 * (ratio('every 10 steps + health', 'no recording') - 1):+.1f}%"
          "  (target <= 12%)")


if __name__ == "__main__":
    main()
