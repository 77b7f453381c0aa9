"""Milliseconds per video frame at 1280x720, H.264 encoding included, for
the views the issue names, against a fair baseline in the same run.

    WEIGHTLAPSE_DATA=... python scripts/bench_render.py [--repeats 3] [--seconds 6]
        [--only NAME] [--sample auto|none|N]

Views (each a real training run, recorded; MNIST from $WEIGHTLAPSE_DATA):

- mnist-strong (784-512-256-10) default view: 1,000 MNIST images, 2 epochs
  (the frame's cost does not depend on how long the run trained);
- 784-32-10 with ``units="all", edges="all"`` (every one of 25,408 edges):
  synthetic 784-feature data, 6 epochs;
- spiral 2-8-8-3 default view;
- the spiral preset (2-32-32-3 tanh, 300 epochs, a snapshot every 5) default
  view, unit maps included (issue 19: every 2-D preset);
- mnist-cnn (conv 6x5,16x5 pool 2, 256-120-84-10) default view: its
  channels with their kernel tiles, 1,000 MNIST images, 2 epochs;
- the other image presets' default views (zhang 784-10-10, nielsen
  784-30-10 sigmoid, mnist-mlp 784-128-10), 1,000 MNIST images each.

Every view is drawn with ``--sample`` (default auto: image and table runs
follow held-out row 0 through the network, issue 19); ``--sample none``
times the views without it.

weightlapse: a film of ``--seconds`` seconds at 30 fps; per-frame wall time
from the first frame handed to the encoder to the encoded file complete
(setup, paid once per film, apart); CPU time per frame of this process and
of the ffmpeg encoder. Baseline: a matplotlib LineCollection of every edge
(and a scatter of the units) built once and only recoloured per frame, then
the figure drawn and the frame encoded the same way.

Targets: <= 33 ms per frame for every view but the 2-8-8-3 spiral (issue 9,
issue 19: the spiral preset's and the image presets' with the sample, issue
21: mnist-cnn's). The baseline of a conv run draws its dense part's edges (its
kernels have none).
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

import weightlapse as wl
from weightlapse.viz.draw_options import DrawOptions
from weightlapse.viz.video import render_video

SIZE = (1280, 720)


def layout(sizes):
    """The baseline's plain layered layout: per layer (x, ys top to bottom)."""
    return [(float(x), 0.5 + min(0.92 / max(n - 1, 1), 0.09) * ((n - 1) / 2 - np.arange(n)))
            for x, n in zip(np.linspace(0.06, 0.94, len(sizes)), sizes)]


def make_runs(out, only=""):
    rng = np.random.default_rng(0)
    y = rng.permutation(np.arange(3000) % 10)
    X = rng.random((3000, 784)).astype(np.float32) * 0.5
    for k in range(10):  # class k brightens its own band of "pixels": learnable
        X[y == k, k * 78:(k + 1) * 78] += 0.5
    views = [("mnist-strong default", lambda: wl.train(
                  preset="mnist-strong", limit=1000, epochs=2, snapshot_every=4, out=out,
                  name="mnist-strong"), {}),
             ("784-32-10 all/all", lambda: wl.train(
                  X, y, hidden=[32], epochs=6, batch_size=64, optimizer="sgd", lr=0.1,
                  snapshot_every=1, out=out, name="784-32-10"),
              {"units": "all", "edges": "all"}),
             ("spiral default", lambda: wl.train(
                  dataset="spiral", hidden=[8, 8], epochs=120, batch_size=0, snapshot_every=1,
                  out=out, name="spiral-2-8-8-3"), {}),
             ("spiral preset default", lambda: wl.train(
                  preset="spiral", out=out, name="spiral-preset"), {}),
             ("mnist-cnn default", lambda: wl.train(
                  preset="mnist-cnn", limit=1000, epochs=2, snapshot_every=4, out=out,
                  name="mnist-cnn"), {})]
    views += [(f"{p} default", lambda p=p, kw=kw: wl.train(
                  preset=p, limit=1000, snapshot_every=4, out=out, name=p, **kw), {})
              for p, kw in (("zhang", {"epochs": 40}), ("nielsen", {"epochs": 1}),
                            ("mnist-mlp", {"epochs": 2}))]
    return [(label, train(), kw) for label, train, kw in views if only in label]


def cpu():
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def time_render(run, path, opts):
    """(setup s, wall ms/frame, own CPU ms/frame, encoder CPU ms/frame)."""
    stamps = []
    t = time.perf_counter()
    render_video(run, path, opts, progress=lambda done, total: stamps.append(
        (time.perf_counter(), cpu())))
    end, c = time.perf_counter(), cpu()
    n = imageio_ffmpeg.count_frames_and_secs(str(path))[0]
    assert n == len(stamps)
    (t0, (me0, kid0)) = stamps[0]
    return (t0 - t, (end - t0) / (n - 1) * 1e3, (c[0] - me0) / (n - 1) * 1e3,
            (c[1] - kid0) / (n - 1) * 1e3)


