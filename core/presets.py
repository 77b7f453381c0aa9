"""Named settings (``--preset NAME``); explicit options override them.

``expected`` is the reported accuracy band on held-out data, printed beside
the achieved accuracy when training ends.
"""
from __future__ import annotations

PRESETS = {
    "zhang": {
        "about": "Samson Zhang's from-scratch MNIST notebook: 784-10-10 ReLU/softmax, "
                 "uniform init, full-batch gradient descent, lr 0.1, 500 iterations",
        "settings": dict(dataset="mnist", hidden=[10], activation="relu", init="uniform",
                         optimizer="sgd", lr=0.1, batch_size=0, epochs=500),
        "reported": "~83-85% on held-out digits",
        "expected": (0.82, 0.88),
    },
    "nielsen": {
        "about": "Nielsen's network.py (Neural Networks and Deep Learning, ch. 1): "
                 "784-30-10 sigmoid, SGD batch 10, lr 3.0, 30 epochs; softmax "
                 "cross-entropy where he used a sigmoid output with quadratic cost",
        "settings": dict(dataset="mnist", hidden=[30], activation="sigmoid", init="he",
                         optimizer="sgd", lr=3.0, batch_size=10, epochs=30),
        "reported": "~95%",
        "expected": (0.94, 0.97),
    },
    "mnist-mlp": {
        "about": "the standard MLP: 784-128-10 ReLU, SGD lr 0.1, batch 64, 10 epochs",
        "settings": dict(dataset="mnist", hidden=[128], activation="relu", init="he",
                         optimizer="sgd", lr=0.1, batch_size=64, epochs=10),
        "reported": "~97-98%",
        "expected": (0.97, 0.985),
    },
    "mnist-strong": {
        "about": "784-512-256-10 ReLU with dropout, Adam with cosine decay, 20 epochs",
        "settings": dict(dataset="mnist", hidden=[512, 256], activation="relu", init="he",
                         dropout=0.2, optimizer="adam", lr=1e-3, lr_schedule="cosine",
                         batch_size=128, epochs=20),
        "reported": ">= 98.0% (tuned here)",
        "expected": (0.98, 0.995),
    },
    "mnist-cnn": {
        "about": "LeNet-5-like: 1x28x28 -> conv 6x5 -> ReLU -> max-pool 2 -> conv 16x5 -> "
                 "ReLU -> max-pool 2 -> 256 -> 120 -> 84 -> 10, Adam lr 2e-3 with cosine "
                 "decay, batch 64, 15 epochs",
        "settings": dict(dataset="mnist", conv=[[6, 5], [16, 5]], pool=2, hidden=[120, 84],
                         activation="relu", init="he", optimizer="adam", lr=2e-3,
                         lr_schedule="cosine", batch_size=64, epochs=15),
        "reported": ">= 99.0% (LeNet-5 reached 99.05% in 1998)",
        "expected": (0.99, 0.995),
    },
    "spiral": {
        "about": "the built-in demo: 2-32-32-3 tanh network on the 3-arm spiral",
        "settings": dict(dataset="spiral", hidden=[32, 32], activation="tanh",
                         optimizer="adam", lr=0.01, batch_size=0, epochs=300,
                         val_fraction=0.2),
        "expected": (0.95, 1.0),
    },
}


def preset_settings(name: str) -> dict:
    from .errors import ConfigError
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return dict(PRESETS[name]["settings"])


# Settings that change what a run learns from; a preset's band holds only
# for the preset's own (recording, output and device settings do not count).
_NOT_COMPARED = ("snapshot_every", "out", "name", "device", "data_dir")


def departures(name: str, settings: dict) -> list:
    """How a run with ``settings`` left preset ``name``'s recipe, in words:
    other data ("data other.csv", "dataset fashion-mnist"), a subset ("the
    first 3,000 training rows"), then other settings ("epochs 3"); [] when
    it followed the preset."""
    own = PRESETS[name]["settings"]
    out = []
    if settings.get("data"):
        out.append(f"data {settings['data']}")
    elif settings.get("dataset") not in (None, own.get("dataset")):
        out.append(f"dataset {settings['dataset']}")
    if settings.get("limit") is not None:
        out.append(f"the first {settings['limit']:,} training rows")
    for key, value in own.items():
        if key not in _NOT_COMPARED and key != "dataset" and key in settings \
                and settings[key] != value:
            shown = ",".join(map(str, settings[key])) if isinstance(settings[key], list) \
                else settings[key]
            out.append(f"{key} {shown}")
    return out


def band_text(name: str, settings: dict, final_metrics: dict) -> str:
    """The preset's expected band beside the run's held-out accuracy (test,
    else validation), "" for a preset without one. "in band" / "OUT of band"
    only where the run followed the preset's recipe; otherwise says that the
    band is for the preset's full dataset and settings, and how this run left
    them."""
    if not PRESETS[name].get("expected"):
        return ""
    lo, hi = PRESETS[name]["expected"]
    which = "test" if final_metrics.get("test_acc") is not None else "val"
    acc = final_metrics.get(f"{which}_acc")
    band = f"{lo:.1%}-{hi:.1%}"
    if acc is None:
        return f"preset {name}: expected {band}"
    head = f"preset {name}: {which} acc {acc:.2%}"
    off = departures(name, settings)
    if off:
        own = PRESETS[name]["settings"].get("dataset")
        data = any(settings.get(k) not in (None, own) for k in ("data", "dataset")) or \
            settings.get("limit") is not None
        what = f"the full {own} dataset" if data else "the preset's own settings"
        return f"{head}; its expected {band} is for {what} (this run: {', '.join(off)})"
    return f"{head} against expected {band}: " + ("in band" if lo <= acc <= hi else "OUT of band")
