"""The cost of recording health.jsonl (issue 18) on mnist-mlp: seconds per
epoch of 784-128-10 ReLU, batch 64, SGD lr 0.1, float32, through the real
trainer and recorder, with and without health, per-epoch snapshots and a
snapshot every 10 steps, interleaved round by round (paired ratios). Times
are CPU seconds of this process on one BLAS thread (time.process_time), so a
machine shared with other work gives the work done, not the waiting; the
health recorder's own methods are also timed directly.

    python scripts/bench_health.py [--repeats 3] [--rows 60000] [--data-dir DIR] [--every-step]

Targets (issue 18): health costs <= 3% per epoch over today's per-epoch
recording, and recording with health every 10 steps <= 12% over no recording.
Also times the reading side: wl.diagnostics and the diagnose report.
"""
from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")   # one thread: CPU time is then the work done

import argparse
import math
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


OWN = {"t": 0.0}


def _timed(fn):
    def run(*a, **kw):
        t = time.process_time()
        try:
            return fn(*a, **kw)
        finally:
            OWN["t"] += time.process_time() - t
    return run


class EveryStepNorms:
    """What an update ratio measured at every step needs at the least, for
    SGD (whose update is lr * g): one dot product per array for ||g||^2 and
    one for ||W||^2, and the running sums, after each step. Only timed
    (``--every-step``): health.jsonl measures every 32nd step."""

    def __init__(self):
        self.ww, self.ratio, self.gg = {}, {}, {}

    def on_step_end(self, t):
        lr = t.lr
        for k, p in t.model.params.items():
            g = t.model.grads[k].ravel()
            gg = float(np.dot(g, g))
            ww = self.ww.get(k, 0.0)
            if ww > 0:
                self.ratio[k] = self.ratio.get(k, 0.0) + lr * math.sqrt(gg / ww)
            self.gg[k] = self.gg.get(k, 0.0) + gg
            w = p.ravel()
            self.ww[k] = float(np.dot(w, w))


def epoch(X, y, Xv, yv, seed, every, health, every_step=False):
    """(CPU s of the epoch, CPU s of it spent in the health recorder)."""
    model = MLP(SIZES, "relu", "he", "float32", rng=np.random.default_rng(seed))
    OWN["t"] = 0.0
    with tempfile.TemporaryDirectory() as d:
        cbs = [] if every is None else [Recorder(d, SIZES, np.float32, every, health=health)]
        if every_step:
            cbs.append(EveryStepNorms())
        if health:
            h = cbs[0].health
            for name in ("start", "step", "row", "snapshot"):
                setattr(h, name, _timed(getattr(h, name)))
        trainer = Trainer(model, SGD(LR), X, y, Xv, yv, epochs=1, batch_size=BATCH,
                          rng=np.random.default_rng(seed), callbacks=cbs)
        t = time.process_time()
        trainer.fit()
        return time.process_time() - t, OWN["t"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--rows", type=int, default=60000)
    ap.add_argument("--data-dir")
    ap.add_argument("--every-step", action="store_true",
                    help="also time the per-epoch run with update norms at every step")
    args = ap.parse_args()
    ds = load_image_set("mnist", args.data_dir)
    X, y = np.ascontiguousarray(ds.X[:args.rows], np.float32), ds.y[:args.rows]
    Xv, yv = X[:0], y[:0]      # as bench_train.py: no validation split (the probe: train rows)
    variants = {
        "no recording": (None, False),
        "per epoch": ("epoch", False),
        "per epoch + health": ("epoch", True),
        "every 10 steps": (10, False),
        "every 10 steps + health": (10, True),
    }
    if args.every_step:
        variants["per epoch + health + every-step norms"] = ("epoch", True, True)
    times = {k: [] for k in variants}
    own = {k: [] for k in variants}
    for r in range(args.repeats + 1):      # round 0 warms up
        for k, v in variants.items():
            t, o = epoch(X, y, Xv, yv, r, *v)
            if r:
                times[k].append(t)
                own[k].append(o / (t - o))

    def ratio(a, b):
        return statistics.median(x / y for x, y in zip(times[a], times[b]))

    print(f"784-128-10 ReLU, batch {BATCH}, SGD lr {LR}, float32, {len(X):,} images, "
          f"{args.repeats} rounds, CPU seconds on one thread")
    for k, v in times.items():
        print(f"{k:28s} {statistics.median(v):8.3f} s/epoch")
    for k in ("per epoch + health", "every 10 steps + health"):
        print(f"health's own time, {k:24s} {100 * statistics.median(own[k]):+.1f}% of the rest")
    print(f"health, per epoch:            {100 * (ratio('per epoch + health', 'per epoch') - 1):+.1f}%"
          "  (target <= 3%)")
    print(f"health, every 10 steps:       "
          f"{100 * (ratio('every 10 steps + health', 'every 10 steps') - 1):+.1f}%")
    if args.every_step:
        print(f"update norms every step:      "
              f"{100 * (ratio('per epoch + health + every-step norms', 'per epoch + health') - 1):+.1f}%"
              " of a per-epoch run with health")
    print(f"all recording, every 10 steps: "
          f"{100 * (ratio('every 10 steps + health', 'no recording') - 1):+.1f}%"
          "  (target <= 12%)")


if __name__ == "__main__":
    main()
