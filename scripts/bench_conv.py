"""Milliseconds per training step of a LeNet-like network, weightlapse's
from-scratch conv layers against PyTorch eager CPU, in this one process,
interleaved round by round:

    conv 1->8 k5, ReLU, max-pool 2, conv 8->16 k5, ReLU, max-pool 2,
    flatten (256), dense 256->10, softmax cross-entropy, SGD

    python scripts/bench_conv.py [--batch 64] [--steps 50] [--repeats 5]
                                 [--threads 1] [--dtype float32]

Both sides see the same random 1x28x28 batches (the speed does not depend on
the values) and use ``--threads`` threads (BLAS for NumPy, intra-op for
PyTorch; set before either is imported). A step is forward, backward and the
SGD update; the input needs no gradient on either side. Each round times
``--steps`` steps of each after a warm-up; the median over ``--repeats``
rounds gives ms per step, and the epoch estimate is ms per step x the 938
steps of a 60,000-image epoch at batch 64. Also prints the largest im2col
column matrix held, which :data:`weightlapse.core.conv.COLUMN_BUDGET` bounds.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time


def parse():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    return ap.parse_args()


def weightlapse_step(np, batch, dtype):
    from weightlapse.core.conv import Conv2D, Flatten, MaxPool2D
    from weightlapse.core.layers import Dense, ReLU
    from weightlapse.core.losses import SoftmaxCrossEntropy
    from weightlapse.core.optim import make_optimizer
    rng = np.random.default_rng(0)
    W, b = rng.normal(0, math.sqrt(2 / 256), (256, 10)).astype(dtype), np.zeros(10, dtype)
    layers = [Conv2D(1, 8, 5, rng=rng, dtype=dtype, input_grad=False), ReLU(), MaxPool2D(2),
              Conv2D(8, 16, 5, rng=rng, dtype=dtype), ReLU(), MaxPool2D(2), Flatten(),
              Dense(W, b)]
    loss = SoftmaxCrossEntropy()
    params = {f"{k}{i}": l.params[k] for i, l in enumerate(layers) for k in l.params}
    grads = {f"{k}{i}": l.grads[k] for i, l in enumerate(layers) for k in l.grads}
    opt = make_optimizer("sgd", 0.01)

    def step(X, y):
        for layer in layers:
            X = layer.forward(X, True)
        loss.forward(X, y)
        d = loss.backward()
        for layer in reversed(layers):
            d = layer.backward(d)
        opt.step(params, grads)
    cols = max(l.in_channels * l.kernel[0] * l.kernel[1] * batch * s * s
               for l, s in ((layers[0], 24), (layers[3], 8))) * np.dtype(dtype).itemsize
    return step, cols


def torch_step(torch, dtype):
    nn = torch.nn
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 5),
                        nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 10))
    net = net.to(getattr(torch, dtype))
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    lossf = nn.CrossEntropyLoss()

    def step(X, y):
        opt.zero_grad(set_to_none=True)
        lossf(net(X), y).backward()
        opt.step()
    return step


def main():
    args = parse()
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[k] = str(args.threads)
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(1)
    n = args.batch * args.steps
    X = rng.random((n, 1, 28, 28)).astype(args.dtype)
    y = rng.integers(0, 10, n)
    Xt, yt = torch.from_numpy(X.copy()), torch.from_numpy(y.copy())
    wl, cols = weightlapse_step(np, args.batch, args.dtype)
    pt = torch_step(torch, args.dtype)
    sides = {
        "weightlapse": lambda s: wl(X[s:s + args.batch], y[s:s + args.batch]),
        "PyTorch eager": lambda s: pt(Xt[s:s + args.batch], yt[s:s + args.batch]),
    }
    times = {k: [] for k in sides}
    cpu = {k: [] for k in sides}  # CPU time: less disturbed by other processes
    for name, f in sides.items():                      # warm-up
        for s in range(0, 3 * args.batch, args.batch):
            f(s)
    for r in range(args.repeats):
        for name, f in (sides.items() if r % 2 == 0 else reversed(sides.items())):
            t, c = time.perf_counter(), time.process_time()
            for s in range(0, n, args.batch):
                f(s)
            times[name].append((time.perf_counter() - t) / args.steps)
            cpu[name].append((time.process_time() - c) / args.steps)
    steps = math.ceil(60_000 / args.batch)
    print(f"LeNet-like 1x28x28 -> conv 8x5 -> pool 2 -> conv 16x5 -> pool 2 -> 10, "
          f"batch {args.batch}, {args.dtype}, {args.threads} thread(s), "
          f"NumPy {np.__version__}, torch {torch.__version__}, Python "
          f"{sys.version.split()[0]}; median of {args.repeats} rounds of {args.steps} steps")
    print(f"{'':15s} {'ms/step':>9s} {'best':>9s} {'CPU ms/step':>12s} {'s/epoch (est.)':>15s}")
    med = {k: statistics.median(v) for k, v in times.items()}
    mcpu = {k: statistics.median(v) for k, v in cpu.items()}
    for k, v in times.items():
        print(f"{k:15s} {med[k] * 1e3:9.3f} {min(v) * 1e3:9.3f} {mcpu[k] * 1e3:12.3f} "
              f"{med[k] * steps:15.2f}")
    wl_, pt_ = "weightlapse", "PyTorch eager"
    print(f"weightlapse / PyTorch eager: {med[wl_] / med[pt_]:.2f}x (median wall), "
          f"{min(times[wl_]) / min(times[pt_]):.2f}x (best wall), "
          f"{mcpu[wl_] / mcpu[pt_]:.2f}x (median CPU time)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"largest im2col column matrix: {cols / 2**20:.1f} MiB (budget "
          f"{__import__('weightlapse.core.conv', fromlist=['x']).COLUMN_BUDGET / 2**20:.0f} "
          f"MiB; larger batches are processed in chunks)")


if __name__ == "__main__":
    main()
