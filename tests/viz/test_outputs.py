"""The output owner (viz/outputs.py, core/io.py): the format registry, the
temporary files of dead writers, fonts of slide figures, graph export."""
import json
import os
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core.errors import ConfigError
from weightlapse.core.io import atomic_path, partial_files, remove_dead_partials
from weightlapse.viz import outputs


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("outputs")
    return wl.train(dataset="moons", hidden=[5], epochs=6, n_samples=200, batch_size=0,
                    snapshot_every=1, out=out, name="moons")


def _dead_pid():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_partial_names_hold_the_writers_pid(tmp_path):
    with atomic_path(tmp_path / "a.mp4") as tmp:
        assert tmp.name.startswith(f".a.{os.getpid()}-") and tmp.name.endswith(".partial.mp4")
        assert partial_files(tmp_path / "a.mp4") == [(tmp, os.getpid())]


def test_only_dead_writers_partials_are_removed(tmp_path):
    dead = tmp_path / f".a.{_dead_pid()}-abcd1234.partial.png"
    live = tmp_path / f".a.{os.getppid()}-abcd1234.partial.png"
    other = tmp_path / f".b.{_dead_pid()}-abcd1234.partial.png"    # another output's
    for p in (dead, live, other):
        p.write_bytes(b"x")
    assert remove_dead_partials(tmp_path / "a.png") == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])


def test_sigkilled_render_is_cleaned_by_the_next_render(run, tmp_path):
    """A real render killed with SIGKILL mid-film leaves its partial file; the
    next render of the same output removes it and writes the video."""
    out = tmp_path / "film.mp4"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    p = subprocess.Popen([sys.executable, "-m", "weightlapse", "render", str(run.path),
                          "-o", str(out), "--size", "320x180", "--duration", "60", "-q"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not any(n.name.endswith(".partial.mp4")
                                             for n in tmp_path.iterdir()):
        time.sleep(0.05)
    time.sleep(0.5)
    p.send_signal(signal.SIGKILL)
    p.wait()
    left = [n.name for n in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(f".film.{p.pid}-"), left
    wl.render(run, out, size=(160, 90), duration=0.5, fps=4)
    assert [n.name for n in tmp_path.iterdir()] == ["film.mp4"]


def test_every_kind_goes_through_the_registry():
    assert outputs.formats("figure") == (".png", ".svg", ".pdf")
    for kind, (exts, where) in outputs.KINDS.items():
        module, _, name = where.partition(":")
        __import__(module)
        assert callable(getattr(sys.modules[module], name)), kind


def test_write_errors_name_the_output_not_the_temporary_file(tmp_path):
    def fail(obj, tmp):
        raise OSError(28, "No space left on device", str(tmp))
    outputs.writer("table", ".md")(fail)
    try:
        with pytest.raises(OSError) as e:
            outputs.write("table", tmp_path / "t.md", "text")
        assert e.value.filename == str(tmp_path / "t.md")
        assert list(tmp_path.iterdir()) == []
    finally:
        outputs._WRITERS.pop(".md")


@pytest.mark.parametrize("bad", ["abc", "nan", "inf", 19, 601, True, None])
def test_dpi_checked_by_one_owner(bad):
    with pytest.raises(ConfigError, match=r"dpi must be a number in \[20, 600\] dots per inch"):
        outputs.check_dpi(bad)


@pytest.mark.parametrize("bad", ["12x", "x", "10x10", "1280x720x3", (1.5, 2), (True, 20)])
def test_size_checked_by_one_owner(bad):
    with pytest.raises(ConfigError, match="size"):
        outputs.check_size(bad)


def _pdf_font_types(data: bytes) -> set:
    """The /Subtype of every font dictionary in a PDF, its streams inflated."""
    import re
    text = data
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            text += zlib.decompress(m.group(1))
        except zlib.error:
            pass
    return set(re.findall(rb"/Type\s*/Font\s*/Subtype\s*/(\w+)", text) +
               re.findall(rb"/Subtype\s*/(\w+)\s*/Type\s*/Font", text))


def test_pdf_embeds_truetype_and_svg_keeps_text(run, tmp_path):
    pdf = Path(wl.figure(run, tmp_path / "f.pdf"))
    types = _pdf_font_types(pdf.read_bytes())
    assert b"Type3" not in types and (b"TrueType" in types or b"Type0" in types), types
    svg = Path(wl.figure(run, tmp_path / "f.svg")).read_text()
    assert "<text" in svg and "moons" in svg   # the title is text, not glyph paths


def test_figure_size_gives_a_16_9_png(run, tmp_path):
    from PIL import Image
    path = wl.figure(run, tmp_path / "wide.png", size=(1920, 1080), dpi=200)
    assert Image.open(path).size == (1920, 1080)
    code = subprocess.run([sys.executable, "-m", "weightlapse", "figure", str(run.path), "-o",
                           str(tmp_path / "cli.png"), "--size", "640x360", "--dpi", "100"],
                          env={**os.environ, "MPLBACKEND": "Agg"}).returncode
    assert code == 0 and Image.open(tmp_path / "cli.png").size == (640, 360)


@pytest.mark.parametrize("ext", ["json", "graphml", "gexf"])
def test_image_graph_carries_receptive_fields(image_run, tmp_path, ext):
    path = tmp_path / f"g.{ext}"
    wl.graph(image_run, path, color="weight")        # the weights, not auto's change
    if ext == "json":
        with open(path) as f:
            H = nx.node_link_graph(json.load(f))     # plain, as the README shows
    else:
        H = getattr(nx, f"read_{ext}")(path)
    fields = [(b, d) for a, b, d in H.edges(data=True) if a == "0:grid"]
    assert fields
    W = image_run.snapshots[-1].weights[0]
    for b, d in fields:
        w = d["weights"] if ext == "json" else json.loads(d["weights"])
        assert np.allclose(w, W[:, int(b.split(":")[1])], rtol=1e-5, atol=1e-7)
