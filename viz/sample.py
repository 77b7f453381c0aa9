"""The sample: one held-out input followed through the network (``--sample N``).

A run keeps up to 512 held-out rows as the network sees them (``probe.npz``,
see :mod:`weightlapse.core.rundir`); ``--sample N`` picks row N of them and
every view draws that input at the inputs, each shown hidden unit's
activation on it and each output's class probability, at the snapshot drawn.
``auto`` (the default) is row 0 for image and tabular runs that kept held-out
rows, and nothing for 2-D data (its units show their own maps) or a run
without held-out rows; ``none`` shows no sample.

``resolve(run, choice)`` checks the choice against the run and returns a
:class:`Sample` (or None); ``attach(G, run, choice)`` writes it onto a drawn
graph; :class:`SampleForward` is the forward pass of a snapshot's weights on
it (core's own :class:`~weightlapse.core.model.MLP`, in float64), which
:class:`~.values.ValueSource` runs once per snapshot read.
"""
from __future__ import annotations

import re

import numpy as np

from weightlapse.core.errors import ConfigError, RunError, arg

AUTO, NONE = "auto", "none"
BOUNDED = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}   # activation ranges known ahead


def parse_sample(value, fail):
    """"auto", "none" or a row number N >= 0 (a string of digits is accepted);
    ``fail(what)`` raises for anything else."""
    if isinstance(value, str):
        v = value.strip().lower()
        if v in (AUTO, NONE):
            return v
        if re.fullmatch(r"-?[0-9]+", v):     # ASCII digits: "--5" and "²" are not rows
            value = int(v)
        else:
            fail(f"must be a held-out row number N >= 0, 'auto' or 'none' (got {value!r})")
    if isinstance(value, (bool, float)) or not isinstance(value, (int, np.integer)):
        fail(f"must be a held-out row number N >= 0, 'auto' or 'none' (got {value!r})")
    if value < 0:
        fail(f"must be a held-out row number N >= 0 (got {value!r})")
    return int(value)


def is_plane(run) -> bool:
    """2-D data (spiral, moons, a two-column table): its units show maps instead."""
    data = run.config["data"]
    return not data.get("input_shape") and int(data.get("n_features", 0)) == 2


def held_out(run):
    """(X, y) of the held-out rows the run kept (y may be None), or None when
    it kept none (trained without validation data, or recorded without ``probe``)."""
    probe = run.files.read_probe(run.n_in)
    if probe is None:
        return None
    if run.recorded_from is None and not run.config["data"].get("n_val"):
        return None          # no validation split: probe.npz holds training rows
    return probe


class Sample:
    """Row ``index`` of the held-out rows: ``x`` (n_in,) float64 as the network
    sees it, ``label`` (a class index, a target vector or None) and its
    ``label_name`` ("7"), the run's ``activation`` and ``task``."""

    def __init__(self, run, index, x, y):
        self.index, self.x = int(index), np.asarray(x, np.float64)
        self.task = run.config["data"]["task"]
        self.activation = run.settings.get("activation", "identity")
        self.label = self.label_name = None
        if y is not None:
            if self.task == "classification" and np.ndim(y) == 0:
                self.label = int(y)
                names = run.config["data"].get("class_names") or []
                self.label_name = str(names[self.label]) if self.label < len(names) \
                    else str(self.label)
            else:
                self.label = np.asarray(y, np.float64).ravel()


def resolve(run, choice):
    """The :class:`Sample` that a drawing option ``sample`` asks of ``run``, or
    None. ``auto``: row 0 where it applies (see the module), else None; a
    row number on a run without held-out rows, or past their end, raises
    :class:`ConfigError` naming ``sample``."""
    if choice == NONE or (choice == AUTO and is_plane(run)):
        return None
    try:
        rows = held_out(run)
    except RunError as e:
        if choice != AUTO:
            raise
        import warnings     # a damaged probe.npz costs the default sample, not the picture
        warnings.warn(f"{e}; drawn without a sample", stacklevel=2)
        return None
    if rows is None:
        if choice == AUTO:
            return None
        how = ("recorded without a probe set (the Recorder's probe=X_val)"
               if run.recorded_from is not None
               else f"trained with {arg('val_fraction')} 0, or by a version that kept none")
        raise ConfigError(f"{arg('sample')} {choice}: run {run.name} has no held-out rows "
                          f"to show ({how})")
    X, y = rows
    index = 0 if choice == AUTO else int(choice)
    if index >= len(X):
        raise ConfigError(f"{arg('sample')} {index} is past the end: run {run.name} keeps "
                          f"{len(X)} held-out rows (0..{len(X) - 1})")
    return Sample(run, index, X[index], None if y is None else y[index])


class SampleForward:
    """``forward(weights, biases)``: per layer, the activations of input ``x``:
    [None, hidden 1 (all units), ..., output], the output as class
    probabilities (softmax) for classification, the network's outputs
    otherwise; float64. ``x`` one row (n_in,), or rows (n, n_in) for arrays
    (n, units). A conv layer's channel is a unit: its activation here is the
    mean of its feature map on the input; ``raw`` keeps every hidden
    layer's activations of the last call, as
    :func:`~weightlapse.core.health_record.hidden_activations` gives them
    (``maps``: a single input's conv maps among them). One model, reloaded per snapshot."""

    def __init__(self, run, x):
        self.model = run.network(0, dtype="float64")
        x = np.asarray(x, np.float64)
        self.single = x.ndim == 1
        self.x = x.reshape(-1, x.shape[-1])
        self.classify = run.config["data"]["task"] == "classification"

    def __call__(self, weights, biases):
        from weightlapse.core.health_record import hidden_activations
        self.model.set_weights(weights, biases)
        self.raw = raw = hidden_activations(self.model, self.x)
        hidden = [a.mean(axis=(2, 3), dtype=np.float64) if a.ndim == 4 else a for a in raw]
        z = np.asarray(self.model.forward(self.x), np.float64)
        if self.classify:
            e = np.exp(z - z.max(axis=1, keepdims=True))
            z = e / e.sum(axis=1, keepdims=True)
        out = hidden + [z]
        return [None] + ([a[0] for a in out] if self.single else out)


    @property
    def maps(self):
        """Per hidden layer, a single input's conv maps (C, H, W) of the last
        call, for its feature maps; None for dense layers (and for rows)."""
        return [a[0] if a.ndim == 4 and self.single else None for a in self.raw]


