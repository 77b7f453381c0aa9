"""core/io.py: atomic writes give the usual file mode without touching the umask."""
import os
import stat
import threading

import pytest

from weightlapse.core import io


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield 0o027
    os.umask(old)


def test_umask_is_read_without_being_changed(umask_027):
    assert io._umask() == umask_027
    assert os.umask(umask_027) == umask_027      # still what it was


def test_atomic_write_gives_0666_less_the_umask(tmp_path, umask_027):
    out = tmp_path / "a.txt"
    io.atomic_write_text(out, "hi")
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert out.read_text() == "hi"


def test_files_made_by_other_threads_during_atomic_writes_keep_the_umask(tmp_path, umask_027):
    # Reading the umask by setting it to 0 and back (the old way) let a file
    # made meanwhile by another thread come out world-writable.
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            io.atomic_write_text(tmp_path / "w.txt", str(i))
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        for i in range(300):
            p = tmp_path / f"f{i}"
            fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o666)
            os.close(fd)
            assert stat.S_IMODE(p.stat().st_mode) == 0o640, p
    finally:
        stop.set()
        t.join()
