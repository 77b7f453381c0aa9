"""Seconds per epoch of 784-128-10 ReLU, batch 64, SGD lr 0.1, float32, on the
60,000 MNIST training images: weightlapse (recording per epoch, none, every 10
steps) against a bare hand-written NumPy loop and PyTorch eager CPU, all in
this one process, interleaved round by round. Prints medians and ratios.

    python scripts/bench_train.py [--rounds 7] [--no-torch] [--data-dir DIR]

Each round runs every variant once, in an order that rotates from round to
round (so no variant always runs first or last), and each ratio is the median
over rounds of the two times taken in the same round. The load average before
and after is printed: on a shared host, say it with the numbers.

Targets: weightlapse <= 1.08x the bare loop (issue 19; issue 2 set 1.15x);
faster than PyTorch eager; recording overhead <= 2% per epoch and <= 10% every 10 steps. "No
recording" is the trainer without a recorder, so also without the running
training metrics, which the recorder keeps (since issue 10).
"""
from __future__ import annotations

import argparse
import os
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


def _clock():
    return time.perf_counter(), time.process_time()


def _since(t):
    """(wall seconds, this process's CPU seconds) since ``t``: on a shared host
    the CPU time shows the work done, the wall time also the waiting."""
    return time.perf_counter() - t[0], time.process_time() - t[1]


def bare_numpy_epoch(X, y, seed):
    """The whole method by hand: no classes, no callbacks."""
    rng = np.random.default_rng(seed)
    W1 = rng.normal(0, np.sqrt(2 / 784), (784, 128)).astype(np.float32)
    b1 = np.zeros(128, np.float32)
    W2 = rng.normal(0, np.sqrt(2 / 128), (128, 10)).astype(np.float32)
    b2 = np.zeros(10, np.float32)
    t = _clock()
    order = rng.permutation(len(X))
    for s in range(0, len(X), BATCH):
        idx = order[s:s + BATCH]
        xb, yb = X[idx], y[idx]
        h = xb @ W1 + b1
        a = np.maximum(h, 0)
        z = a @ W2 + b2
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(yb)), yb] -= 1
        p /= len(yb)
        dW2 = a.T @ p
        db2 = p.sum(axis=0)
        da = p @ W2.T
        da *= h > 0
        dW1 = xb.T @ da
        db1 = da.sum(axis=0)
        W1 -= LR * dW1
        b1 -= LR * db1
        W2 -= LR * dW2
        b2 -= LR * db2
    return _since(t)


def weightlapse_epoch(X, y, seed, every):
    """One epoch through the real trainer; ``every`` None = no recorder."""
    model = MLP(SIZES, "relu", "he", "float32", rng=np.random.default_rng(seed))
    with tempfile.TemporaryDirectory() as d:
        cbs = [] if every is None else [Recorder(d, SIZES, np.float32, every)]
        trainer = Trainer(model, SGD(LR), X, y, epochs=1, batch_size=BATCH,
                          rng=np.random.default_rng(seed), callbacks=cbs)
        t = _clock()
        trainer.fit()
        return _since(t)


def torch_epoch(X, y, seed):
    import torch
    torch.manual_seed(seed)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    net = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(),
                              torch.nn.Linear(128, 10))
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    lossf = torch.nn.CrossEntropyLoss()
    t = _clock()
    order = torch.randperm(len(Xt))
    for s in range(0, len(Xt), BATCH):
        idx = order[s:s + BATCH]
        loss = lossf(net(Xt[idx]), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return _since(t)


def _load(avg) -> str:
    return ", ".join(f"{v:.2f}" for v in avg)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", "--repeats", dest="rounds", type=int, default=7,
                    help="paired rounds (default 7; issue 19 asks for at least 7)")
    ap.add_argument("--no-torch", action="store_true", help="leave out the PyTorch row")
    ap.add_argument("--rows", type=int, default=60000,
                    help="train on the first N images (default all 60,000): shorter rounds")
    ap.add_argument("--data-dir")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be >= 1")
    load_before = os.getloadavg()
    ds = load_image_set("mnist", args.data_dir)
    X, y = np.ascontiguousarray(ds.X[:args.rows], np.float32), ds.y[:args.rows]
    # The pairs the targets compare (bare / per epoch, per epoch / no recording)
    # run next to each other in most rounds, so they meet the same load.
    variants = {
        "bare NumPy loop": lambda s: bare_numpy_epoch(X, y, s),
        "weightlapse, snapshot per epoch": lambda s: weightlapse_epoch(X, y, s, "epoch"),
        "weightlapse, no recording": lambda s: weightlapse_epoch(X, y, s, None),
        "weightlapse, snapshot every 10 steps": lambda s: weightlapse_epoch(X, y, s, 10),
    }
    try:
        if args.no_torch:
            raise ImportError
        import torch
        variants["PyTorch eager CPU"] = lambda s: torch_epoch(X, y, s)
        torch_info = f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    except ImportError:
        torch_info = "PyTorch row skipped" if args.no_torch else \
            "torch not installed: PyTorch row skipped"
    times = {k: [] for k in variants}
    for k, fn in variants.items():  # warm-up
        fn(0)
    names = list(variants)
    for r in range(args.rounds):  # interleaved, so drift hits every variant alike
        for k in names[r % len(names):] + names[:r % len(names)]:  # rotating order
            times[k].append(variants[k](r + 1))
    med = {k: statistics.median(w for w, _ in v) for k, v in times.items()}

    def ratio(a, b, cpu=False):
        """Median over rounds of a/b timed in the same round: the host's speed
        drifts between rounds, and a paired ratio cancels that drift."""
        return statistics.median(x[cpu] / y[cpu] for x, y in zip(times[a], times[b]))

    bare, none = "bare NumPy loop", "weightlapse, no recording"
    epoch, every10 = "weightlapse, snapshot per epoch", "weightlapse, snapshot every 10 steps"
    print(f"784-128-10 ReLU, batch {BATCH}, SGD lr {LR}, float32, {len(X):,} images; "
          f"{args.rounds} paired rounds; {torch_info}")
    print(f"load average (1, 5, 15 min) before: {_load(load_before)}; "
          f"after: {_load(os.getloadavg())}; {os.cpu_count()} CPUs")
    print(f"{'variant':40s} {'median s/epoch':>14s} {'x bare (paired)':>16s} "
          f"{'x bare, CPU time':>17s}")
    for k, v in med.items():
        print(f"{k:40s} {v:14.3f} {ratio(k, bare):16.3f} {ratio(k, bare, True):17.3f}")
    print()
    per_round = sorted(x[0] / y[0] for x, y in zip(times[epoch], times[bare]))
    print(f"weightlapse / bare loop:            {ratio(epoch, bare):.3f}  (target <= 1.08, "
          f"issue 19; rounds {per_round[0]:.3f}-{per_round[-1]:.3f})")
    print(f"the same in CPU time:               {ratio(epoch, bare, True):.3f}")
    print(f"no recording / bare loop:           {ratio(none, bare):.3f}")
    if "PyTorch eager CPU" in med:
        print(f"weightlapse / PyTorch eager:        {ratio(epoch, 'PyTorch eager CPU'):.3f}"
              "  (target < 1)")
    print(f"recording overhead, per epoch:      {100 * (ratio(epoch, none) - 1):+.1f}%"
          "  (target <= 2%)")
    print(f"recording overhead, every 10 steps: {100 * (ratio(every10, none) - 1):+.1f}%"
          "  (target <= 10%)")


if __name__ == "__main__":
    main()
