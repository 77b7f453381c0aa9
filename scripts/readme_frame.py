"""Recipe for the README's picture: a mid-training frame of the demo's film.

    python scripts/readme_frame.py docs/demo-frame.png
"""
import sys
import tempfile

import numpy as np
from PIL import Image

import weightlapse as wl
from weightlapse.viz.frame import FrameRenderer

out = sys.argv[1] if len(sys.argv) > 1 else "docs/demo-frame.png"
with tempfile.TemporaryDirectory() as d:
    run = wl.train(preset="spiral", out=d, name="demo", snapshot_every=2)
    steps = run.snapshots.steps
    i = int(np.searchsorted(steps, 60))  # epoch 60: the spiral is half learned
    frame = FrameRenderer(run).snapshot_frame(i)
    Image.fromarray(frame[..., :3]).save(out, optimize=True)
print(out)
