"""Lesson 8 exercises: one dense layer copied into a torch.nn.Linear by hand, and the shapes of a twin's weights.

Exercise 8.1 needs torch (as lesson 8 does); it is imported when that checker runs, so this module imports without.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from nn.layers import MLP, Layer
from nn.lessons.feedback import Feedback, Mistake, check_function, is_stub, not_attempted


def _layer(nin: int, nout: int, seed: int) -> Layer:
    return Layer(nin, nout, seed=seed)


def _rows(layer: Layer) -> list[list[float]]:
    """Row j: neuron j's weights, then its bias (what linear.weight[j] and linear.bias[j] must hold)."""
    return [[w.data for w in n.w] + [n.b.data] for n in layer.neurons]


def _transposed(nin: int, nout: int, seed: int) -> list[list[float]]:
    """What copying neuron i's w[j] into weight[i, j] leaves (defined for the square layers exercise 8.1 uses)."""
    rows = _rows(_layer(nin, nout, seed))
    return [[rows[i][j] for i in range(nout)] + [rows[j][-1]] for j in range(nin)]


def check_copy_layer(copy_layer: Callable[[Layer, Any], Any]) -> Feedback:
    """Exercise 8.1: `copy_layer(layer, linear)` fills a float64 torch.nn.Linear(nin, nout) with a Layer's weights, in
    place; every entry is compared (equal entries make equal outputs)."""
    exercise = "exercise 8.1 (a Layer's weights into torch.nn.Linear)"
    if is_stub(copy_layer):
        return not_attempted(exercise, "your code")
    import torch

    def after_copy(nin: int, nout: int, seed: int) -> Any:
        layer = _layer(nin, nout, seed)
        linear = torch.nn.Linear(nin, nout, dtype=torch.float64)
        with torch.no_grad():  # a fresh, known start: an entry the student leaves alone shows up as 0
            linear.weight.zero_()
            linear.bias.zero_()
        copy_layer(layer, linear)
        return [w + [b] for w, b in zip(linear.weight.tolist(), linear.bias.tolist())]

    return check_function(
        exercise, after_copy, lambda nin, nout, seed: _rows(_layer(nin, nout, seed)), [(3, 3, 0), (2, 2, 1)],
        describe=lambda nin, nout, seed: (f"[linear.weight[j] + [linear.bias[j]] for each j] after copy_layer("
                                          f"Layer({nin}, {nout}, seed={seed}), linear)"),
        mistakes=[
            Mistake(_transposed, "weight[i, j] got neuron i's w[j]: torch's layout is the other way round "
                                 "(row j is neuron j).", "weight[j, i] = neuron j's w[i]."),
            Mistake(lambda nin, nout, seed: [r[:-1] + [0.0] for r in _rows(_layer(nin, nout, seed))],
                    "the weights are right; now the biases.", "linear.bias[j] = neuron j's b."),
        ],
        nudge="torch.nn.Linear keeps one row of `weight` per neuron, and the biases in `bias`.",
        hint="linear.weight has shape [nout, nin]: inside `with torch.no_grad():` set linear.weight[j, i] = "
             "layer.neurons[j].w[i].data and linear.bias[j] = layer.neurons[j].b.data for every j and i.",
        what="your code",
    )


def check_weight_shapes(weight_shapes: Callable[[int, Sequence[int]], Any]) -> Feedback:
    """Exercise 8.2: `weight_shapes(nin, sizes)` lists, for each Linear of nn.to_torch(MLP(nin, sizes)), the shape
    of its state_dict weight as [rows, columns]; checked against the scalargrad model's own layers."""
    def right(nin: int, sizes: Sequence[int]) -> list[list[int]]:
        return [[layer.nout, layer.nin] for layer in MLP(nin, list(sizes), seed=0).layers]

    return check_function(
        "exercise 8.2 (the shapes in a twin's state_dict)", weight_shapes, right,
        [(2, [16, 16, 1]), (3, [4, 2]), (5, [1])],
        describe=lambda nin, sizes: f"weight_shapes({nin}, {sizes})",
        mistakes=[
            Mistake(lambda nin, sizes: [[a, b] for b, a in right(nin, sizes)],
                    "that is [in_features, out_features]; torch.nn.Linear's weight is [out_features, in_features].",
                    "one row per neuron: [sizes[k], the previous layer's size]."),
            Mistake(lambda nin, sizes: [[s, s] for s in sizes],
                    "a layer's columns are its *inputs*: the previous layer's size.", "nin for the first layer."),
        ],
        nudge="a weight matrix has one row per neuron and one column per input.",
        hint="layer k has sizes[k] neurons (rows), each reading the previous layer's outputs (columns); the "
             "first layer reads the nin inputs. Compare with {k: list(t.shape) for k, t in twin.state_dict().items()}.",
    )
