"""Film your own Keras model: a callback that writes a weightlapse run.

>>> from weightlapse.keras import Recorder                     # doctest: +SKIP
>>> rec = Recorder(out="outputs", name="mine", every=50, probe=X_val[:512])
>>> model.fit(X, y, epochs=5, validation_split=0.1, callbacks=[rec])
>>> wl.render(rec.run, "mine.mp4")

Keras 3, on any backend. The model is a ``Sequential`` or functional model
made of ``Dense`` layers (with ``activation=`` or activation layers),
``Dropout`` and ``Flatten`` of the input, one input and one output. Snapshots
are taken on ``on_train_batch_end`` every N batches, or at ``on_epoch_end``,
with the metrics Keras reports (loss, accuracy, val_loss, val_accuracy).
Kernels are stored as they are, (n_in, n_out), as weightlapse stores its own.
"""
from __future__ import annotations

import weakref

import keras
import numpy as np

from .core.errors import ConfigError, RunError
from .core.layers import ACTIVATIONS
from .core.recorded import Chain, ExternalRecorder

__all__ = ["Recorder"]

_OPEN = weakref.WeakKeyDictionary()     # model -> the Recorder recording it
LEAKY_SLOPE = 0.01                      # weightlapse's leaky_relu (core/layers.py)
OPTIMIZERS = {"Adam": "adam", "RMSprop": "rmsprop"}
NAMES = {"linear": None, "relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid",
         "softmax": "softmax", "log_softmax": "log_softmax"}
PASS = ("InputLayer", "Flatten")
ACCURACY = ("accuracy", "acc", "sparse_categorical_accuracy", "categorical_accuracy",
            "binary_accuracy")


