"""micrograd's lecture style on `engine.Value`: `label=`, a settable label, read-only `_prev` and `_op`, and
`_backward()`, compared with micrograd itself on the same expressions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lecture import lecture_backward

import engine
from engine import Value


@pytest.fixture(scope="module")
def MG() -> type:
    """micrograd's Value, the oracle for its own names; skips only the tests that compare with it when it is missing."""
    module = pytest.importorskip("micrograd.engine", reason="micrograd is the oracle for its own names")
    return module.Value  # type: ignore[no-any-return]


# Expressions micrograd builds with the same nodes as scalargrad: Value operands only, and constant powers.
SAME_GRAPH: dict[str, Callable[[Any, Any], Any]] = {
    "a + b": lambda a, b: a + b,
    "a * b": lambda a, b: a * b,
    "a ** 2": lambda a, b: a**2,
    "a ** 3": lambda a, b: a**3,
    "a ** -1": lambda a, b: a**-1,
    "a ** 0.5": lambda a, b: a**0.5,
    "relu(a)": lambda a, b: a.relu(),
    "relu(a * b + a)": lambda a, b: (a * b + a).relu(),
    "(a + b) * (a + b)": lambda a, b: (a + b) * (a + b),
    "a * a": lambda a, b: a * a,
}


def _signature(v: Any) -> tuple[str, tuple[Any, ...]]:
    """A node's `_op` and, recursively, its children's, in a canonical order (a set has none)."""
    return v._op, tuple(sorted(_signature(c) if c._prev else ("leaf", c.data) for c in v._prev))


@pytest.mark.parametrize("name", list(SAME_GRAPH))
def test_op_and_prev_match_micrograd(MG: type, name: str) -> None:
    build = SAME_GRAPH[name]
    ours, theirs = build(Value(2.0), Value(-3.0)), build(MG(2.0), MG(-3.0))
    assert _signature(ours) == _signature(theirs)
    assert len(ours._prev) == len(theirs._prev)


@given(a=st.floats(0.1, 10), b=st.floats(-10, 10))
def test_prev_is_the_set_of_the_operands(a: float, b: float) -> None:
    x, y = Value(a), Value(b)
    assert (x * y)._prev == {x, y} and (x * x)._prev == {x} and x._prev == set()


def test_constant_operands_are_folded_into_the_op_but_keep_micrograds_symbol(MG: type) -> None:
    # micrograd wraps 2 in a leaf Value; scalargrad keeps it in the node, so only the symbol is comparable
    a = Value(2.0)
    for build in (lambda v: v * 2, lambda v: 2 * v, lambda v: v + 2, lambda v: 2 + v, lambda v: v - 2):
        ours, theirs = build(a), build(MG(2.0))
        assert ours._op == theirs._op and ours._prev == {a}


def test_our_own_symbols_for_ops_micrograd_lacks() -> None:
    a, b = Value(2.0), Value(-3.0)
    assert (a._op, a.tanh()._op, a.exp()._op, (a - b)._op, (a / b)._op, (-a)._op) == ("", "tanh", "exp", "-", "/", "-")
    assert engine.dot([a], [b])._op == "Σ w·x" and a.leaky_relu(0.5)._op == "leaky_relu(0.5)"


def test_prev_and_op_are_read_only() -> None:
    v = Value(1.0) * 2
    for name, new in (("_prev", set()), ("_op", "+")):
        with pytest.raises(AttributeError):
            setattr(v, name, new)
    assert v._op == "*"


def test_label_is_settable_and_checked() -> None:
    v = Value(2.0, label="a")
    v.label = "L"
    assert v.label == "L" and repr(v) == "Value(data=2.0, grad=0.0, label='L')"
    with pytest.raises(TypeError, match="label must be a str, got int"):
        v.label = 3  # type: ignore[assignment]
    assert v.label == "L"


def test_assigning_backward_or_new_attributes_is_refused() -> None:
    v = Value(2.0) * Value(3.0)
    with pytest.raises(AttributeError, match=r"_backward can't be assigned.*engine\.op"):
        v._backward = lambda: None
    with pytest.raises(AttributeError, match="color"):
        v.color = "red"  # type: ignore[attr-defined]


@given(xs=st.lists(st.floats(-3, 3), min_size=5, max_size=5))
def test_the_lectures_hand_written_backward_runs_on_our_values_with_micrograds_gradients(
    MG: type, xs: list[float]
) -> None:
    grads = []
    for V in (Value, MG):
        x1, x2, w1, w2, b = (V(x) for x in xs)
        o = ((x1 * w1 + x2 * w2 + b).relu() * x1 + w2**2) * (x1 * w1)
        lecture_backward(o)
        grads.append([v.grad for v in (x1, x2, w1, w2, b)])
    assert grads[0] == pytest.approx(grads[1], rel=1e-12, abs=1e-300)


def test_backward_of_a_leaf_does_nothing() -> None:
    v = Value(1.0)
    v.grad = 5.0
    v._backward()
    assert v.grad == 5.0
