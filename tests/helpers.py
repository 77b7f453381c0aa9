"""Small helpers shared by the test modules (the tests folder is on the
import path, as for report_fixtures)."""
import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from weightlapse.cli import main


class StopAt:
    """Asks the trainer to stop after a given step (what Ctrl-C does)."""

    def __init__(self, step):
        self.step = step

    def on_step_end(self, t):
        if t.step == self.step:
            t.request_stop()


def tree(root):
    """Every path under ``root`` with its file's hash: equal trees, nothing changed."""
    return sorted((str(p.relative_to(root)), hashlib.sha1(p.read_bytes()).hexdigest()
                   if p.is_file() else "") for p in root.rglob("*"))


def run_cli(argv, capsys):
    """(exit code, stdout, stderr, the stderr lines a terminal would show)."""
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    shown = [ln.split("\r")[-1] for ln in err.split("\n") if ln.split("\r")[-1].strip()]
    return code, out, err, shown


def assert_process_group_gone(pgid, tries):
    """Wait up to ``tries`` tenths of a second for every process of ``pgid`` to end."""
    for _ in range(tries):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError("processes of the sweep are still running")


README = Path(__file__).resolve().parents[1] / "README.md"


def readme_python(heading):
    """The first ```python block of the README section titled ``heading``."""
    text = README.read_text()
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def run_readme_example(heading, cwd, data_dir):
    """Run a README example as written, in a fresh process in ``cwd``: MNIST
    from ``data_dir``, Keras on PyTorch, and one thread for PyTorch (the
    test machine's cores are shared; OpenMP threads spinning against other
    work made one epoch ten times slower)."""
    env = {**os.environ, "WEIGHTLAPSE_DATA": str(data_dir), "MPLBACKEND": "Agg",
           "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1"}
    p = subprocess.run([sys.executable, "-c", readme_python(heading)], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    return p
