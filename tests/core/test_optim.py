"""Each optimizer's first two updates against values worked from its formula
(SPEC §3, PyTorch's rules and defaults), and the lr schedules."""
import math

import numpy as np
import pytest

from weightlapse.core.errors import ConfigError
from weightlapse.core.optim import OPTIMIZERS, make_optimizer, make_schedule

G1, G2 = np.array([0.5, -2.0]), np.array([1.0, 0.25])
W0 = np.array([1.0, 1.0])


def two_steps(name, lr, **kw):
    opt = make_optimizer(name, lr, **kw)
    p = {"w": W0.copy()}
    out = []
    for g in (G1, G2):
        opt.step(p, {"w": g.copy()})
        out.append(p["w"].copy())
    return out


def test_sgd():
    w1, w2 = two_steps("sgd", 0.1)
    np.testing.assert_allclose(w1, W0 - 0.1 * G1)
    np.testing.assert_allclose(w2, W0 - 0.1 * G1 - 0.1 * G2)


def test_momentum():
    w1, w2 = two_steps("momentum", 0.1, momentum=0.9)
    buf1 = G1
    buf2 = 0.9 * buf1 + G2
    np.testing.assert_allclose(w1, W0 - 0.1 * buf1)
    np.testing.assert_allclose(w2, W0 - 0.1 * buf1 - 0.1 * buf2)


def test_nesterov():
    w1, w2 = two_steps("nesterov", 0.1, momentum=0.9)
    buf1 = G1
    buf2 = 0.9 * buf1 + G2
    np.testing.assert_allclose(w1, W0 - 0.1 * (G1 + 0.9 * buf1))
    np.testing.assert_allclose(w2, w1 - 0.1 * (G2 + 0.9 * buf2))


def test_rmsprop():
    w1, w2 = two_steps("rmsprop", 0.01)
    v1 = 0.01 * G1 ** 2
    v2 = 0.99 * v1 + 0.01 * G2 ** 2
    np.testing.assert_allclose(w1, W0 - 0.01 * G1 / (np.sqrt(v1) + 1e-8))
    np.testing.assert_allclose(w2, w1 - 0.01 * G2 / (np.sqrt(v2) + 1e-8))


def test_adam():
    w1, w2 = two_steps("adam", 0.001)
    m1, v1 = 0.1 * G1, 0.001 * G1 ** 2
    m2, v2 = 0.9 * m1 + 0.1 * G2, 0.999 * v1 + 0.001 * G2 ** 2
    # The first bias-corrected step is lr * sign(g) (up to eps).
    np.testing.assert_allclose(w1, W0 - 0.001 * (m1 / 0.1) / (np.sqrt(v1 / 0.001) + 1e-8))
    np.testing.assert_allclose(w1, W0 - 0.001 * np.sign(G1), rtol=1e-6)
    mh, vh = m2 / (1 - 0.9 ** 2), v2 / (1 - 0.999 ** 2)
    np.testing.assert_allclose(w2, w1 - 0.001 * mh / (np.sqrt(vh) + 1e-8))


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizers_keep_float32(name):
    opt = make_optimizer(name, 0.1)
    p = {"w": np.ones(3, np.float32)}
    opt.step(p, {"w": np.full(3, 0.5, np.float32)})
    assert p["w"].dtype == np.float32


def test_schedules():
    kw = dict(total_steps=100, steps_per_epoch=10)
    assert make_schedule("constant")(0.1, 57, **kw) == 0.1
    step = make_schedule("step", step_every=10, gamma=0.5)
    assert step(0.1, 99, **kw) == 0.1
    step = make_schedule("step", step_every=2, gamma=0.5)
    assert step(0.1, 20, **kw) == pytest.approx(0.05)
    assert step(0.1, 40, **kw) == pytest.approx(0.025)
    cos = make_schedule("cosine")
    assert cos(0.1, 0, **kw) == pytest.approx(0.1)
    assert cos(0.1, 50, **kw) == pytest.approx(0.05)
    assert cos(0.1, 100, **kw) == pytest.approx(0.0, abs=1e-12)
    assert cos(0.1, 25, **kw) == pytest.approx(0.05 * (1 + math.cos(math.pi / 4)))
    assert cos.length_dependent and not step.length_dependent


@pytest.mark.parametrize("name,options,match", [
    ("cosine", {"gamma": 0.5}, "takes no option gamma"),
    ("constant", {"step_every": 3}, "takes no option step_every"),
    ("step", {"step_every": 0}, "lr_step_every must be"),
    ("step", {"step_every": 2.5}, "lr_step_every must be"),
    ("step", {"gamma": 0}, "lr_gamma must be"),
    ("step", {"gamma": 1.5}, "lr_gamma must be"),
    ("cosine", {"lr_min": -1}, "lr_min must be"),
    ("linear", {}, "unknown lr_schedule"),
])
def test_schedule_options_are_checked(name, options, match):
    with pytest.raises(ConfigError, match=match):
        make_schedule(name, **options)


def test_the_optimizer_owns_its_schedule():
    opt = make_optimizer("sgd", 0.1, schedule=make_schedule("step", step_every=1, gamma=0.5))
    assert opt.schedule_lr(0, 30, 10) == 0.1 and opt.lr == 0.1
    assert opt.schedule_lr(25, 30, 10) == pytest.approx(0.025) and opt.lr == opt.schedule_lr(25, 30, 10)
    assert opt.base_lr == 0.1
