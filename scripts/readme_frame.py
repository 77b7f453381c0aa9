"""Recipe for the README's pictures: a mid-training frame of the demo's film,
and one frame of each colour mode (weight, change, update) of the same
mnist-mlp run, at the same moment of its film.

    WEIGHTLAPSE_DATA=... python scripts/readme_frame.py [docs]

Writes docs/demo-frame.png and docs/gallery-mnist-{weight,change,update}.png:
frames of the default 1280x720 film scaled to 960x540, each well under 300 kB. The MNIST run is the mnist-mlp preset
trained for 4 epochs (its frames are taken at epoch 2).
"""
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

import weightlapse as wl
from weightlapse.viz.frame import FrameRenderer
from weightlapse.viz.draw_options import DrawOptions

SIZE = (960, 540)


def save(frame, path):
    # Octree keeps small saturated areas (a class swatch, scattered points):
    # median cut merged class 2's green into grey.
    img = Image.fromarray(np.ascontiguousarray(frame[..., :3])).resize(SIZE, Image.LANCZOS)
    img.quantize(
        colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        path, optimize=True)
    print(path, f"{Path(path).stat().st_size / 1000:.0f} kB")


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs")
    with tempfile.TemporaryDirectory() as d:
        run = wl.train(preset="spiral", out=d, name="demo", snapshot_every=2)
        i = int(np.searchsorted(run.snapshots.steps, 60))  # epoch 60: half learned
        r = FrameRenderer(run)
        save(r.frame_at(i), out / "demo-frame.png")
        run = wl.train(preset="mnist-mlp", epochs=4, out=d, name="mnist")
        i = int(np.searchsorted(run.snapshots.epochs, 2.0))
        for color in ("weight", "change", "update"):
            r = FrameRenderer(run, DrawOptions.create(color=color))
            save(r.frame_at(i), out / f"gallery-mnist-{color}.png")


if __name__ == "__main__":
    main()
