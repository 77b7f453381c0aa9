"""Finding the chain of ``nn.Linear`` layers in a PyTorch model, from its
structure: ``torch.fx`` traces the model's forward pass into a graph of
operations (without running it), which must be one chain: Linear layers with
at most one element-wise activation between each two, dropout, flattening of
the input, and an output activation (softmax, log_softmax, ...) after the
last Linear. Anything else (a convolution, a recurrent layer, a skip
connection, a parameter outside the Linear layers) is refused in one line
naming it. Imported only by :mod:`weightlapse.torch` (it imports torch).
"""
from __future__ import annotations

import operator

import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

from .core.errors import ConfigError, arg
from .core.layers import ACTIVATIONS

LEAKY_SLOPE = 0.01   # weightlapse's leaky_relu (core/layers.py), PyTorch's default
ACT_MODULES = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid",
               nn.LeakyReLU: "leaky_relu"}
OUT_MODULES = {nn.Softmax: "softmax", nn.LogSoftmax: "log_softmax"}
ACT_FUNCTIONS = {F.relu: "relu", torch.relu: "relu", torch.tanh: "tanh", F.tanh: "tanh",
                 torch.sigmoid: "sigmoid", F.sigmoid: "sigmoid", F.leaky_relu: "leaky_relu"}
OUT_FUNCTIONS = {F.softmax: "softmax", torch.softmax: "softmax",
                 F.log_softmax: "log_softmax", torch.log_softmax: "log_softmax"}
ACT_METHODS = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid"}
OUT_METHODS = {"softmax": "softmax", "log_softmax": "log_softmax"}
RESHAPES = {"view", "reshape", "flatten", "contiguous"}   # methods that keep the values
SIZE_METHODS = {"size", "dim"}                              # read a shape, not the values
PASS_MODULES = (nn.Identity, nn.Flatten)


class Found:
    """What the walk found: ``linears`` [(path, module)], per gap between two
    Linear layers its activations, dropout rates, and the output activation."""

    def __init__(self):
        self.linears, self.gaps, self.dropout, self.output = [], [], [], []
        self.before = []     # activations on the input, before the first Linear


def find_chain(model) -> Found:
    """The Linear chain of ``model`` (an ``nn.Module``); ConfigError otherwise."""
    name = type(model).__name__
    try:
        graph = torch.fx.symbolic_trace(model).graph
    except Exception as e:   # fx raises many kinds: data-dependent control flow, ...
        why = (str(e).strip().splitlines() or [type(e).__name__])[0][:120]
        raise ConfigError(f"cannot follow {name}.forward to find its layers ({why}); write "
                          "the model as an nn.Sequential of Linear layers and "
                          "activations") from None
    found, cur, main, meta = Found(), None, set(), set()
    for node in graph.nodes:
        data = [a for a in node.all_input_nodes if a in main]
        if node.op == "placeholder":
            if cur is not None:
                raise ConfigError(f"{name}.forward takes more than one input; "
                                  "weightlapse records models of one input")
            cur = node
        elif node.op == "output":
            if data != [cur]:
                raise ConfigError(f"{name}.forward returns more than the chain's output; "
                                  "weightlapse records models of one output")
            break
        elif not data:                     # shapes and constants: no tensor data
            if node.op == "get_attr":
                raise ConfigError(f"parameter {node.target} is used outside an nn.Linear in "
                                  f"{name}.forward; it is not supported yet")
            meta.add(node)
            continue
        elif _is_size(node):
            meta.add(node)
            continue
        elif data != [cur] or node.args[:1] != (cur,):
            others = ", ".join(str(a) for a in data)
            raise ConfigError(f"a skip connection ({_what(node, model)} of {others}) in "
                              f"{name}.forward is not supported yet")
        else:
            _step(node, model, found)
        main.add(node)
        cur = node
    if not found.linears:
        raise ConfigError(f"{name} has no nn.Linear layer; there is nothing to record")
    _check_params(model, found)
    return found


def _is_size(node) -> bool:
    return (node.op == "call_method" and node.target in SIZE_METHODS) or (
        node.op == "call_function" and node.target is getattr and node.args[1] == "shape")


def _what(node, model) -> str:
    """How an error names a node: "Conv2d at features.0", "add", "x.view"."""
    if node.op == "call_module":
        return f"{type(model.get_submodule(node.target)).__name__} at {node.target}"
    if node.op == "call_method":
        return f"the method .{node.target}()"
    return getattr(node.target, "__name__", str(node.target))


