"""scripts/bench_device.py --peer torch: PyTorch eager's timing of the same
cell, and its GPU columns on a machine without a GPU."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")


def _script():
    path = Path(__file__).resolve().parents[2] / "scripts" / "bench_device.py"
    spec = importlib.util.spec_from_file_location("bench_device", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_peer_torch_times_the_same_cell_on_the_cpu():
    bench = _script()
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 6), dtype=np.float32), rng.integers(0, 3, 40)
    t = bench.torch_time_per_step(torch, "cpu", [6, 5, 3], X, y, 8, "float32", 2)
    w = bench.time_per_step(np, "cpu", [6, 5, 3], X, y, 8, "float32", 2)
    assert 0 < t < 1 and 0 < w < 1           # seconds per step, both measured


def test_peer_torch_without_a_gpu_says_no_gpu_and_keeps_the_cpu():
    bench = _script()
    mod, devs, why = bench.load_peer("torch", ["cpu", "gpu"])
    assert mod is torch and devs["cpu"] == "cpu"
    if torch.cuda.is_available():
        assert devs["gpu"] == "cuda" and not why
    else:
        assert "gpu" not in devs and why["gpu"].startswith("no GPU")
    assert bench.load_peer(None, ["cpu"]) == (None, {}, {})
