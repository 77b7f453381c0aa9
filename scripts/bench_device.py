"""Seconds per MNIST epoch on the CPU and on a GPU, for 784-128-10 and
784-512-256-10 over batch sizes 16 to 4096, and where (and why) the GPU wins.

    python scripts/bench_device.py [--limit 6000] [--repeats 3] [--data-dir DIR]
                                   [--devices cpu,gpu] [--dtype float32] [--peer torch]

The same engine runs on both devices (``--device cpu|gpu``): NumPy, or CuPy on
an NVIDIA GPU (``pip install "weightlapse[gpu]"``). Data: the MNIST training
images from ``--data-dir`` / ``$WEIGHTLAPSE_DATA``, or synthetic 784-d data of
the same shape when MNIST is absent (the output says which; the speed does not
depend on the values). Each cell times the trainer (SGD, ReLU, no recording)
on ``--limit`` samples, at least 3 steps, after a warm-up; the median over
``--repeats`` gives ms per step, and seconds per epoch = ms per step x the
steps of one 60,000-image epoch. Where both devices run, a straight line
``time per step = overhead + per-sample cost x batch`` fitted per device
explains the crossing point (the per-sample cost from the two largest
batches, the fixed cost per step from the smallest).
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import textwrap
import time

import numpy as np

from weightlapse.core.backend import array_module
from weightlapse.core.errors import WeightlapseError
from weightlapse.core.model import MLP
from weightlapse.core.optim import make_optimizer
from weightlapse.core.trainer import Trainer

NETWORKS = {"784-128-10": [784, 128, 10], "784-512-256-10": [784, 512, 256, 10]}
BATCHES = [16, 64, 256, 1024, 4096]
EPOCH = 60_000  # images in one MNIST training epoch
MIN_STEPS = 3


def load_data(data_dir, n):
    """(X, y, what): the first n MNIST training images, else synthetic 784-d data."""
    try:
        from weightlapse.core.data import load_image_set
        ds = load_image_set("mnist", data_dir)
        X, y = np.ascontiguousarray(ds.X[:n], np.float32), ds.y[:n].astype(np.int64)
        return X, y, f"MNIST training images (up to {len(X):,} of {len(ds.X):,} per cell)"
    except WeightlapseError as e:
        rng = np.random.default_rng(0)
        X = rng.random((n, 784), dtype=np.float32)
        y = rng.integers(0, 10, n)
        return X, y, f"synthetic 784-d data, {n:,} samples (MNIST not found: {e})"


def flops_per_step(sizes, batch) -> int:
    """Multiply-adds x 2 of one step: forward X @ W, backward dW = X^T dY for
    every layer and dX = dY W^T for all but the first (which skips it)."""
    mats = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    return 2 * batch * (2 * sum(mats) + sum(mats[1:]))


def sync(xp):
    if xp is not np:
        xp.cuda.get_current_stream().synchronize()


def time_per_step(xp, device, sizes, X, y, batch, dtype, repeats):
    """Median seconds per training step over ``repeats`` epochs of X."""
    Xd = xp.asarray(X.astype(dtype))        # the data go to the device once
    yd = xp.asarray(y)
    steps = math.ceil(len(X) / batch)

    def one_epoch(X_, y_, seed):
        model = MLP(sizes, "relu", "he", dtype, rng=np.random.default_rng(seed), device=device)
        trainer = Trainer(model, make_optimizer("sgd", 0.05, xp=xp), X_, y_, epochs=1,
                          batch_size=batch, rng=np.random.default_rng(seed))
        sync(xp)
        t = time.perf_counter()
        trainer.fit()
        sync(xp)
        return time.perf_counter() - t

    one_epoch(Xd[:MIN_STEPS * batch], yd[:MIN_STEPS * batch], 0)  # warm-up: kernels, pools
    return statistics.median(one_epoch(Xd, yd, r + 1) for r in range(repeats)) / steps


def torch_time_per_step(torch, device, sizes, X, y, batch, dtype, repeats):
    """PyTorch eager's median seconds per step over ``repeats`` epochs, as
    :func:`time_per_step` measures weightlapse's."""
    dev = torch.device(device)
    Xd = torch.from_numpy(X.astype(dtype)).to(dev)
    yd = torch.from_numpy(y.astype(np.int64)).to(dev)
    steps = math.ceil(len(X) / batch)

    def tsync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    def one_epoch(X_, y_, seed):
        torch.manual_seed(seed)
        mods = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            mods += [torch.nn.Linear(a, b)] + ([torch.nn.ReLU()] if i < len(sizes) - 2 else [])
        net = torch.nn.Sequential(*mods).to(dev, getattr(torch, dtype))
        opt = torch.optim.SGD(net.parameters(), lr=0.05)
        lossf = torch.nn.CrossEntropyLoss()
        tsync()
        t = time.perf_counter()
        order = torch.randperm(len(X_), device=dev)
        for s in range(0, len(X_), batch):
            idx = order[s:s + batch]
            opt.zero_grad(set_to_none=True)
            lossf(net(X_[idx]), y_[idx]).backward()
            opt.step()
        tsync()
        return time.perf_counter() - t

    one_epoch(Xd[:MIN_STEPS * batch], yd[:MIN_STEPS * batch], 0)  # warm-up
    return statistics.median(one_epoch(Xd, yd, r + 1) for r in range(repeats)) / steps


