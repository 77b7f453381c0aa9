"""Per-unit dead and saturated states (viz.unit_health): equal to a forward
pass worked by hand, on runs where units are made dead or saturated on purpose."""
import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core.health_read import load_health
from weightlapse.viz.unit_health import UnitHealth, unit_health, unit_states


class Pin:
    """After every step, pins hidden 1's unit 0 dead (zero incoming
    weights, bias -1) and, for tanh, unit 1 saturated (bias 5: tanh 0.9999)."""

    def __init__(self, saturate=False):
        self.saturate = saturate

    def on_step_end(self, t):
        W, b = t.model.params["W0"], t.model.params["b0"]
        W[:, 0], b[0] = 0, -1
        if self.saturate:
            W[:, 1], b[1] = 0, 5


def _run(tmp_path, name, activation, saturate=False):
    return wl.train(dataset="spiral", hidden=[6, 5], activation=activation, epochs=6,
                    batch_size=0, lr=0.05, optimizer="adam", n_samples=150, snapshot_every=2,
                    out=tmp_path, name=name, callbacks=[Pin(saturate)])


def _by_hand(run, i, activation):
    """Hidden activations of snapshot i on the probe rows, worked in NumPy."""
    X, _ = run.files.read_probe(run.sizes[0])
    s = run.snapshots[i]
    A, acts = np.asarray(X, np.float64), []
    for W, b in zip(s.weights[:-1], s.biases[:-1]):
        Z = A @ np.asarray(W, np.float64) + np.asarray(b, np.float64)
        A = np.maximum(Z, 0) if activation == "relu" else np.tanh(Z)
        acts.append(A)
    return acts


def test_dead_units_equal_a_hand_forward_pass(tmp_path):
    run = _run(tmp_path, "relu", "relu")
    uh = unit_health(run)
    assert uh is unit_health(run) and uh.marks == "dead"
    last = len(run.snapshots) - 1
    for i in (1, last):
        states = uh.at(i)
        for A, st in zip(_by_hand(run, i, "relu"), states):
            assert np.array_equal(st.dead, (A <= 0).all(axis=0))
            assert not st.saturated.any()
        assert states[0].dead[0]            # the pinned unit
    # the count is over every unit of the layer, and agrees with the recorder's fraction
    probe = [p for p in load_health(run).probes if p["step"] == run.snapshots.steps[last]][0]
    n_dead = uh.counts(last)
    assert [round(p["dead_fraction"] * n) for p, n in zip(probe["layers"], (6, 5))] == n_dead
    assert uh.label(1, last) == f"{n_dead[0]} dead" and uh.label(3, last) == ""
    assert uh.legend()[0][1].startswith("hollow: dead (active on no probe input)")
    # a frame between two snapshots shows the marks of the one before it
    assert uh.index(1.7) == 1 and uh.index(-1) == last


def test_saturated_tanh_unit_equal_a_hand_forward_pass(tmp_path):
    run = _run(tmp_path, "tanh", "tanh", saturate=True)
    uh = UnitHealth(run)
    assert uh.marks == "saturated"
    i = len(run.snapshots) - 1
    for A, st in zip(_by_hand(run, i, "tanh"), uh.at(i)):
        assert np.array_equal(st.saturated, (np.abs(A) > 0.97).mean(axis=0) >= 0.5)
        assert not st.dead.any()            # tanh units are never called dead
    assert uh.at(i)[0].saturated[1] and not uh.at(i)[0].saturated[0]
    assert uh.label(1, i) == f"{int(uh.at(i)[0].saturated.sum())} saturated"
    assert "ringed: saturated" in uh.legend()[0][1]


def test_unit_states_on_constructed_activations():
    A = np.array([[0.0, 0.5, 0.0], [0.0, 0.0, 0.2]])
    st, = unit_states([A], "relu")
    assert st.dead.tolist() == [True, False, False]
    T = np.array([[0.99, -0.98, 0.1], [0.5, -0.99, 0.2], [0.98, 0.0, 0.3]])
    st, = unit_states([T], "tanh")
    assert st.saturated.tolist() == [True, True, False] and not st.dead.any()
    S = np.array([[0.01, 0.5], [0.99, 0.5]])
    assert unit_states([S], "sigmoid")[0].saturated.tolist() == [True, False]


@pytest.mark.parametrize("activation", ["leaky_relu"])
def test_no_marks_without_a_definition_or_a_probe_set(tmp_path, activation):
    run = wl.train(dataset="spiral", hidden=[4], activation=activation, epochs=2,
                   batch_size=0, n_samples=60, out=tmp_path, name="leaky")
    uh = UnitHealth(run)
    assert uh.marks is None and uh.at(0) == [] and uh.label(1, 0) == "" and uh.legend() == []
    relu = wl.train(dataset="spiral", hidden=[4], epochs=2, batch_size=0, n_samples=60,
                    out=tmp_path, name="noprobe")
    (relu.path / "probe.npz").unlink()     # a run from before probe sets; data regenerated
    assert UnitHealth(wl.load_run(relu.path)).marks == "dead"
