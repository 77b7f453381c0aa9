"""CPU time spent inside the recorder's hooks in one-epoch runs of
784-128-10 ReLU, batch 64, SGD lr 0.1, float32, on the 60,000 MNIST training
images, snapshot per epoch: the recorder's own cost, which the training's
time (and the load of a shared host) does not enter. Prints the median over
runs of each hook's time and of their share of the epoch.

    python scripts/bench_recorder_hooks.py [--runs 7] [--data-dir DIR]

The hooks are wrapped with time.process_time (a clock call costs well under
a microsecond, so on_step_end reads a little high).
"""
from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")   # one thread: CPU time is then the work done

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
HOOKS = ("on_train_start", "on_step_end", "on_epoch_end", "on_train_end")


class TimedRecorder(Recorder):
    """The recorder, with each hook's CPU time summed in ``spent``."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.spent = dict.fromkeys(HOOKS, 0.0)


def _timed(name):
    hook = getattr(Recorder, name)

    def run(self, t):
        c = time.process_time()
        try:
            return hook(self, t)
        finally:
            self.spent[name] += time.process_time() - c
    return run


for _name in HOOKS:
    setattr(TimedRecorder, _name, _timed(_name))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--data-dir")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be >= 1")
    ds = load_image_set("mnist", args.data_dir)
    X, y = np.ascontiguousarray(ds.X, np.float32), ds.y
    spent, shares = {k: [] for k in HOOKS + ("all",)}, []
    for r in range(args.runs + 1):      # run 0 warms up
        model = MLP(SIZES, "relu", "he", "float32", rng=np.random.default_rng(r))
        with tempfile.TemporaryDirectory() as d:
            rec = TimedRecorder(d, SIZES, np.float32, "epoch")
            trainer = Trainer(model, SGD(LR), X, y, epochs=1, batch_size=BATCH,
                              rng=np.random.default_rng(r), callbacks=[rec])
            c = time.process_time()
            trainer.fit()
            fit = time.process_time() - c
        if r:
            for k, v in rec.spent.items():
                spent[k].append(v)
            spent["all"].append(sum(rec.spent.values()))
            shares.append(spent["all"][-1] / fit)
    print(f"784-128-10 ReLU, batch {BATCH}, SGD lr {LR}, float32, {len(X):,} images, "
          f"{args.runs} one-epoch runs, CPU ms in the recorder's hooks (median); "
          f"load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print("  ".join(f"{k} {1e3 * statistics.median(v):.1f}" for k, v in spent.items()))
    print(f"share of the epoch: {100 * statistics.median(shares):.1f}%")


if __name__ == "__main__":
    main()
