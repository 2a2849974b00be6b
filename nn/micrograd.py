"""micrograd's `micrograd.nn`, on scalargrad: `from nn.micrograd import Neuron, Layer, MLP` is the only change a
program written for micrograd needs.

The constructors, `nonlin=`, calling conventions (a Layer of one neuron returns a bare Value), `parameters()`,
`zero_grad()` and printed forms are micrograd's, and so are the starting numbers: each weight is
`random.uniform(-1, 1)` from Python's global `random`, drawn in micrograd's order (a neuron's weights, neuron by
neuron, layer by layer), and each bias is 0. So after the same `random.seed(...)` a program computes micrograd's
numbers step for step. The classes are scalargrad's `nn.Neuron`, `nn.Layer` and `nn.MLP` underneath: a neuron's
weighted sum is one `dot` node (the same sum, in the same order, as micrograd's chain of `+` and `*`), inputs
are checked (length, type, NaN/inf), and a model works with the optimisers, the training page and `save`
(which writes it as the nn class of the same name, so `nn.load` gives it back as one). `Module` is `nn.Module`:
a subclass that does not define `parameters()` has its parameters found for it, where micrograd's returns [].
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from engine import Value
from nn import layers
from nn.checks import check_bool
from nn.module import Module

__all__ = ["MLP", "Layer", "Module", "Neuron", "Value"]


def _activation(nonlin: object, where: str) -> str:
    """The nn activation of micrograd's `nonlin` flag: relu, or linear. Raises TypeError for a non-bool."""
    return "relu" if check_bool(nonlin, f"{where} nonlin") else "linear"


class Neuron(layers.Neuron):
    """micrograd's `Neuron(nin, nonlin=True)`: relu(w · x + b), or w · x + b when `nonlin` is False."""

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        # nn.Neuron checks nin and builds the Values; micrograd's starting numbers then replace its own.
        super().__init__(nin, _activation(nonlin, "Neuron"), seed=0)
        for w in self.w:
            w.data = random.uniform(-1.0, 1.0)
        self.b.data = 0.0

    @property
    def nonlin(self) -> bool:
        """Whether the neuron applies relu (micrograd's flag)."""
        return self.activation == "relu"

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({self.nin})"


class Layer(layers.Layer):
    """micrograd's `Layer(nin, nout, nonlin=True)`: `nout` Neurons reading the same inputs; calling it returns a
    list of `nout` Values, or the Value itself when `nout` is 1."""

    def __init__(self, nin: int, nout: int, nonlin: bool = True) -> None:
        # nn.Layer checks the sizes and sets its fields; its neurons are then replaced by micrograd's, drawn in order.
        super().__init__(nin, nout, _activation(nonlin, "Layer"), seed=0)
        self.neurons = [Neuron(nin, nonlin) for _ in range(nout)]

    def forward(self, x: Sequence[Value | float]) -> Value | list[Value]:  # type: ignore[override]  # as micrograd
        """The outputs for `nin` numbers or Values; raises ValueError on a wrong length, TypeError otherwise."""
        out = super().forward(x)
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(map(repr, self.neurons))}]"


class MLP(layers.MLP):
    """micrograd's `MLP(nin, nouts)`: relu Layers of sizes `nouts`, the last one linear. Calling it returns a
    list of Values, or the Value itself when the last layer has one output."""

    def __init__(self, nin: int, nouts: Sequence[int]) -> None:
        super().__init__(nin, nouts, "relu", "linear", seed=0)  # as in Layer: nn's checks, then micrograd's layers
        sizes = [nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i != last) for i in range(len(self.nouts))]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(map(repr, self.layers))}]"
