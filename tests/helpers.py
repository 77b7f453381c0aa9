"""Small helpers shared by the test modules (the tests folder is on the
import path, as for report_fixtures)."""
import hashlib
import os
import time

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
