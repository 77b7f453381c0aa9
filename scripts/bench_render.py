"""Milliseconds per video frame (render + H.264 encode, 1280x720, all edges
drawn) for a 784-32-10 network (25,408 edges) and a 2-8-8-3 network, and in
the same run a baseline that redraws the graph with networkx.draw per frame.

    python scripts/bench_render.py [--repeats 3] [--baseline-frames 3]

Target (issue 4): <= 33 ms per frame for 784-32-10 with all edges drawn.
The networks' weights come from short real training runs on synthetic data
(no download), recorded every few steps.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg
import networkx as nx
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import weightlapse as wl
from matplotlib import colormaps
from weightlapse.viz.colors import weight_scale
from weightlapse.viz.graph import network_graph
from weightlapse.viz.video import render_video

SIZE = (1280, 720)


def make_runs(out):
    rng = np.random.default_rng(0)
    y = rng.permutation(np.arange(3000) % 10)  # 10 classes: a 784-32-10 network
    X = rng.random((3000, 784)).astype(np.float32) * 0.5
    for k in range(10):  # class k brightens its own band of "pixels": learnable
        X[y == k, k * 78:(k + 1) * 78] += 0.5
    big = wl.train(X, y, hidden=[32], epochs=6, batch_size=64, optimizer="sgd", lr=0.1,
                   snapshot_every=1, out=out, name="mlp-784-32-10", val_fraction=0.1)
    small = wl.train(dataset="spiral", hidden=[8, 8], epochs=120, batch_size=0,
                     snapshot_every=1, out=out, name="spiral-2-8-8-3")
    return big, small


def time_render(run, path):
    """(setup s, steady ms per frame, frames): per-frame time is measured from
    the first frame handed to the encoder to the encoded file being complete,
    so encoding is included; setup (layout, first draw, raster tables) is
    paid once per video."""
    stamps = []
    t = time.perf_counter()
    render_video(run, path, size=SIZE, progress=lambda done, total: stamps.append(
        time.perf_counter()))
    end = time.perf_counter()
    n = imageio_ffmpeg.count_frames_and_secs(str(path))[0]
    assert n == len(stamps)
    return stamps[0] - t, (end - stamps[0]) / (n - 1) * 1e3, n


def time_networkx_draw(run, path, frames):
    """The naive way: rebuild and redraw the whole graph for every frame."""
    scale = weight_scale(run.snapshots)
    fig = Figure(figsize=(SIZE[0] / 100, SIZE[1] / 100), dpi=100)
    canvas = FigureCanvasAgg(fig)
    writer = imageio_ffmpeg.write_frames(str(path), SIZE, fps=30, codec="libx264",
                                         pix_fmt_in="rgba", macro_block_size=1,
                                         output_params=["-preset", "veryfast"])
    writer.send(None)
    t = time.perf_counter()
    for i in range(frames):
        snap = run.snapshots[i]
        G = network_graph(snap)
        fig.clf()
        ax = fig.add_axes([0, 0, 1, 1])
        pos = nx.get_node_attributes(G, "pos")
        w = [d["weight"] for _, _, d in G.edges(data=True)]
        nx.draw(G, pos, ax=ax, node_size=20, arrows=False, edge_color=w,
                edge_cmap=colormaps["RdBu_r"], edge_vmin=-scale,
                edge_vmax=scale, width=0.5)
        canvas.draw()
        writer.send(np.asarray(canvas.buffer_rgba()))
    writer.close()
    return (time.perf_counter() - t) / frames * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--baseline-frames", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        big, small = make_runs(d)
        rows = []
        for run in (big, small):
            setup, ms = [], []
            for r in range(args.repeats):
                s0, m, n = time_render(run, d / f"{run.name}-{r}.mp4")
                setup.append(s0)
                ms.append(m)
            base = time_networkx_draw(run, d / f"{run.name}-nx.mp4", args.baseline_frames)
            rows.append((run.name, sum(a * b for a, b in zip(run.sizes, run.sizes[1:])), n,
                         statistics.median(setup), statistics.median(ms), base))
    print(f"1280x720 H.264, all edges drawn; weightlapse: median of {args.repeats} renders; "
          f"networkx.draw: {args.baseline_frames} frames")
    print(f"{'network':16s} {'edges':>6s} {'frames':>6s} {'setup s':>8s} "
          f"{'weightlapse ms/frame':>21s} {'networkx.draw ms/frame':>23s} {'speed-up':>9s}")
    for name, edges, n, setup, ours, base in rows:
        print(f"{name:16s} {edges:6d} {n:6d} {setup:8.2f} {ours:21.1f} {base:23.0f} "
              f"{base / ours:8.0f}x")
    print("(weightlapse's frame also has loss/accuracy curves, the title, and decision "
          "regions or weight tiles;\n the baseline draws the bare graph)")
    print()
    ours = rows[0][4]
    print(f"784-32-10, all edges: {ours:.1f} ms per frame (target <= 33 ms): "
          f"{'met' if ours <= 33 else 'MISSED'}")


if __name__ == "__main__":
    main()
