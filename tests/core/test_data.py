"""Built-in datasets and the IDX/MNIST loader."""
import gzip

import numpy as np
import pytest

from weightlapse.core.data import load_image_set
from weightlapse.core.synthetic import SYNTHETIC, make_synthetic
from weightlapse.core.errors import DataError
from weightlapse.core.idx import parse_idx, read_idx


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_synthetic_sets(name):
    X, y = make_synthetic(name, 301, None, 3, np.random.default_rng(5))
    assert X.shape == (301, 2) and X.dtype == np.float64
    assert y.shape == (301,) and y.dtype == np.int64
    assert np.isfinite(X).all()
    k = 3 if name in ("spiral", "gaussian") else 2
    assert sorted(set(y.tolist())) == list(range(k))
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1 or name == "xor"
    X2, y2 = make_synthetic(name, 301, None, 3, np.random.default_rng(5))
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    X3, _ = make_synthetic(name, 301, 0.0, 3, np.random.default_rng(5))
    assert not np.array_equal(X, X3)  # noise is configurable


def write_mnist(root, idx_bytes, n_train=20, n_test=10, gz=True, name="mnist"):
    d = root / name
    d.mkdir(parents=True)
    rng = np.random.default_rng(0)
    files = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": np.arange(n_train) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": np.arange(n_test) % 10,
    }
    for fname, arr in files.items():
        raw = idx_bytes(arr)
        if gz:
            (d / (fname + ".gz")).write_bytes(gzip.compress(raw))
        else:
            (d / fname).write_bytes(raw)
    return files


@pytest.mark.parametrize("gz", [True, False])
def test_idx_round_trip(tmp_path, gz, idx_bytes):
    files = write_mnist(tmp_path, idx_bytes, gz=gz)
    ds = load_image_set("mnist", tmp_path)
    assert ds.X.shape == (20, 784) and ds.X.dtype == np.float32
    assert ds.X.min() >= 0 and ds.X.max() <= 1
    np.testing.assert_allclose(ds.X[3] * 255, files["train-images-idx3-ubyte"][3].ravel(),
                               atol=1e-4)
    assert ds.X_test.shape == (10, 784) and list(ds.y_test) == list(range(10))
    assert ds.input_shape == (28, 28)


def test_idx_errors(tmp_path, idx_bytes):
    raw = idx_bytes(np.zeros((3, 4, 4)))
    with pytest.raises(DataError, match="truncated"):
        parse_idx(raw[:-5], "f")
    with pytest.raises(DataError, match="too long"):
        parse_idx(raw + b"x", "f")
    with pytest.raises(DataError, match="magic"):
        parse_idx(b"\x01\x02" + raw[2:], "f")
    with pytest.raises(DataError, match="header"):
        parse_idx(raw[:6], "f")
    p = tmp_path / "x.gz"
    p.write_bytes(gzip.compress(raw)[:-8])
    with pytest.raises(DataError, match="x.gz"):
        read_idx(p)


def test_missing_mnist_names_files_and_place(tmp_path):
    with pytest.raises(DataError, match=r"place train-images-idx3-ubyte.gz.* in .*mnist"):
        load_image_set("mnist", tmp_path)


def test_real_mnist(mnist_dir):
    ds = load_image_set("mnist", mnist_dir)
    assert ds.X.shape == (60000, 784) and ds.X.dtype == np.float32
    assert ds.X_test.shape == (10000, 784)
    assert ds.y.dtype == np.int64
    assert 0.0 == ds.X.min() and ds.X.max() == 1.0
    assert np.bincount(ds.y).tolist() == [5923, 6742, 5958, 6131, 5842,
                                          5421, 5918, 6265, 5851, 5949]
    assert np.bincount(ds.y_test).tolist() == [980, 1135, 1032, 1010, 982,
                                               892, 958, 1028, 974, 1009]
