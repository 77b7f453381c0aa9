"""The command line and notebook surface: settings declared once, help,
progress output, atomic outputs, notebook display, scale warnings, packaging."""
import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

import weightlapse as wl
from weightlapse.cli import TRAIN_KEYS, build_parser
from weightlapse.core.config import PART_TYPES, RunConfig, setting_declarations
from weightlapse.core.presets import PRESETS

ROOT = Path(__file__).resolve().parents[2]


def subparser(name):
    return build_parser()._subparsers._group_actions[0].choices[name]


def cli(*args, env=None, **kw):
    return subprocess.run([sys.executable, "-m", "weightlapse", *map(str, args)],
                          capture_output=True, text=True, env={**os.environ, **(env or {})},
                          **kw)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("iface")
    run = wl.train(dataset="moons", hidden=[4], epochs=3, out=root, name="run")
    return root, run


# -- settings: one declaration each ---------------------------------------------------

def test_every_setting_is_an_option_of_train_and_sweep_with_its_default():
    decls = setting_declarations()
    assert list(TRAIN_KEYS) == list(decls)      # generated, same order
    for command in ("train", "sweep"):
        actions = {a.dest: a for a in subparser(command)._actions}
        for name, (f, meta) in decls.items():
            a = actions[name]
            assert a.option_strings == ["--" + name.replace("_", "-")]
            assert a.default is None             # so presets can fill in
            assert "(default: " in a.help, name
            if meta["choices"]:
                assert a.choices == list(meta["choices"])
                assert all(str(c) in a.help for c in meta["choices"])


def test_declared_bounds_are_what_validation_enforces():
    """For each bounded setting: its bounds pass and one step outside fails."""
    for name, (f, meta) in setting_declarations().items():
        b = meta["bounds"]
        if b is None:
            continue
        inside = b.lo if b.closed[0] else (b.lo + (1 if meta["kind"] == "int" else 1e-3))
        RunConfig.from_settings(dataset="xor", **{name: _typed(inside, meta)})
        below = b.lo - 1 if b.closed[0] else b.lo
        with pytest.raises(wl.WeightlapseError, match=name):
            RunConfig.from_settings(dataset="xor", **{name: _typed(below, meta)})


def _typed(v, meta):
    return int(v) if meta["kind"] == "int" else float(v)


def test_config_json_holds_every_declared_setting(small):
    saved = small[1].config["settings"]
    for part, kind in PART_TYPES.items():
        assert set(saved[part]) == {f.name for f in fields(kind)}


# -- help -----------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["train", "predict", "render", "figure", "demo",
                                     "compare", "sweep", "runs"])
def test_help_has_description_example_and_defaults(command):
    p = subparser(command)
    text = p.format_help()
    assert p.description and "examples:" in text and f"weightlapse {command}" in text
    for a in p._actions:
        if not a.option_strings or a.nargs == 0 or a.dest == "help":
            continue
        if a.required:
            continue
        assert "default" in (a.help or "") or a.default is not None, (command, a.dest)
    rendered = text.replace("\n", " ")
    assert "%(default)" not in rendered and "(default: None)" not in rendered


def test_train_help_lists_the_presets():
    text = subparser("train").format_help()
    assert all(name in text for name in PRESETS)


# -- progress -------------------------------------------------------------------------

def test_tqdm_disable_does_not_crash_and_the_run_finishes(tmp_path):
    p = cli("train", "--dataset", "xor", "--epochs", "2", "--out", tmp_path,
            env={"TQDM_DISABLE": "1"})
    assert p.returncode == 0, p.stderr
    run = wl.load_run(p.stdout.strip().splitlines()[-1])
    assert run.status == "finished"
    assert "training" not in p.stderr


def test_progress_off_a_terminal_is_plain_lines(tmp_path):
    p = cli("train", "--dataset", "xor", "--epochs", "20", "--out", tmp_path)
    assert p.returncode == 0 and "\r" not in p.stderr
    lines = p.stderr.splitlines()
    progress = [ln for ln in lines if ln.startswith("training:")]
    # a short run: no periodic line, one final line with the last epoch
    assert len(progress) == 1 and "epoch 20.0" in progress[0] and "done" in progress[0]