def ranges(activation, task, acts):
    """Per layer (None for the inputs), the (low, high) that unit colours span,
    fixed for a film: 0..1 for a classifier's probabilities, the activation
    function's range for sigmoid and tanh, else 0..the largest |activation|
    in ``acts`` (per layer, any shape; -max..max where negative ones occur)."""
    out = [None]
    last = len(acts) - 1
    for l in range(1, last + 1):
        if l == last and task == "classification":
            out.append((0.0, 1.0))
        elif l < last and activation in BOUNDED:
            out.append(BOUNDED[activation])
        else:
            a = np.asarray(acts[l])
            hi = float(max(np.max(np.abs(a)), 1e-6))
            out.append((-hi if a.min() < -1e-3 * hi else 0.0, hi))
    return out


def attach(G, run, choice):
    """Write the sample onto the drawn graph ``G`` (graph attributes, see
    :mod:`.drawn`): ``sample`` (row number, or None), ``sample_input``,
    ``sample_label``, ``sample_label_name``, ``sample_at_inputs`` (how the
    inputs show it: "image", "values" or None for 2-D data),
    ``sample_standardised`` (its values are the CSV's, standardised) and
    ``sample_scales``: per layer
    the (low, high) its unit colours span, fixed for the film (:func:`ranges`
    of the shown units' activations over the snapshots the gap scales are
    sampled from), and a conv run's ``fmap_range`` from the same forward
    passes (:func:`.feature_maps.channel_ranges`)."""
    s = resolve(run, choice)
    G.graph.update(sample=None if s is None else s.index,
                   sample_input=None if s is None else s.x,
                   sample_label=None if s is None else s.label,
                   sample_label_name=None if s is None else s.label_name,
                   sample_at_inputs=None if s is None or is_plane(run) else
                   "image" if G.graph.get("image_shape") else "values",
                   sample_standardised=s is not None and (run.config["data"].get("transform")
                                                         or {}).get("kind") == "standardize")
    if s is None:
        G.graph["sample_scales"] = None
        return None
    from .drawn import scale_snapshots
    from .feature_maps import channel_ranges
    forward = SampleForward(run, s.x)
    acts, conv_maps = [], []
    for i in scale_snapshots(len(run.snapshots)):
        acts.append(forward(run.snapshots[int(i)].weights, run.snapshots[int(i)].biases))
        conv_maps.append(forward.maps)
    shown = G.graph["shown"]
    G.graph["fmap_range"] = channel_ranges(G, s.activation, conv_maps)
    scales = ranges(s.activation, s.task, [None] + [np.concatenate([A[l][shown[l]] for A in acts])
                                                   for l in range(1, len(shown))])
    maps = G.graph.get("response_range")
    if maps:        # 2-D data: a unit's fill on its map's range, so the two agree
        scales = [r if l == 0 or l == len(shown) - 1 or maps[l] is None else tuple(maps[l])
                  for l, r in enumerate(scales)]
    G.graph["sample_scales"] = scales
    return s


def legend(q, G) -> str:
    """What lines, tiles and units show with a sample (:class:`.quantities.Quantity` q)."""
    drawn = "lines, tiles" if "tiles" in G.graph["gap_kind"] else "lines"
    if G.graph["sample_scales"][-1] == (0.0, 1.0):
        return f"{drawn}: {q.edge}"
    return f"{drawn}: {q.edge}; outputs: {q.node}"


def answer(G, acts):
    """(predicted class index, its probability) from a snapshot's activations,
    or None for a run that is not a classifier or shows no sample."""
    if acts is None or G.graph.get("sample") is None or \
            G.graph["sample_scales"][-1] != (0.0, 1.0):
        return None
    p = acts[-1]
    k = int(np.argmax(p))
    return k, float(p[k])


def answer_text(G, acts) -> str:
    """"says 7, 93% (true 7)" for the title, or "" without a sample."""
    a = answer(G, acts)
    if a is None:
        return ""
    names = G.graph["class_names"] or []
    said = str(names[a[0]]) if a[0] < len(names) else str(a[0])
    text = f"says {said}, {a[1]:.0%}"
    true = G.graph.get("sample_label_name")
    return text + (f" (true {true})" if true is not None else "")


def write_values(H, acts):
    """Onto a drawn graph copy ``H``: ``activation`` on each shown hidden unit,
    ``probability`` on each output unit (``activation`` for a regression's
    outputs), and graph attributes ``sample_prediction`` and
    ``sample_probability``; nothing without a sample."""
    if acts is None:
        return
    last = len(H.graph["sizes"]) - 1
    classify = H.graph["sample_scales"][-1] == (0.0, 1.0)
    for l in range(1, last + 1):
        key = "probability" if l == last and classify else "activation"
        for u in H.graph["shown"][l]:
            H.nodes[f"{l}:{u}"][key] = float(acts[l][u])
    a = answer(H, acts)
    H.graph.update(sample_prediction=None if a is None else a[0],
                   sample_probability=None if a is None else a[1])
