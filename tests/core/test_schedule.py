"""core/schedule.py: when snapshots are taken. ``auto`` (the default) gives
about 100 snapshots, a third of them in the first tenth of the steps; ``log``
spaces them over the whole run; both are pure functions of the run's
planned length, so a resumed run records the same steps."""
import numpy as np
import pytest

import weightlapse as wl
from weightlapse.core.config import RunConfig
from weightlapse.core.errors import ConfigError
from weightlapse.core.memory import snapshot_bytes
from weightlapse.core.schedule import Schedule, auto_due, count, planned

LENGTHS = [1, 10, 59, 60, 100, 101, 200, 330, 1000, 4220, 10 ** 5, 10 ** 7]


@pytest.mark.parametrize("total", LENGTHS)
@pytest.mark.parametrize("kind", ["auto", "log"])
def test_every_step_of_a_short_run_else_about_100(kind, total):
    steps = np.array(planned(kind, total, 7))
    assert steps[0] == 0 and steps[-1] == total
    assert (np.diff(steps) > 0).all()                      # distinct, in order
    if total <= 100:
        assert list(steps) == list(range(total + 1))       # every step
    else:
        assert 77 <= len(steps) <= 100
    if total >= 60:
        assert len(steps) >= 61
    if total >= 330:
        assert len(steps) == 100
    assert count(kind, total, 7) == len(steps)


@pytest.mark.parametrize("total", [1000, 4220, 10 ** 5, 10 ** 7])
def test_auto_puts_a_third_in_the_first_tenth_then_spaces_evenly(total):
    steps = np.array(planned("auto", total))
    early, late = steps[steps <= total // 10], steps[steps >= total // 10]
    assert len(early) == 34                                 # step 0 included
    gaps = np.diff(early)
    assert gaps[0] == 1 and (np.diff(gaps[:-1]) >= 0).all()  # growing gaps from step 1
    even = np.diff(late)
    assert even.max() - even.min() <= 1                     # evenly spaced after
    assert gaps.max() <= even.min()                         # never sparser early than late


@pytest.mark.parametrize("total", [101, 200])
def test_auto_takes_every_early_step_when_the_first_tenth_is_short(total):
    steps = planned("auto", total)
    assert list(steps[:total // 10 + 1]) == list(range(total // 10 + 1))


@pytest.mark.parametrize("total", [1000, 10 ** 5])
def test_log_spaces_over_the_whole_run(total):
    steps = np.array(planned("log", total), float)
    assert (np.diff(np.diff(steps[1:-1])) >= 0).all()           # gaps only grow
    big = np.log(steps[steps >= 100])
    assert np.ptp(np.diff(big)) < 0.1                           # evenly spaced in log steps
    assert (steps > total / 2).sum() < 15                        # the second half is sparse


@pytest.mark.parametrize("every,total,per_epoch,want", [
    ("epoch", 30, 10, (0, 10, 20, 30)), ("epoch", 31, 10, (0, 10, 20, 30, 31)),
    (4, 12, 5, (0, 4, 8, 12)), (4, 13, 5, (0, 4, 8, 12, 13))])
def test_epoch_and_n_steps(every, total, per_epoch, want):
    assert planned(every, total, per_epoch) == want
    assert count(every, total, per_epoch) == len(want)


def test_next_after_walks_the_schedule():
    plan = Schedule("auto", 1000, 50)
    steps, s = [0], 0
    while s < 1000:
        s = plan.next_after(s)
        steps.append(s)
    assert tuple(steps) == planned("auto", 1000, 50)
    assert all(plan.due(s) for s in steps) and not plan.due(15)
    assert Schedule(7, 30, 50).next_after(14) == 21 and Schedule(7, 30, 50).next_after(29) == 30
    assert Schedule("epoch", 30, 10).next_after(10) == 20


def test_open_ended_auto_is_dense_early():
    last, taken = -1, []
    for step in range(1, 2001):
        if auto_due(step, last):
            last = step
            taken.append(step)
    assert taken[:16] == list(range(1, 17))
    assert 80 < len(taken) < 130


SMALL = dict(dataset="moons", n_samples=200, hidden=[5], epochs=20, batch_size=32,
             lr=0.05, optimizer="adam")


def test_a_run_records_the_planned_steps_by_default(tmp_path):
    run = wl.train(out=tmp_path, name="a", **SMALL)        # 6 steps an epoch: 120 steps
    assert run.settings["snapshot_every"] == "auto"
    assert tuple(run.snapshots.steps) == planned("auto", 120, 6)
    assert len(run.snapshots) == 79                         # steps 0-11 each, then even
    assert set(run.metrics["step"]) >= set(run.snapshots.steps)   # a row at each
    cfg = RunConfig.from_settings(**SMALL)
    record = 16 + (2 * 5 + 5 + 5 * 2 + 2) * 4
    # The disk estimate: every planned snapshot and a spare (an interrupted run's last).
    assert snapshot_bytes([2, 5, 2], 4, 180, cfg) == (79 + 1) * record
    log = wl.train(out=tmp_path, name="log", snapshot_every="log", **SMALL)
    assert tuple(log.snapshots.steps) == planned("log", 120, 6)


@pytest.mark.parametrize("every", ["auto", "log"])
def test_a_resumed_run_continues_the_schedule(tmp_path, stop_at, every):
    whole = wl.train(out=tmp_path, name="whole", snapshot_every=every, **SMALL)
    cut = wl.train(out=tmp_path, name="cut", snapshot_every=every, callbacks=[stop_at(17)],
                   **SMALL)
    assert cut.status == "interrupted" and cut.snapshots.steps[-1] == 17
    done = wl.train(resume=cut.path)
    assert np.array_equal(done.snapshots.steps, whole.snapshots.steps)
    for a, b in zip(done.snapshots[-1].weights, whole.snapshots[-1].weights):
        assert np.array_equal(a, b)


def test_presets_leave_the_schedule_to_auto():
    from weightlapse.core.presets import PRESETS
    assert all("snapshot_every" not in p["settings"] for p in PRESETS.values())


@pytest.mark.parametrize("value,fragment", [
    ("sometimes", "(got 'sometimes')"), (0, "(got 0)"), (-1, "(got -1)"),
    ("atuo", "did you mean auto?"), ("Auto", "did you mean auto?"), ("LOG", "did you mean log?"), (1.5, "(got 1.5)"),
    (True, "(got True)")])
def test_bad_values_are_a_config_error_naming_the_argument(tmp_path, value, fragment):
    with pytest.raises(ConfigError, match="snapshot_every must be auto, log, epoch or a "
                       "positive number of steps") as e:
        wl.train(out=tmp_path / "runs", snapshot_every=value, **SMALL)
    assert fragment in str(e.value)
    assert not (tmp_path / "runs").exists()


def test_a_longer_resume_keeps_what_was_recorded_and_follows_the_new_length(tmp_path):
    short = wl.train(out=tmp_path, name="short", **{**SMALL, "epochs": 10})   # 60 steps
    longer = wl.train(resume=short.path, epochs=40)                           # 240 steps
    steps = list(longer.snapshots.steps)
    assert steps[:61] == list(range(61))                       # the 60-step run's, every step
    assert steps[61:] == [s for s in planned("auto", 240, 6) if s > 60]