def test_progress_lines_come_every_interval_and_end_with_the_last_epoch():
    from weightlapse.progress import ProgressBar

    class T:
        total_steps, step, epoch_float, last_loss, status = 10, 0, 0.0, 1.0, "finished"

    import io
    import time
    buf, t = io.StringIO(), T()
    bar = ProgressBar(file=buf, every=0.05)
    bar.on_train_start(t)
    for i in range(1, 11):
        t.step, t.epoch_float = i, i / 5
        time.sleep(0.011)
        bar.on_step_end(t)
    bar.on_train_end(t)
    lines = buf.getvalue().splitlines()
    assert 1 <= len(lines) - 1 <= 3             # a line about every 0.05 s, then the end
    assert lines[-1].startswith("training: 10/10 steps (100%), epoch 2.0") and "done" in lines[-1]


def test_quiet_silences_progress(tmp_path, small, capsys):
    from weightlapse.cli import main
    render = ["render", str(small[1].path), "-o", str(tmp_path / "v.gif"), "--size", "64x36"]
    assert main(render) == 0
    assert capsys.readouterr().err.startswith("filming: ")     # off a terminal: plain lines
    assert main(render + ["--quiet"]) == 0 and capsys.readouterr().err == ""
    assert main(["-q", "train", "--dataset", "xor", "--epochs", "2", "--out",
                 str(tmp_path)]) == 0
    assert "training:" not in capsys.readouterr().err
    p = cli("--quiet", "train", "--dataset", "xor", "--epochs", "2", "--out", tmp_path)
    assert p.returncode == 0 and "training:" not in p.stderr


# -- atomic outputs -------------------------------------------------------------------

@pytest.mark.parametrize("ext", [".gif", ".png"])
def test_two_writers_of_one_output_never_corrupt_it(small, tmp_path, ext):
    """Writers at once (threads: ffmpeg and savefig run concurrently) to one
    path: each gets its own temporary file, the last rename wins whole."""
    from concurrent.futures import ThreadPoolExecutor
    out = tmp_path / f"same{ext}"
    write = (lambda: wl.render(small[1], out, size=(96, 54), duration=2, fps=10)) \
        if ext == ".gif" else \
        (lambda: wl.figure(small[1], out, dpi=50))
    with ThreadPoolExecutor(3) as pool:
        assert all(f.result() == out for f in [pool.submit(write) for _ in range(3)])
    assert sorted(os.listdir(tmp_path)) == [out.name]      # no temporary file left
    if ext == ".gif":
        import imageio_ffmpeg
        frames, _ = imageio_ffmpeg.count_frames_and_secs(str(out))
        assert frames == 20       # 2 s at 10 fps, whole
    else:
        from matplotlib.image import imread
        assert imread(out).ndim == 3


def test_render_refuses_an_existing_folder_before_any_frame(small, tmp_path):
    target = tmp_path / "film.mp4"
    target.mkdir()
    from weightlapse.viz.draw_options import DrawOptions
    from weightlapse.viz.video import render_video
    seen = []
    with pytest.raises(wl.WeightlapseError, match="is a folder"):
        render_video(small[1], target, DrawOptions.create(size=(64, 36)),
                     progress=lambda done, total: seen.append(done))
    assert seen == []      # said before the first frame


def test_compare_table_writes_csv_and_markdown_beside_the_figures(small, tmp_path):
    other = wl.train(dataset="moons", hidden=[3], epochs=2, out=small[0], name="o2")
    result = wl.compare([small[1], other], tmp_path / "c.png", table=tmp_path / "t.csv")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["c-curves.png", "c.png", "t.csv", "t.md"]
    assert (tmp_path / "t.csv").read_text().startswith("run,")
    assert "Comparison(files=" in repr(result)


# -- notebooks ------------------------------------------------------------------------

def _stored(obj) -> dict:
    """What a notebook stores for ``obj``: IPython's own formatter, which
    keeps the mime bundle and every ``_repr_*_`` the bundle lacks."""
    from IPython.core.formatters import DisplayFormatter
    data, _ = DisplayFormatter().format(obj)
    return data


def test_each_picture_and_video_is_stored_once_in_a_notebook(small, tmp_path, monkeypatch):
    import base64
    import weightlapse.media as media
    png = wl.figure(small[1], tmp_path / "f.png")
    b = _stored(png)
    assert set(b) == {"text/plain", "image/png"}                  # no text/html copy
    assert base64.b64decode(b["image/png"]) == png.read_bytes()
    svg = _stored(wl.figure(small[1], tmp_path / "f.svg"))
    assert set(svg) == {"text/plain", "image/svg+xml"}
    assert svg["image/svg+xml"].lstrip().startswith("<?xml")
    mp4 = wl.render(small[1], tmp_path / "v.mp4", size=(64, 36))
    b = _stored(mp4)
    assert set(b) == {"text/plain", "text/html"}                   # no video/mp4 copy
    uri = b["text/html"].split('src="data:video/mp4;base64,')[1].split('"')[0]
    assert base64.b64decode(uri) == mp4.read_bytes() and "<video" in b["text/html"]
    gif = wl.render(small[1], tmp_path / "v.gif", size=(64, 36))
    assert set(_stored(gif)) == {"text/plain", "image/gif"}
    # the stored size is the file's base64 once, plus a short text
    size = sum(len(v) for v in _stored(png).values())
    assert size < 4 / 3 * png.stat().st_size + 400
    monkeypatch.setattr(media, "EMBED_LIMIT", gif.stat().st_size - 1)
    b = _stored(gif)
    assert set(b) == {"text/plain", "text/html"} and "too large to embed" in b["text/html"]
    assert "base64" not in gif.html()


