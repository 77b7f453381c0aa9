"""Fixtures shared by every test folder (tests/core, tests/viz, tests/app,
tests/scenarios). Test modules never import each other: what they share
comes from here."""
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

# Tests never reach the network: downloads are tested against a local server.
os.environ["WEIGHTLAPSE_OFFLINE"] = "1"

# The real MNIST files live beside the checkout (../shared/data), or wherever
# WEIGHTLAPSE_DATA points.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def mnist_dir():
    root = Path(os.environ.get("WEIGHTLAPSE_DATA") or SHARED_DATA).resolve()
    if not (root / "mnist").is_dir():
        pytest.skip(f"real MNIST files not found under {root}/mnist (set WEIGHTLAPSE_DATA)")
    return root


# -- helpers, as fixtures -----------------------------------------------------------

@pytest.fixture(scope="session")
def idx_bytes():
    """``idx_bytes(arr)``: an unsigned-byte array as the bytes of an IDX file
    (the MNIST files' format), written by hand, not by the loader under test."""
    import numpy as np

    def encode(arr):
        arr = np.asarray(arr)
        head = bytes([0, 0, 0x08, arr.ndim]) + b"".join(
            int(d).to_bytes(4, "big") for d in arr.shape)
        return head + arr.astype(np.uint8).tobytes()
    return encode


class StopAt:
    """A trainer callback that asks the trainer to stop after a given step
    (what Ctrl-C does)."""

    def __init__(self, step):
        self.step = step

    def on_step_end(self, t):
        if t.step == self.step:
            t.request_stop()


def _numeric_grad(f, p, eps=1e-6):
    """Central differences of ``f()`` with respect to each entry of the
    array ``p`` (changed in place, then restored)."""
    import numpy as np
    g = np.zeros_like(p)
    for i in np.ndindex(p.shape):
        old = p[i]
        p[i] = old + eps
        up = f()
        p[i] = old - eps
        down = f()
        p[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


def _rel_err(a, b):
    import numpy as np
    return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))


@pytest.fixture(scope="session")
def gradcheck():
    """``numeric_grad, rel_err = gradcheck``: float64 central differences of
    ``f()`` w.r.t. an array, and the largest relative error of two arrays."""
    return _numeric_grad, _rel_err


@pytest.fixture(scope="session")
def stop_at():
    """``stop_at(step)``: a callback that stops training after ``step``."""
    return StopAt


@pytest.fixture(scope="session")
def tree():
    """``tree(root)``: every path under ``root`` with its file's hash, so that
    equal trees mean nothing was written or changed."""
    def snapshot(root):
        root = Path(root)
        return sorted((str(p.relative_to(root)), hashlib.sha1(p.read_bytes()).hexdigest()
                       if p.is_file() else "") for p in root.rglob("*"))
    return snapshot


@pytest.fixture
def run_cli(capsys):
    """``run_cli(argv)``: the command line run in this process; (exit code,
    stdout, stderr, the stderr lines a terminal would show)."""
    from weightlapse.cli import main

    def run(argv):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as e:
            code = e.code
        out, err = capsys.readouterr()
        shown = [ln.split("\r")[-1] for ln in err.split("\n") if ln.split("\r")[-1].strip()]
        return code, out, err, shown
    return run


@pytest.fixture(scope="session")
def process_group_gone():
    """``process_group_gone(pgid, tries)``: wait up to ``tries`` tenths of a
    second for every process of the group to end, else fail."""
    def wait(pgid, tries):
        for _ in range(tries):
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        raise AssertionError("processes of the sweep are still running")
    return wait


# -- small real runs ----------------------------------------------------------------

