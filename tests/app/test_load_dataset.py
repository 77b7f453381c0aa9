"""wl.load_dataset: a named dataset as arrays, for training elsewhere."""
import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core.errors import ConfigError, DataError


def test_mnist_as_arrays(mnist_dir):
    d = wl.load_dataset("mnist", data_dir=mnist_dir)
    assert d.X.shape == (60000, 784) and d.X.dtype == np.float32
    assert 0 <= d.X.min() and d.X.max() <= 1 and d.y.shape == (60000,)
    assert d.X_test.shape == (10000, 784) and d.input_shape == (28, 28)
    assert d.class_names == list(range(10))


def test_synthetic_sets_follow_the_seed(tmp_path):
    a, b = wl.load_dataset("spiral", seed=3), wl.load_dataset("spiral", seed=4)
    assert a.X.shape == (1500, 2) and not np.array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.X, wl.load_dataset("spiral", seed=3).X)
    for bad in (3, "imagenet", None):
        with pytest.raises(ConfigError, match="name must be one of spiral, moons"):
            wl.load_dataset(bad)
    with pytest.raises(DataError, match="mnist files missing"):
        wl.load_dataset("mnist", data_dir=tmp_path)   # offline in the tests: no download
