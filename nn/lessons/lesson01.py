"""Lesson 1 exercises: gradients of a small graph by hand, a central difference, gradients that accumulate."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from engine import Value
from nn.lessons.feedback import Feedback, Mistake, check_function, check_numbers

# Exercise 1.1: L = (a + b) * c at these numbers.
A, B, C = 2.0, -1.0, 4.0


def check_product_gradients(grads: dict[str, Any]) -> Feedback:
    """Exercise 1.1: {"a": dL/da, "b": dL/db, "c": dL/dc} for L = (a + b) * c, worked out by hand."""
    a, b, c = Value(A), Value(B), Value(C)
    ((a + b) * c).backward()
    right = {"a": a.grad, "b": b.grad, "c": c.grad}
    forgot_chain = ("the chain rule: a sum's local derivative 1 is multiplied by the gradient arriving at the sum.",
                    "dL/d(a+b) = c, so dL/da = dL/db = c.")
    return check_numbers(
        "exercise 1.1 (gradients of (a + b) * c)", grads, right,
        mistakes={"a": [(1.0, *forgot_chain)], "b": [(1.0, *forgot_chain)],
                  "c": [(C, "a product sends each operand the *other* operand.", "dL/dc = a + b, not c."),
                        (A * B, "the other operand of the product is the whole sum.", "dL/dc = a + b, not a·b.")]},
        nudge="work backwards from dL/dL = 1 with the chain rule: each node passes its gradient times its local "
              "derivative to its operands.",
        hint="work backwards: dL/dL = 1; the product gives c the value of (a + b) and (a + b) the value of c; "
             "a sum passes its gradient to both operands unchanged.",
    )


H = 1e-5
TEST_FUNCTIONS: list[tuple[Callable[[float], float], float, Callable[[float], float]]] = [
    (math.sin, 1.0, math.cos),
    (math.exp, 0.5, math.exp),
    (lambda x: x**3, 2.0, lambda x: 3 * x**2),
]


def check_central_difference(central_difference: Callable[[Callable[[float], float], float, float], Any]) -> Feedback:
    """Exercise 1.2: `central_difference(f, x, h)` estimates f'(x) to about h²; checked on sin, exp and x³."""
    derivatives = {id(f): d for f, _, d in TEST_FUNCTIONS}
    return check_function(
        "exercise 1.2 (central difference)", central_difference,
        lambda f, x, h: derivatives[id(f)](x),
        [(f, x, H) for f, x, _ in TEST_FUNCTIONS],
        describe=lambda f, x, h: f"central_difference({'x**3' if f.__name__ == '<lambda>' else f.__name__}, {x}, {h})",
        mistakes=[
            Mistake(lambda f, x, h: (f(x + h) - f(x)) / h,
                    "that is the one-sided (forward) difference, whose error shrinks only like h.",
                    "step to both sides: (f(x + h) - f(x - h)) / (2h)."),
            Mistake(lambda f, x, h: (f(x + h) - f(x - h)) / h, "the two points are 2h apart.",
                    "divide by 2h, not h."),
        ],
        nudge="a central difference looks at f on both sides of x and divides by the distance between the points.",
        hint="(f(x + h) - f(x - h)) / (2 * h).",
        what="the central difference formula",
    )


# Exercise 1.3: y = x * x + x at x = 3, then y.backward() called twice.
X = 3.0


def check_accumulated_grad(grad: Any) -> Feedback:
    """Exercise 1.3: the value of x.grad after calling y.backward() twice on y = x * x + x at x = 3."""
    x = Value(X)
    y = x * x + x
    y.backward()
    y.backward()
    once = 2 * X + 1
    return check_numbers(
        "exercise 1.3 (backward twice)", {"x.grad": grad}, {"x.grad": x.grad},
        mistakes={"x.grad": [
            (once, f"{once:g} is dy/dx after one backward(); a leaf's .grad *accumulates*.",
             f"the second call adds {once:g} again."),
            (2 * 2 * X, "that counts only the uses in x * x: every use of x adds to its gradient.",
             "the use in + x adds 1 to dy/dx on each pass."),
        ]},
        nudge="think about what a second backward() does to a leaf's .grad.",
        hint="dy/dx = 2x + 1 for one pass, and a second backward() adds it to .grad again.",
        what="your prediction (a number)",
    )
