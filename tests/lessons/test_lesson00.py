"""Lesson 0's checkers run the student's Value class beside engine.Value: a right class passes every step, and each
common mistake is caught at the first node it spoils, with a hint naming the mistake."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import pytest

import engine
from nn.lessons import lesson00, solutions
from nn.lessons.feedback import CORRECT, INCORRECT, NOT_ATTEMPTED, Feedback


def make_value_class(*, accumulate: bool = True, radd: bool = True, rmul: bool = True, wrap: bool = True,
                     chain: bool = True, swap_product: bool = False,
                     tanh_slope: Callable[[float], float] = lambda t: 1 - t**2,
                     order: str = "reverse topological", seed: bool = True) -> type:
    """A micrograd-style Value class with one mistake switched on (the defaults make the right class)."""

    def add_to(node: Any, amount: float) -> None:
        node.grad = node.grad + amount if accumulate else amount

    class Value:
        def __init__(self, data: float, _children: tuple[Any, ...] = (), _op: str = "") -> None:
            self.data, self.grad, self._prev, self._op = data, 0.0, set(_children), _op
            self._backward: Callable[[], None] = lambda: None

        def __add__(self, other: Any) -> Value:
            other = other if isinstance(other, Value) or not wrap else Value(other)
            out = Value(self.data + other.data, (self, other), "+")

            def _backward() -> None:
                add_to(self, out.grad if chain else 1.0)
                add_to(other, out.grad if chain else 1.0)

            out._backward = _backward
            return out

        def __mul__(self, other: Any) -> Value:
            other = other if isinstance(other, Value) or not wrap else Value(other)
            out = Value(self.data * other.data, (self, other), "*")

            def _backward() -> None:
                mine, theirs = (self.data, other.data) if swap_product else (other.data, self.data)
                add_to(self, mine * (out.grad if chain else 1.0))
                add_to(other, theirs * (out.grad if chain else 1.0))

            out._backward = _backward
            return out

        def tanh(self) -> Value:
            t = math.tanh(self.data)
            out = Value(t, (self,), "tanh")

            def _backward() -> None:
                add_to(self, tanh_slope(t) * (out.grad if chain else 1.0))

            out._backward = _backward
            return out

        def backward(self) -> None:
            topo = topological(self)
            if seed:
                self.grad = 1.0
            if order == "reverse topological":
                for v in reversed(topo):
                    v._backward()
            elif order == "topological":
                for v in topo:
                    v._backward()
            else:  # "depth first": each node, then its children, without waiting for the node's other users
                def visit(v: Value) -> None:
                    v._backward()
                    for child in v._prev:
                        visit(child)

                visit(self)

    if radd:
        Value.__radd__ = lambda self, other: self + other  # type: ignore[attr-defined]
    if rmul:
        Value.__rmul__ = lambda self, other: self * other  # type: ignore[attr-defined]
    return Value


def topological(root: Any) -> list[Any]:
    """The nodes under `root`, each after its children, found without recursion (a deep chain needs no stack)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((child, False) for child in node._prev)
    return order


CHECKS = (lesson00.check_add_and_mul, lesson00.check_tanh, lesson00.check_value_class)


@pytest.mark.parametrize("cls", [solutions.Lesson00Value, make_value_class()], ids=["solutions", "in the tests"])
def test_a_right_class_passes_every_step_and_matches_engine_value(cls: type) -> None:
    for check in CHECKS:
        feedback = check(cls)
        assert feedback.status == CORRECT, str(feedback)
        text = " ".join(str(feedback).split())  # the words, however the feedback wraps its lines
        assert "agree with engine.Value" in text and "hint" not in text
    feedback = lesson00.check_neuron(solutions.lesson00_neuron, cls)
    assert feedback.status == CORRECT, str(feedback)
    mine, theirs = solutions.lesson00_neuron(cls), solutions.lesson00_neuron(engine.Value)
    assert mine.data == theirs.data and math.isclose(mine.data, 1 / math.sqrt(2))


def wrong(check: Callable[[Any], Feedback], cls: type) -> Feedback:
    feedback = check(cls)
    assert feedback.status == INCORRECT, str(feedback)
    assert len(feedback.problems) == 1
    return feedback


def test_overwriting_instead_of_adding_loses_a_reused_nodes_gradient() -> None:
    for check in CHECKS:
        feedback = wrong(check, make_value_class(accumulate=False))
        assert feedback.problems[0].startswith("n2 = n0 + n1: with out.grad = 1.5 and n0.grad already 0.25, its "
                                               "_backward leaves n0.grad at 1.5, expected 1.75"), feedback.problems[0]
        assert "overwritten" in feedback.nudge and "+=" in feedback.hint


def test_a_backward_out_of_topological_order_is_caught_at_the_first_wrong_node() -> None:
    for order, why in [("topological", "ran n2's _backward before n3's, which uses n2"),
                       ("depth first", "_backward 2 times")]:
        cls = make_value_class(order=order)
        assert lesson00.check_tanh(cls).status == CORRECT  # every local rule is right
        feedback = wrong(lesson00.check_value_class, cls)
        assert re.match(r"after n\d+\.backward\(\), n\d+ = .+ has grad .+, expected ", feedback.problems[0]), \
            feedback.problems[0]
        assert why in feedback.nudge and "reverse topological order" in feedback.nudge, str(feedback)
        assert "reversed(topo)" in feedback.hint


def test_a_wrong_tanh_derivative_is_named() -> None:
    for slope in (lambda t: 1 - t, lambda t: t**2, lambda t: 1 + t**2, lambda t: -(1 - t**2)):
        feedback = wrong(lesson00.check_tanh, make_value_class(tanh_slope=slope))
        assert feedback.problems[0].startswith("n1 = n0.tanh(): with out.grad = 1.5"), feedback.problems[0]
        assert "1 - tanh²" in feedback.nudge and "(1 - t**2) * out.grad" in feedback.hint