def load_peer(peer, wanted):
    """(torch or None, {device: torch device name}, {device: why not}) for --peer."""
    if not peer:
        return None, {}, {}
    try:
        import torch
    except ImportError as e:
        return None, {}, {d: f"PyTorch is not installed ({e})" for d in wanted}
    devs, why = {}, {}
    for d in wanted:
        if d == "cpu":
            devs[d] = "cpu"
        elif torch.cuda.is_available():
            devs[d] = "cuda"
        else:
            why[d] = "no GPU (PyTorch sees no CUDA device)"
    return torch, devs, why


def fit_line(batches, seconds):
    """seconds per step = a + b * batch: the per-sample cost b from the two
    largest batches (where arithmetic dominates), the fixed per-step cost a
    from the smallest (what is left once its samples are paid for, >= 0)."""
    b = max((seconds[-1] - seconds[-2]) / (batches[-1] - batches[-2]), 0.0)
    return max(seconds[0] - b * batches[0], 0.0), b


def describe_machine(devices):
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    threads = {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                          "MKL_NUM_THREADS") if k in os.environ}
    lines = [f"CPU: {cpu}, {os.cpu_count()} cores"
             + (f", {threads}" if threads else ", BLAS threads: library default")]
    if "gpu" in devices:
        xp = devices["gpu"]
        props = xp.cuda.runtime.getDeviceProperties(0)
        name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        lines.append(f"GPU: {name}, CuPy {xp.__version__}, CUDA runtime "
                     f"{xp.cuda.runtime.runtimeGetVersion()}")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=6000,
                    help="samples timed per cell (default 6000; at least 3 batches)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--data-dir", help="default $WEIGHTLAPSE_DATA, else ./data")
    ap.add_argument("--devices", default="cpu,gpu", help="cpu,gpu (default both)")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--peer", choices=["torch"],
                    help="also time PyTorch eager on the same cells, in the same run")
    args = ap.parse_args()
    wanted = [d.strip() for d in args.devices.split(",") if d.strip()]
    devices, missing = {}, {}
    for d in wanted:
        try:
            devices[d] = array_module(d)
        except WeightlapseError as e:
            missing[d] = str(e)
    need = max(args.limit, MIN_STEPS * max(BATCHES))
    X, y, what = load_data(args.data_dir, need)
    print(f"data: {what}; {args.dtype}; SGD, ReLU, no recording; "
          f"median of {args.repeats} after a warm-up")
    print("\n".join(describe_machine(devices)))
    for d, why in missing.items():
        print(f"{d.upper()} column not measured: {why}")
    torch, peer_devs, peer_missing = load_peer(args.peer, wanted)
    if torch is not None:
        print(f"peer: PyTorch {torch.__version__} eager, {torch.get_num_threads()} CPU "
              f"thread(s)" + (f", GPU {torch.cuda.get_device_name(0)}"
                              if "gpu" in peer_devs else ""))
    for d, why in peer_missing.items():
        print(f"PyTorch {d.upper()} column not measured: {why}")

    per_step = {}  # (device, network, batch) -> seconds per step
    for name, sizes in NETWORKS.items():
        for batch in BATCHES:
            cells = X[:max(args.limit, MIN_STEPS * batch)], y[:max(args.limit, MIN_STEPS * batch)]
            for d, xp in devices.items():
                per_step[d, name, batch] = time_per_step(xp, d, sizes, *cells, batch,
                                                         args.dtype, args.repeats)
                if d in peer_devs:       # the peer right after, on the same cell
                    per_step["torch-" + d, name, batch] = torch_time_per_step(
                        torch, peer_devs[d], sizes, *cells, batch, args.dtype, args.repeats)
            for d in set(peer_devs) - set(devices):   # a GPU PyTorch sees but CuPy does not
                per_step["torch-" + d, name, batch] = torch_time_per_step(
                    torch, peer_devs[d], sizes, *cells, batch, args.dtype, args.repeats)

    cols = [d for d in ("cpu", "gpu") if d in wanted]
    head = f"{'network':15s} {'batch':>5s} {'steps/epoch':>11s} {'MFLOP/step':>10s}"
    for d in cols:
        head += f" {d.upper() + ' ms/step':>12s} {d.upper() + ' s/epoch':>12s}"
        if args.peer:
            head += f" {'torch ' + d.upper() + ' ms':>12s} {'wl/torch':>8s}"
    if len(devices) == 2:
        head += f" {'GPU speed-up':>12s}"
    print()
    print(head)
    for name, sizes in NETWORKS.items():
        for batch in BATCHES:
            steps = math.ceil(EPOCH / batch)
            row = f"{name:15s} {batch:5d} {steps:11d} {flops_per_step(sizes, batch) / 1e6:10.1f}"
            for d in cols:
                s = per_step.get((d, name, batch))
                gone = "no GPU" if d == "gpu" else "not measured"
                row += (f" {s * 1e3:12.3f} {s * steps:12.2f}" if s is not None
                        else f" {gone:>12s} {'-':>12s}")
                if args.peer:
                    t = per_step.get(("torch-" + d, name, batch))
                    row += f" {t * 1e3:12.3f}" if t is not None else f" {gone:>12s}"
                    row += f" {s / t:7.2f}x" if s is not None and t is not None \
                        else f" {'-':>8s}"
            if len(devices) == 2:
                row += f" {per_step['cpu', name, batch] / per_step['gpu', name, batch]:11.1f}x"
            print(row)

    print()
    for name, sizes in NETWORKS.items():
        fits = {d: fit_line(BATCHES, [per_step[d, name, b] for b in BATCHES]) for d in devices}
        for d, (a, b) in fits.items():
            top = flops_per_step(sizes, BATCHES[-1]) / per_step[d, name, BATCHES[-1]] / 1e9
            print(f"{name} on {d.upper()}: fitted {a * 1e3:.3f} ms fixed per step + "
                  f"{b * 1e6:.2f} us per sample; {top:.1f} GFLOP/s at batch {BATCHES[-1]}")
        if len(devices) == 2:
            faster = [b for b in BATCHES if per_step["gpu", name, b] < per_step["cpu", name, b]]
            start = next((b for i, b in enumerate(BATCHES) if set(BATCHES[i:]) <= set(faster)),
                         None)
            (ag, bg), (ac, bc) = fits["gpu"], fits["cpu"]
            cross = (f"; the fitted lines cross near batch {(ag - ac) / (bc - bg):.0f}"
                     if bc > bg and ag > ac else "")
            if start is not None:
                print(f"  the GPU is faster from batch {start} on{cross}")
            elif faster:
                print(f"  the GPU is faster only at batch {', '.join(map(str, faster))}{cross}")
            else:
                print(f"  the GPU is faster at no batch size measured{cross}")
    if len(devices) == 2:
        print(textwrap.fill(
            "Why: a GPU step costs a fixed overhead whatever the batch size: Python and 40 "
            "to 60 kernel launches (matmuls, bias adds, activations, softmax, updates, the "
            "running sums), each with a fixed cost, while thousands of cores share the "
            "arithmetic; the CPU launches nothing but pays for every multiply-add. The GPU "
            "wins once a step carries enough arithmetic (MFLOP/step) to outweigh its "
            "launches.", 88))
    if "gpu" not in devices and "gpu" in wanted:
        print("GPU column: needs CuPy and an NVIDIA GPU (pip install \"weightlapse[gpu]\"); "
              "run this script there to fill it.")


if __name__ == "__main__":
    main()
