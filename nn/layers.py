"""Neuron, Layer and MLP: the fully connected network of micrograd, built on the fused `engine.dot` node.

Initialisation (seedable with `rng=random.Random(...)` or `seed=...`; with neither it is random):
each weight is drawn from U(-bound, bound) with bound = gain * sqrt(3 / nin), which is
`torch.nn.init.kaiming_uniform_` in fan-in mode. The gain depends on the activation so that the
variance of the signal stays about the same from layer to layer, also in deep nets: sqrt(2) for relu
(He initialisation), sqrt(2 / (1 + 0.01**2)) for leaky_relu, 5/3 for tanh, 1 for sigmoid and linear.
Each bias is drawn from U(-1/sqrt(nin), 1/sqrt(nin)), as `torch.nn.Linear` does. Draw order: a
neuron's weights in order, then its bias; neurons in order; layers in order.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from engine import Value, dot, ops
from nn.checks import check_count, check_parameter_count, describe_row, is_real, is_row, make_rng
from nn.module import Module
from nn.nested import check_finite

Activation = Callable[[Value], Value]

# The activation ops of the engine (leaky_relu with torch's slope 0.01), by name, and None for "linear".
ACTIVATIONS: MappingProxyType[str, Activation | None] = MappingProxyType(
    {**{op.name: getattr(Value, op.name) for op in ops.OPS.values() if op.activation}, "linear": None}
)

GAINS = MappingProxyType(
    {
        "relu": math.sqrt(2.0),
        "leaky_relu": math.sqrt(2.0 / (1.0 + 0.01**2)),
        "tanh": 5.0 / 3.0,
        "sigmoid": 1.0,
        "linear": 1.0,
    }
)


def activation_name(activation: str | None) -> str:
    """The canonical name of an activation (None means "linear"). Raises ValueError listing the valid names."""
    if activation is None:
        return "linear"
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        valid = ", ".join(repr(name) for name in ACTIVATIONS)
        raise ValueError(f"unknown activation {activation!r}; valid activations are {valid} (or None for linear)")
    return activation


def as_inputs(x: Sequence[Value | float], n: int, where: str) -> list[Value]:
    """`x` (a list, a tuple, a NumPy row, ...: see `is_row`) as a list of n Values, numbers becoming leaves.

    Raises ValueError on a wrong length or a NaN/infinite input (naming its index, see `check_finite`), TypeError
    on non-numbers.
    """
    # Lists and tuples skip the slower abstract-base-class check: this runs once per sample per step.
    if type(x) is not list and type(x) is not tuple and not is_row(x):
        raise TypeError(f"{where}: expected a sequence of {n} numbers or Values, got {describe_row(x)}")
    if len(x) != n:
        raise ValueError(f"{where}: expected {n} inputs, got {len(x)}")
    out = []
    for i, v in enumerate(x):
        if isinstance(v, Value):
            out.append(v)
        elif type(v) is float or is_real(v):  # floats skip the ABC check
            out.append(Value(v))
        else:
            raise TypeError(f"{where}: input {i} must be a number or a Value, got {type(v).__name__} ({v!r:.40})")
    check_finite(out, (n,), f"{where} input")
    return out


def _layer_sizes(nouts: object, where: str) -> list[int]:
    """`nouts` as a list of layer sizes, each an int >= 1; raises ValueError/TypeError naming `where`."""
    if isinstance(nouts, str) or not isinstance(nouts, Sequence):
        raise TypeError(f"{where} nouts must be a non-empty list of layer sizes, got {type(nouts).__name__}")
    if len(nouts) == 0:
        raise ValueError(f"{where} nouts must be a non-empty list of layer sizes, got []")
    return [check_count(n, f"{where} nouts[{i}]") for i, n in enumerate(nouts)]


def _dense_count(nin: object, nouts: Sequence[int], where: str) -> int:
    """Weights and biases of fully connected layers nin -> nouts[0] -> ...; raises as the constructors do."""
    sizes = [check_count(nin, f"{where} nin"), *nouts]
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))


class Neuron(Module):
    """activation(w · x + b) for `nin` inputs: weights `w` (a list of Values) and bias `b`; parameters are w, then b."""

    def __init__(
        self, nin: int, activation: str | None = "relu", rng: random.Random | None = None, seed: int | None = None
    ) -> None:
        self.nin = check_count(nin, "Neuron nin")
        check_parameter_count(nin + 1, "Neuron")
        self.activation = activation_name(activation)
        rng = make_rng(rng, seed)
        # An activation with no known gain (one defined after these) starts like a linear one, gain 1.
        bound = GAINS.get(self.activation, 1.0) * math.sqrt(3.0 / nin)
        self.w = [Value(rng.uniform(-bound, bound)) for _ in range(nin)]
        bias_bound = 1.0 / math.sqrt(nin)
        self.b = Value(rng.uniform(-bias_bound, bias_bound))
        self._act = ACTIVATIONS[self.activation]

    def fire(self, xs: list[Value]) -> Value:
        """The output for inputs already checked to be `nin` Values: one `dot` node, then the activation node."""
        out = dot(self.w, xs, self.b)
        act = self._act
        return out if act is None else act(out)

    def forward(self, x: Sequence[Value | float]) -> Value:
        """The neuron's output for `nin` numbers or Values. Raises ValueError on a wrong length, TypeError otherwise."""
        return self.fire(as_inputs(x, self.nin, "Neuron"))

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "activation": self.activation}

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int | None:
        return _dense_count(config["nin"], [1], "Neuron")

    def extra_repr(self) -> str:
        return f"nin={self.nin}, activation={self.activation!r}"


