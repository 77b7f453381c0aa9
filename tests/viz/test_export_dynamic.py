"""The dynamic GEXF export: every snapshot's values, timed by step."""
import xml.etree.ElementTree as ET

import networkx as nx
import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core.errors import ConfigError
from weightlapse.viz import export_dynamic

NS = {"g": "http://www.gexf.net/1.2draft"}


@pytest.fixture(scope="module")
def spiral(tmp_path_factory, train_spiral):
    return train_spiral(tmp_path_factory.mktemp("dynamic"), "s", epochs=12)


def _attvalues(path, edge, title):
    """The timed values of ``title`` on ``edge`` (source, target), parsed as XML."""
    root = ET.parse(path).getroot()
    graph = root.find("g:graph", NS)
    ids = {a.get("title"): a.get("id")
           for block in graph.findall("g:attributes", NS)
           if block.get("class") == "edge" and block.get("mode") == "dynamic"
           for a in block.findall("g:attribute", NS)}
    for e in graph.find("g:edges", NS):
        if (e.get("source"), e.get("target")) == edge:
            return graph, [(float(a.get("value")), float(a.get("start")), float(a.get("end")))
                           for a in e.find("g:attvalues", NS)
                           if a.get("for") == ids[title]]
    raise AssertionError(f"no edge {edge}")


def test_every_snapshot_is_a_timed_value(spiral, tmp_path):
    path = tmp_path / "training.gexf"
    G = wl.graph(spiral, path, all_snapshots=True, color="weight")
    assert G.graph["mode"] == "dynamic"
    steps = [int(s) for s in spiral.snapshots.steps]
    assert len(steps) >= 6
    graph, timed = _attvalues(path, ("1:3", "2:1"), "value")
    assert graph.get("mode") == "dynamic" and graph.get("timeformat") == "double"
    assert [s for _, s, _ in timed] == [float(s) for s in steps]
    H = nx.read_gexf(path)
    read = H.edges["1:3", "2:1"]["value"]
    for k in (0, 2, len(steps) // 2, len(steps) - 1):
        W = spiral.snapshots[k].weights[1]
        assert timed[k][0] == pytest.approx(float(W[3, 1]), rel=1e-6)
        assert read[k][0] == pytest.approx(float(W[3, 1]), rel=1e-6)
        assert read[k][1] == steps[k]
    # intervals are closed and never overlap: [step_k, step_{k+1} - 1]
    assert all(e < s2 for (_, _, e), (_, s2, _) in zip(timed, timed[1:]))
    assert timed[-1][1] == timed[-1][2] == steps[-1]
    b = H.nodes["2:1"]["value"]
    assert [v for v, _, _ in b] == pytest.approx(
        [float(s.biases[1][1]) for s in spiral.snapshots], rel=1e-6)
    assert H.number_of_edges() == G.number_of_edges()
    assert float(H.edges["1:3", "2:1"]["weight"]) == pytest.approx(
        float(spiral.snapshots[-1].weights[1][3, 1]), rel=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["training.gexf"]


def test_colour_quantity_over_time(spiral, tmp_path):
    path = tmp_path / "change.gexf"
    wl.graph(spiral, path, all_snapshots=True, color="change")
    read = nx.read_gexf(path).edges["0:1", "1:2"]["value"]
    W = [s.weights[0][1, 2] for s in spiral.snapshots]
    assert [v for v, _, _ in read] == pytest.approx([w - W[0] for w in W], abs=1e-6)


def test_image_tiles_carry_their_norm(image_run, tmp_path):
    path = tmp_path / "digits.gexf"
    G = wl.graph(image_run, path, all_snapshots=True, color="weight")
    j = G.graph["shown"][1][0]
    norm = nx.read_gexf(path).edges["0:grid", f"1:{j}"]["norm"]
    assert len(norm) == len(image_run.snapshots)
    for k in (0, len(norm) - 1):
        expect = np.linalg.norm(np.asarray(image_run.snapshots[k].weights[0], np.float32)[:, j])
        assert norm[k][0] == pytest.approx(float(expect), rel=1e-5)


def test_the_sample_is_timed_too(image_run, tmp_path):
    """--sample with --all-snapshots: each unit's activation and each
    output's probability over time, equal to a forward pass of each snapshot."""
    path = tmp_path / "sample.gexf"
    G = wl.graph(image_run, path, all_snapshots=True, sample=2)
    H = nx.read_gexf(path)
    x = np.asarray(image_run.files.read_probe()[0][2], np.float64)
    j, c = G.graph["shown"][1][0], G.graph["shown"][-1][0]
    act, prob = H.nodes[f"1:{j}"]["activation"], H.nodes[f"3:{c}"]["probability"]
    assert len(act) == len(prob) == len(image_run.snapshots)
    for k in (0, len(act) // 2, len(act) - 1):
        s = image_run.snapshots[k]
        a = [x]
        for W, b in zip(s.weights, s.biases):
            a.append(np.asarray(a[-1]) @ np.asarray(W, np.float64) + b)
            if len(a) < len(s.weights) + 1:
                a[-1] = np.maximum(a[-1], 0)
        z = a[-1]
        p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        assert act[k][0] == pytest.approx(float(a[1][j]), rel=1e-4, abs=1e-6)
        assert prob[k][0] == pytest.approx(float(p[c]), rel=1e-4, abs=1e-6)
        assert act[k][1] == float(image_run.snapshots[k].step)


def test_command_line(spiral, tmp_path, run_cli):
    out = tmp_path / "t.gexf"
    code, stdout, err, _ = run_cli(["graph", spiral.path, "--all-snapshots", "-o", out])
    assert code == 0 and stdout.strip() == str(out) and "every snapshot" in err
    assert nx.read_gexf(out).graph["mode"] == "dynamic"
    code, stdout, err, shown = run_cli(["graph", spiral.path, "--all-snapshots",
                                        "-o", tmp_path / "t.graphml"])
    assert code == 2 and len(shown) == 1 and "--all-snapshots" in shown[0]
    assert ".gexf" in shown[0] and "Traceback" not in err
    assert not (tmp_path / "t.graphml").exists()


def test_bad_input(spiral, tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match=r"all_snapshots=True writes a dynamic GEXF"):
        wl.graph(spiral, tmp_path / "t.json", all_snapshots=True)
    with pytest.raises(ConfigError, match="all_snapshots"):
        wl.graph(spiral, tmp_path / "t.gexf", all_snapshots="yes")
    monkeypatch.setattr(export_dynamic, "MAX_VALUES", 100)
    with pytest.raises(ConfigError, match=r"timed values, more than 100; draw fewer"):
        wl.graph(spiral, tmp_path / "t.gexf", all_snapshots=True)
    assert list(tmp_path.iterdir()) == []
