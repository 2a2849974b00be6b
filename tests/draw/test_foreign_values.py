"""draw_dot draws micrograd's own Values and a student's hand-written class (anything with data, grad, _prev and
_op), with the same boxes and ops as the same computation written with engine.Value."""

from __future__ import annotations

import re

import pytest
from lecture import Scalar

from engine import Value, draw_dot, save_html
from engine.draw.steps import backward_steps

micrograd_engine = pytest.importorskip("micrograd.engine", reason="micrograd is a test dependency")


def boxes(source: str) -> list[str]:
    """The record labels of a drawing, sorted: what every box shows."""
    return sorted(re.findall(r'label="(\{[^"]*\})"', source))


def ops(source: str) -> list[str]:
    return sorted(re.findall(r'_op \[label="?([^" ]+)"?', source))


def test_a_hand_written_class_is_drawn_like_engine_values() -> None:
    mine = Scalar(2.0, label="x1") * Scalar(-3.0, label="w1") + Scalar(6.88, label="b")
    o = mine.tanh()
    o.label = "o"
    o.backward()
    ours = Value(2.0, "x1") * Value(-3.0, "w1") + Value(6.88, "b")
    p = ours.tanh()
    p.label = "o"
    p.backward()
    theirs, expected = draw_dot(o).source, draw_dot(p).source
    assert boxes(theirs) == boxes(expected) and len(boxes(theirs)) == 6
    assert ops(theirs) == ops(expected) == ["*", "+", "tanh"]
    assert "{ o | data 0.7064 | grad 1 }" in theirs and "{ w1 | data -3 | grad 1.002 }" in theirs
    assert theirs.count("->") == expected.count("->")


def test_micrograd_values_are_drawn_with_their_own_op_symbols() -> None:
    M = micrograd_engine.Value
    a, b = M(2.0), M(-3.0)
    c = a * b + a
    d = (c.relu() * c + c**2).relu()
    d.backward()
    source = draw_dot(d).source
    assert ops(source) == ["*", "*", "**2", "+", "+", "ReLU", "ReLU"]
    assert len(boxes(source)) == 9 and "{ data 2 | grad 16 }" in source  # a: d = c² + 0, dd/da = 2c(b + 1) = 16
    assert draw_dot(d).source == source  # the same program draws the same DOT, whatever order the set holds


def test_a_foreign_graph_is_checked_and_stepping_says_what_it_needs() -> None:
    M = micrograd_engine.Value
    out = M(1.0) * M(2.0)
    with pytest.raises(TypeError, match="needs an engine.Value.*micrograd.engine.Value.*draw_dot"):
        save_html(out, "never-written.html")
    with pytest.raises(TypeError, match="needs an engine.Value"):
        backward_steps(out)
    with pytest.raises(TypeError, match="draw engine Values and another library's Values separately"):
        draw_dot([out, Value(1.0)])
    loop = Scalar(1.0)
    loop._prev = {Scalar(2.0, (loop,), "+")}
    loop._op = "+"
    with pytest.raises(ValueError, match="cycle"):
        draw_dot(loop)
    odd = Scalar(1.0)
    odd._prev = {"not a node"}  # type: ignore[assignment]
    odd._op = "?"
    with pytest.raises(TypeError, match="an operand is not a node"):
        draw_dot(odd)
    with pytest.raises(TypeError, match="any object with data, grad, _prev and _op"):
        draw_dot(object())