def time_linecollection(run, path, frames):
    """The fair baseline: every edge in one prebuilt LineCollection, units in
    one scatter per layer; per frame only their colours change."""
    fig = Figure(figsize=(SIZE[0] / 100, SIZE[1] / 100), dpi=100)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes([0.01, 0.05, 0.98, 0.9])
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    pos = layout(run.sizes)
    segs = []
    for (xa, ya), (xb, yb) in zip(pos[:-1], pos[1:]):
        i, j = np.divmod(np.arange(len(ya) * len(yb)), len(yb))
        segs.append(np.stack([np.c_[np.full(len(i), xa), ya[i]],
                              np.c_[np.full(len(j), xb), yb[j]]], axis=1))
    lines = LineCollection(np.concatenate(segs), linewidths=0.5)
    ax.add_collection(lines)
    dots = [ax.scatter(np.full(len(ys), x), ys, s=12) for x, ys in pos[1:]]
    cmap = colormaps["RdBu_r"]
    n_dense = len(run.sizes) - 1              # a conv run: its dense layers' weights

    def dense(weights):
        return weights[-n_dense:]
    w_last = np.concatenate([np.ravel(w) for w in dense(run.snapshots[-1].weights)])
    norm = Normalize(*np.percentile(w_last, [1, 99]))
    writer = imageio_ffmpeg.write_frames(
        str(path), SIZE, fps=30, codec="libx264", pix_fmt_in="rgba", pix_fmt_out="yuv420p",
        quality=None, macro_block_size=1, ffmpeg_log_level="error",
        output_params=["-preset", "veryfast", "-crf", "20"])
    writer.send(None)
    n = len(run.snapshots)
    t, c0 = time.perf_counter(), cpu()
    for k in range(frames):
        snap = run.snapshots[k % n]
        lines.set_color(cmap(norm(np.concatenate([np.ravel(w) for w in dense(snap.weights)]))))
        for d, b in zip(dots, dense(snap.biases)):
            d.set_facecolor(cmap(norm(b)))
        canvas.draw()
        writer.send(np.asarray(canvas.buffer_rgba()))
    writer.close()
    c = cpu()
    wall = (time.perf_counter() - t) / frames * 1e3
    return wall, ((c[0] - c0[0]) + (c[1] - c0[1])) / frames * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=6.0, help="film length per render")
    ap.add_argument("--baseline-frames", type=int, default=3)
    ap.add_argument("--only", default="", help="time only the views whose name contains this")
    ap.add_argument("--sample", default="auto", help="the drawing option --sample of every view")
    args = ap.parse_args()
    os.environ.setdefault("WEIGHTLAPSE_OFFLINE", "1")
    rows = []
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        for label, run, kw in make_runs(d, args.only):
            opts = DrawOptions.create(duration=args.seconds, size=SIZE, sample=args.sample, **kw)
            res = [time_render(run, d / f"{run.name}-{r}.mp4", opts)
                   for r in range(args.repeats)]
            med = [statistics.median(x) for x in zip(*res)]
            base = time_linecollection(run, d / f"{run.name}-base.mp4", args.baseline_frames)
            edges = sum(a * b for a, b in zip(run.sizes, run.sizes[1:]))
            net = ("conv+" if run.is_conv else "") + "-".join(map(str, run.sizes))
            rows.append((label, net, edges, *med, *base))
    print(f"1280x720 H.264 (libx264 veryfast), {args.seconds:g} s films at 30 fps; "
          f"weightlapse: median of {args.repeats} films; baseline: {args.baseline_frames} "
          f"frames; --sample {args.sample}; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs")
    print(f"{'view':21s} {'network':15s} {'edges':>7s} {'setup s':>7s} {'ms/frame':>8s} "
          f"{'cpu ms':>7s} {'enc cpu':>7s} {'baseline ms':>11s} {'base cpu':>8s} "
          f"{'speed-up':>8s}")
    for label, net, edges, setup, ms, me, enc, base, bcpu in rows:
        print(f"{label:21s} {net:15s} {edges:7d} {setup:7.2f} {ms:8.1f} {me:7.1f} {enc:7.1f} "
              f"{base:11.0f} {bcpu:8.0f} {base / ms:7.1f}x")
    print("(ms/frame: wall time per frame, encoding included; cpu ms: this process; "
          "enc cpu: the ffmpeg encoder; baseline: every edge as a prebuilt LineCollection)")
    for label, net, edges, setup, ms, *_ in [r for r in rows if "spiral" not in r[0]
                                             or "preset" in r[0]]:
        print(f"{label}: {ms:.1f} ms per frame (target <= 33 ms): "
              f"{'met' if ms <= 33 else 'MISSED'}")


if __name__ == "__main__":
    main()
