"""Film your own PyTorch model: a recorder that writes a weightlapse run.

>>> from weightlapse.torch import Recorder                  # doctest: +SKIP
>>> with Recorder(model, optimizer, out="outputs", name="mine", every=50,
...               image_shape=(28, 28), probe=X_val[:512]) as rec:
...     for epoch in range(epochs):
...         for xb, yb in loader:
...             ...; optimizer.step()          # a snapshot every 50 steps
...         rec.epoch_end(train_loss=loss, val_acc=acc)
>>> wl.render(rec.run, "mine.mp4")

The model is an ``nn.Sequential``, or any module whose ``nn.Linear`` layers
form a chain with element-wise activations (and dropout) between them, found
from its structure (:mod:`.torch_chain`); it is not changed, nor is the loop.
Snapshots are taken after optimizer steps, through the optimizer's step
hooks: weights are stored as weightlapse stores its own, ``W = linear.weight.T``
(n_in, n_out) and the bias (zeros for a Linear without one), copied to the
host only at snapshots; float64 models are stored in float64, float32,
bfloat16 and float16 ones in float32.
"""
from __future__ import annotations

import math
import weakref

import numpy as np
import torch
from torch import nn

from .core.errors import ConfigError, RunError, arg
from .core.recorded import Chain, ExternalRecorder
from .torch_chain import chain_activation, check_optimizer, find_chain

__all__ = ["Recorder"]

_OPEN = weakref.WeakKeyDictionary()    # optimizer -> the Recorder recording through it
OPTIMIZERS = {"Adam": "adam", "RMSprop": "rmsprop"}


class Recorder:
    """Records ``model`` trained by ``optimizer`` into the run directory
    ``out/name`` (``name-2``, ... when taken), which every weightlapse view
    reads (``wl.render``, ``figure``, ``compare``, ``report``, ``graph``).

    Snapshot 0 is the weights at creation; then one every ``every`` optimizer
    steps, at each ``epoch_end`` (``every="epoch"``), or ``"auto"`` (every
    epoch end, and within epochs at gaps growing with the step count); and
    the final weights when the recorder closes. ``epoch_end(**metrics)``
    writes a metrics row (train_loss, train_acc, val_loss, val_acc: numbers
    or one-element tensors; accuracies as fractions). Leaving the ``with``
    block (or :meth:`close`) marks the run finished; an exception marks it
    failed, Ctrl-C interrupted, and is re-raised; weights that become
    non-finite mark it diverged and stop the recording.

    What the views cannot find in the model: ``image_shape`` (height, width)
    of image inputs, ``class_names`` of the outputs, ``feature_names`` of
    tabular inputs, ``task`` (default: classification for two outputs or
    more), ``dataset`` (the data's name in titles), and ``probe``: up to 512
    held-out input rows X (or (X, y)) as the model sees them, kept in the
    run for diagnostics and activations.
    """

    def __init__(self, model, optimizer, *, out="outputs", name=None, every="epoch",
                 image_shape=None, class_names=None, feature_names=None, probe=None,
                 task=None, dataset=None):
        if not isinstance(model, nn.Module):
            raise ConfigError(f"{arg('model')} must be a torch.nn.Module "
                              f"(got {type(model).__name__})")
        model = _unwrap(model)
        found = find_chain(model)
        check_optimizer(optimizer, found)
        other = _OPEN.get(optimizer)
        if other is not None and not other.closed:
            raise ConfigError(f"{arg('optimizer')} already has a Recorder (recording "
                              f"{other.path}); close that one first")
        self.model, self.optimizer = model, optimizer
        self._in_step = False
        self._rec = ExternalRecorder(_chain(model, optimizer, found), out=out, name=name,
                                     every=every, image_shape=image_shape,
                                     class_names=class_names, feature_names=feature_names,
                                     probe=_host_probe(probe), task=task, dataset=dataset)
        self._hooks = [optimizer.register_step_pre_hook(self._before_step),
                       optimizer.register_step_post_hook(self._after_step)]
        _OPEN[optimizer] = self

    # -- the user's side ---------------------------------------------------
    @property
    def path(self):
        """The run directory."""
        return self._rec.path

    @property
    def closed(self) -> bool:
        return self._rec.closed

    @property
    def run(self):
        """The recorded :class:`~weightlapse.core.run.Run` (as far as recorded)."""
        from .core.run import load_run
        return load_run(self.path)

    def epoch_end(self, **metrics):
        """An epoch is done: a metrics row (and a snapshot for every="epoch")."""
        self._rec.epoch_end(metrics)

    def close(self):
        """The final snapshot; the run is marked finished. Closing twice does nothing."""
        self._detach()
        self._rec.close(consistent=not self._in_step)

    def __enter__(self):
        if self.closed:
            raise RunError(f"this recorder is closed (run {self.path} is "
                           f"{self._rec.status}); make a new Recorder to record more")
        return self

    def __exit__(self, kind, exc, tb):
        self._detach()
        if exc is None:
            self._rec.close(consistent=not self._in_step)
        else:
            self._rec.fail(exc, consistent=not self._in_step)
        return False

    # -- hooks ---------------------------------------------------------------
    def _before_step(self, optimizer, args, kwargs):
        self._in_step = True

    def _after_step(self, optimizer, args, kwargs):
        self._in_step = False
        self._rec.step()

    def _detach(self):
        for h in self._hooks:
            h.remove()
        self._hooks = []
        if _OPEN.get(self.optimizer) is self:
            del _OPEN[self.optimizer]


