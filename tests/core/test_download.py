"""The downloader against a local HTTP server on 127.0.0.1 serving fixtures."""
import functools
import gzip
import hashlib
import http.server
import threading

import numpy as np
import pytest

from weightlapse.core import download
from weightlapse.core.data import IDX_FILES, load_image_set
from weightlapse.core.errors import DataError


class Truncating(http.server.SimpleHTTPRequestHandler):
    """Serves files, but announces more bytes than it sends for 'short-*' names."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        if "short-" in self.path:
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            return
        super().do_GET()


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(Truncating, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def fixture_set(idx_bytes):
    """``fixture_set(root)``: four small IDX .gz files written into ``root``;
    returns their md5s."""
    return lambda root: _fixture_set(root, idx_bytes)


def _fixture_set(root, idx_bytes):
    rng = np.random.default_rng(0)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (12, 28, 28)),
              "train-labels-idx1-ubyte": np.arange(12) % 10,
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (5, 28, 28)),
              "t10k-labels-idx1-ubyte": np.arange(5)}
    sums = {}
    for stem, arr in arrays.items():
        data = gzip.compress(idx_bytes(arr))
        (root / (stem + ".gz")).write_bytes(data)
        sums[stem + ".gz"] = hashlib.md5(data).hexdigest()
    return sums


def test_good_checksum_caches_files(server, tmp_path, monkeypatch, fixture_set):
    root, url = server
    sums = fixture_set(root)
    monkeypatch.setattr(download, "MIRRORS", {"mnist": [url]})
    monkeypatch.setattr(download, "CHECKSUMS", {"mnist": sums})
    monkeypatch.delenv("WEIGHTLAPSE_OFFLINE")
    seen = []

    class Bar:
        def __init__(self, name):
            seen.append(name)

        def update(self, done, total):
            assert done <= total

        def close(self):
            pass

    data = tmp_path / "data"
    ds = load_image_set("mnist", data, download=True, progress_factory=Bar)
    assert ds.X.shape == (12, 784) and ds.X_test.shape == (5, 784)
    cached = sorted(p.name for p in (data / "mnist").iterdir())
    assert cached == sorted(sums)  # no temporary files left behind
    assert len(seen) == 4
    # a second load uses the cache: nothing is fetched even with the server gone
    for f in root.iterdir():
        f.unlink()
    assert load_image_set("mnist", data, download=True).X.shape == (12, 784)


def test_bad_checksum_leaves_no_file(server, tmp_path, fixture_set):
    root, url = server
    sums = fixture_set(root)
    sums["train-images-idx3-ubyte.gz"] = "0" * 32
    with pytest.raises(DataError, match="corrupt.*nothing was saved"):
        download.download_set("mnist", tmp_path / "d", ["train-images-idx3-ubyte.gz"],
                              mirrors=[url], checksums=sums)
    assert list((tmp_path / "d").iterdir()) == []


def test_falls_back_to_second_mirror(server, tmp_path, fixture_set):
    root, url = server
    sums = fixture_set(root)
    names = list(sums)
    download.download_set("mnist", tmp_path / "d", names, checksums=sums,
                          mirrors=["http://127.0.0.1:9/", url + "missing/", url])
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == sorted(names)


def test_truncated_transfer_leaves_no_file(server, tmp_path):
    root, url = server
    with pytest.raises(DataError, match="cannot download"):
        download.download_set("mnist", tmp_path / "d", ["short-file.gz"], mirrors=[url],
                              checksums={"short-file.gz": "0" * 32})
    assert list((tmp_path / "d").iterdir()) == []


def test_server_gone_gives_offline_error(server, tmp_path, monkeypatch, fixture_set):
    root, url = server
    sums = fixture_set(root)
    dead = "http://127.0.0.1:9/"  # the discard port: nothing listens
    monkeypatch.setattr(download, "MIRRORS", {"mnist": [dead]})
    monkeypatch.setattr(download, "CHECKSUMS", {"mnist": sums})
    monkeypatch.delenv("WEIGHTLAPSE_OFFLINE")
    with pytest.raises(DataError) as e:
        load_image_set("mnist", tmp_path / "data", download=True)
    msg = str(e.value)
    assert "cannot download mnist" in msg and "no network" in msg
    for stem in (s for pair in IDX_FILES.values() for s in pair):
        assert stem + ".gz" in msg
    assert str(tmp_path / "data" / "mnist") in msg
    assert list((tmp_path / "data" / "mnist").iterdir()) == []


def test_file_url(tmp_path, fixture_set):
    src = tmp_path / "src"
    src.mkdir()
    sums = fixture_set(src)
    download.download_set("mnist", tmp_path / "d", list(sums), checksums=sums,
                          mirrors=[src.as_uri() + "/"])
    assert len(list((tmp_path / "d").iterdir())) == 4