class Recorder(keras.callbacks.Callback):
    """Records the model ``fit`` trains into the run directory ``out/name``
    (``name-2``, ... when taken), which every weightlapse view reads.

    ``every``: a snapshot every N batches, at each epoch end ("epoch"), or
    "auto" (every epoch end, and within epochs at gaps growing with the step
    count); snapshot 0 is the weights when training begins, the last the
    weights when it ends. ``image_shape`` defaults to the model's input
    shape when that is (height, width) or (height, width, 1); other
    arguments as for :class:`weightlapse.torch.Recorder`. An exception in
    ``fit`` reaches no callback: run ``fit`` inside ``with rec:`` to have the
    run marked failed (or interrupted, for Ctrl-C) rather than left running.
    """

    def __init__(self, *, out="outputs", name=None, every="epoch", image_shape=None,
                 class_names=None, feature_names=None, probe=None, task=None, dataset=None):
        super().__init__()
        from .core.recorded_args import check_every
        self._args = dict(out=out, name=name, every=check_every(every),
                          image_shape=image_shape, class_names=class_names,
                          feature_names=feature_names, probe=probe, task=task,
                          dataset=dataset)
        self._rec = None
        self._in_step = False

    @property
    def path(self):
        """The run directory (None before training begins)."""
        return self._rec.path if self._rec else None

    @property
    def closed(self) -> bool:
        return self._rec is not None and self._rec.closed

    @property
    def run(self):
        """The recorded :class:`~weightlapse.core.run.Run` (as far as recorded)."""
        from .core.run import load_run
        if self._rec is None:
            raise RunError("nothing recorded yet: pass the Recorder to model.fit(callbacks=...)")
        return load_run(self.path)

    def __enter__(self):
        self._check_unused()
        return self

    def __exit__(self, kind, exc, tb):
        if self._rec is not None and not self._rec.closed:
            if exc is None:
                self._end()
            else:
                self._rec.fail(exc, consistent=not self._in_step)
                _OPEN.pop(self.model, None)
        return False

    def _check_unused(self):
        if self._rec is not None:
            raise RunError(f"this recorder is closed (run {self.path} is {self._rec.status}); "
                           "make a new Recorder for another fit")

    # -- Keras events ------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._check_unused()
        model = self.model
        other = _OPEN.get(model)
        if other is not None and not other.closed:
            raise ConfigError(f"this model already has a Recorder (recording {other.path}); "
                              "pass one Recorder to fit")
        chain, shape = _chain(model)
        args = dict(self._args)
        if args["image_shape"] is None:
            args["image_shape"] = shape
        probe = args["probe"]
        args["probe"] = (tuple(map(_host, probe)) if isinstance(probe, tuple)
                         else _host(probe))
        self._rec = ExternalRecorder(chain, steps_per_epoch=self.params.get("steps"), **args)
        _OPEN[model] = self

    def on_train_batch_begin(self, batch, logs=None):
        self._in_step = True

    def on_train_batch_end(self, batch, logs=None):
        self._in_step = False
        self._rec.step(in_epoch=batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        metrics = {"train_loss": logs.get("loss"), "val_loss": logs.get("val_loss"),
                   "train_acc": _first(logs, ACCURACY), "val_acc": _first(
                       logs, ["val_" + k for k in ACCURACY])}
        self._rec.epoch_end(metrics)

    def on_train_end(self, logs=None):
        self._end()

    def _end(self):
        self._rec.close(consistent=not self._in_step)
        _OPEN.pop(self.model, None)


def _first(logs, keys):
    return next((logs[k] for k in keys if logs.get(k) is not None), None)


def _host(a):
    """A probe array (NumPy, or a tensor of the backend) on the host."""
    if a is None or isinstance(a, np.ndarray) or not hasattr(a, "dtype"):
        return a
    if "float" in str(a.dtype):
        return _array(a, "float32")
    x = getattr(a, "value", a)
    return x.detach().cpu().numpy() if hasattr(x, "detach") else keras.ops.convert_to_numpy(x)


def _activation(fn, where) -> str | None:
    name = getattr(fn, "__name__", type(fn).__name__)
    if name == "leaky_relu":
        raise ConfigError(f"leaky_relu at {where} has Keras's negative_slope 0.2; "
                          f"weightlapse's leaky_relu has {LEAKY_SLOPE:g}: use a LeakyReLU "
                          f"layer with negative_slope={LEAKY_SLOPE:g}")
    if name not in NAMES:
        raise ConfigError(f"activation {name} at {where} is not supported yet")
    return NAMES[name]


def _walk(model):
    """([Dense layers], [activations after each], [dropout rates]) of a chain."""
    if not isinstance(model, keras.Sequential) and type(model).__name__ != "Functional":
        raise ConfigError(f"a subclassed keras Model ({type(model).__name__}) is not "
                          "supported yet: build it with Sequential or the functional API")
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ConfigError("weightlapse records models of one input and one output")
    dense, acts, drops, prev = [], [[]], [], None
    for layer in model.layers:
        kind, where = type(layer).__name__, f"{type(layer).__name__} at {layer.name}"
        nodes = layer._inbound_nodes
        parents = [p.operation for n in nodes for p in n.parent_nodes]
        if len(nodes) != 1 or (prev is not None and parents != [prev]):
            raise ConfigError(f"{where} is not part of a plain chain of layers (a shared "
                              "layer or a branch); not supported yet")
        prev = layer
        if kind == "Dense":
            dense.append(layer)
            acts.append([])
            act = _activation(layer.activation, layer.name)
        elif kind == "Activation":
            act = _activation(layer.activation, layer.name)
        elif kind == "ReLU" and not (layer.max_value or layer.negative_slope or layer.threshold):
            act = "relu"
        elif kind == "LeakyReLU" and np.isclose(layer.negative_slope, LEAKY_SLOPE):
            act = "leaky_relu"
        elif kind == "Dropout":
            drops.append(float(layer.rate))
            continue
        elif kind in PASS and not dense:
            continue
        else:
            raise ConfigError(f"{where} is not supported yet (weightlapse records chains of "
                              "Dense layers with element-wise activations and Dropout)")
        if act is not None:
            if not dense:
                raise ConfigError(f"{act} at {layer.name}, before the first Dense layer, is "
                                  "not supported yet")
            acts[-1].append((act, layer.name))
    if not dense:
        raise ConfigError(f"{type(model).__name__} has no Dense layer; nothing to record")
    return dense, acts[1:], drops


def _chain(model):
    """(The Chain of a Keras model, the image shape its input has or None)."""
    dense, acts, drops = _walk(model)
    hidden = []
    for layer, gap in zip(dense, acts[:-1]):
        if len(gap) > 1:
            raise ConfigError(f"two activations in a row ({gap[0][0]}, {gap[1][0]}) after "
                              f"{layer.name} are not supported yet")
        act = gap[0][0] if gap else "identity"
        if act not in ACTIVATIONS:
            raise ConfigError(f"{act} after {layer.name} is not supported between Dense "
                              "layers: it belongs after the last one")
        hidden.append((act, layer.name))
    if len({a for a, _ in hidden}) > 1:
        (a, pa), (b, pb) = hidden[0], next(h for h in hidden if h[0] != hidden[0][0])
        raise ConfigError(f"the hidden layers use different activations ({a} after {pa}, "
                          f"{b} after {pb}); weightlapse films one activation for all")
    if len(acts[-1]) > 1:
        raise ConfigError(f"two activations in a row after {dense[-1].name} are not "
                          "supported yet")
    kinds = {str(v.dtype) for layer in dense for v in layer.weights}
    dtype = "float64" if "float64" in kinds else "float32"
    variables = [(layer.kernel, layer.bias) for layer in dense]
    shapes = [tuple(layer.kernel.shape) for layer in dense]
    sizes = [shapes[0][0]] + [s[1] for s in shapes]
    layer_ids = [id(layer) for layer in model.layers]

    def read():
        out = []
        for (k, b), (n_in, n_out) in zip(variables, shapes):
            out.append(_array(k, dtype))
            out.append(_array(b, dtype) if b is not None else np.zeros(n_out, dtype))
        return out

    def check():
        if [id(layer) for layer in model.layers] != layer_ids or \
                [tuple(layer.kernel.shape) for layer in dense] != shapes:
            raise RunError("the model changed during training; what was recorded before "
                           "is kept")

    opt = getattr(model, "optimizer", None)
    name = type(opt).__name__ if opt is not None else None
    training = _training(opt, name)
    details = {"framework": "keras", "version": keras.__version__,
               "backend": keras.backend.backend(), "model": type(model).__name__,
               "layers": [layer.name for layer in dense],
               "output_activation": acts[-1][0][0] if acts[-1] else None,
               "optimizer": name, "dtype": ", ".join(sorted(kinds))}
    rates = set(drops)
    chain = Chain(sizes, hidden[0][0] if hidden else "identity", dtype,
                  details["layers"], read, check, details, training=training,
                  dropout=rates.pop() if len(rates) == 1 else None,
                  lr=lambda: _lr(opt))
    shape = tuple(model.inputs[0].shape[1:])
    if len(shape) == 3 and 1 in (shape[0], shape[2]):
        shape = shape[1:] if shape[0] == 1 else shape[:2]
    return chain, (list(shape) if len(shape) == 2 and None not in shape else None)


def _array(v, dtype="float32"):
    """A variable's (or tensor's) value as a host array of ``dtype``."""
    x = getattr(v, "value", v)
    if hasattr(x, "detach"):   # the torch backend: the tensor itself, no round trip
        x = x.detach().cpu()
        return (x.double() if dtype == "float64" else x.float()).numpy()
    return np.asarray(keras.ops.convert_to_numpy(keras.ops.cast(v, dtype)))


def _lr(opt):
    try:
        return float(_array(opt.learning_rate, "float64"))
    except (AttributeError, TypeError, ValueError):
        return None


def _training(opt, name) -> dict:
    """The optimizer in weightlapse's names, where it has one."""
    out = {}
    lr = _lr(opt) if opt is not None else None
    if lr is not None and 0 < lr < 1e6:
        out["lr"] = lr
    if name == "SGD":
        m = float(opt.momentum)
        out["optimizer"] = "nesterov" if opt.nesterov else "momentum" if m else "sgd"
        if m and m < 1:
            out["momentum"] = m
    elif name in OPTIMIZERS:
        out["optimizer"] = OPTIMIZERS[name]
    return out
