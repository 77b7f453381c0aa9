"""Recipe for the README's "Is it learning well?" figures: three short MNIST
runs (784-64-64-10 ReLU, 6,000 images, 3 epochs, a snapshot every 20 steps)
that differ only in optimizer and learning rate, and ``weightlapse diagnose``
of each, its findings printed and its figure saved.

    WEIGHTLAPSE_DATA=... python scripts/readme_health.py [docs]

Writes docs/health-{lr-too-high,lr-too-small,healthy}.png (80 dpi, about
110 kB each), and docs/film-lr-too-high.png: a 1280x720 film frame of the
lr-too-high run at epoch 2, its dead units hollow and its update-ratio
strips under the network; the runs go to a temporary folder.
"""
import subprocess
import sys
import tempfile
from pathlib import Path

RUNS = {"lr-too-high": ("adam", "0.05"),     # kills most ReLUs of hidden 1
        "lr-too-small": ("sgd", "0.0005"),   # update ratios under 10^-4
        "healthy": ("adam", "0.001")}


def main(docs="docs"):
    with tempfile.TemporaryDirectory() as out:
        for name, (optimizer, lr) in RUNS.items():
            subprocess.run(["weightlapse", "train", "--dataset", "mnist", "--hidden", "64,64",
                            "--limit", "6000", "--epochs", "3", "--optimizer", optimizer,
                            "--lr", lr, "--snapshot-every", "20", "--out", out,
                            "--name", name, "--quiet"], check=True)
            png = Path(docs) / f"health-{name}.png"
            subprocess.run(["weightlapse", "diagnose", str(Path(out) / name), "-o", str(png),
                            "--dpi", "80"], check=True)
            print(png, f"{png.stat().st_size / 1000:.0f} kB")
        frame(Path(out) / "lr-too-high", Path(docs) / "film-lr-too-high.png")


def frame(run_path, png, epoch=2.0):
    """The film's frame of the run at ``epoch`` (the snapshot nearest it)."""
    import numpy as np
    from PIL import Image
    import weightlapse as wl
    from weightlapse.viz.draw_options import DrawOptions
    from weightlapse.viz.frame import FrameRenderer
    run = wl.load_run(run_path)
    i = int(np.argmin(np.abs(run.snapshots.epochs - epoch)))
    img = FrameRenderer(run, DrawOptions.create(size=(1280, 720))).frame_at(i)
    Image.fromarray(img[..., :3].copy()).quantize(256).save(png, optimize=True)  # ~1/3 the size
    print(png, f"{png.stat().st_size / 1000:.0f} kB")


if __name__ == "__main__":
    main(*sys.argv[1:])
