"""Where each scalargrad parameter sits in the PyTorch twin that `nn.to_torch` builds: the one home of that mapping.

Layouts already follow PyTorch, so most names are equal. Only the dense layers differ: scalargrad keeps
one list of weights per neuron, torch one matrix per layer, and neuron j is row j of it.

| scalargrad               | torch twin                                  | state_dict keys: ours -> twin's        |
|--------------------------|---------------------------------------------|----------------------------------------|
| Layer(nin, nout, act)    | Sequential(Linear(nin, nout), act), or the  | neurons.j.w -> 0.weight[j] (weight[j]) |
|                          | Linear alone for a linear Layer             | neurons.j.b -> 0.bias[j] (bias[j])     |
| Neuron(nin, act)         | as Layer(nin, 1, act)                       | w -> 0.weight[0], b -> 0.bias[0]       |
| MLP                      | Sequential(Linear, act, ..., Linear)        | layers.i.neurons.j.w -> k.weight[j],   |
|                          |                                             | k = 2i when every layer has an act     |
| Conv1d/2d and the cells  | Conv1d/2d, RNNCell, LSTMCell, GRUCell       | the same names and shapes              |
| RNN                      | UnrolledRNN(cell), from torch_modules       | cell.weight_ih ... the same            |
| RNNClassifier            | RNNClassifier, from torch_modules           | layers.i.cell.* the same, head as Layer|
| Sequential               | Sequential                                  | child i's keys under `i.`              |
| activations, pooling     | ReLU, Tanh, Sigmoid, LeakyReLU, MaxPool2d...| (no parameters)                        |
| Flatten                  | Flatten() (from dim 1: each sample)         | (no parameters)                        |
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from nn.containers import LeakyReLU, ReLU, Sequential, Sigmoid, Tanh
from nn.conv import Conv1d, Conv2d
from nn.layers import MLP, Layer, Neuron
from nn.module import Module
from nn.pooling import AvgPool1d, AvgPool2d, Flatten, MaxPool1d, MaxPool2d
from nn.recurrent import RNN, GRUCell, LSTMCell, RNNCell, RNNClassifier

EXTRA_HINT = "pip install 'scalargrad[torch]'"

# (our state_dict key, the twin's state_dict key, the row of the twin's tensor it fills, or None for all of it)
Pair = tuple[str, str, int | None]


def require(package: str, feature: str) -> ModuleType:
    """Import an optional package of the `torch` extra. Raises ImportError naming the feature and the extra."""
    try:
        return importlib.import_module(package)
    except ImportError as exc:
        raise ImportError(f"{feature} needs {package}, part of the torch extra: {EXTRA_HINT} ({exc})") from exc


def linear_prefix(activation: str) -> str:
    """Where a dense layer's Linear sits in its twin: alone (linear) or first in Sequential(Linear, activation)."""
    return "" if activation == "linear" else "0."


def _dense(layer: Layer, ours: str, theirs: str, out: list[Pair]) -> None:
    for j in range(layer.nout):
        out += [(f"{ours}neurons.{j}.w", theirs + "weight", j), (f"{ours}neurons.{j}.b", theirs + "bias", j)]


def _neuron(m: Neuron, ours: str, theirs: str, out: list[Pair]) -> None:
    t = theirs + linear_prefix(m.activation)
    out += [(ours + "w", t + "weight", 0), (ours + "b", t + "bias", 0)]


def _layer(m: Layer, ours: str, theirs: str, out: list[Pair]) -> None:
    _dense(m, ours, theirs + linear_prefix(m.activation), out)


def _mlp(m: MLP, ours: str, theirs: str, out: list[Pair]) -> None:
    k = 0
    for i, layer in enumerate(m.layers):
        _dense(layer, f"{ours}layers.{i}.", f"{theirs}{k}.", out)
        k += 1 if layer.activation == "linear" else 2


def _sequential(m: Sequential, ours: str, theirs: str, out: list[Pair]) -> None:
    for i, child in enumerate(m):
        _walk(child, f"{ours}{i}.", f"{theirs}{i}.", out)


def _same_names(m: Module, ours: str, theirs: str, out: list[Pair]) -> None:
    out += [(ours + name, theirs + name, None) for name, _ in m.named_tensors()]


def _rnn(m: RNN, ours: str, theirs: str, out: list[Pair]) -> None:
    _walk(m.cell, ours + "cell.", theirs + "cell.", out)


def _classifier(m: RNNClassifier, ours: str, theirs: str, out: list[Pair]) -> None:
    for i, layer in enumerate(m.layers):
        _walk(layer, f"{ours}layers.{i}.", f"{theirs}layers.{i}.", out)
    _walk(m.head, ours + "head.", theirs + "head.", out)


def _no_parameters(m: Module, ours: str, theirs: str, out: list[Pair]) -> None:
    pass


# Exact classes, not isinstance: a subclass may compute something else in its own forward.
PAIRS: dict[type[Module], Callable[[Any, str, str, list[Pair]], None]] = {
    Neuron: _neuron,
    Layer: _layer,
    MLP: _mlp,
    Sequential: _sequential,
    Conv1d: _same_names,
    Conv2d: _same_names,
    RNNCell: _same_names,
    LSTMCell: _same_names,
    GRUCell: _same_names,
    RNN: _rnn,
    RNNClassifier: _classifier,
    **dict.fromkeys(
        (ReLU, Tanh, Sigmoid, LeakyReLU, MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, Flatten), _no_parameters
    ),
}


def name_pairs(model: Module, where: str = "to_torch") -> list[Pair]:
    """(our key, torch key, row) for every parameter of `model`, in state_dict order.

    Raises TypeError naming the path and class of a module with no torch twin (e.g. a user's own Module).
    """
    out: list[Pair] = []
    _walk(model, "", "", out, where)
    return out


def _walk(m: Module, ours: str, theirs: str, out: list[Pair], where: str = "to_torch") -> None:
    pairs = PAIRS.get(type(m))
    if pairs is None:
        path = ours.rstrip(".") or "the model"
        supported = ", ".join(sorted(cls.__name__ for cls in PAIRS))
        raise TypeError(f"{where}: {path} is a {type(m).__qualname__}, which has no torch counterpart; "
                        f"nn's layers convert: {supported}")
    pairs(m, ours, theirs, out)


def torch_state(model: Module, ours: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`model`'s weights keyed and shaped as the twin's state_dict (nested lists of floats, ready for torch.tensor).

    `ours` replaces `model.state_dict()`, e.g. by the same nesting of gradients.
    """
    ours = model.state_dict() if ours is None else ours
    state: dict[str, Any] = {}
    for mine, theirs, row in name_pairs(model):
        if row is None:
            state[theirs] = ours[mine]
        else:  # rows come in order 0, 1, ... (name_pairs lists neurons in order)
            state.setdefault(theirs, []).append(ours[mine])
    return state


def state_from_torch(model: Module, theirs: Mapping[str, Any]) -> dict[str, Any]:
    """The state_dict for `model` from its twin's state (nested lists of floats), for `model.load_state_dict`.

    Raises ValueError naming the keys when `theirs` does not have exactly the twin's keys.
    """
    pairs = name_pairs(model, "from_torch")
    expected = {t for _, t, _ in pairs}
    if expected != set(theirs):
        missing, extra = sorted(expected - set(theirs)), sorted(set(theirs) - expected)
        raise ValueError(
            f"torch state_dict does not fit a {type(model).__name__}: missing {missing}, unexpected {extra}"
        )
    return {mine: theirs[t] if row is None else theirs[t][row] for mine, t, row in pairs}
