"""Fuzz: every Value op with operands of every type ends in a Value of floats or a documented, typed error."""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine import Value

np = pytest.importorskip("numpy", reason="numpy scalars are one of the operand types fuzzed here")

# The errors the engine documents for bad operands: wrong type, bad domain, division by zero, overflow.
TYPED = (TypeError, ValueError, ZeroDivisionError, OverflowError)

plain_operands = st.one_of(
    st.none(),
    st.text(max_size=4),
    st.lists(st.floats(), max_size=2),
    st.complex_numbers(max_magnitude=1e3),
    st.booleans(),
    st.fractions(max_denominator=10**6),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**500), max_value=10**500),
    st.sampled_from([0, 1, -1, 0.0, -0.0, 2, 0.5, 400, 10**400, -(10**400), 1e308, 5e-324]),
    st.builds(Value, st.floats(allow_nan=True, allow_infinity=True)),
)
numpy_operands = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(np.float64),
    st.floats(width=32, allow_nan=True, allow_infinity=True).map(np.float32),
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(np.int64),
    st.booleans().map(np.bool_),
    st.sampled_from([np.float64(10.0), np.float64(400.0), np.int64(400), np.float64(0.0)]),
)

BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}
UNARY: dict[str, Callable[[Any], Any]] = {
    "Value": Value,
    "-": lambda a: -(a if isinstance(a, Value) else Value(a)),
    "exp": lambda a: Value(a).exp() if not isinstance(a, Value) else a.exp(),
    "log": lambda a: Value(a).log() if not isinstance(a, Value) else a.log(),
    "tanh": lambda a: Value(a).tanh() if not isinstance(a, Value) else a.tanh(),
    "sigmoid": lambda a: Value(a).sigmoid() if not isinstance(a, Value) else a.sigmoid(),
    "relu": lambda a: Value(a).relu() if not isinstance(a, Value) else a.relu(),
    "leaky_relu slope": lambda a: Value(1.5).leaky_relu(a),
    "dot": lambda a: engine.dot([Value(1.0), Value(2.0)], [a, 3.0], a),
    "sum": lambda a: engine.sum([Value(1.0), a]),
    "max": lambda a: engine.max([Value(1.0), a]),
}


def check_outcome(compute: Callable[[], object]) -> None:
    """Run `compute`: it may raise a typed error, or give a Value whose data (and grads after backward) are floats.

    Any other exception, a warning (numpy's RuntimeWarning on overflow) or a non-float number fails the test.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            out = compute()
        except TYPED:
            return
        # Every call here has a Value operand: a number back (numpy's own operator taking over) loses the graph.
        assert isinstance(out, Value), f"got {type(out).__name__} {out!r:.40}, not a Value"
        assert type(out.data) is float, f"data is {type(out.data).__name__}"
        try:
            out.backward()
        except TYPED:
            return
        for v in [out, *out.parents]:
            assert type(v.grad) is float, f"grad is {type(v.grad).__name__}"
        if math.isfinite(out.data):
            assert all(type(p.data) is float for p in out.parents)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(BINARY)), st.one_of(plain_operands, st.builds(Value, st.floats())), plain_operands)
def test_binary_ops_with_any_operand_types(op: str, a: object, b: object) -> None:
    fn = BINARY[op]
    if not isinstance(a, Value) and not isinstance(b, Value):
        a = Value(1.5)
    check_outcome(lambda: fn(a, b))
    check_outcome(lambda: fn(b, a))


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(UNARY)), plain_operands)
def test_unary_ops_and_n_ary_ops_with_any_operand_types(op: str, a: object) -> None:
    check_outcome(lambda: UNARY[op](a))


def test_the_documented_errors_for_a_few_operands() -> None:
    """Spot checks of the rules the fuzz relies on: bool and str are TypeErrors, a huge int an OverflowError."""
    for bad in (None, "1", True, [1.0], 1j, Decimal("1.5")):
        with pytest.raises(TypeError):
            Value(bad)  # type: ignore[arg-type]
    with pytest.raises(OverflowError):
        Value(10**400)
    with pytest.raises(OverflowError):
        Value(10.0) ** 400
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(BINARY)), numpy_operands, st.one_of(numpy_operands, plain_operands))
def test_numpy_scalars_become_floats_or_raise_typed_errors(op: str, a: object, b: object) -> None:
    fn = BINARY[op]
    check_outcome(lambda: fn(Value(1.5), a))
    check_outcome(lambda: fn(a, Value(1.5)))
    check_outcome(lambda: Value(a))  # type: ignore[arg-type]
    check_outcome(lambda: fn(Value(a) if not isinstance(a, np.bool_) else Value(1.0), b))  # type: ignore[arg-type]
