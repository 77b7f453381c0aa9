import os
from pathlib import Path

import pytest

# Tests never reach the network: downloads are tested against a local server.
os.environ["WEIGHTLAPSE_OFFLINE"] = "1"

# The real MNIST files live beside the checkout (../shared/data), or wherever
# WEIGHTLAPSE_DATA points.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def mnist_dir():
    root = Path(os.environ.get("WEIGHTLAPSE_DATA") or SHARED_DATA)
    if not (root / "mnist").is_dir():
        pytest.skip(f"real MNIST files not found under {root}/mnist (set WEIGHTLAPSE_DATA)")
    return root