def _step(node, model, found):
    """One operation on the chain's data: a Linear, an activation, dropout,
    a reshape, or an error naming it."""
    act = drop = None
    if node.op == "call_module":
        mod = model.get_submodule(node.target)
        where = f"{type(mod).__name__} at {node.target}"
        if isinstance(mod, nn.Linear):
            if isinstance(mod.weight, nn.parameter.UninitializedParameter):
                raise ConfigError(f"{where} has no weights yet; run one batch through the "
                                  "model before making the Recorder")
            found.linears.append((node.target, mod))
            found.gaps.append([])
            return
        if type(mod) in ACT_MODULES or type(mod) in OUT_MODULES:
            act = ACT_MODULES.get(type(mod)) or OUT_MODULES[type(mod)]
            if act == "leaky_relu" and mod.negative_slope != LEAKY_SLOPE:
                raise ConfigError(f"{where} has negative_slope {mod.negative_slope:g}; "
                                  f"weightlapse's leaky_relu has {LEAKY_SLOPE:g}")
        elif type(mod) is nn.Dropout:
            drop = float(mod.p)
        elif isinstance(mod, PASS_MODULES):
            return
        else:
            raise ConfigError(f"{where} is not supported yet (weightlapse records chains of "
                              "nn.Linear layers with element-wise activations and dropout)")
    elif node.op == "call_function" and node.target in (F.dropout, torch.dropout):
        drop = float(node.kwargs.get("p", node.args[1] if len(node.args) > 1 else 0.5))
    elif node.op == "call_function" and node.target in (torch.flatten, operator.getitem) \
            or node.op == "call_method" and node.target in RESHAPES:
        if node.target is operator.getitem:
            raise ConfigError(f"indexing in {type(model).__name__}.forward is not supported yet")
        return
    else:
        table = {"call_function": {**ACT_FUNCTIONS, **OUT_FUNCTIONS},
                 "call_method": {**ACT_METHODS, **OUT_METHODS}}.get(node.op, {})
        act = table.get(node.target)
        if act is None:
            raise ConfigError(f"{_what(node, model)} in {type(model).__name__}.forward is "
                              "not supported yet (weightlapse records chains of nn.Linear "
                              "layers with element-wise activations and dropout)")
        if act == "leaky_relu":
            slope = node.kwargs.get("negative_slope", node.args[1] if len(node.args) > 1
                                    else LEAKY_SLOPE)
            if slope != LEAKY_SLOPE:
                raise ConfigError(f"leaky_relu with negative_slope {slope} in "
                                  f"{type(model).__name__}.forward: weightlapse's has "
                                  f"{LEAKY_SLOPE:g}")
    if drop is not None:
        found.dropout.append(drop)
    elif not found.linears:
        found.before.append(act)
    else:
        found.gaps[-1].append((act, node.target if node.op == "call_module" else act))


def _check_params(model, found):
    """Every parameter belongs to a Linear of the chain, whose widths chain."""
    mine = {id(p) for _, m in found.linears for p in m.parameters()}
    for pname, p in model.named_parameters():
        if id(p) not in mine:
            raise ConfigError(f"parameter {pname} is outside the chain of Linear layers; "
                              "it is not supported yet")
    for (pa, a), (pb, b) in zip(found.linears, found.linears[1:]):
        if b.in_features != a.out_features:
            raise ConfigError(f"Linear at {pb} takes {b.in_features} inputs where {pa} gives "
                              f"{a.out_features}; weightlapse records a plain chain")


def chain_activation(found) -> tuple:
    """(hidden activation, output activation or None): one element-wise
    activation, the same between every two Linear layers."""
    if found.before:
        raise ConfigError(f"{found.before[0]} before the first Linear layer is not "
                          "supported yet")
    hidden = []
    for (path, _), gap in zip(found.linears, found.gaps[:-1]):
        if len(gap) > 1:
            raise ConfigError(f"two activations in a row ({gap[0][0]}, {gap[1][0]}) after "
                              f"Linear at {path} are not supported yet")
        act = gap[0][0] if gap else "identity"
        if act not in ACTIVATIONS:
            raise ConfigError(f"{act} between Linear layers (after {path}) is not supported: "
                              "it belongs after the last one")
        hidden.append((act, path))
    if len({a for a, _ in hidden}) > 1:
        (a, pa), (b, pb) = hidden[0], next(h for h in hidden if h[0] != hidden[0][0])
        raise ConfigError(f"the hidden layers use different activations ({a} after {pa}, "
                          f"{b} after {pb}); weightlapse films one activation for all")
    out = found.gaps[-1]
    if len(out) > 1:
        raise ConfigError(f"two activations in a row ({out[0][0]}, {out[1][0]}) after the "
                          "last Linear layer are not supported yet")
    return (hidden[0][0] if hidden else "identity"), (out[0][0] if out else None)


def check_optimizer(optimizer, found):
    """The optimizer updates every parameter of the chain."""
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise ConfigError(f"{arg('optimizer')} must be a torch.optim optimizer "
                          f"(got {type(optimizer).__name__})")
    updated = {id(p) for g in optimizer.param_groups for p in g["params"]}
    for path, lin in found.linears:
        for pname, p in lin.named_parameters():
            if id(p) not in updated:
                raise ConfigError(f"{arg('optimizer')} does not update {path}.{pname}; pass "
                                  "the optimizer that trains this model")
