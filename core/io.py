"""Small file helpers: atomic writes and unique run folders.

Every file weightlapse writes for the user (figures, videos, tables,
predictions, downloads, the run's own files) goes through :func:`atomic_path`:
the writer fills a uniquely named temporary file beside the target, which is
renamed into place only when complete. Two writers of one output never share a
temporary file, and readers see the old file or the new one, never half.
"""
from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path

from .errors import ConfigError, arg


def check_output_path(path, what="path") -> Path:
    """An output file's path whose folder exists and which is not itself a
    folder; ``what`` names the argument (``-o`` on the command line)."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{arg(what)} {path} is a folder; give a file name inside it, "
                          f"e.g. {path / ('out' + (path.suffix or '.png'))}")
    if not path.parent.is_dir():
        raise ConfigError(f"output folder {path.parent} does not exist; create it first")
    return path


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
    (off for a run's own files, whose folder weightlapse made)."""
    path = check_output_path(path, what) if check else Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.",
                                   suffix=f".partial{path.suffix}")
    except OSError as e:   # name the file asked for, not the temporary one
        raise OSError(e.errno, e.strerror, str(path)) from None
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
