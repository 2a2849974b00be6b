"""One rule for NaN and infinity: every layer refuses them in the data it is called with, naming the position."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

import nn
from engine import Value
from nn.data import one_hot


def grid(*shape: int) -> Any:
    """A nested list of `shape` holding distinct finite numbers."""
    if len(shape) == 1:
        return [0.1 * (i + 1) for i in range(shape[0])]
    return [grid(*shape[1:]) for _ in range(shape[0])]


def poisoned(x: Any, path: tuple[int, ...], bad: object) -> Any:
    """A copy of the nested list `x` with `bad` at index path `path`."""
    if not path:
        return bad
    return [poisoned(item, path[1:], bad) if i == path[0] else item for i, item in enumerate(x)]


# (module, how it is called with an input, the input, the poisoned position, the message's prefix)
CASES: list[tuple[nn.Module, Callable[[nn.Module, Any], object], Any, tuple[int, ...], str]] = [
    (nn.Neuron(3, seed=0), lambda m, x: m(x), grid(3), (1,), "Neuron input"),
    (nn.Layer(3, 2, seed=0), lambda m, x: m(x), grid(3), (2,), "Layer input"),
    (nn.MLP(3, [2, 1], seed=0), lambda m, x: m(x), grid(3), (0,), "MLP input"),
    (nn.Conv1d(2, 1, 2, seed=0), lambda m, x: m(x), grid(2, 4), (1, 2), "Conv1d input"),
    (nn.Conv2d(1, 2, 2, padding=1, seed=0), lambda m, x: m(x), grid(1, 3, 3), (0, 2, 1), "Conv2d input"),
    (nn.MaxPool1d(2), lambda m, x: m(x), grid(1, 4), (0, 3), "MaxPool1d input"),
    (nn.AvgPool1d(2), lambda m, x: m(x), grid(2, 4), (1, 0), "AvgPool1d input"),
    (nn.MaxPool2d(2), lambda m, x: m(x), grid(2, 2, 2), (1, 0, 1), "MaxPool2d input"),
    (nn.AvgPool2d(2), lambda m, x: m(x), grid(1, 4, 4), (0, 3, 3), "AvgPool2d input"),
    (nn.Flatten(), lambda m, x: m(x), grid(2, 3), (1, 1), "Flatten input"),
    (nn.ReLU(), lambda m, x: m(x), grid(2, 3), (0, 2), "ReLU input"),
    (nn.Tanh(), lambda m, x: m(x), grid(4), (3,), "Tanh input"),
    (nn.RNNCell(2, 3, seed=0), lambda m, x: m(x), grid(2), (1,), "RNNCell input"),
    (nn.GRUCell(2, 3, seed=0), lambda m, x: m(x), grid(2), (0,), "GRUCell input"),
    (nn.LSTMCell(2, 3, seed=0), lambda m, x: m(x), grid(2), (1,), "LSTMCell input"),
    (nn.RNNCell(2, 3, seed=0), lambda m, h: m(grid(2), h), grid(3), (2,), "RNNCell h"),
    (nn.GRUCell(2, 3, seed=0), lambda m, h: m(grid(2), h), grid(3), (0,), "GRUCell h"),
    (nn.LSTMCell(2, 3, seed=0), lambda m, h: m(grid(2), (h, grid(3))), grid(3), (1,), "LSTMCell h"),
    (nn.LSTMCell(2, 3, seed=0), lambda m, c: m(grid(2), (grid(3), c)), grid(3), (2,), "LSTMCell c"),
    (nn.RNN(2, 3, cell="lstm", seed=0), lambda m, x: m(x), grid(5, 2), (3, 1), "RNN input"),
    (nn.RNN(2, 3, cell="gru", seed=0), lambda m, h: m(grid(5, 2), h), grid(3), (1,), "GRUCell h"),
    (nn.RNNClassifier(2, [3, 2], 2, seed=0), lambda m, x: m(x), grid(4, 2), (2, 0), "RNN input"),
    (
        nn.Sequential(nn.Conv1d(1, 2, 2, seed=0), nn.ReLU(), nn.Flatten(), nn.Layer(6, 2, seed=0)),
        lambda m, x: m(x),
        grid(1, 4),
        (0, 1),
        r"Sequential\[0\] \(Conv1d\): Conv1d input",
    ),
]


@pytest.mark.parametrize(("module", "call", "good", "where", "prefix"), CASES, ids=[c[4] for c in CASES])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, Value(math.nan), Value(-math.inf)], ids=repr)
def test_every_layer_refuses_nan_and_infinity_naming_the_position(
    module: nn.Module,
    call: Callable[[nn.Module, Any], object],
    good: Any,
    where: tuple[int, ...],
    prefix: str,
    bad: object,
) -> None:
    call(module, good)  # the same input with a finite number there is fine
    number = bad.data if isinstance(bad, Value) else bad
    path = "".join(rf"\[{i}\]" for i in where)
    with pytest.raises(ValueError, match=rf"^{prefix}{path} is {number!r}, inputs must be finite$"):
        call(module, poisoned(good, where, bad))


def test_a_non_finite_value_made_inside_a_model_is_refused_by_the_next_layer() -> None:
    conv = nn.Conv1d(1, 1, 1, bias=False, seed=0)
    conv.weight[0][0][0].data = 1e308
    model = nn.Sequential(conv, nn.MaxPool1d(1))
    with pytest.raises(ValueError, match=r"^Sequential\[1\] \(MaxPool1d\): MaxPool1d input\[0\]\[0\] is -?inf"):
        model([[-10.0, 1.0]])


def test_the_engine_itself_still_propagates_nan_as_ieee_does() -> None:
    """The rule is for data entering a layer; a Value computation keeps IEEE semantics (see the README)."""
    assert math.isnan((Value(math.nan) * 2.0 + 1.0).data)


@pytest.mark.parametrize(
    ("index", "size", "error", "message"),
    [
        (-1, 3, ValueError, "one_hot index must be >= 0, got -1"),
        (3, 3, ValueError, r"one_hot index 3 is out of range for size 3 \(0 to 2\)"),
        (10**30, 3, ValueError, "out of range for size 3"),
        (1.0, 3, TypeError, "one_hot index must be an int, got float"),
        (True, 3, TypeError, "one_hot index must be an int, got bool"),
        (0, 0, ValueError, "one_hot size must be >= 1, got 0"),
    ],
)
def test_one_hot_refuses_out_of_range_indices(
    index: object, size: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        one_hot(index, size)  # type: ignore[arg-type]


def test_one_hot_puts_the_one_at_the_index() -> None:
    assert one_hot(2, 4) == [0.0, 0.0, 1.0, 0.0] and one_hot(0, 1) == [1.0]
