"""Property-based tests: the loaders and the argument parser either succeed
with well-formed results or raise the one user-facing error type."""
import argparse
import io

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import weightlapse as wl
from weightlapse.cli import build_parser
from weightlapse.core.config import RunConfig
from weightlapse.core.csvdata import load_csv
from weightlapse.core.errors import ConfigError, DataError
from weightlapse.core.idx import parse_idx
from weightlapse.viz.draw_options import DrawOptions
from weightlapse.viz.outputs import check_dpi

FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(st.binary(max_size=200))
def test_idx_parser_never_crashes(raw):
    try:
        arr = parse_idx(raw, "f")
    except DataError:
        return
    assert isinstance(arr, np.ndarray) and arr.ndim >= 1


@FAST
@given(st.lists(st.integers(0, 5), min_size=1, max_size=3).map(tuple), st.data())
def test_idx_round_trip(shape, data):
    arr = np.array(data.draw(st.lists(st.integers(0, 255), min_size=int(np.prod(shape)),
                                      max_size=int(np.prod(shape)))), np.uint8).reshape(shape)
    raw = bytes([0, 0, 8, arr.ndim]) + b"".join(d.to_bytes(4, "big") for d in shape)
    out = parse_idx(raw + arr.tobytes(), "f")
    assert out.shape == shape and np.array_equal(out, arr)
    if arr.size:  # any truncation is caught
        try:
            parse_idx(raw + arr.tobytes()[:-1], "f")
            raise AssertionError("truncated file accepted")
        except DataError as e:
            assert "truncated" in str(e)


TOKENS = st.sampled_from(["1", "0", "-2.5", "3e4", "", "nan", "inf", "-inf", "abc", "x y",
                          '"q,uoted"', "7", "1.0", " 4 ", "True"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "label", "c", "pixel0", ""]), min_size=1,
                max_size=4),
       st.lists(st.lists(TOKENS, min_size=0, max_size=5), max_size=8),
       st.sampled_from(["classification", "regression"]))
def test_csv_loader_returns_clean_arrays_or_one_error(tmp_path_factory, header, rows, task):
    path = tmp_path_factory.mktemp("csv") / "d.csv"
    buf = io.StringIO()
    buf.write(",".join(header) + "\n")
    for r in rows:
        buf.write(",".join(r) + "\n")
    path.write_text(buf.getvalue())
    try:
        X, y, columns, shape, transform = load_csv(path, "label", task)
    except DataError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert X.ndim == 2 and X.shape == (len(y), len(columns)) and len(y) > 0
    assert np.isfinite(X).all()
    if task == "regression":
        assert np.isfinite(y).all()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(
    ["train", "render", "figure", "predict", "compare", "sweep", "demo", "--lr", "0.1", "-1",
     "abc", "--epochs", "3", "--hidden", "8,8", "8,x", "--size", "0x0", "640x360",
     "--snapshot-every", "epoch", "--dataset", "xor", "-o", "out.mp4", "--grid", "lr=1,2",
     "--jobs", "--edges", "top:3", "--data", "--resume", "--bogus", "RUN", "--fps", "30"]),
    max_size=8))
def test_argument_parsing_never_crashes(argv):
    parser = build_parser()
    try:
        parser.parse_args(argv)
    except SystemExit as e:
        assert e.code in (0, 2)


@FAST
@given(st.text(max_size=20))
def test_argument_types(text):
    types = {a.dest: a.type for a in build_parser()._subparsers._group_actions[0]
             .choices["train"]._actions if a.type}
    for fn in (types["hidden"], types["snapshot_every"]):
        try:
            fn(text)
        except argparse.ArgumentTypeError as e:
            assert str(e)
    try:                                   # --dpi: checked by the outputs' owner
        assert 20 <= check_dpi(text) <= 600
    except wl.WeightlapseError as e:
        assert e.render(lambda name: "--" + name).startswith("--dpi ")
    try:                                   # --size: parsed with the drawing options
        w, h = DrawOptions.create(size=text).size
        assert 16 <= w <= 7680 and 16 <= h <= 4320
    except wl.WeightlapseError as e:
        assert str(e).startswith("size ")                     # Python's name for it
        assert e.render(lambda name: "--" + name).startswith("--size ")   # the CLI's


VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**8),
                   st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
                   st.lists(st.integers(-2, 70000), max_size=3))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(
    ["lr", "epochs", "hidden", "dropout", "batch_size", "optimizer", "activation", "l2",
     "momentum", "seed", "val_fraction", "snapshot_every", "dtype", "lrr"]), VALUES,
    max_size=4))
def test_settings_validate_or_raise_config_error(kw):
    try:
        cfg = RunConfig.from_settings(dataset="xor", **kw)
    except ConfigError as e:
        assert str(e) and "\n" not in str(e)
        return
    t = cfg.training
    assert t.lr > 0 and t.epochs >= 1 and all(h > 0 for h in cfg.model.hidden)
    assert all(np.isfinite(v) for v in (t.lr, t.l2, t.momentum, cfg.model.dropout,
                                         cfg.data.val_fraction))
