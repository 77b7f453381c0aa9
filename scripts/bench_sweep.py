"""Runs per minute of a 16-run sweep of mnist-mlp (--limit 10000) through the
local process pool (--jobs 2) and through Dask (--scheduler local, 2 worker
processes), alternated round by round in this one process. Each round is a
whole sweep: workers start, 16 runs train (Dask's are sent back to the client
as bytes and unpacked into the sweep folder), workers stop. The analysis
after (figures, tables) is the same for both and is left out.

    WEIGHTLAPSE_DATA=DIR python scripts/bench_sweep.py [--rounds 2] [--epochs 10]

Target (issue 12): the Dask path within 10% of the pool's runs per minute.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from weightlapse.core.presets import preset_settings
from weightlapse.sweeps import run_sweep

GRID = {"lr": [0.2, 0.1, 0.05, 0.02], "batch_size": [32, 64, 128, 256]}   # 16 runs
PATHS = {"pool (--jobs 2)": dict(jobs=2),
         "dask (--scheduler local, 2 workers)": dict(scheduler="local", jobs=2)}


def one_sweep(how, base, out):
    t = time.perf_counter()
    index = run_sweep(GRID, base, out=out, name="bench", log=lambda m: None, analyse=False,
                      **how).index
    elapsed = time.perf_counter() - t
    statuses = {r["status"] for r in index["runs"]}
    assert statuses == {"finished"}, statuses
    return elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--limit", type=int, default=10000)
    args = ap.parse_args()
    base = {**preset_settings("mnist-mlp"), "limit": args.limit, "epochs": args.epochs}
    n = len(GRID["lr"]) * len(GRID["batch_size"])
    times = {k: [] for k in PATHS}
    print(f"{n} runs of mnist-mlp, limit {args.limit}, {args.epochs} epochs; "
          f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            order = list(PATHS) if r % 2 == 0 else list(PATHS)[::-1]   # alternate who goes first
            for name in order:
                s = one_sweep(PATHS[name], base, os.path.join(tmp, f"{r}-{len(times[name])}"
                                                              f"-{name.split()[0]}"))
                times[name].append(s)
                print(f"round {r + 1}: {name:36s} {s:7.1f} s  {n / s * 60:6.2f} runs/min  "
                      f"(load {os.getloadavg()[0]:.1f})", flush=True)
    print("median over rounds:")
    rates = {}
    for name, ts in times.items():
        rates[name] = n / statistics.median(ts) * 60
        print(f"  {name:36s} {statistics.median(ts):7.1f} s  {rates[name]:6.2f} runs/min")
    pool, dask = rates.values()
    pairs = [p / d for p, d in zip(*times.values())]
    print("dask / pool runs per minute, round by round: "
          + ", ".join(f"{r:.3f}" for r in pairs))
    print(f"dask / pool runs per minute, medians: {dask / pool:.3f} (target >= 0.90)")


if __name__ == "__main__":
    main()
