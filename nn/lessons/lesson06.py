"""Lesson 6 exercises: write an op's derivative with Value ops, so both gradcheck and gradgradcheck pass."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import engine
from engine import Value
from nn.lessons.feedback import (
    CORRECT,
    INCORRECT,
    Feedback,
    Mistake,
    call,
    check_function,
    fmt,
    is_blank,
    not_attempted,
)

POINTS = (-2.0, -0.5, 0.3, 1.0, 2.5)
Derivative = Callable[[Value, Value], Any]


def _first_and_second(forward: Callable[[float], float], derivative: Derivative, x: float) -> tuple[Any, Any]:
    """(f'(x), f''(x)) of engine.op(forward, derivative) from engine.grad; f'' is None when f' is not a Value graph."""
    op = engine.op("exercise", forward, derivative)
    v = Value(x)
    (first,) = engine.grad(op(v), [v], create_graph=True)
    if not first.parents:
        return first.data, None
    return first.data, engine.grad(first, [v])[0].data


def _check_op(exercise: str, forward: Callable[[float], float], derivative: Derivative,
              reference: Callable[[Value], Value], mistakes: list[Mistake], nudge: str, hint: str) -> Feedback:
    """First derivatives of the student's op against the engine's on `reference`; then second derivatives."""
    def right(x: float) -> float:
        v = Value(x)
        return engine.grad(reference(v), [v])[0].data

    def probe(x: float) -> Any:
        out = derivative(Value(x), Value(forward(x)))
        return out if out is ... or out is None else _first_and_second(forward, derivative, x)[0]

    first = check_function(exercise, probe, right, [(x,) for x in POINTS], describe=lambda x: f"d/dx at x = {x}",
                           mistakes=mistakes, nudge=nudge, hint=hint, what="the derivative, written with Value ops")
    if first.status != CORRECT:
        return first
    problems = []
    for x in POINTS:
        v = Value(x)
        (d1,) = engine.grad(reference(v), [v], create_graph=True)
        expected = engine.grad(d1, [v])[0].data
        second = _first_and_second(forward, derivative, x)[1]
        if second is None or not math.isclose(second, expected, rel_tol=1e-6, abs_tol=1e-9):
            problems.append(f"the second derivative at x = {x} is {'0 (no graph)' if second is None else fmt(second)}, "
                            f"expected {fmt(expected)}")
    if problems:
        return Feedback(exercise, INCORRECT, problems[:2],
                        "the first derivative is right, but computed on floats (x.data, math.*) it cannot be "
                        "differentiated again.", "write it with Value ops: x.sigmoid(), x.exp(), *, /.")
    return Feedback(exercise, CORRECT, note=f"first and second derivatives agree at all {len(POINTS)} points")


def _untouched(derivative: Derivative, forward: Callable[[float], float]) -> bool:
    got, error = call(derivative, (Value(1.0), Value(forward(1.0))))
    return error is None and is_blank(got)


def _silu(x: float) -> float:
    return x / (1 + math.exp(-x))


def check_silu_derivative(derivative: Derivative) -> Feedback:
    """Exercise 6.1: `derivative(x, out)` of SiLU, x·σ(x), as Value ops; checked one and two levels deep."""
    if _untouched(derivative, _silu):
        return not_attempted("exercise 6.1 (SiLU's derivative)", "the derivative, written with Value ops")
    return _check_op(
        "exercise 6.1 (SiLU's derivative)", _silu, derivative, lambda v: v * v.sigmoid(),
        [Mistake(lambda x: 1 / (1 + math.exp(-x)),
                 "that is σ(x) alone: x·σ(x) is a product, so use the product rule.", "σ(x) + x·σ'(x)."),
         Mistake(lambda x: x * (s := 1 / (1 + math.exp(-x))) * (1 - s),
                 "that is x·σ'(x) alone; the product rule adds a term for the first factor.", "add σ(x)·1.")],
        "x·σ(x) is a product of two functions of x: use the product rule.",
        "d/dx [x·σ(x)] = σ(x) + x·σ(x)·(1 - σ(x)), written with Value ops.",
    )


def _log1p_square(x: float) -> float:
    return math.log1p(x * x)


def check_log1p_square_derivative(derivative: Derivative) -> Feedback:
    """Exercise 6.2: `derivative(x, out)` of log(1 + x²), as Value ops; checked one and two levels deep."""
    if _untouched(derivative, _log1p_square):
        return not_attempted("exercise 6.2 (derivative of log(1 + x²))", "the derivative, written with Value ops")
    return _check_op(
        "exercise 6.2 (derivative of log(1 + x²))", _log1p_square, derivative, lambda v: (1 + v * v).log(),
        [Mistake(lambda x: 1 / (1 + x * x), "that is log's derivative at u = 1 + x² alone; the chain rule also "
                                             "multiplies by the inner derivative.", "multiply by du/dx = 2x."),
         Mistake(lambda x: 2 * x, "that is the inner derivative alone; the chain rule also multiplies by log's "
                                  "derivative.", "multiply by 1/(1 + x²).")],
        "log(1 + x²) is a function of a function: use the chain rule.",
        "d/dx log(u) = u'/u with u = 1 + x².",
    )
