"""`to_torch`: the same network as an ordinary `torch.nn.Module` (Linear, Conv2d, LSTMCell...), weights copied.

The torch module takes a batch, batch first: where scalargrad's `model(x)` reads one sample, its twin
reads `x[None]` (N samples stacked), and `twin(x[None])[0]` is `model(x)`. A Neuron, or an MLP whose last
layer has one output, returns a single Value; its twin keeps torch's feature dimension of 1.
The parameter names are listed in nn.interop.torch_layouts.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from engine import Value
from nn.containers import LeakyReLU, ReLU, Sequential, Sigmoid, Tanh
from nn.conv import Conv1d, Conv2d
from nn.interop.torch_layouts import name_pairs, require, torch_state
from nn.layers import MLP, Layer, Neuron
from nn.module import Module
from nn.nested import flatten
from nn.pooling import AvgPool1d, AvgPool2d, Flatten, MaxPool1d, MaxPool2d
from nn.recurrent import RNN, GRUCell, LSTMCell, RNNCell, RNNClassifier

ACTIVATION_MODULES = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "leaky_relu": "LeakyReLU"}


def to_torch(model: Module, dtype: Any = None) -> Any:
    """A `torch.nn.Module` computing what `model` computes (on a batch), with `model`'s weights, in float64 by default.

    Raises TypeError naming the path of a layer that has no torch counterpart, of an activation torch.nn
    has no module for, of a forward replaced on an instance, or of a parameter used at two places (a twin
    would train the copies apart), all before building anything; ImportError naming the `torch` extra
    when torch is not installed.
    """
    torch = require("torch", "nn.to_torch")
    name_pairs(model)  # refuses a layer with no twin, naming its path, before anything is built
    _refuse_what_a_twin_would_change(model, "")
    _refuse_shared_parameters(model)
    dtype = torch.float64 if dtype is None else dtype
    # Built on the meta device: no random initialisation to overwrite, and torch's global RNG is left untouched.
    with torch.device("meta"):
        twin = _twin(model, torch)
    twin = twin.to_empty(device="cpu").to(dtype)
    twin.load_state_dict({k: torch.tensor(v, dtype=dtype) for k, v in torch_state(model).items()})
    return twin


def _refuse_what_a_twin_would_change(m: Module, path: str) -> None:
    where = path or "the model"
    if "forward" in vars(m):
        raise TypeError(f"to_torch: {where} has its forward replaced on the instance; its twin would compute "
                        f"what {type(m).__name__}.forward does")
    activation = getattr(m, "activation", "linear") if isinstance(m, Neuron | Layer) else "linear"
    if activation != "linear" and activation not in ACTIVATION_MODULES:
        raise TypeError(f"to_torch: {where} uses the activation {activation!r}, which has no torch.nn module; "
                        f"to_torch writes {', '.join(sorted(ACTIVATION_MODULES))}")
    for name, child in m.named_children():
        _refuse_what_a_twin_would_change(child, f"{path}.{name}" if path else name)


def _refuse_shared_parameters(model: Module) -> None:
    first: dict[int, str] = {}
    for name, tensor in model.named_tensors():
        for value in [tensor] if isinstance(tensor, Value) else flatten(tensor):
            if id(value) in first:
                raise TypeError(f"to_torch: {name} and {first[id(value)]} share a parameter (a module or a weight "
                                "used twice); a torch twin would hold two copies and train them apart")
            first[id(value)] = name


def _dense(torch: ModuleType, nin: int, nout: int, activation: str) -> Any:
    linear = torch.nn.Linear(nin, nout)
    if activation == "linear":
        return linear
    return torch.nn.Sequential(linear, _activation(torch, activation))


def _activation(torch: ModuleType, name: str) -> Any:
    return getattr(torch.nn, ACTIVATION_MODULES[name])()  # LeakyReLU's default slope is 0.01, as ours


def _mlp(torch: ModuleType, m: MLP) -> Any:
    modules = []
    for layer in m.layers:
        modules.append(torch.nn.Linear(layer.nin, layer.nout))
        if layer.activation != "linear":
            modules.append(_activation(torch, layer.activation))
    return torch.nn.Sequential(*modules)


def _conv(torch: ModuleType, m: Conv1d | Conv2d) -> Any:
    cls = torch.nn.Conv1d if isinstance(m, Conv1d) else torch.nn.Conv2d
    return cls(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation, bias=m.bias is not None)


def _pool(torch: ModuleType, m: MaxPool1d | MaxPool2d | AvgPool1d | AvgPool2d) -> Any:
    return getattr(torch.nn, type(m).__name__)(m.kernel_size, m.stride)


def _cell(torch: ModuleType, m: RNNCell | LSTMCell | GRUCell) -> Any:
    extra = {"nonlinearity": m.nonlinearity} if isinstance(m, RNNCell) else {}
    return getattr(torch.nn, type(m).__name__)(m.input_size, m.hidden_size, m.bias_ih is not None, **extra)


def _rnn(torch: ModuleType, m: RNN) -> Any:
    from nn.interop.torch_modules import UnrolledRNN

    return UnrolledRNN(_twin(m.cell, torch))


def _classifier(torch: ModuleType, m: RNNClassifier) -> Any:
    from nn.interop.torch_modules import RNNClassifier as TorchRNNClassifier

    return TorchRNNClassifier([_rnn(torch, layer) for layer in m.layers], _twin(m.head, torch))


TWINS: dict[type[Module], Callable[[ModuleType, Any], Any]] = {
    Neuron: lambda torch, m: _dense(torch, m.nin, 1, m.activation),
    Layer: lambda torch, m: _dense(torch, m.nin, m.nout, m.activation),
    MLP: _mlp,
    Sequential: lambda torch, m: torch.nn.Sequential(*(_twin(child, torch) for child in m)),
    Conv1d: _conv,
    Conv2d: _conv,
    MaxPool1d: _pool,
    MaxPool2d: _pool,
    AvgPool1d: _pool,
    AvgPool2d: _pool,
    Flatten: lambda torch, m: torch.nn.Flatten(),  # from dim 1: the batch stays, each sample is flattened
    ReLU: lambda torch, m: torch.nn.ReLU(),
    Tanh: lambda torch, m: torch.nn.Tanh(),
    Sigmoid: lambda torch, m: torch.nn.Sigmoid(),
    LeakyReLU: lambda torch, m: torch.nn.LeakyReLU(m.negative_slope),
    RNNCell: _cell,
    LSTMCell: _cell,
    GRUCell: _cell,
    RNN: _rnn,
    RNNClassifier: _classifier,
}


def _twin(m: Module, torch: ModuleType) -> Any:
    return TWINS[type(m)](torch, m)
