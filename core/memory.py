"""How much memory a setting needs, checked before anything is allocated or
written: sizes that pass validation can still be far beyond the machine."""
from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

from .synthetic import SYNTHETIC
from .errors import ConfigError

# Arrays the optimizer keeps per parameter (on top of the weights and gradients).
OPTIMIZER_STATE = {"sgd": 0, "momentum": 1, "nesterov": 1, "rmsprop": 1, "adam": 2}
EVAL_CHUNK = 8192


def available_bytes():
    """Memory available to a new allocation (MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def gib(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB" if n >= 2**30 else f"{n / 2**20:,.0f} MiB"


def check_fits(need: int, what: str, advice: str) -> None:
    """A ConfigError when ``need`` bytes exceed the memory available."""
    have = available_bytes()
    if have is not None and need > have:
        raise ConfigError(f"{what} needs about {gib(need)} of memory and "
                          f"{gib(have)} is available; {advice}")


def synthetic_bytes(n_samples: int) -> int:
    """A 2-D synthetic set: X (n, 2) float64 and labels, and the copies that
    splitting and casting make (about four)."""
    return 4 * n_samples * (2 * 8 + 8)


def training_bytes(sizes, itemsize: int, optimizer: str, batch: int, n_eval: int) -> int:
    """Weights, gradients, optimizer state, a checkpoint's copy and the float64
    initial draw of the largest layer; plus the activations of a batch of
    ``batch`` rows (forward and backward) and of an evaluation chunk."""
    shapes = list(zip(sizes[:-1], sizes[1:]))
    n_params = sum(a * b + b for a, b in shapes)
    largest = max(a * b for a, b in shapes)
    per_row = sum(sizes) * itemsize
    return (n_params * itemsize * (3 + OPTIMIZER_STATE.get(optimizer, 2)) + largest * 8
            + 4 * batch * per_row + 2 * min(n_eval, EVAL_CHUNK) * per_row)


def conv_bytes(layers, itemsize: int, optimizer: str, batch: int, n_eval: int) -> int:
    """What the conv layers add: their kernels (with gradients, optimizer
    state, checkpoint copy), per sample of a training batch each layer's
    input, maps before and after the activation, pooled maps and their
    gradients (about twice the forward arrays), the same forward arrays for
    an evaluation chunk, and the im2col working memory: the columns, their
    gradient and the padded-row gradient of the largest layer, each bounded
    by :data:`.conv.COLUMN_BUDGET` (see :mod:`.conv`)."""
    from .conv import COLUMN_BUDGET
    conv = [l for l in layers if l["kind"] == "conv"]
    if not conv:
        return 0
    n_params = sum(l["out_channels"] * (l["in_shape"][0] * l["kernel"] ** 2 + 1) for l in conv)
    per_sample = sum(math.prod(l["in_shape"]) + 2 * math.prod(l["map_shape"])
                     + math.prod(l["out_shape"]) for l in conv) * itemsize
    cols = max(l["in_shape"][0] * l["kernel"] ** 2 * l["map_shape"][1] * l["map_shape"][2]
               for l in conv) * itemsize
    from .model import CONV_CHUNK
    chunk = min(n_eval, CONV_CHUNK)
    return (n_params * itemsize * (3 + OPTIMIZER_STATE.get(optimizer, 2))
            + 3 * batch * per_sample + chunk * per_sample
            + 3 * min(COLUMN_BUDGET, batch * cols) + min(COLUMN_BUDGET, chunk * cols))


def check_training(cfg, sizes, n_train, n_val, layers=None) -> None:
    """The network of ``sizes`` (and its conv ``layers``, if any) trained as
    ``cfg`` says must fit in memory."""
    t = cfg.training
    batch = n_train if t.batch_size in (0, None) else min(t.batch_size, n_train)
    itemsize = 4 if cfg.model.dtype == "float32" else 8
    need = training_bytes(sizes, itemsize, t.optimizer, batch, max(n_train, n_val))
    hidden = ",".join(map(str, cfg.model.hidden)) or "none"
    if layers and layers[0]["kind"] == "conv":
        from .convnet import conv_text
        need += conv_bytes(layers, itemsize, t.optimizer, batch, max(n_train, n_val))
        check_fits(need, f"a network of conv layers {conv_text(cfg.model.conv)} and hidden "
                   f"{hidden} (batch {batch})",
                   "use fewer conv channels, a larger pool or a smaller batch_size")
        return
    check_fits(need, f"a {'-'.join(map(str, sizes))} network (hidden {hidden}, batch "
               f"{batch})", "use smaller hidden layers or a smaller batch_size")


def check_synthetic(cfg) -> None:
    d = cfg.data
    if d.dataset is not None and d.data is None and d.dataset in SYNTHETIC:
        check_fits(synthetic_bytes(d.n_samples), f"n_samples {d.n_samples:,}",
                   "use fewer samples")




def snapshot_bytes(sizes, itemsize: int, n_train: int, cfg, layers=None) -> int:
    """What snapshots.bin will hold at the end of the run: one record (16 bytes
    of epoch and step, then every weight and bias) per snapshot."""
    from .schedule import count as snapshot_count
    t = cfg.training
    batch = n_train if t.batch_size in (0, None) else min(t.batch_size, n_train)
    per_epoch = -(-n_train // batch)
    # One more: an interrupted run's last frame, where it stopped.
    count = snapshot_count(cfg.recording.snapshot_every, per_epoch * t.epochs, per_epoch) + 1
    n_params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    if layers:
        from .convnet import layout
        n_params = sum(math.prod(s) for s in layout(layers))
    return count * (16 + n_params * itemsize)


def check_disk(folder, need: int) -> None:
    """A ConfigError when ``folder`` (``out``) cannot be written, or the
    snapshots cannot fit on the disk holding it."""
    from .errors import arg
    from .io import folder_problem
    path = Path(folder).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    if not path.is_dir():
        raise ConfigError(f"{arg('out')} {folder}: {path} is a file, not a folder")
    why = folder_problem(path)
    if why is not None:
        raise ConfigError(f"{arg('out')} {folder}: the folder {path} cannot be written ({why})")
    try:
        free = shutil.disk_usage(path).free
    except OSError:
        return
    if need > free:
        shown_need, shown_free = amount(need), amount(free)
        if shown_need == shown_free:       # never "1 MiB needed, 1 MiB free"
            shown_need, shown_free = f"{need:,} bytes", f"{free:,} bytes"
        raise ConfigError(f"the snapshots would need about {shown_need} of disk and only "
                          f"{shown_free} is free under {path}; record less often (a larger "
                          f"{arg('snapshot_every')}), or train fewer {arg('epochs')}")


def amount(n: float) -> str:
    """Bytes in words with three significant figures: 812 bytes, 4.1 kB, 37.5 MiB."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("kB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"
