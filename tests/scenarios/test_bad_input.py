"""Every command, every kind of bad input: one line naming the problem and
what to do, exit status 2, no traceback, nothing half-written. One table."""
import gzip
import json
import shutil

import numpy as np
import pytest

import weightlapse as wl
from weightlapse.cli import main


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    root = tmp_path_factory.mktemp("good")
    run = wl.train(dataset="moons", hidden=[4], epochs=3, out=root, name="run")
    wl.train(dataset="moons", hidden=[3], epochs=2, out=root, name="other")
    (root / "rows.csv").write_text("x0,x1\n0.1,0.2\n0.3,0.4\n")
    wl.train(dataset="mnist", data_dir=mnist_dir(root / "data"), conv=[[2, 3]], hidden=[],
             epochs=1, out=root, name="conv")
    return root, run


def idx(arr):
    head = bytes([0, 0, 8, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return head + arr.astype(np.uint8).tobytes()


def mnist_dir(root, corrupt=None):
    d = root / "mnist"
    d.mkdir(parents=True, exist_ok=True)
    files = {"train-images-idx3-ubyte": idx(np.zeros((4, 28, 28))),
             "train-labels-idx1-ubyte": idx(np.arange(4)),
             "t10k-images-idx3-ubyte": idx(np.zeros((2, 28, 28))),
             "t10k-labels-idx1-ubyte": idx(np.arange(2))}
    for name, data in files.items():
        if corrupt and name == corrupt[0]:
            data = corrupt[1](data)
        (d / (name + ".gz")).write_bytes(gzip.compress(data))
    return root


def copy_run(good, tmp, mutate):
    """A copy of the good run, damaged by ``mutate(path)``."""
    dst = tmp / "bad-run"
    shutil.copytree(good[1].path, dst)
    mutate(dst)
    return dst


def copy_conv_run(good, tmp, mutate):
    dst = tmp / "bad-conv"
    shutil.copytree(good[0] / "conv", dst)
    mutate(dst)
    return dst


def _edit_settings(p, **model):
    cfg = json.loads((p / "config.json").read_text())
    cfg["settings"]["model"].update(model)
    (p / "config.json").write_text(json.dumps(cfg))


def write(tmp, name, text):
    (tmp / name).write_text(text)
    return tmp / name


# (id, argv builder(good, tmp) -> argv, expected fragment of the one-line message)
CASES = [
    # train: settings
    ("lr-negative", lambda g, t: ["train", "--dataset", "xor", "--lr", "-1"], "--lr must be in (0, 1e6)"),
    ("lr-text", lambda g, t: ["train", "--dataset", "xor", "--lr", "fast"], "invalid float"),
    ("epochs-zero", lambda g, t: ["train", "--dataset", "xor", "--epochs", "0"], "epochs must be"),
    ("epochs-absurd", lambda g, t: ["train", "--dataset", "xor", "--epochs", "10000000000"],
     "--epochs must be in [1, 1e7]"),
    ("hidden-zero", lambda g, t: ["train", "--dataset", "xor", "--hidden", "8,0"], "hidden"),
    ("hidden-absurd", lambda g, t: ["train", "--dataset", "xor", "--hidden", "1000000000"],
     "too large"),
    ("hidden-text", lambda g, t: ["train", "--dataset", "xor", "--hidden", "big"], "layer sizes"),
    ("dropout-one", lambda g, t: ["train", "--dataset", "xor", "--dropout", "1"], "dropout"),
    ("momentum-one", lambda g, t: ["train", "--dataset", "xor", "--momentum", "1.5"], "momentum"),
    ("batch-negative", lambda g, t: ["train", "--dataset", "xor", "--batch-size", "-1"],
     "--batch-size must be >= 0"),
    ("optimizer", lambda g, t: ["train", "--dataset", "xor", "--optimizer", "lbfgs"],
     "invalid choice"),
    ("snapshot-every", lambda g, t: ["train", "--dataset", "xor", "--snapshot-every", "0"],
     "--snapshot-every must be"),
    ("gamma", lambda g, t: ["train", "--dataset", "xor", "--lr-gamma", "2"], "--lr-gamma must be in (0, 1]"),
    ("val-fraction", lambda g, t: ["train", "--dataset", "xor", "--val-fraction", "1"],
     "--val-fraction must be in [0, 1)"),
    ("n-samples", lambda g, t: ["train", "--dataset", "xor", "--n-samples", "2"], "--n-samples must be >= 4"),
    ("no-data", lambda g, t: ["train"], "no data"),
    ("dataset-and-data", lambda g, t: ["train", "--dataset", "xor", "--data",
                                       str(g[0] / "rows.csv")], "not both"),
    ("unknown-dataset", lambda g, t: ["train", "--dataset", "cifar"], "invalid choice"),
    ("unwritable-out", lambda g, t: ["train", "--dataset", "xor", "--out",
                                     str(g[0] / "rows.csv" / "x")], "rows.csv is a file"),
    # train: files
    ("csv-missing", lambda g, t: ["train", "--data", str(t / "none.csv")], "not found"),
    ("csv-empty", lambda g, t: ["train", "--data", str(write(t, "e.csv", ""))], "is empty"),
    ("csv-binary", lambda g, t: ["train", "--data", str(_binary(t))], "not a text CSV"),
    ("csv-ragged", lambda g, t: ["train", "--data", str(write(t, "r.csv",
                                 "a,b,label\n1,2,0\n1,2,3,4\n"))], "line 3 has 4 fields"),
    ("csv-nan", lambda g, t: ["train", "--data", str(write(t, "n.csv",
                              "a,label\n1,0\nnan,1\n"))], "NaN value at line 3"),
    ("csv-inf", lambda g, t: ["train", "--data", str(write(t, "i.csv",
                              "a,label\n1,0\n-inf,1\n"))], "infinite value at line 3"),
    ("csv-text-column", lambda g, t: ["train", "--data", str(write(t, "s.csv",
                                      "a,label\nred,0\nblue,1\n"))], "column 'a' is not numeric"),
    ("csv-no-label", lambda g, t: ["train", "--data", str(write(t, "l.csv", "a,b\n1,2\n"))],
     "no column 'label'"),
    ("csv-one-class", lambda g, t: ["train", "--data", str(write(t, "o.csv",
                                    "a,label\n1,5\n2,5\n3,5\n"))], "only one class"),
    ("csv-pixels-out-of-range", lambda g, t: ["train", "--data", str(_pixels(t, 300))],
     "pixel values must be in 0..255"),
    ("idx-missing", lambda g, t: ["train", "--dataset", "mnist", "--data-dir", str(t)],
     "mnist files missing"),
    ("idx-truncated", lambda g, t: ["train", "--dataset", "mnist", "--data-dir",
                                    str(mnist_dir(t, ("train-images-idx3-ubyte",
                                                      lambda b: b[:-100])))], "truncated"),
    ("idx-bad-magic", lambda g, t: ["train", "--dataset", "mnist", "--data-dir",
                                    str(mnist_dir(t, ("t10k-labels-idx1-ubyte",
                                                      lambda b: b"\x01" + b[1:])))], "magic"),
    ("idx-labels-out-of-range", lambda g, t: ["train", "--dataset", "mnist", "--data-dir",
                                              str(mnist_dir(t, ("train-labels-idx1-ubyte",
                                                                lambda b: b[:-1] + b"\x0c")))],
     "labels outside 0..9"),
    ("idx-mismatch", lambda g, t: ["train", "--dataset", "mnist", "--data-dir",
                                   str(mnist_dir(t, ("train-labels-idx1-ubyte",
                                                     lambda b: idx(np.arange(3)))))],
     "do not match"),
    # conv layers (issue 21): shapes, counts, data, memory, resuming, drawing
    ("conv-kernel-too-large", lambda g, t: ["train", "--dataset", "mnist", "--data-dir",
                                            str(mnist_dir(t)), "--conv", "4x30"],
     "the kernel 30x30 is larger than conv layer 1's 1x28x28 input"),
    ("conv-kernel-too-large-later", lambda g, t: ["train", "--dataset", "mnist", "--data-dir",
                                                  str(mnist_dir(t)), "--conv", "4x5,8x5,8x5"],
     "larger than conv layer 3's 8x4x4 input"),
    ("conv-pool-does-not-divide", lambda g, t: ["train", "--dataset", "mnist", "--data-dir",
                                                str(mnist_dir(t)), "--conv", "4x4"],
     "--pool 2 does not divide conv layer 1's 25x25 maps"),
    ("conv-zero-channels", lambda g, t: ["train", "--dataset", "mnist", "--data-dir",
                                         str(mnist_dir(t)), "--conv", "8x5,0x5"],
     "conv layer 2 has 0 channels; a channel count must be >= 1"),
    ("conv-negative-channels", lambda g, t: ["train", "--dataset", "mnist", "--conv=-4x5"],
     "conv layer 1 has -4 channels"),
    ("conv-zero-kernel", lambda g, t: ["train", "--dataset", "mnist", "--conv", "4x0"],
     "a kernel must be >= 1 pixel"),
    ("conv-text", lambda g, t: ["train", "--dataset", "mnist", "--conv", "8,16"],
     "CHANNELSxKERNEL"),
    ("conv-pool-zero", lambda g, t: ["train", "--dataset", "mnist", "--conv", "4x5",
                                     "--pool", "0"], "--pool must be in [1, 16]"),
    ("conv-on-2d-data", lambda g, t: ["train", "--dataset", "moons", "--conv", "4x3"],
     "--conv needs image data"),
    ("conv-on-a-table", lambda g, t: ["train", "--data", str(write(
        t, "table.csv", "a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,1,0\n")), "--conv", "4x3"],
     "is a table of 2 feature columns"),
    ("conv-memory", lambda g, t: ["train", "--dataset", "mnist", "--data-dir", str(mnist_dir(t)),
                                  "--conv", ",".join(["4096x3"] * 16), "--conv-padding", "1",
                                  "--pool", "1"], "of memory and"),
    ("conv-resume-other-conv", lambda g, t: ["train", "--resume", str(g[0] / "conv"),
                                             "--conv", "4x3"], "only --epochs and --device"),
    ("conv-resume-edited-conv", lambda g, t: ["train", "--epochs", "3", "--resume", str(
        copy_conv_run(g, t, lambda p: _edit_settings(p, conv=[[3, 3]])))],
     "do not build the network its snapshots hold"),
    ("conv-render", lambda g, t: ["render", str(g[0] / "conv"), "-o", str(t / "f.mp4")],
     "has conv layers (2x3)"),
    ("conv-figure", lambda g, t: ["figure", str(g[0] / "conv"), "-o", str(t / "f.png")],
     "cannot film or draw it yet"),
    ("conv-report", lambda g, t: ["report", str(g[0] / "conv"), "-o", str(t / "r.html")],
     "cannot film or draw it yet"),
    # resume
    ("resume-missing", lambda g, t: ["train", "--resume", str(t / "nope")], "not found"),
    ("resume-finished", lambda g, t: ["train", "--resume", str(g[1].path)], "already trained"),
    ("resume-no-checkpoint", lambda g, t: ["train", "--resume", str(copy_run(
        g, t, lambda p: (p / "checkpoint.npz").unlink()))], "no checkpoint"),
    ("resume-corrupt-checkpoint", lambda g, t: ["train", "--epochs", "9", "--resume", str(
        copy_run(g, t, lambda p: (p / "checkpoint.npz").write_bytes(b"junk")))],
     "unreadable"),
    ("resume-with-settings", lambda g, t: ["train", "--resume", str(g[1].path), "--lr", "1"],
     "only --epochs and --device may change"),
    # damaged or foreign run directories, for every command that reads one
    ("run-other-version", lambda g, t: ["render", str(copy_run(g, t, lambda p: _format(p))),
                                        "-o", str(t / "v.mp4")], "another version"),
    ("run-no-config", lambda g, t: ["figure", str(copy_run(
        g, t, lambda p: (p / "config.json").unlink())), "-o", str(t / "f.png")],
     "no config.json"),
    ("run-corrupt-config", lambda g, t: ["figure", str(copy_run(
        g, t, lambda p: (p / "config.json").write_text("{oops"))), "-o", str(t / "f.png")],
     "unreadable"),
    ("run-no-snapshots", lambda g, t: ["render", str(copy_run(
        g, t, lambda p: (p / "snapshots.bin").unlink())), "-o", str(t / "v.mp4")],
     "snapshots.bin is missing"),
    ("run-garbage-snapshots", lambda g, t: ["figure", str(copy_run(
        g, t, lambda p: (p / "snapshots.bin").write_bytes(b"x" * 200))), "-o",
        str(t / "f.png")], "not a weightlapse snapshot file"),
    ("run-no-metrics", lambda g, t: ["figure", str(copy_run(
        g, t, lambda p: (p / "metrics.csv").unlink())), "-o", str(t / "f.png")],
     "metrics.csv is missing"),
    ("run-is-a-file", lambda g, t: ["predict", str(g[0] / "rows.csv"), "--data",
                                    str(g[0] / "rows.csv"), "-o", str(t / "p.csv")], "is a file, not a folder"),
    # predict
    ("predict-wrong-columns", lambda g, t: ["predict", str(g[1].path), "--data",
                                            str(write(t, "w.csv", "a,b,c\n1,2,3\n")), "-o",
                                            str(t / "p.csv")], "does not match"),
    ("predict-snapshot", lambda g, t: ["predict", str(g[1].path), "--data",
                                       str(g[0] / "rows.csv"), "-o", str(t / "p.csv"),
                                       "--snapshot", "-99"], "snapshot -99 does not exist"),
    ("predict-unwritable", lambda g, t: ["predict", str(g[1].path), "--data",
                                         str(g[0] / "rows.csv"), "-o",
                                         str(t / "nodir" / "p.csv")], "does not exist"),
    # render and figure
    ("render-format", lambda g, t: ["render", str(g[1].path), "-o", str(t / "v.webm")],
     "unknown video format"),
    ("render-size", lambda g, t: ["render", str(g[1].path), "-o", str(t / "v.mp4"), "--size",
                                  "0x0"], "WIDTHxHEIGHT"),
    ("render-size-huge", lambda g, t: ["render", str(g[1].path), "-o", str(t / "v.mp4"),
                                       "--size", "100000x100000"], "out of range"),
    ("render-smooth", lambda g, t: ["render", str(g[1].path), "-o", str(t / "v.mp4"),
                                    "--smooth", "-1"], "smooth"),
    ("render-dpi", lambda g, t: ["render", str(g[1].path), "-o", str(t / "v.mp4"), "--dpi",
                                 "0"], "dpi"),
    ("figure-format", lambda g, t: ["figure", str(g[1].path), "-o", str(t / "f.bmp")],
     "unknown figure format"),
    ("figure-edges", lambda g, t: ["figure", str(g[1].path), "-o", str(t / "f.png"),
                                   "--edges", "top:0"], "top:K"),
    # compare and sweep
    ("compare-one-run", lambda g, t: ["compare", str(g[1].path), "-o", str(t / "c.png")],
     "at least two runs"),
    ("compare-diff-architectures", lambda g, t: ["compare", str(g[1].path),
                                                 str(g[0] / "other"), "--diff", "-o",
                                                 str(t / "d.png")], "same architecture"),
    ("compare-video-no-folder", lambda g, t: ["compare", str(g[1].path), str(g[0] / "other"),
                                              "--video", "-o", str(t / "nodir" / "c.mp4")],
     "does not exist"),
    ("compare-missing-run", lambda g, t: ["compare", str(g[1].path), str(t / "nope"), "-o",
                                          str(t / "c.png")], "not found"),
    ("sweep-bad-grid", lambda g, t: ["sweep", "--dataset", "xor", "--grid", "lr=x",
                                     "--out", str(t / "s")], "is not a valid lr"),
    ("sweep-jobs", lambda g, t: ["sweep", "--dataset", "xor", "--grid", "lr=0.1,0.2",
                                 "--jobs", "0", "--out", str(t / "s")],
     "--jobs: must be >= 1"),
]


def _binary(t):
    (t / "b.csv").write_bytes(bytes(range(256)) * 4)
    return t / "b.csv"


def _pixels(t, value):
    cols = ",".join(f"pixel{i}" for i in range(784))
    (t / "px.csv").write_text(f"label,{cols}\n0," + ",".join([str(value)] * 784) + "\n1,"
                              + ",".join(["0"] * 784) + "\n")
    return t / "px.csv"


def _format(p):
    cfg = json.loads((p / "config.json").read_text())
    cfg["format"] = 99
    (p / "config.json").write_text(json.dumps(cfg))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input(good, tmp_path, capsys, case):
    _, argv_of, match = case
    argv = argv_of(good, tmp_path)
    if argv[0] == "train" and "--out" not in argv and "--resume" not in argv:
        argv += ["--out", str(tmp_path / "runs")]
    before = _tree(tmp_path)
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err
    shown = [ln.split("\r")[-1] for ln in err.split("\n") if ln.split("\r")[-1].strip()]
    assert code == 2, err
    assert len(shown) == 1 and match in shown[0], shown
    assert "Traceback" not in err
    assert _tree(tmp_path) == before, "nothing may be written"
    assert not (tmp_path / "runs").exists()


def _tree(root):
    """Every path under root with its size: a damaged copy made for the case
    is part of the input, anything new is a half-written output."""
    return sorted((str(p.relative_to(root)), p.stat().st_size if p.is_file() else -1)
                  for p in root.rglob("*"))