def test_a_comparison_is_stored_once_as_html(small, tmp_path):
    result = wl.compare([small[1], small[1]], tmp_path / "c.png")
    b = _stored(result)
    assert set(b) == {"text/plain", "text/html"}
    assert b["text/html"].count("data:image/png;base64,") == len(result.files)


def test_training_shows_progress_by_default_only_in_a_notebook(tmp_path, monkeypatch, capsys):
    import weightlapse.progress as progress
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    wl.train(dataset="xor", hidden=[3], epochs=2, out=tmp_path, name="plain")
    assert "training" not in capsys.readouterr().err           # a script: quiet by default
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    wl.train(dataset="xor", hidden=[3], epochs=2, out=tmp_path, name="nb")
    err = capsys.readouterr().err
    assert "training" in err and "100%" in err                 # tqdm.auto's bar
    wl.train(dataset="xor", hidden=[3], epochs=2, out=tmp_path, name="off", progress=False)
    assert "training" not in capsys.readouterr().err
    assert not progress.wanted(False) and progress.wanted(True) and progress.wanted(None)


def test_a_terminal_ipython_is_not_a_notebook():
    code = ("import sys, IPython; from IPython.testing.globalipapp import start_ipython; "
            "start_ipython(); import weightlapse.progress as p; sys.modules['ipykernel'] = "
            "sys; print(p.in_notebook())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip().endswith("False"), out.stderr[-2000:]


def test_reprs(small):
    run = small[1]
    assert repr(run.snapshots).startswith(f"SnapshotSequence({len(run.snapshots)} snapshots")
    from weightlapse.sweeps import SweepResult
    r = SweepResult(Path("s"), failed=[("a", "boom")])
    assert repr(r).startswith("SweepResult('s', runs=0, failed=1")
    assert "boom" in r._repr_html_()


# -- predict on the wrong scale -------------------------------------------------------

def _digits_csv(path, scale, n=40, label=True):
    rng = np.random.default_rng(1)
    cols = [f"pixel{i}" for i in range(784)]
    X = rng.integers(0, 256, (n, 784)) * scale
    head = (["label"] if label else []) + cols
    rows = [([str(i % 10)] if label else []) + [f"{v:g}" for v in x] for i, x in enumerate(X)]
    path.write_text(",".join(head) + "\n" + "\n".join(",".join(r) for r in rows) + "\n")
    return path


def test_predict_warns_when_pixels_are_already_scaled(tmp_path):
    run = wl.train(data=_digits_csv(tmp_path / "train.csv", 1), hidden=[4], epochs=1,
                   out=tmp_path)
    scaled = _digits_csv(tmp_path / "scaled.csv", 1 / 255, n=5, label=False)
    raw = _digits_csv(tmp_path / "raw.csv", 1, n=5, label=False)
    p = cli("predict", run.path, "--data", scaled, "-o", tmp_path / "p.csv")
    assert p.returncode == 0
    err = p.stderr.splitlines()
    assert err[0].startswith("weightlapse: warning: ") and "0..255" in err[0], err
    assert len(err) == 2 and err[1] == "5 predictions"
    with pytest.warns(UserWarning, match="trained on raw 0..255"):
        wl.predict(run.path, scaled)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wl.predict(run.path, raw)                # the right scale: no warning


def test_predict_warns_on_unscaled_features_for_a_standardised_run(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.random((60, 2))
    (tmp_path / "t.csv").write_text("a,b,label\n" + "\n".join(
        f"{a},{b},{int(a > b)}" for a, b in X))
    run = wl.train(data=tmp_path / "t.csv", hidden=[3], epochs=1, out=tmp_path)
    (tmp_path / "big.csv").write_text("a,b\n" + "\n".join(f"{a * 255},{b * 255}" for a, b in X))
    with pytest.warns(UserWarning, match="scale them as the training data were"):
        wl.predict(run.path, tmp_path / "big.csv")
