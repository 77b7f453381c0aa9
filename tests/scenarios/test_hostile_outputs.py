"""Hostile output paths and output options, for every command that writes a
file: unwritable folders, folders given as -o, missing folders, wrong or no
extensions, bad --dpi and --size. Each case: exit status 2, one line naming
the flag, no traceback, no temporary name, and nothing written anywhere."""
import pytest

import weightlapse as wl


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-outputs")
    wl.train(dataset="moons", hidden=[4], epochs=2, out=root, name="a")
    wl.train(dataset="moons", hidden=[4], epochs=2, lr=0.1, out=root, name="b")
    wl.train(dataset="moons", hidden=[3], epochs=2, out=root, name="c")   # other shape
    (root / "rows.csv").write_text("x0,x1\n0.1,0.2\n")
    return root


def _o(command, ext):
    """argv builders for one command writing ``-o t/out{ext}`` (or PATH)."""
    def build(g, t, path=None, *extra):
        out = str(path if path is not None else t / f"out{ext}")
        head = {"render": ["render", g / "a", "--size", "64x36"],
                "figure": ["figure", g / "a"],
                "graph": ["graph", g / "a"],
                "report": ["report", g / "a"],
                "compare": ["compare", g / "a", g / "b"],
                "diff": ["compare", g / "a", g / "b", "--diff"],
                "video": ["compare", g / "a", g / "b", "--video", "--size", "64x36"],
                "predict": ["predict", g / "a", "--data", g / "rows.csv"]}[command]
        return [*head, "-o", out, *extra]
    return build


COMMANDS = {"render": ".mp4", "figure": ".png", "graph": ".graphml", "report": ".html",
            "compare": ".png", "diff": ".png", "video": ".mp4", "predict": ".csv"}
WRONG_EXT = {"render": ".png", "figure": ".mp4", "graph": ".png", "report": ".png",
             "compare": ".mp4", "diff": ".gif", "video": ".png"}

CASES = []
for cmd, ext in COMMANDS.items():
    b = _o(cmd, ext)
    CASES += [
        (f"{cmd}-proc", lambda g, t, b=b, ext=ext: b(g, t, f"/proc/out{ext}"),
         "the folder /proc cannot be written"),
        (f"{cmd}-folder", lambda g, t, b=b: b(g, t, t), "is a folder; give a file name inside "
         "it, e.g. {t}/out" + ext),
        (f"{cmd}-missing-folder", lambda g, t, b=b, ext=ext: b(g, t, t / "no" / f"o{ext}"),
         "does not exist"),
        (f"{cmd}-file-as-folder", lambda g, t, b=b, ext=ext: b(g, t, g / "rows.csv" / f"o{ext}"),
         "does not exist"),
    ]
    if cmd in WRONG_EXT:
        CASES += [
            (f"{cmd}-wrong-ext", lambda g, t, b=b, cmd=cmd: b(g, t, t / f"o{WRONG_EXT[cmd]}"),
             "format"),
            (f"{cmd}-no-ext", lambda g, t, b=b: b(g, t, t / "out"), "(none)"),
        ]
for cmd in ("render", "figure", "compare", "diff", "video"):
    b = _o(cmd, COMMANDS[cmd])
    for bad in ("0", "-5", "nan", "inf", "1e6", "high", "19.9", "600.5"):
        CASES.append((f"{cmd}-dpi-{bad}", lambda g, t, b=b, bad=bad: b(g, t, None, "--dpi", bad),
                      "--dpi must be a number in [20, 600] dots per inch"))
for cmd in ("render", "video", "figure"):
    b = _o(cmd, COMMANDS[cmd])
    for bad, why in (("0x0", "out of range"), ("abc", "WIDTHxHEIGHT"), ("64", "WIDTHxHEIGHT"),
                     ("64x36x3", "WIDTHxHEIGHT"), ("100000x100", "out of range"),
                     ("64x0", "out of range"), ("64.5x36", "WIDTHxHEIGHT")):
        CASES.append((f"{cmd}-size-{bad}",
                      lambda g, t, b=b, bad=bad: b(g, t, None, "--size", bad), why))
for cmd in ("render", "video"):
    CASES.append((f"{cmd}-size-odd-mp4", lambda g, t, b=_o(cmd, ".mp4"): b(
        g, t, None, "--size", "65x37"), "H.264 needs even width and height"))