def _unwrap(model):
    """The module inside torch.compile's, DataParallel's or
    DistributedDataParallel's wrapper: the one whose layers hold the weights."""
    while True:
        if hasattr(model, "_orig_mod") and isinstance(model._orig_mod, nn.Module):
            model = model._orig_mod                      # torch.compile
        elif isinstance(model, (nn.DataParallel, nn.parallel.DistributedDataParallel)):
            model = model.module
        else:
            return model


def _chain(model, optimizer, found) -> Chain:
    """The Chain of a traced model: sizes, activation, and how to read and
    check its weights."""
    linears = [m for _, m in found.linears]
    paths = [p for p, _ in found.linears]
    activation, output = chain_activation(found)
    kinds = {p.dtype for m in linears for p in m.parameters()}
    if not all(k.is_floating_point for k in kinds):
        raise ConfigError(f"{arg('model')} has parameters of type "
                          f"{', '.join(sorted(map(str, kinds)))}; weightlapse records floats")
    dtype = torch.float64 if torch.float64 in kinds else torch.float32
    sizes = [linears[0].in_features] + [m.out_features for m in linears]
    params = [(m.weight, m.bias) for m in linears]
    shapes = [tuple(m.weight.shape) for m in linears]
    # The snapshot's bytes, reused: each snapshot is written out before the next.
    host = np.zeros(sum(math.prod(s) + s[0] for s in shapes), str(dtype)[6:])
    views, at = [], 0
    for n_out, n_in in shapes:
        views.append((host[at:at + n_in * n_out].reshape(n_in, n_out),
                      host[at + n_in * n_out:at + n_in * n_out + n_out]))
        at += n_in * n_out + n_out
    direct = kinds == {dtype} and all(p.device.type == "cpu" for m in linears
                                      for p in m.parameters())

    def read():
        with torch.no_grad():
            if direct:   # the parameters' own memory: one transposing copy, by NumPy
                for (W, b), (vw, vb) in zip(params, views):
                    np.copyto(vw, W.detach().numpy().T)
                    if b is not None:
                        np.copyto(vb, b.detach().numpy())
                return [host]
            # A GPU or another dtype: one copy on the device (transposed, in the
            # stored dtype), one to the host.
            parts = []
            for W, b in params:
                parts.append(W.detach().t().reshape(-1))
                parts.append(b.detach() if b is not None else W.new_zeros(W.shape[0]))
            return [torch.cat([p.to(dtype) for p in parts]).cpu().numpy()]

    def check():
        for path, lin, (W, _), shape in zip(paths, linears, params, shapes):
            try:
                now = model.get_submodule(path)
            except AttributeError:
                now = None
            if now is not lin or lin.weight is not W or tuple(W.shape) != shape:
                what = (f"{path} is now {type(now).__name__}" if now is not lin else
                        f"the weight of {path} was replaced")
                raise RunError(f"the model changed during training: {what} (it was Linear "
                               f"{shape[1]} -> {shape[0]}); what was recorded before is kept")

    group = optimizer.param_groups[0]
    details = {"framework": "pytorch", "version": torch.__version__,
               "model": type(model).__name__, "layers": paths,
               "output_activation": output, "optimizer": type(optimizer).__name__,
               "optimizer_settings": _plain(group),
               "device": str(linears[0].weight.device),
               "dtype": str(linears[0].weight.dtype).replace("torch.", "")}
    rates = set(found.dropout)
    return Chain(sizes, activation, str(dtype).replace("torch.", ""), paths, read, check,
                 details, training=_training(optimizer, group),
                 dropout=rates.pop() if len(rates) == 1 and 0 <= min(found.dropout) < 1
                 else None,
                 lr=lambda: float(optimizer.param_groups[0]["lr"]))


def _training(optimizer, group) -> dict:
    """The optimizer in weightlapse's names, where it has one."""
    name = type(optimizer).__name__
    lr = float(group.get("lr", 0))
    out = {"lr": lr} if 0 < lr < 1e6 else {}
    if name == "SGD":
        m = float(group.get("momentum", 0))
        kind = "nesterov" if group.get("nesterov") else "momentum" if m else "sgd"
        out["optimizer"] = kind
        if m and 0 <= m < 1:
            out["momentum"] = m
    elif name in OPTIMIZERS:
        out["optimizer"] = OPTIMIZERS[name]
    return out


def _plain(group) -> dict:
    """An optimizer's hyperparameters that JSON can hold."""
    out = {}
    for k, v in group.items():
        if isinstance(v, torch.Tensor) and v.numel() == 1:
            v = v.item()
        if isinstance(v, (bool, int, float, str)) or v is None:
            out[k] = v
        elif isinstance(v, tuple) and all(isinstance(x, (int, float)) for x in v):
            out[k] = list(v)
    return out


def _host(a):
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu()
        return (a.float() if a.is_floating_point() else a).numpy()
    return a


def _host_probe(probe):
    """``probe`` = X or (X, y), tensors or arrays, as host arrays."""
    if isinstance(probe, tuple) and len(probe) == 2:
        return _host(probe[0]), _host(probe[1])
    return _host(probe)
