"""What the sections of a run's config.json and checkpoint must hold to be
read: the checks :class:`.rundir.RunDir` makes on every read, each failing
with one line (:class:`.errors.RunError`) that names the damaged file."""
from __future__ import annotations

import math

import numpy as np

from .convnet import dense_layers, dense_sizes, layout as layers_layout, plan_layers
from .errors import ConfigError, RunError

DTYPES = ("float32", "float64")
FRAMEWORK_NAMES = {"pytorch": "PyTorch", "keras": "Keras"}   # recorded_from's frameworks
RECORDED_FRAMEWORKS = tuple(FRAMEWORK_NAMES)


def valid_meta(meta) -> bool:
    """The checkpoint's counters are counts, its random states restorable."""
    counts = ("epoch", "step", "batch", "snapshots", "rows")
    if not all(isinstance(meta.get(k, 0), int) and meta.get(k, 0) >= 0 for k in counts) or \
            not all(isinstance(meta[k], int) for k in ("snapshot_step", "row_step",
                                                       "optimizer_t")) or \
            not isinstance(meta["elapsed"], (int, float)) or \
            not (isinstance(meta["running"], list) and len(meta["running"]) == 3) or \
            not isinstance(meta["dropout_state"], list) or \
            not _valid_window(meta.get("running_window", [])):
        return False
    try:
        for state in [meta["shuffle_state"], *meta["dropout_state"]]:
            np.random.default_rng().bit_generator.state = state
    except (TypeError, ValueError, KeyError):
        return False
    return True


def _valid_window(window) -> bool:
    """The running metrics' earlier spans: [loss_sum, correct, seen] each."""
    return isinstance(window, list) and all(
        isinstance(w, list) and len(w) == 3 and isinstance(w[0], (int, float)) and
        all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in w[1:])
        for w in window)


def check_network(net, path):
    """The network section, checked; a format-1 one (no ``layers``) gets the
    dense layers its sizes describe, so readers see one format."""
    ok = isinstance(net, dict) and isinstance(net.get("sizes"), list) and \
        len(net["sizes"]) >= 2 and all(isinstance(s, int) and not isinstance(s, bool)
                                        and s > 0 for s in net["sizes"])
    if not ok:
        raise RunError(f"{path} has no valid 'network' section (layer sizes); "
                       "the run is damaged")
    if net.get("dtype") not in DTYPES:
        raise RunError(f"{path}: network dtype {net.get('dtype')!r} is not one of "
                       f"{', '.join(DTYPES)}; the run is damaged")
    if "layers" not in net:
        net["layers"] = dense_layers(net["sizes"])
    layers = net["layers"]
    if not _valid_layers(layers) or dense_sizes(layers) != net["sizes"]:
        raise RunError(f"{path}: the network's layers do not match its layer sizes; "
                       "the run is damaged")
    shapes = layers_layout(layers)
    if net.get("layout") != [list(s) for s in shapes] or \
            net.get("n_params") != sum(math.prod(s) for s in shapes):
        raise RunError(f"{path}: the network's layout does not match its layer sizes; "
                       "the run is damaged")


def _valid_layers(layers) -> bool:
    """``network.layers``: conv layers (each taking the last one's output),
    then dense layers chained from the flattened maps; shapes consistent."""
    def count(v, least=1):
        return isinstance(v, int) and not isinstance(v, bool) and v >= least

    def shape3(v):
        return isinstance(v, list) and len(v) == 3 and all(count(x) for x in v)

    if not isinstance(layers, list) or not layers or not all(isinstance(l, dict)
                                                             for l in layers):
        return False
    shape, seen_dense = None, False
    for l in layers:
        if l.get("kind") == "conv" and not seen_dense:
            keys = ("out_channels", "kernel", "stride", "pool")
            if not (all(count(l.get(k)) for k in keys) and count(l.get("padding"), 0)
                    and all(shape3(l.get(k)) for k in ("in_shape", "map_shape", "out_shape"))):
                return False
            if shape is not None and l["in_shape"] != shape:
                return False
            try:
                again = plan_layers(l["in_shape"], [[l["out_channels"], l["kernel"]]],
                                    l["pool"], l["stride"], l["padding"], [], 1)[0]
            except ConfigError:
                return False
            if again != l:
                return False
            shape = l["out_shape"]
        elif l.get("kind") == "dense":
            if not (count(l.get("n_in")) and count(l.get("n_out"))):
                return False
            if shape is not None and l["n_in"] != math.prod(shape):
                return False
            shape, seen_dense = [l["n_out"]], True
        else:
            return False
    return seen_dense


def check_recorded(rec, path):
    """``recorded_from``: the framework a run was recorded from, and its version."""
    if not (isinstance(rec, dict) and rec.get("framework") in RECORDED_FRAMEWORKS
            and isinstance(rec.get("version"), str) and rec["version"]):
        raise RunError(f"{path}: 'recorded_from' does not name a framework "
                       f"({', '.join(RECORDED_FRAMEWORKS)}) and its version; "
                       "the run is damaged")


def _valid_transform(t, n_in) -> bool:
    """{"kind": "scale", "factor": f} or {"kind": "standardize", "mean": [...],
    "std": [...]} with n_in finite numbers each (std non-zero)."""
    if not isinstance(t, dict):
        return False
    if t.get("kind") == "scale":
        return number_or_none(t.get("factor")) and t.get("factor") is not None
    if t.get("kind") != "standardize":
        return False
    try:
        mean, std = np.asarray(t["mean"], float), np.asarray(t["std"], float)
    except (KeyError, TypeError, ValueError):
        return False
    return (mean.shape == std.shape == (n_in,) and np.isfinite(mean).all()
            and np.isfinite(std).all() and (std != 0).all())


def check_data(d, n_in, n_out, path):
    """The data section as readers use it: task, name, columns, classes, shape."""
    shape = d.get("input_shape")
    names = d.get("class_names")
    transform = d.get("transform")
    ok = (d.get("task") in ("classification", "regression") and isinstance(d.get("name"), str)
          and d.get("n_features") == n_in
          and isinstance(d.get("columns"), list) and len(d["columns"]) == n_in
          and isinstance(names, list)
          and (len(names) == n_out if d.get("task") == "classification" else not names)
          and (shape is None or (isinstance(shape, list) and len(shape) == 2 and all(
              isinstance(s, int) and s > 0 for s in shape) and shape[0] * shape[1] == n_in))
          and (transform is None or _valid_transform(transform, n_in)))
    if not ok:
        raise RunError(f"{path}: its data section does not match the network; "
                       "the run is damaged")


def number_or_none(v) -> bool:
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