CASES += [
    ("compare-table-proc", lambda g, t: _o("compare", ".png")(g, t, None, "--table",
                                                              "/proc/t.csv"),
     "--table: the folder /proc cannot be written"),
    ("compare-table-md-folder", lambda g, t: (t.joinpath("t.md").mkdir(), _o(
        "compare", ".png")(g, t, None, "--table", t / "t.csv"))[1], "t.md is a folder"),
    ("compare-table-folder", lambda g, t: (t.joinpath("t.csv").mkdir(), _o(
        "compare", ".png")(g, t, None, "--table", t / "t.csv"))[1], "is a folder"),
    ("compare-table-not-csv", lambda g, t: _o("compare", ".png")(g, t, None, "--table",
                                                                 t / "t.txt"),
     "--table must name a .csv file"),
    ("compare-table-is-figure", lambda g, t: _o("compare", ".png")(
        g, t, t / "x.csv", "--table", t / "x.csv"), "format"),
    ("compare-curves-folder", lambda g, t: (t.joinpath("out-curves.png").mkdir(), _o(
        "compare", ".png")(g, t))[1], "its curves figure"),
    ("diff-other-shape", lambda g, t: ["compare", g / "a", g / "c", "--diff", "-o",
                                       t / "d.png"], "--diff needs runs of the same"),
    ("train-out-proc", lambda g, t: ["train", "--dataset", "xor", "--epochs", "1", "--out",
                                     "/proc/runs"], "--out /proc/runs: the folder /proc cannot"),
    ("train-out-file", lambda g, t: ["train", "--dataset", "xor", "--epochs", "1", "--out",
                                     g / "rows.csv"], "rows.csv is a file"),
    ("demo-out-proc", lambda g, t: ["demo", "--out", "/proc/x"],
     "--out /proc/x: the folder /proc cannot be written"),
    ("demo-size-odd", lambda g, t: ["demo", "--out", t / "d", "--size", "641x361"],
     "--size 641x361: H.264 needs even"),
    ("predict-over-data", lambda g, t: ["predict", g / "a", "--data", g / "rows.csv", "-o",
                                        g / "rows.csv"], "is the data file itself"),
    ("figure-nul", lambda g, t: ["figure", g / "a", "-o", "a\x00b.png"], "NUL"),
]

@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hostile_output(runs, tmp_path, run_cli, tree, case):
    _, argv_of, match = case
    argv = argv_of(runs, tmp_path)
    before, runs_before = tree(tmp_path), tree(runs)
    code, out, err, shown = run_cli(argv)
    assert code == 2, err
    assert len(shown) == 1 and match.format(t=tmp_path) in shown[0], shown
    assert "Traceback" not in err and ".partial" not in err
    assert "snapshot_every" not in err and "=" not in shown[0].split("error:")[1][:40]
    assert tree(tmp_path) == before and tree(runs) == runs_before      # nothing written


def test_the_table_counts():
    """The number of hostile output cases this table holds (for the report)."""
    assert len(CASES) >= 90, len(CASES)


# The same refusals in Python: the project's error, argument names (path=,
# dpi=, size=, table=), nothing written.
PY = [
    ("figure-proc", lambda g, t: wl.figure(g / "a", "/proc/f.png"), "path: the folder /proc"),
    ("figure-folder", lambda g, t: wl.figure(g / "a", t), "is a folder"),
    ("figure-dpi", lambda g, t: wl.figure(g / "a", t / "f.png", dpi=0), "dpi must be a number"),
    ("figure-dpi-bool", lambda g, t: wl.figure(g / "a", t / "f.png", dpi=True),
     "dpi must be a number"),
    ("figure-size", lambda g, t: wl.figure(g / "a", t / "f.png", size=(0, 10)),
     "size 0x10 is out of range"),
    ("figure-size-text", lambda g, t: wl.figure(g / "a", t / "f.png", size="wide"),
     "size must be WIDTHxHEIGHT"),
    ("render-ext", lambda g, t: wl.render(g / "a", t / "v.png"), "unknown video format"),
    ("render-odd", lambda g, t: wl.render(g / "a", t / "v.mp4", size=(65, 37)),
     "size 65x37: H.264"),
    ("graph-ext", lambda g, t: wl.graph(g / "a", t / "g.xml"), "unknown graph format"),
    ("report-ext", lambda g, t: wl.report(g / "a", t / "r.txt"), "unknown page format"),
    ("compare-table-md", lambda g, t: (t.joinpath("t.md").mkdir(), wl.compare(
        [g / "a", g / "b"], t / "c.png", table=t / "t.csv"))[1], "t.md is a folder"),
    ("compare-table-proc", lambda g, t: wl.compare([g / "a", g / "b"], t / "c.png",
                                                   table="/proc/t.csv"),
     "table: the folder /proc cannot be written"),
    ("diff-other-shape", lambda g, t: wl.compare([g / "a", g / "c"], t / "d.png", diff=True),
     "diff=True needs runs of the same architecture"),
    ("train-out-proc", lambda g, t: wl.train(dataset="xor", epochs=1, out="/proc/runs"),
     "out /proc/runs: the folder /proc cannot be written"),
]


@pytest.mark.parametrize("case", PY, ids=[c[0] for c in PY])
def test_hostile_output_in_python(runs, tmp_path, tree, case):
    from weightlapse.core.errors import WeightlapseError
    _, call, match = case
    before, runs_before = tree(tmp_path), tree(runs)
    with pytest.raises(WeightlapseError) as e:
        call(runs, tmp_path)
    text = str(e.value)
    assert match in text and "\n" not in text and ".partial" not in text
    assert "--" not in text                    # Python's vocabulary, not flags
    assert tree(runs) == runs_before
    assert [p for p in tree(tmp_path) if p not in before] in ([], [("t.md", "")])