def test_a_missing_radd_or_rmul_is_named() -> None:
    for cls, line, method in [(make_value_class(radd=False), "n1 = 3 + n0 raised TypeError", "__radd__"),
                              (make_value_class(rmul=False), "n1 = 3 * n0 raised TypeError", "__rmul__")]:
        for check in CHECKS:
            feedback = wrong(check, cls)
            assert feedback.problems[0].startswith(line), feedback.problems[0]
            assert method in feedback.nudge and f"def {method}(self, other)" in feedback.hint


@pytest.mark.parametrize(("mistake", "problem", "nudge"), [
    ({"wrap": False}, "n1 = n0 + 3 raised AttributeError", "wrap it in a Value"),
    ({"chain": False}, "n2 = n0 + n1: with out.grad = 1.5 and n0.grad already 0.25, its _backward leaves n0.grad "
                       "at 1.25, expected 1.75",
     "multiplies the local derivative by the gradient arriving"),
    ({"swap_product": True}, "n2 = n0 * n1: with out.grad = 1.5 and n0.grad already 0.25, its _backward leaves "
                             "n0.grad at 3.25, expected -4.25", "the *other* operand"),
    ({"seed": False}, "after n2.backward(), n2.grad is 0, expected 1", "d(out)/d(out) = 1"),
])
def test_other_mistakes_are_named_too(mistake: dict[str, Any], problem: str, nudge: str) -> None:
    check = lesson00.check_value_class if "seed" in mistake else lesson00.check_add_and_mul
    feedback = wrong(check, make_value_class(**mistake))
    assert feedback.problems[0].startswith(problem) and nudge in feedback.nudge, str(feedback)


def test_untouched_starters_are_not_attempted_yet_and_a_stub_step_is_named() -> None:
    class Starter:
        def __init__(self, data, _children=(), _op=""):  # type: ignore[no-untyped-def]
            ...

        def __add__(self, other):  # type: ignore[no-untyped-def]
            ...

        def __mul__(self, other):  # type: ignore[no-untyped-def]
            ...

        def tanh(self):  # type: ignore[no-untyped-def]
            ...

        def backward(self):  # type: ignore[no-untyped-def]
            ...

    for check in CHECKS:
        assert check(Starter).status == NOT_ATTEMPTED
    assert lesson00.check_neuron(lambda V: ..., Starter).status == NOT_ATTEMPTED
    half_done = make_value_class()
    half_done.tanh = Starter.tanh  # type: ignore[attr-defined]
    assert lesson00.check_tanh(half_done).status == NOT_ATTEMPTED
    half_done.__mul__ = Starter.__mul__  # type: ignore[method-assign]
    feedback = wrong(lesson00.check_add_and_mul, half_done)
    assert feedback.problems[0].startswith("n2 = n0 * n1 gave None") and "return out" in feedback.hint


def test_a_neuron_that_forgets_backward_or_differs_is_told_which_gradient() -> None:
    def no_backward(V: Any) -> Any:
        return (V(2.0) * V(-3.0) + V(0.0) * V(1.0) + V(6.8813735870195432)).tanh()

    feedback = lesson00.check_neuron(no_backward, solutions.Lesson00Value)
    assert feedback.status == INCORRECT and "a.grad is 0, expected 1: call a.backward()" in feedback.problems[0]
    feedback = lesson00.check_neuron(solutions.lesson00_neuron, make_value_class(tanh_slope=lambda t: 1 - t))
    assert feedback.status == INCORRECT and "with engine.Value" in feedback.problems[0]


def test_the_student_can_draw_their_own_graph_with_engine_draw_dot() -> None:
    """engine.draw_dot reads only micrograd's data, grad, _prev and _op, so it draws the student's class too."""
    out = solutions.lesson00_neuron(solutions.Lesson00Value)
    source = engine.draw_dot(out).source
    assert "0.7071" in source and "tanh" in source


def test_odd_classes_get_a_message_not_a_crash() -> None:
    class GradIsAValue(solutions.Lesson00Value):
        def __mul__(self, other: Any) -> Any:
            out = solutions.Lesson00Value.__mul__(self, other)
            operand = other if isinstance(other, solutions.Lesson00Value) else solutions.Lesson00Value(other)

            def _backward() -> None:
                self.grad += operand * out.grad  # a Value where a number belongs

            out._backward = _backward
            return out

    feedback = wrong(lesson00.check_add_and_mul, GradIsAValue)
    assert "grad should be a plain number, got Value(data=" in feedback.problems[0], feedback.problems[0]

    class NoData:
        def __init__(self, data: float, _children: tuple[Any, ...] = (), _op: str = "") -> None:
            self._prev, self._op, self.grad = set(_children), _op, 0.0

        @property
        def data(self) -> float:
            raise RuntimeError("no data here")

        def __add__(self, other: Any) -> Any:
            return NoData(0.0, (self,))

        __mul__ = __add__

    feedback = wrong(lesson00.check_add_and_mul, NoData)
    assert "reading .data raised RuntimeError: no data here" in feedback.problems[0], feedback.problems[0]

    for neuron, says in [(lambda V: 0.7, "returned 0.7, not a Value"),
                         (lambda V: type("Odd", (), {"data": 0.7, "grad": 1.0, "_prev": 3})() if V is not engine.Value
                          else solutions.lesson00_neuron(V), "_prev should hold the children, got 3")]:
        feedback = lesson00.check_neuron(neuron, solutions.Lesson00Value)
        assert feedback.status == INCORRECT and says in feedback.problems[0], str(feedback)
