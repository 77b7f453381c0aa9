"""Each MNIST preset on the real 60,000/10,000 split: epochs, seconds, test
accuracy against its expected band. Prints a Markdown table.

    WEIGHTLAPSE_DATA=../shared/data python scripts/bench_accuracy.py [--presets zhang,nielsen]
"""
from __future__ import annotations

import argparse
import tempfile
import time

import weightlapse as wl
from weightlapse.core.presets import PRESETS

MNIST_PRESETS = [name for name, p in PRESETS.items() if p["settings"].get("dataset") == "mnist"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", default=",".join(MNIST_PRESETS))
    ap.add_argument("--data-dir")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as out:
        for name in args.presets.split(","):
            t = time.perf_counter()
            run = wl.train(preset=name, out=out, data_dir=args.data_dir)
            seconds = time.perf_counter() - t
            acc = run.info["final_metrics"]["test_acc"]
            lo, hi = PRESETS[name]["expected"]
            rows.append((name, run.settings["epochs"], seconds, acc, lo, hi))
            print(f"{name}: {acc:.4f} in {seconds:.1f} s", flush=True)
    print()
    print("| preset | epochs | seconds | test accuracy | expected band | in band |")
    print("|---|---:|---:|---:|---|---|")
    for name, epochs, seconds, acc, lo, hi in rows:
        print(f"| {name} | {epochs} | {seconds:.1f} | {acc:.2%} | {lo:.1%}-{hi:.1%} | "
              f"{'in' if lo <= acc <= hi else 'OUT'} |")


if __name__ == "__main__":
    main()
