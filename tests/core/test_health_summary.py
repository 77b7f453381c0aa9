"""A run's health in a table's cells (core.health_summary), worked out here
again from load_health's table and probe records."""
import math

import numpy as np
import pytest

from weightlapse.core.health_read import load_health
from weightlapse.core.health_summary import DEAD, RATIO, SATURATED, final_health, health_cells


def by_hand(run):
    """(worst dead %, worst saturated %, log10 ratio farthest from -3) from load_health."""
    h = load_health(run)
    last = h.probes[-1]["layers"]
    dead = [s["dead_fraction"] for s in last if s.get("dead_fraction") is not None]
    sat = [s["saturated_fraction"] for s in last if s.get("saturated_fraction") is not None]
    medians = []
    for layer in range(len(run.sizes) - 1):
        d = h.table[(h.table.layer == layer) & (h.table.update_ratio > 0)]
        if len(d):
            end = d.epoch.max()
            d = d[d.epoch > end - 1]
            medians.append(np.median(np.log10(d.update_ratio)))
    ratio = max(medians, key=lambda m: abs(m + 3)) if medians else math.nan
    return (100 * max(dead) if dead else math.nan, 100 * max(sat) if sat else math.nan, ratio)


def test_cells_equal_load_health_worked_by_hand(report_runs):
    for run in (report_runs["a"], report_runs["b"]):
        cells = final_health(load_health(run))
        dead, sat, ratio = by_hand(run)
        assert cells[DEAD] == pytest.approx(dead) and math.isnan(cells[SATURATED])
        assert cells[RATIO] == pytest.approx(ratio)
        assert -6 < cells[RATIO] < 0


def test_tanh_gives_saturation_and_no_dead_units(train_spiral, tmp_path):
    run = train_spiral(tmp_path, "t", activation="tanh", epochs=12)
    (cells,) = health_cells([run])
    dead, sat, ratio = by_hand(run)
    assert math.isnan(cells[DEAD]) and cells[SATURATED] == pytest.approx(sat)
    assert cells[RATIO] == pytest.approx(ratio)


def test_runs_without_a_record_give_nan_not_zero(train_spiral, tmp_path, report_runs):
    old = train_spiral(tmp_path, "old", epochs=6)
    (old.path / "health.jsonl").unlink()
    torn = train_spiral(tmp_path, "torn", epochs=6)
    (torn.path / "health.jsonl").write_text("{not json\n")
    cells = health_cells([old, torn, report_runs["a"]])
    assert math.isnan(cells[0][RATIO])                       # no update ratios recorded
    assert cells[0][DEAD] == pytest.approx(by_hand(old)[0])  # dead units from the probe set
    assert math.isnan(cells[1][RATIO]) and math.isnan(cells[1][DEAD])
    assert SATURATED not in cells[2]                          # no run saturates: no column
