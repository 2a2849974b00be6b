"""`from_torch`: a scalargrad model from a torch module made of the layers scalargrad has, weights copied.

It reads torch's Linear, Conv1d/Conv2d, MaxPool/AvgPool 1d/2d, Flatten, Sequential, ReLU, Tanh,
Sigmoid, LeakyReLU, RNNCell/LSTMCell/GRUCell, and the UnrolledRNN and RNNClassifier that `to_torch` writes.
A Sequential made only of Linears, each optionally followed by the same activation, becomes an MLP
(or a Layer, for one Linear and its activation); a Linear alone becomes a linear Layer. So
`from_torch(to_torch(m))` rebuilds `m` with the same weights bit for bit, except that a Neuron comes
back as Layer(nin, 1), a one-layer MLP as a Layer, and Layers alternating with activation modules
in a Sequential as an MLP: the same function and weights under those names.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from nn.containers import LeakyReLU, ReLU, Sequential, Sigmoid, Tanh
from nn.conv import Conv1d, Conv2d
from nn.interop.torch_layouts import name_pairs, require, state_from_torch
from nn.interop.torch_plain import child_path, children, plain_tensors, refusal
from nn.layers import MLP, Layer
from nn.module import Module
from nn.pooling import AvgPool1d, AvgPool2d, Flatten, MaxPool1d, MaxPool2d
from nn.recurrent import RNN, GRUCell, LSTMCell, RNNCell, RNNClassifier

# A model to build: (class, constructor keywords), children of a Sequential as specs of their own.
Spec = tuple[type[Module], dict[str, Any]]

ACTIVATIONS = {"ReLU": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid"}
CELL_KINDS = {"RNNCell": "rnn", "LSTMCell": "lstm", "GRUCell": "gru"}


def from_torch(module: Any) -> Module:
    """The scalargrad model computing what the torch `module` computes (on one sample), with its weights.

    The whole module is read before anything is built: a layer scalargrad cannot represent (or a setting
    it lacks, such as groups=2), a hook, a parametrization, an extra tensor or a weight used twice (see
    nn.interop.torch_plain) is a TypeError naming its path (`layers.2`) and type. A child used twice
    without weights (one ReLU instance after each Linear) is read at each place it is called.
    ImportError names the `torch` extra when torch is not installed.
    """
    torch = require("torch", "nn.from_torch")
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module, got {type(module).__name__}")
    tensors = plain_tensors(torch, module, [*READERS, "ModuleList"])
    model = _build(_spec(torch, module, ""))
    # Matched by position, not by name: a Sequential made from an OrderedDict names its children (`fc1`),
    # and torch registers parameters in the order of the twin's names.
    names = list(dict.fromkeys(key for _, key, _ in name_pairs(model, "from_torch")))
    if len(names) != len(tensors):  # a reader that missed a tensor: refuse rather than copy part of them
        raise refusal("", module, f"has {len(tensors)} weight tensors where its scalargrad twin has {len(names)}")
    model.load_state_dict(state_from_torch(model, {n: t.tolist() for n, t in zip(names, tensors)}))
    return model


def _build(spec: Spec) -> Module:
    cls, config = spec
    if cls is Sequential:
        return Sequential(*(_build(child) for child in config["children"]))
    return cls(**config)


def _spec(torch: ModuleType, m: Any, path: str) -> Spec:
    name = type(m).__name__
    reader = READERS.get(name)
    # Exact torch classes only (a subclass may compute something else); the two of nn.interop.torch_modules by module.
    expected = _torch_class(torch, name)
    if reader is None or type(m) is not expected:
        raise refusal(path, m, "has no scalargrad counterpart; from_torch reads " + ", ".join(sorted(READERS)))
    return reader(torch, m, path)


def _torch_class(torch: ModuleType, name: str) -> type | None:
    if name in ("UnrolledRNN", "RNNClassifier"):
        import nn.interop.torch_modules

        return getattr(nn.interop.torch_modules, name)  # type: ignore[no-any-return]
    return getattr(torch.nn, name, None)


def _linear(torch: ModuleType, m: Any, path: str, activation: str | None = None) -> Spec:
    if m.bias is None:
        raise refusal(path, m, "has bias=False; scalargrad's Layer always has a bias")
    return Layer, {"nin": m.in_features, "nout": m.out_features, "activation": activation}


def _activation_name(m: Any) -> str | None:
    """The activation name a dense layer can fuse, or None (LeakyReLU fuses only with the slope 0.01)."""
    name = type(m).__name__
    if name == "LeakyReLU":
        return "leaky_relu" if m.negative_slope == 0.01 else None
    return ACTIVATIONS.get(name)


def _sequential(torch: ModuleType, m: Any, path: str) -> Spec:
    dense = _as_dense(torch, m, path)
    if dense is not None:
        return dense
    specs = [_spec(torch, child, child_path(path, name)) for name, child in children(m)]
    for i in range(len(specs) - 1):
        if any(_reads_a_list(later) for later in specs[i + 1:]):
            specs[i] = _returning_a_list(specs[i])
    return Sequential, {"children": specs}


ELEMENTWISE = (ReLU, Tanh, Sigmoid, LeakyReLU)


def _returning_a_list(spec: Spec) -> Spec:
    """`spec`, or, where it would return a single Value (an MLP with one output), the same layers returning a list.

    torch passes a `[N, 1]` tensor on to the next layer, and scalargrad's layers read lists.
    """
    cls, config = spec
    if cls is MLP and config["nouts"][-1] == 1:
        sizes = [config["nin"], *config["nouts"]]
        activations = [config["activation"]] * (len(sizes) - 2) + [config["output_activation"]]
        layers = [(Layer, {"nin": a, "nout": b, "activation": act}) for a, b, act in zip(sizes, sizes[1:], activations)]
        return Sequential, {"children": layers}
    if cls is Sequential:
        children = list(config["children"])
        last = max((i for i, child in enumerate(children) if child[0] not in ELEMENTWISE), default=None)
        if last is not None:
            children[last] = _returning_a_list(children[last])
        return Sequential, {"children": children}
    return spec


def _reads_a_list(spec: Spec) -> bool:
    cls, config = spec
    if cls is Sequential:
        return any(_reads_a_list(child) for child in config["children"])
    return cls not in ELEMENTWISE


def _as_dense(torch: ModuleType, m: Any, path: str) -> Spec | None:
    """An MLP (or a Layer) when `m` is Linear [act] Linear [act] ... with one hidden activation; else None."""
    sequence = [child for _, child in children(m)]
    linears: list[Any] = []
    activations: list[str] = []
    for child in sequence:
        if type(child) is torch.nn.Linear and child.bias is not None:
            if linears and len(activations) < len(linears):
                activations.append("linear")
            linears.append(child)
        elif linears and len(activations) < len(linears) and _activation_name(child) is not None:
            activations.append(_activation_name(child))  # type: ignore[arg-type]
        else:
            return None
    if len(activations) < len(linears):
        activations.append("linear")
    sizes_chain = all(a.out_features == b.in_features for a, b in zip(linears, linears[1:]))
    if len(linears) == 1 and len(sequence) == 2:
        return _linear(torch, linears[0], path, activations[0])
    if len(linears) < 2 or not sizes_chain or len(set(activations[:-1])) != 1:
        return None
    nouts = [lin.out_features for lin in linears]
    config = {"nin": linears[0].in_features, "nouts": nouts, "activation": activations[0],
              "output_activation": activations[-1]}
    return MLP, config


def _conv(torch: ModuleType, m: Any, path: str) -> Spec:
    if m.groups != 1 or m.padding_mode != "zeros" or isinstance(m.padding, str):
        setting = f"groups={m.groups}" if m.groups != 1 else (
            f"padding_mode={m.padding_mode!r}" if m.padding_mode != "zeros" else f"padding={m.padding!r}")
        raise refusal(path, m, f"has {setting}; scalargrad's convolutions take groups=1, zero padding given in numbers")
    cls = Conv1d if type(m).__name__ == "Conv1d" else Conv2d
    return cls, {"in_channels": m.in_channels, "out_channels": m.out_channels, "kernel_size": m.kernel_size,
                 "stride": m.stride, "padding": m.padding, "dilation": m.dilation, "bias": m.bias is not None}


POOLS = {"MaxPool1d": MaxPool1d, "MaxPool2d": MaxPool2d, "AvgPool1d": AvgPool1d, "AvgPool2d": AvgPool2d}


def _pool(torch: ModuleType, m: Any, path: str) -> Spec:
    defaults = {"padding": 0, "ceil_mode": False, "dilation": 1, "return_indices": False, "divisor_override": None}
    for setting, default in defaults.items():
        value = getattr(m, setting, default)
        if value != default and not (isinstance(value, tuple) and set(value) == {default}):
            raise refusal(path, m, f"has {setting}={value!r}; scalargrad's pooling has only kernel_size and stride")
    return POOLS[type(m).__name__], {"kernel_size": m.kernel_size, "stride": m.stride}


def _flatten(torch: ModuleType, m: Any, path: str) -> Spec:
    if (m.start_dim, m.end_dim) != (1, -1):
        raise refusal(path, m, f"has start_dim={m.start_dim}, end_dim={m.end_dim}; scalargrad's Flatten is "
                      "torch's Flatten() (each sample of the batch flattened whole)")
    return Flatten, {}


def _cell_config(m: Any) -> dict[str, Any]:
    extra = {"nonlinearity": m.nonlinearity} if type(m).__name__ == "RNNCell" else {}
    return {"input_size": m.input_size, "hidden_size": m.hidden_size, "bias": m.bias, **extra}


def _cell(torch: ModuleType, m: Any, path: str) -> Spec:
    cls = {"RNNCell": RNNCell, "LSTMCell": LSTMCell, "GRUCell": GRUCell}[type(m).__name__]
    return cls, _cell_config(m)


def _unrolled(torch: ModuleType, m: Any, path: str) -> Spec:
    cell_path = f"{path}.cell" if path else "cell"
    _spec(torch, m.cell, cell_path)  # refuses anything but the three cells
    config = {**_cell_config(m.cell), "cell": CELL_KINDS[type(m.cell).__name__]}
    return RNN, config


def _classifier(torch: ModuleType, m: Any, path: str) -> Spec:
    prefix = f"{path}." if path else ""
    layers = [_spec(torch, layer, f"{prefix}layers.{i}") for i, layer in enumerate(m.layers)]
    head = _spec(torch, m.head, f"{prefix}head")
    configs = [config for _, config in layers]
    first = configs[0]
    same = all(cls is RNN for cls, _ in layers) and all(c["cell"] == first["cell"] and c["bias"] == first["bias"] and
               c.get("nonlinearity", "tanh") == first.get("nonlinearity", "tanh") for c in configs)
    if head[0] is not Layer or head[1]["activation"] is not None or not same:
        raise refusal(path, m, "mixes cell kinds or settings, or its head is not one Linear; scalargrad's "
                      "RNNClassifier stacks one kind of cell under a Linear head")
    config = {"input_size": first["input_size"], "hidden_size": [c["hidden_size"] for c in configs],
              "output_size": head[1]["nout"], "cell": first["cell"], "bias": first["bias"],
              "nonlinearity": first.get("nonlinearity", "tanh")}
    return RNNClassifier, config


def _leaky(torch: ModuleType, m: Any, path: str) -> Spec:
    return LeakyReLU, {"negative_slope": m.negative_slope}


READERS: dict[str, Callable[[ModuleType, Any, str], Spec]] = {
    "Linear": _linear,
    "Sequential": _sequential,
    "Conv1d": _conv,
    "Conv2d": _conv,
    **dict.fromkeys(POOLS, _pool),
    "Flatten": _flatten,
    "ReLU": lambda torch, m, path: (ReLU, {}),
    "Tanh": lambda torch, m, path: (Tanh, {}),
    "Sigmoid": lambda torch, m, path: (Sigmoid, {}),
    "LeakyReLU": _leaky,
    "RNNCell": _cell,
    "LSTMCell": _cell,
    "GRUCell": _cell,
    "UnrolledRNN": _unrolled,
    "RNNClassifier": _classifier,
}
