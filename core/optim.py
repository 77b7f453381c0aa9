"""Optimizers and learning-rate schedules.

Optimizers know nothing of layers: ``step(params, grads)`` takes two dicts of
name -> array with the same keys and updates ``params`` in place; any state is
keyed by the same names. The update rules and defaults follow PyTorch
(``torch.optim.SGD``/``RMSprop``/``Adam``, SPEC §3) so runs can be cross-checked.
State arrays are made with the optimizer's array module ``xp`` (NumPy, or
CuPy on a GPU), beside the parameters they belong to.
"""
from __future__ import annotations

import math

import numpy as np

from .errors import ConfigError, arg


class SGD:
    """``w -= lr * g``."""

    xp = np  # the array module of the parameters (see make_optimizer)

    def __init__(self, lr: float):
        self.lr = self.base_lr = lr
        self.schedule = Constant()       # the learning rate's schedule (below)
        self.state: dict[str, dict] = {}

    def schedule_lr(self, step: int, total_steps: int, steps_per_epoch: int) -> float:
        """Set ``lr`` for the update after ``step`` updates, from the schedule."""
        self.lr = self.schedule(self.base_lr, step, total_steps, steps_per_epoch)
        return self.lr

    def step(self, params, grads):
        for k, p in params.items():
            p -= self.lr * grads[k]


class Momentum(SGD):
    """PyTorch SGD with momentum (dampening 0): ``buf = mu*buf + g``
    (``buf = g`` on the first step), then ``w -= lr * buf``; Nesterov uses
    ``g + mu*buf`` in place of ``buf``."""

    nesterov = False

    def __init__(self, lr: float, momentum: float = 0.9):
        super().__init__(lr)
        self.momentum = momentum

    def step(self, params, grads):
        mu = self.momentum
        for k, p in params.items():
            g = grads[k]
            buf = self.state.get(k)
            if buf is None:
                buf = self.state[k] = g.copy()
            else:
                buf *= mu
                buf += g
            p -= self.lr * (g + mu * buf if self.nesterov else buf)


class Nesterov(Momentum):
    nesterov = True


class RMSprop(SGD):
    """PyTorch RMSprop: ``v = a*v + (1-a)*g**2``; ``w -= lr * g / (sqrt(v) + eps)``."""

    def __init__(self, lr: float, alpha: float = 0.99, eps: float = 1e-8):
        super().__init__(lr)
        self.alpha, self.eps = alpha, eps

    def step(self, params, grads):
        a = self.alpha
        for k, p in params.items():
            g = grads[k]
            v = self.state.get(k)
            if v is None:
                v = self.state[k] = self.xp.zeros_like(p)
            v *= a
            v += (1 - a) * g * g
            p -= self.lr * g / (self.xp.sqrt(v) + self.eps)


class Adam(SGD):
    """PyTorch Adam with bias correction: ``m = b1*m + (1-b1)*g``,
    ``v = b2*v + (1-b2)*g**2``, ``w -= lr * m_hat / (sqrt(v_hat) + eps)``."""

    def __init__(self, lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
        super().__init__(lr)
        self.b1, self.b2 = betas
        self.eps = eps
        self.t = 0

    def step(self, params, grads):
        self.t += 1
        b1, b2, t = self.b1, self.b2, self.t
        step_size = self.lr / (1 - b1 ** t)
        root_bc2 = math.sqrt(1 - b2 ** t)
        xp = self.xp
        for k, p in params.items():
            g = grads[k]
            m = self.state.get("m." + k)
            if m is None:
                m = self.state["m." + k] = xp.zeros_like(p)
                self.state["v." + k] = xp.zeros_like(p)
            v = self.state["v." + k]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            # PyTorch's arrangement: eps is added to sqrt(v) / sqrt(1 - b2**t).
            p -= step_size * m / (xp.sqrt(v) / root_bc2 + self.eps)


OPTIMIZERS = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "rmsprop": RMSprop,
    "adam": Adam,
}


def make_optimizer(name: str, lr: float, momentum: float = 0.9, schedule=None, xp=np):
    """An optimizer by name; ``schedule`` (from :func:`make_schedule`) sets its lr;
    its state lives in ``xp``'s arrays (NumPy, or CuPy on a GPU)."""
    cls = OPTIMIZERS[name]
    opt = cls(lr, momentum) if issubclass(cls, Momentum) else cls(lr)
    if schedule is not None:
        opt.schedule = schedule
    opt.xp = xp
    return opt


# Learning-rate schedules: lr for the next update, from the base lr, the
# updates done so far and the run's length. Each checks its own options.

class Constant:
    length_dependent = False

    def __call__(self, lr, step, total_steps, steps_per_epoch):
        return lr


class StepDecay:
    """Multiply lr by ``gamma`` every ``step_every`` epochs."""
    length_dependent = False

    def __init__(self, step_every: int = 10, gamma: float = 0.5):
        if not (isinstance(step_every, int) and step_every >= 1):
            raise ConfigError(f"{arg('lr_step_every')} must be a whole number >= 1 (got {step_every!r})")
        if not (isinstance(gamma, (int, float)) and 0 < gamma <= 1):
            raise ConfigError(f"{arg('lr_gamma')} must be in (0, 1] (got {gamma!r})")
        self.step_every, self.gamma = step_every, gamma

    def __call__(self, lr, step, total_steps, steps_per_epoch):
        return lr * self.gamma ** (step // (steps_per_epoch * self.step_every))


class Cosine:
    """Cosine annealing from lr to ``lr_min`` over the whole run, per step:
    it depends on the run's length, so a run on this schedule cannot be
    extended without changing the learning rates it already used."""
    length_dependent = True

    def __init__(self, lr_min: float = 0.0):
        if not (isinstance(lr_min, (int, float)) and 0 <= lr_min):
            raise ConfigError(f"{arg('lr_min')} must be >= 0 (got {lr_min!r})")
        self.lr_min = lr_min

    def __call__(self, lr, step, total_steps, steps_per_epoch):
        frac = min(step / max(total_steps, 1), 1.0)
        return self.lr_min + 0.5 * (lr - self.lr_min) * (1 + math.cos(math.pi * frac))


SCHEDULES = {"constant": Constant, "step": StepDecay, "cosine": Cosine}


def make_schedule(name: str, **options):
    """The schedule ``name`` with its options; an unknown option is an error."""
    if name not in SCHEDULES:
        raise ConfigError(f"unknown lr_schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
    try:
        return SCHEDULES[name](**options)
    except TypeError:
        raise ConfigError(f"lr_schedule {name!r} takes no option "
                          f"{', '.join(sorted(options))}") from None