class Layer(Module):
    """`nout` neurons reading the same `nin` inputs; calling it always returns a list of `nout` Values."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | None = "relu",
        rng: random.Random | None = None,
        seed: int | None = None,
    ) -> None:
        self.nin = check_count(nin, "Layer nin")
        self.nout = check_count(nout, "Layer nout")
        check_parameter_count((nin + 1) * nout, "Layer")
        self.activation = activation_name(activation)
        rng = make_rng(rng, seed)
        self.neurons = [Neuron(nin, self.activation, rng=rng) for _ in range(nout)]
        self._act = ACTIVATIONS[self.activation]

    def fire(self, xs: list[Value]) -> list[Value]:
        """The outputs for inputs already checked to be `nin` Values (each neuron's `fire`, inlined)."""
        # This loop is the hot path of training, so it builds the nodes here rather than calling Neuron.fire.
        act = self._act
        if act is None:
            return [dot(n.w, xs, n.b) for n in self.neurons]
        return [act(dot(n.w, xs, n.b)) for n in self.neurons]

    def forward(self, x: Sequence[Value | float]) -> list[Value]:
        """The `nout` outputs for `nin` numbers or Values. Raises ValueError on a wrong length, TypeError otherwise."""
        return self.fire(as_inputs(x, self.nin, "Layer"))

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation}

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int | None:
        return _dense_count(config["nin"], [check_count(config["nout"], "Layer nout")], "Layer")

    def extra_repr(self) -> str:
        return f"nin={self.nin}, nout={self.nout}, activation={self.activation!r}"


class MLP(Module):
    """A multi-layer perceptron: layers of sizes `nouts`, `activation` between them, `output_activation` at the end.

    Calling it returns a single Value when the last layer has one output, else a list (as micrograd).
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | None = "relu",
        output_activation: str | None = "linear",
        rng: random.Random | None = None,
        seed: int | None = None,
    ) -> None:
        self.nin = check_count(nin, "MLP nin")
        self.nouts = _layer_sizes(nouts, "MLP")
        check_parameter_count(_dense_count(nin, self.nouts, "MLP"), f"MLP({nin}, {self.nouts})")
        self.activation = activation_name(activation)
        self.output_activation = activation_name(output_activation)
        rng = make_rng(rng, seed)
        sizes = [nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], self.output_activation if i == last else self.activation, rng=rng)
            for i in range(len(self.nouts))
        ]

    def forward(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """The network's output for `nin` numbers or Values (checked once here, not per neuron).

        Raises ValueError on a wrong length, TypeError on non-numbers.
        """
        xs = as_inputs(x, self.nin, "MLP")
        for layer in self.layers:
            xs = layer.fire(xs)
        return xs[0] if len(xs) == 1 else xs

    def config(self) -> dict[str, Any]:
        return {
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activation": self.activation,
            "output_activation": self.output_activation,
        }

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int | None:
        return _dense_count(config["nin"], _layer_sizes(config["nouts"], "MLP"), "MLP")
