"""NumPy rows as inputs: a 1-D array or a list of NumPy scalars gives what the same numbers in a list give, and
the length, type and NaN/inf checks are the ones a list gets."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from engine import Value
from nn import micrograd

np = pytest.importorskip("numpy", reason="NumPy rows need NumPy")

MODELS: list[Callable[[], nn.Module]] = [
    lambda: nn.Neuron(3, seed=1),
    lambda: nn.Layer(3, 2, activation="tanh", seed=1),
    lambda: nn.MLP(3, [4, 1], seed=1),
    lambda: micrograd.MLP(3, [4, 2]),
]


def outputs_and_grads(model: nn.Module, row: object) -> tuple[list[float], list[float]]:
    """The model's outputs for `row`, and its parameters' gradients of their sum."""
    out = model(row)
    outs = out if isinstance(out, list) else [out]
    model.zero_grad()
    sum(outs[1:], outs[0]).backward()
    return [v.data for v in outs], [p.grad for p in model.parameters()]


@pytest.mark.parametrize("make", MODELS)
@given(st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=3))
def test_a_numpy_row_gives_what_the_same_list_gives(make: Callable[[], nn.Module], row: list[float]) -> None:
    model = make()
    expected = outputs_and_grads(model, row)
    assert outputs_and_grads(model, np.array(row)) == expected
    assert outputs_and_grads(model, [np.float64(x) for x in row]) == expected
    assert outputs_and_grads(model, tuple(np.array(row))) == expected


def test_float32_and_int_arrays_are_read_exactly() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    row32 = np.array([0.1, -2.5], dtype=np.float32)
    assert model(row32).data == model([float(row32[0]), float(row32[1])]).data  # 0.1 as float32, not 0.1
    assert model(np.array([1, -2])).data == model([1.0, -2.0]).data


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_number_in_an_array_is_refused_naming_its_index(bad: float) -> None:
    with pytest.raises(ValueError, match=r"^MLP input\[1\] is (nan|-?inf), inputs must be finite$"):
        nn.MLP(3, [2, 1], seed=0)(np.array([0.5, bad, 2.0]))


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (np.zeros((1, 3)), TypeError, "MLP: expected a sequence of 3 numbers or Values, got a 2-D ndarray"),
        (np.float64(2.0), TypeError, "MLP: expected a sequence of 3 numbers or Values, got a 0-D float64"),
        (np.zeros(4), ValueError, "MLP: expected 3 inputs, got 4"),
        (np.array(["a", "b", "c"]), TypeError, "MLP: input 0 must be a number or a Value, got str_"),
        (np.array([True, False, True]), TypeError, "MLP: input 0 must be a number or a Value, got bool"),
    ],
)
def test_arrays_that_are_not_a_row_of_numbers_are_refused(bad: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        nn.MLP(3, [2, 1], seed=0)(bad)


def test_values_in_a_numpy_object_array_are_the_inputs_themselves() -> None:
    xs = [Value(0.5), Value(-1.0)]
    neuron = nn.Neuron(2, activation=None, seed=0)
    neuron(np.array(xs, dtype=object)).backward()
    assert [x.grad for x in xs] == [w.data for w in neuron.w]
