"""`Value` itself: what it accepts, how it prints, which operands it refuses, and NaN passing through."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine import Value


@given(x=st.integers(-(2**62), 2**62) | st.floats(allow_nan=False))
def test_ints_and_floats_are_stored_as_float(x: int | float) -> None:
    v = Value(x)
    assert type(v.data) is float and v.data == float(x)
    assert type(v.grad) is float and v.grad == 0.0
    assert float(v) == float(x)


def test_a_new_value_is_an_unlabelled_leaf() -> None:
    v = Value(3)
    assert v.label == "" and v.is_leaf and v.op == "" and v.parents == ()


def test_label_is_stored() -> None:
    assert Value(1.5, label="w1").label == "w1"
    assert Value(1.5, "bias").label == "bias"


NOT_NUMBERS = [True, False, "1.0", None, [1.0], (1.0,), 1 + 0j, object(), Value(1.0)]


@pytest.mark.parametrize("bad", NOT_NUMBERS, ids=[type(b).__name__ for b in NOT_NUMBERS])
def test_non_numbers_are_refused_naming_their_type(bad: object) -> None:
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [3, None, b"x", ["x"]], ids=["int", "None", "bytes", "list"])
def test_label_must_be_a_str(bad: object) -> None:
    with pytest.raises(TypeError, match=rf"label.*{type(bad).__name__}"):
        Value(1.0, label=bad)  # type: ignore[arg-type]


def test_repr_shows_data_and_grad() -> None:
    assert repr(Value(2)) == "Value(data=2.0, grad=0.0)"


def test_repr_shows_the_label_when_set() -> None:
    assert repr(Value(2, label="x")) == "Value(data=2.0, grad=0.0, label='x')"


def test_repr_shows_the_gradient_after_backward() -> None:
    x = Value(3, label="x")
    (x * x).backward()
    assert repr(x) == "Value(data=3.0, grad=6.0, label='x')"


def test_values_hash_and_compare_by_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a != b and len({a, b}) == 2 and {a: 1, b: 2}[a] == 1


BINARY = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]
BAD_OPERANDS = ["2", None, True, [2.0], 2 + 0j]


@pytest.mark.parametrize("op", BINARY, ids=[op.__name__ for op in BINARY])
@pytest.mark.parametrize("bad", BAD_OPERANDS, ids=[type(b).__name__ for b in BAD_OPERANDS])
def test_operators_refuse_non_number_operands(op: Callable[[object, object], object], bad: object) -> None:
    # Python words the message itself (`Value * "2"` is refused as a sequence repeat), so only the type is checked.
    with pytest.raises(TypeError):
        op(Value(2.0), bad)
    with pytest.raises(TypeError):
        op(bad, Value(2.0))


@pytest.mark.parametrize("bad", ["0.1", None, True], ids=["str", "None", "bool"])
def test_leaky_relu_slope_must_be_a_number(bad: object) -> None:
    with pytest.raises(TypeError, match=rf"slope.*{type(bad).__name__}"):
        Value(1.0).leaky_relu(bad)  # type: ignore[arg-type]


NAN = math.nan
NAN_OPS: list[tuple[str, Callable[[Value], Value]]] = [
    ("x+1", lambda x: x + 1),
    ("x+y", lambda x: x + Value(1.0)),
    ("1-x", lambda x: 1 - x),
    ("-x", lambda x: -x),
    ("x*2", lambda x: x * 2),
    ("x*y", lambda x: Value(2.0) * x),
    ("x/2", lambda x: x / 2),
    ("2/x", lambda x: 2 / x),
    ("x/y", lambda x: x / Value(2.0)),
    ("x**2", lambda x: x**2),
    ("x**0.5", lambda x: x**0.5),
    ("2**x", lambda x: 2**x),
    ("y**x", lambda x: Value(2.0) ** x),
    ("x**y", lambda x: x ** Value(2.0)),
    ("exp", lambda x: x.exp()),
    ("log", lambda x: x.log()),
    ("tanh", lambda x: x.tanh()),
    ("sigmoid", lambda x: x.sigmoid()),
    ("relu", lambda x: x.relu()),
    ("leaky_relu", lambda x: x.leaky_relu(0.1)),
    ("dot", lambda x: engine.dot([x], [Value(1.0)], Value(1.0))),
    ("sum", lambda x: engine.sum([x, Value(1.0)])),
    ("max", lambda x: engine.max([Value(1.0), x])),
]


def test_nan_data_is_allowed() -> None:
    assert math.isnan(Value(NAN).data)


@pytest.mark.parametrize("f", [f for _, f in NAN_OPS], ids=[name for name, _ in NAN_OPS])
def test_nan_propagates_through_every_op(f: Callable[[Value], Value]) -> None:
    assert math.isnan(f(Value(NAN)).data)


@pytest.mark.parametrize("exponent, expected", [(NAN, NAN), (math.inf, math.inf), (-math.inf, 0.0)])
def test_non_finite_exponent_of_a_negative_base_follows_ieee_pow(exponent: float, expected: float) -> None:
    result = (Value(-2.0) ** exponent).data
    assert result == expected or (math.isnan(result) and math.isnan(expected))


def test_an_int_too_large_for_a_float_is_refused_naming_value() -> None:
    with pytest.raises(OverflowError, match=r"Value\(data\)"):
        Value(10**400)


# ---------------------------------------------------------------- every number becomes a Python float

np = pytest.importorskip("numpy", reason="numpy is not installed (it comes with the test extra's torch)")

NUMPY_NUMBERS = [np.float64(2.5), np.float32(2.5), np.int64(3), np.int8(-2), np.float16(0.5)]
NUMBER_OPS: list[tuple[str, Callable[[Value, object], Value]]] = [
    ("v+n", lambda v, n: v + n), ("n+v", lambda v, n: n + v), ("v-n", lambda v, n: v - n),
    ("n-v", lambda v, n: n - v), ("v*n", lambda v, n: v * n), ("n*v", lambda v, n: n * v),
    ("v/n", lambda v, n: v / n), ("n/v", lambda v, n: n / v), ("v**n", lambda v, n: v**n),
    ("n**v", lambda v, n: abs(n) ** v), ("leaky_relu", lambda v, n: v.leaky_relu(n)),
]  # fmt: skip


@pytest.mark.parametrize("number", NUMPY_NUMBERS, ids=[type(n).__name__ for n in NUMPY_NUMBERS])
@pytest.mark.parametrize("f", [f for _, f in NUMBER_OPS], ids=[name for name, _ in NUMBER_OPS])
def test_numpy_operands_become_python_floats(f: Callable[[Value, object], Value], number: object) -> None:
    v = Value(1.5)
    out = f(v, number)
    assert isinstance(out, Value) and type(out.data) is float and type(out.arg) is float
    assert out.data == f(Value(1.5), float(number)).data  # type: ignore[arg-type]
    out.backward(np.float64(2.0))
    assert type(v.grad) is float and type(out.grad) is float


@pytest.mark.parametrize("number", NUMPY_NUMBERS, ids=[type(n).__name__ for n in NUMPY_NUMBERS])
def test_a_numpy_leaf_holds_a_python_float(number: object) -> None:
    v = Value(number)  # type: ignore[arg-type]
    assert type(v.data) is float and v.data == float(number)  # type: ignore[arg-type]


def test_numpy_overflow_raises_the_documented_error_naming_the_op() -> None:
    with pytest.raises(OverflowError, match="pow"):
        Value(np.float64(10.0)) ** 400
    with pytest.raises(OverflowError, match="pow"):
        Value(10.0) ** np.float64(400.0)
    with pytest.raises(OverflowError, match="exp"):
        Value(np.float64(1000.0)).exp()


def test_custom_op_results_and_partials_become_floats_and_overflow_names_the_op() -> None:
    half = engine.op("np_half", lambda x: np.float64(x) / 2, lambda x, out: np.float64(0.5))
    x = Value(3.0)
    out = half(np.float32(1.0) + x)
    assert type(out.data) is float and out.data == 2.0
    out.backward()
    assert type(x.grad) is float and x.grad == 0.5
    huge = engine.op("huge", lambda x: 10**400, lambda x, out: 1.0)
    with pytest.raises(OverflowError, match="huge"):
        huge(1.0)
    steep = engine.op("steep", lambda x: x, lambda x, out: 10**400)
    with pytest.raises(OverflowError, match="steep"):
        steep(x).backward()
    assert x.grad == 0.5
