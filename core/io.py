"""Small file helpers: atomic writes and unique run folders.

Every file weightlapse writes for the user (figures, videos, tables,
predictions, downloads, the run's own files) goes through :func:`atomic_path`:
the writer fills a uniquely named temporary file beside the target, which is
renamed into place only when complete. Two writers of one output never share a
temporary file, and readers see the old file or the new one, never half.

A temporary file is named ``.NAME.PID-XXXXXXXX.partial.EXT``: the writer's
process id is in the name, so a writer killed before it could clean up
(SIGKILL, a power cut) leaves a file that the next writer of the same output
recognises as dead (no process has that id) and removes.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import tempfile
from pathlib import Path

from .errors import ConfigError, arg


def check_output_path(path, what="path", ext=".png") -> Path:
    """An output file's path whose folder exists and can be written, and which
    is not itself a folder; ``what`` names the argument (``-o`` on the command
    line); ``ext`` the extension of the name suggested for a folder. Checks
    only: nothing is left behind."""
    path = Path(path)
    if "\x00" in str(path):
        raise ConfigError(f"{arg(what)} must not contain a NUL character (got {str(path)!r})")
    if path.is_dir():
        raise ConfigError(f"{arg(what)} {path} is a folder; give a file name inside it, "
                          f"e.g. {path / ('out' + (path.suffix or ext))}")
    if not path.parent.is_dir():
        raise ConfigError(f"output folder {path.parent} does not exist; create it first")
    check_writable_folder(path.parent, what)
    return path


def folder_problem(folder) -> str | None:
    """Why no file can be created in ``folder`` (trying is the only sure test:
    root passes every permission check, and /proc refuses new files anyway),
    or None when one can."""
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=f".weightlapse-probe.{os.getpid()}-")
    except OSError as e:
        return f"creating a file there fails: {e.strerror or e}"
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return None


def check_writable_folder(folder, what="path") -> None:
    """A ConfigError naming ``what`` when ``folder`` cannot be written."""
    why = folder_problem(folder)
    if why is not None:
        raise ConfigError(f"{arg(what)}: the folder {folder} cannot be written ({why})")


def input_problem(path) -> str | None:
    """Why ``path`` cannot be read as a file ("not found", "is a folder", "is
    a FIFO, not a regular file"), or None when it can."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "not found"
    except OSError as e:
        return f"cannot be read ({e.strerror})"
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(mode):
        kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "a device")
        return f"is {kind}, not a regular file"
    return None


@contextlib.contextmanager
def atomic_path(path, what="path", check=True):
    """Yield a unique temporary path beside ``path`` (same extension, for
    writers that choose a format by it); rename it to ``path`` when the block
    ends, delete it if the block fails. ``check``: first :func:`check_output_path`
    (off for a run's own files, whose folder weightlapse made). Temporary files
    of ``path`` left by dead writers are removed first."""
    path = check_output_path(path, what) if check else Path(path)
    remove_dead_partials(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.{os.getpid()}-",
                                   suffix=f".partial{path.suffix}")
    except OSError as e:   # name the file asked for, not the temporary one
        raise OSError(e.errno, e.strerror, str(path)) from None
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        try:
            os.replace(tmp, path)
        except OSError as e:
            raise OSError(e.errno, e.strerror, str(path)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def partial_files(path) -> list:
    """[(temporary file, writer's pid)] of ``path``'s writers, live or dead."""
    path = Path(path)
    pattern = re.compile(rf"\.{re.escape(path.stem)}\.(\d+)-[A-Za-z0-9_]+"
                         rf"\.partial{re.escape(path.suffix)}")
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    found = []
    for name in names:
        m = pattern.fullmatch(name)
        if m:
            found.append((path.parent / name, int(m.group(1))))
    return found


def pid_alive(pid: int) -> bool:
    """Whether a process with id ``pid`` exists on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:        # someone else's process: alive
        return True
    except OSError:
        return True                # cannot tell: leave its file alone
    return True


def remove_dead_partials(path) -> list:
    """Remove the temporary files of ``path`` whose writer process is gone;
    returns those removed."""
    removed = []
    for tmp, pid in partial_files(path):
        if pid != os.getpid() and not pid_alive(pid):
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed.append(tmp)
    return removed


def atomic_write(path, write, mode="wb") -> None:
    """Call ``write(f)`` on a temporary file beside ``path``, then rename it into
    place, so readers see the old file or the new one, never half of one."""
    with atomic_path(path, check=False) as tmp, open(tmp, mode, **(
            {"encoding": "utf-8"} if "b" not in mode else {})) as f:
        write(f)


def atomic_write_text(path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text), "w")


def atomic_write_npz(path, **arrays) -> None:
    """``np.savez`` to ``path`` atomically."""
    import numpy as np
    atomic_write(path, lambda f: np.savez(f, **arrays))


def atomic_write_json(path, obj) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, default=_jsonable) + "\n")


def _jsonable(o):
    if hasattr(o, "item"):
        return o.item()
    if hasattr(o, "tolist"):
        return o.tolist()
    if isinstance(o, (set, tuple)):
        return list(o)
    return str(o)


def _umask() -> int:
    """The process's umask. Linux says it in /proc/self/status without
    changing it; elsewhere it is read once by setting it and back (the only
    portable way, which leaves a moment in which another thread's new files
    get the wrong mode, so it is not done on every write)."""
    global _UMASK
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1], 8) for line in f if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError, IndexError):
        pass
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


_UMASK = None


def make_run_dir(out, name) -> Path:
    """Create ``out/name``; if it exists, ``out/name-2``, ``-3``, ... ``mkdir`` is
    atomic, so two trainings started at once never share a folder."""
    name = str(name)
    if (not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name):
        raise ConfigError(f"{arg('name')} must be a plain folder name (got {name!r})")
    if "\x00" in str(out):
        raise ConfigError(f"{arg('out')} must not contain a NUL character (got {str(out)!r})")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for i in range(1, 10_000):
        path = out / (name if i == 1 else f"{name}-{i}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free run name for {name!r} in {out}")
