"""Recipe for the README's pictures: a mid-training frame of the demo's film,
and one frame of each colour mode (weight, change, update) of the same
mnist-mlp run, at the same moment of its film.

    WEIGHTLAPSE_DATA=... python scripts/readme_frame.py [docs]
    python scripts/readme_frame.py --spiral [docs]
    WEIGHTLAPSE_DATA=... KERAS_BACKEND=torch python scripts/readme_frame.py --recorded [docs]
    WEIGHTLAPSE_DATA=... python scripts/readme_frame.py --cnn [docs]

Writes docs/demo-frame.png, docs/gallery-mnist-{weight,change,update}.png and
docs/gallery-mnist-sample.png (held-out row SAMPLE followed through the
network, coloured by change):
frames of the default 1280x720 film scaled to 960x540, each well under 300 kB. The MNIST run is the mnist-mlp preset
trained for 4 epochs (its frames are taken at epoch 2). With ``--recorded``:
docs/recorded-{torch,keras}-mnist.png, the frame at epoch 2 of the films the
README's "Film your own PyTorch/Keras model" examples make (run as written).
Also docs/gallery-spiral-maps.png: the network of the demo's last frame at
1920x1080 (each hidden unit's map beside it), cropped to the network and
scaled to 960 px wide. ``--spiral``: only the two spiral pictures (no MNIST).
With ``--cnn``: docs/cnn-{start,end}.png and docs/cnn-end-change.png, the first
and last frames of the film of the mnist-cnn preset trained on the first
20,000 training images for 4 epochs with a snapshot every 25 steps (weights),
and the last frame coloured by change W - W0.
"""
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

import weightlapse as wl
from weightlapse.viz.frame import FrameRenderer
from weightlapse.viz.draw_options import DrawOptions

SIZE = (960, 540)
SAMPLE = 3           # the held-out row the sample frame follows


def save(frame, path, size=SIZE):
    # Octree keeps small saturated areas (a class swatch, scattered points):
    # median cut merged class 2's green into grey.
    img = Image.fromarray(np.ascontiguousarray(frame[..., :3])).resize(size, Image.LANCZOS)
    img.quantize(
        colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        path, optimize=True)
    print(path, f"{Path(path).stat().st_size / 1000:.0f} kB")


def recorded(out):
    """Run the README's two recorder examples in a temporary folder and save
    the frame at epoch 2 of each film (colour by change, as they render)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    with tempfile.TemporaryDirectory() as d:
        for fw, heading in (("torch", "PyTorch"), ("keras", "Keras")):
            section = readme.split(f"\n## Film your own {heading} model\n")[1]
            code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
            subprocess.run([sys.executable, "-c", code], cwd=d, check=True,
                           env={**os.environ, "KERAS_BACKEND": "torch"})
            run = wl.load_run(Path(d) / "outputs" / f"{fw}-mnist")
            i = int(np.searchsorted(run.snapshots.epochs, 2.0))
            r = FrameRenderer(run, DrawOptions.create(color="change"))
            save(r.frame_at(i), out / f"recorded-{fw}-mnist.png")


def spiral(out, d):
    """The demo's frame at epoch 60 (half learned), and its network with the
    unit maps at the end, large."""
    run = wl.train(preset="spiral", out=d, name="demo", snapshot_every=2)
    i = int(np.searchsorted(run.snapshots.steps, 60))
    save(FrameRenderer(run).frame_at(i), out / "demo-frame.png")
    r = FrameRenderer(run, DrawOptions.create(size=(1920, 1080)))
    frame = r.frame_at(len(run.snapshots) - 1)
    b, H = r.panel.bbox, 1080
    top = int(H - b.y1) - 60                  # the colour bars; down to the maps' legend
    crop = frame[max(top, 0):H - 40, :int(b.x1) + 20]
    w = 960
    save(crop, out / "gallery-spiral-maps.png", (w, int(round(crop.shape[0] * w / crop.shape[1]))))


def cnn(out):
    """The mnist-cnn film's first and last frames (and the last by change)."""
    with tempfile.TemporaryDirectory() as d:
        run = wl.train(preset="mnist-cnn", limit=20_000, epochs=4, snapshot_every=25,
                       out=d, name="mnist-cnn")
        last = len(run.snapshots) - 1
        r = FrameRenderer(run, DrawOptions.create(color="weight"))   # the default is change
        save(r.frame_at(0), out / "cnn-start.png")
        save(r.frame_at(last), out / "cnn-end.png")
        save(FrameRenderer(run, DrawOptions.create(color="change")).frame_at(last),
             out / "cnn-end-change.png")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    out = Path(args[0] if args else "docs")
    if "--recorded" in sys.argv:
        return recorded(out)
    if "--cnn" in sys.argv:
        return cnn(out)
    with tempfile.TemporaryDirectory() as d:
        spiral(out, d)
        if "--spiral" in sys.argv:
            return
        run = wl.train(preset="mnist-mlp", epochs=4, out=d, name="mnist")
        i = int(np.searchsorted(run.snapshots.epochs, 2.0))
        for color in ("weight", "change", "update"):
            r = FrameRenderer(run, DrawOptions.create(color=color))
            save(r.frame_at(i), out / f"gallery-mnist-{color}.png")
        r = FrameRenderer(run, DrawOptions.create(color="change", sample=SAMPLE))
        save(r.frame_at(i), out / "gallery-mnist-sample.png")


if __name__ == "__main__":
    main()
