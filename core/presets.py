"""Named settings (``--preset NAME``); explicit options override them.

``expected`` is the reported accuracy band on held-out data, printed beside
the achieved accuracy when training ends.
"""
from __future__ import annotations

PRESETS = {
    "spiral": {
        "about": "the built-in demo: 2-32-32-3 tanh network on the 3-arm spiral",
        "settings": dict(dataset="spiral", hidden=[32, 32], activation="tanh",
                         optimizer="adam", lr=0.01, batch_size=0, epochs=300,
                         val_fraction=0.2, snapshot_every=5),
        "expected": (0.95, 1.0),
    },
}


def preset_settings(name: str) -> dict:
    from .errors import ConfigError
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return dict(PRESETS[name]["settings"])