def write_images_csv(path, n=160, side=12, classes=3, seed=0):
    """A Kaggle-digits-style CSV (label, pixel0..pixelN-1, values 0..255) of
    ``n`` side x side images: class k a bright bar at its own place, plus
    noise, so a small conv network learns it in a few epochs."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    imgs = rng.integers(0, 60, (n, side, side))
    for i, k in enumerate(y):
        r = 2 + 3 * k + rng.integers(0, 2)
        imgs[i, r:r + 2, 2:side - 2] = 220
    cols = ["label"] + [f"pixel{j}" for j in range(side * side)]
    rows = np.column_stack([y, imgs.reshape(n, -1)])
    path.write_text(",".join(cols) + "\n" + "\n".join(",".join(map(str, r)) for r in rows)
                    + "\n")
    return path


@pytest.fixture(scope="session")
def images_csv(tmp_path_factory):
    """A small image CSV (160 rows of 12x12 pixels, 3 classes) for conv runs."""
    return write_images_csv(tmp_path_factory.mktemp("images") / "images.csv")


def _spiral(out, name, **kw):
    import weightlapse as wl
    settings = dict(dataset="spiral", hidden=[6, 5], epochs=40, lr=0.05, optimizer="adam",
                    batch_size=0, snapshot_every=2, n_samples=300, out=out, name=name)
    settings.update(kw)
    return wl.train(**settings)


@pytest.fixture(scope="session")
def train_spiral():
    """``train_spiral(out, name, **settings)``: a small spiral run (40 epochs,
    full batch, a snapshot every 2 steps) with ``settings`` overriding."""
    return _spiral


@pytest.fixture(scope="session")
def mark_status():
    """``mark_status(run, status, pid=None)``: rewrite a run's status.json as a
    crashed or stopped run would leave it; the run loaded again."""
    import weightlapse as wl

    def mark(run, status, pid=None):
        info = json.loads((run.path / "status.json").read_text())
        info["status"] = status
        if pid is not None:
            info["pid"] = pid
        (run.path / "status.json").write_text(json.dumps(info))
        return wl.load_run(run.path)
    return mark


@pytest.fixture(scope="session")
def report_runs(tmp_path_factory):
    """Two spiral runs ``a`` and ``b`` (another lr) in ``out``, trained once."""
    out = tmp_path_factory.mktemp("report-runs")
    return {"a": _spiral(out, "a"), "b": _spiral(out, "b", lr=0.01), "out": out}


@pytest.fixture(scope="session")
def image_run(tmp_path_factory, mnist_dir):
    """A small MNIST run (784-40-12-10, 600 images, 2 epochs), trained once."""
    import weightlapse as wl
    out = tmp_path_factory.mktemp("report-mnist")
    return wl.train(dataset="mnist", data_dir=mnist_dir, limit=600, hidden=[40, 12],
                    epochs=2, batch_size=50, lr=0.1, optimizer="sgd", snapshot_every=3,
                    out=out, name="digits")


# -- the README's examples ----------------------------------------------------------

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_python_blocks():
    """Every ```python block of the README: (the section's heading, its
    number in that section, the code)."""
    import re
    blocks, counts, heading = [], {}, ""
    for part in re.split(r"(?m)^(## .*)$", README.read_text()):
        if part.startswith("## "):
            heading = part[3:].strip()
            continue
        for code in re.findall(r"(?ms)^```python\n(.*?)^```", part):
            counts[heading] = counts.get(heading, 0) + 1
            blocks.append((heading, counts[heading], code))
    return blocks


def _readme_python(heading):
    """The first ```python block of the README section titled ``heading``."""
    return next(code for h, _, code in readme_python_blocks() if h == heading)


def _run_python(code, cwd, data_dir, timeout=300):
    """``code`` as a script file of its own, run in a fresh process in
    ``cwd``: MNIST from ``data_dir``, Keras on PyTorch, one thread for
    PyTorch (the test machine's cores are shared; OpenMP threads spinning
    against other work made one epoch ten times slower)."""
    import subprocess
    import sys
    script = Path(cwd) / "example.py"
    script.write_text(code)
    env = {**os.environ, "WEIGHTLAPSE_DATA": str(data_dir), "MPLBACKEND": "Agg",
           "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1"}
    p = subprocess.run([sys.executable, script.name], cwd=cwd, env=env, capture_output=True,
                       text=True, timeout=timeout)
    assert p.returncode == 0, p.stderr[-3000:]
    return p


@pytest.fixture(scope="session")
def run_readme_block():
    """``run_readme_block(code, cwd, data_dir)``: a README block run as
    written, as a script in a fresh process (see _run_python)."""
    return _run_python


@pytest.fixture(scope="session")
def readme_python():
    """``readme_python(heading)``: the first Python block of that README section."""
    return _readme_python


@pytest.fixture(scope="session")
def readme_sweep_script():
    """``readme_sweep_script(tmp_path, scheduler)``: the README's sweep
    example as a script file (no __main__ guard), quicker (3 epochs), on the
    pool (scheduler None) or as written (a local Dask cluster), run in a fresh
    process; checks all 12 runs finished and the table printed, and returns
    the finished process."""
    import json
    import subprocess
    import sys

    def run(tmp_path, scheduler):
        code = _readme_python("Sweeps")
        assert "__main__" not in code and 'scheduler="local"' in code
        if scheduler is None:
            code = code.replace('scheduler="local", ', "")
        assert "epochs=30" in code
        code = code.replace("epochs=30", "epochs=3")
        (tmp_path / "example.py").write_text(code)
        p = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=300, env={**os.environ, "MPLBACKEND": "Agg"})
        assert p.returncode == 0, p.stderr[-3000:]
        index = json.loads((tmp_path / "outputs" / "sweep" / "index.json").read_text())
        assert [r["status"] for r in index["runs"]] == ["finished"] * 12, p.stderr[-3000:]
        assert "None" not in p.stdout.splitlines()[0] and "val acc" in p.stdout  # the table
        assert "Nanny failed" not in p.stderr
        return p
    return run


@pytest.fixture(scope="session")
def run_readme_example():
    """``run_readme_example(heading, cwd, data_dir)``: run the first Python
    block of a README section as written, in a fresh process in ``cwd``."""
    def run(heading, cwd, data_dir):
        return _run_python(_readme_python(heading), cwd, data_dir)
    return run


def pytest_generate_tests(metafunc):
    """A test that takes ``readme_block`` runs once per ```python block of
    the README: (heading, number in its section, code)."""
    if "readme_block" in metafunc.fixturenames:
        blocks = readme_python_blocks()
        metafunc.parametrize("readme_block", blocks,
                             ids=[f"{h} {n}".replace(" ", "-") for h, n, _ in blocks])
