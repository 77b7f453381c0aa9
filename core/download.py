"""Downloading the MNIST-family files: mirrors with fallback, checksums, atomic.

A file is streamed to a temporary name beside its destination while its MD5
is computed, and renamed into place only when the checksum matches, so an
interrupted or corrupt download never leaves a file that looks valid.
"""
from __future__ import annotations

import hashlib
import http.client
import urllib.error
import urllib.request
from pathlib import Path

from .errors import DataError
from .io import atomic_path

# Public mirrors, tried in order, and the MD5 of each .gz file they serve
# (the checksums torchvision and the datasets' authors publish).
MIRRORS = {
    "mnist": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/"],
    "fashion-mnist": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                      "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/"
                      "master/data/fashion/"],
}
CHECKSUMS = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}


class ChecksumError(DataError):
    pass


def fetch(url: str, dest: Path, md5: str, progress=None, timeout=30.0) -> Path:
    """Download ``url`` to ``dest``, verifying its MD5. ``progress(done, total)``
    is called as bytes arrive (``total`` None when unknown)."""
    dest = Path(dest)
    with atomic_path(dest, check=False) as tmp, open(tmp, "wb") as out:
        digest = hashlib.md5(usedforsecurity=False)
        with urllib.request.urlopen(url, timeout=timeout) as r:
            total = r.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else None
            done = 0
            while chunk := r.read(1 << 16):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
        if total is not None and done != total:
            raise ConnectionError(f"{url}: transfer cut off after {done} of {total} bytes")
        if digest.hexdigest() != md5:
            raise ChecksumError(f"{url} failed its checksum (md5 {digest.hexdigest()}, "
                                f"expected {md5})")
    return dest


def download_set(name: str, directory: Path, files, progress_factory=None,
                 mirrors=None, checksums=None, timeout=30.0):
    """Fetch the missing ``files`` of dataset ``name`` into ``directory``, trying
    each mirror in turn. Raises :class:`DataError` naming the files and where
    to put them when no mirror can be reached, or when every copy is corrupt."""
    mirrors = MIRRORS[name] if mirrors is None else mirrors
    checksums = CHECKSUMS[name] if checksums is None else checksums
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"cannot create {directory} for the {name} files ({e.strerror})") \
            from None
    for fname in files:
        problems = []
        for base in mirrors:
            url = base + fname
            bar = progress_factory(fname) if progress_factory else None
            try:
                fetch(url, directory / fname, checksums[fname],
                      bar.update if bar else None, timeout)
                break
            except ChecksumError as e:
                problems.append(("corrupt", str(e)))
            except (urllib.error.URLError, http.client.HTTPException, OSError,
                    ValueError) as e:
                reason = getattr(e, "reason", None) or e
                problems.append(("unreachable", f"{url}: {reason}"))
            finally:
                if bar:
                    bar.close()
        else:
            if any(kind == "corrupt" for kind, _ in problems):
                raise DataError(f"every download of {fname} was corrupt "
                                f"({problems[-1][1]}); nothing was saved, try again later")
            missing = ", ".join(f for f in files if not (directory / f).exists())
            raise DataError(f"cannot download {name} (no network? {problems[-1][1]}); "
                            f"place {missing} in {directory}/")
