"""Memory over a long run and its long video: a 50-epoch MNIST run (784-32-10,
SGD, batch 64) with a snapshot every 10 steps, then its film at 1280x720.
Resident memory is sampled every 0.2 s; flat means the end of each phase
sits where its first tenth did.

    WEIGHTLAPSE_DATA=../shared/data python scripts/bench_memory.py [--epochs 50]
"""
from __future__ import annotations

import argparse
import os
import resource
import tempfile
import threading
import time

import weightlapse as wl

PAGE = os.sysconf("SC_PAGE_SIZE")


class Sampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.samples, self.phase, self.stop = [], "start", False

    def rss(self):
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * PAGE

    def run(self):
        while not self.stop:
            self.samples.append((self.phase, time.perf_counter(), self.rss()))
            time.sleep(0.2)

    def summary(self, phase):
        xs = [r for p, _, r in self.samples if p == phase]
        k = max(len(xs) // 10, 1)
        return max(xs), sum(xs[:k]) / k, sum(xs[-k:]) / k


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--data-dir")
    args = ap.parse_args()
    mb = 1 / 2 ** 20
    s = Sampler()
    s.start()
    with tempfile.TemporaryDirectory() as d:
        s.phase = "train"
        t = time.perf_counter()
        run = wl.train(dataset="mnist", data_dir=args.data_dir, hidden=[32], optimizer="sgd",
                       lr=0.1, batch_size=64, epochs=args.epochs, snapshot_every=10,
                       val_fraction=0.1, out=d, name="long")
        t_train = time.perf_counter() - t
        size = (run.path / "snapshots.bin").stat().st_size
        s.phase = "render"
        t = time.perf_counter()
        # one frame per snapshot (a film as long as the run), not the default 12 s
        wl.render(run, os.path.join(d, "long.mp4"), duration=min(len(run.snapshots) / 30, 600))
        t_render = time.perf_counter() - t
        s.phase = "done"
        time.sleep(0.3)
    s.stop = True
    print(f"784-32-10 on MNIST, {args.epochs} epochs, snapshot every 10 steps: "
          f"{len(run.snapshots)} snapshots ({size * mb:.0f} MB on disk)")
    print(f"{'phase':8s} {'seconds':>8s} {'peak RSS MB':>12s} {'first tenth MB':>15s} "
          f"{'last tenth MB':>14s}")
    for phase, secs in (("train", t_train), ("render", t_render)):
        peak, first, last = s.summary(phase)
        print(f"{phase:8s} {secs:8.1f} {peak * mb:12.0f} {first * mb:15.0f} {last * mb:14.0f}")
    print(f"process peak (ru_maxrss): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
