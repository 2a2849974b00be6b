"""Lesson 2 exercises: the sigmoid's derivative, the mean squared error, the gradient of softmax cross-entropy."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import engine
from engine import Value
from nn import functional as F
from nn.lessons.feedback import Feedback, Mistake, check_function


def _one(loss: Value | list[Value]) -> Value:
    """A reduced loss (reduction="mean"): one Value."""
    assert isinstance(loss, Value)
    return loss


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def check_sigmoid_derivative(sigmoid_derivative: Callable[[float], Any]) -> Feedback:
    """Exercise 2.1: `sigmoid_derivative(z)` with plain floats, checked against the engine's backward rule."""
    def right(z: float) -> float:
        v = Value(z)
        return engine.grad(v.sigmoid(), [v])[0].data

    return check_function(
        "exercise 2.1 (sigmoid')", sigmoid_derivative, right, [(z,) for z in (-3.0, -0.5, 0.0, 1.0, 2.5)],
        describe=lambda z: f"sigmoid_derivative({z})",
        mistakes=[
            Mistake(_sigmoid, "that is σ(z) itself, not its slope.", "σ'(z) = σ(z)·(1 - σ(z))."),
            Mistake(lambda z: 1 - _sigmoid(z), "that is 1 - σ(z) alone: one factor of the slope.",
                    "multiply it by σ(z)."),
            Mistake(lambda z: -_sigmoid(z) * (1 - _sigmoid(z)), "check the sign: σ rises everywhere, so σ' > 0.",
                    "σ'(z) = σ(z)·(1 - σ(z)), with no minus."),
        ],
        nudge="the sigmoid's slope can be written with the sigmoid itself.",
        hint="write s = 1 / (1 + e^(-z)); the derivative is a product of s and 1 - s.",
    )


def check_mse(mse: Callable[[Sequence[float], Sequence[float]], Any]) -> Feedback:
    """Exercise 2.2: `mse(predictions, targets)` with plain floats, checked against nn.functional.mse_loss."""
    cases = [([0.5, 2.0, -1.0], [1.0, 2.5, 0.0]), ([3.0], [1.0]), ([0.0, 1.0, 2.0, 3.0], [1.0, 1.0, 1.0, 1.0])]
    return check_function(
        "exercise 2.2 (mean squared error)", mse,
        lambda p, t: _one(F.mse_loss([Value(v) for v in p], list(t))).data, cases,
        describe=lambda p, t: f"mse({p}, {t})",
        mistakes=[
            Mistake(lambda p, t: sum((a - b) ** 2 for a, b in zip(p, t)),
                    "that is the sum of the squared errors; the *mean* divides by n.",
                    "divide the sum by len(predictions)."),
            Mistake(lambda p, t: sum(abs(a - b) for a, b in zip(p, t)) / len(p),
                    "that is the mean *absolute* error.", "square each difference: (y - p) ** 2."),
            Mistake(lambda p, t: sum(a - b for a, b in zip(p, t)) / len(p),
                    "errors of opposite sign cancel in a plain average.", "square each difference before averaging."),
        ],
        nudge="the mean squared error: square each error, then average.",
        hint="sum((y - p) ** 2 for p, y in zip(predictions, targets)) / len(predictions).",
    )


def check_cross_entropy_gradient(gradient: Callable[[Sequence[float], int], Any]) -> Feedback:
    """Exercise 2.3: `gradient(logits, target)` = dL/dz_k of cross_entropy(logits, target), as a list of floats."""
    def right(logits: Sequence[float], target: int) -> list[float]:
        zs = [Value(z) for z in logits]
        return [g.data for g in engine.grad(_one(F.cross_entropy(zs, target)), zs)]

    def softmax(logits: Sequence[float]) -> list[float]:
        return [p.data for p in F.softmax(list(logits))]

    def one_hot(target: int, n: int) -> list[float]:
        return [1.0 if k == target else 0.0 for k in range(n)]

    cases = [([2.0, 1.0, 0.1], 0), ([0.5, -1.0, 3.0, 0.0], 1), ([0.0, 0.0], 1)]
    return check_function(
        "exercise 2.3 (gradient of cross-entropy)", gradient, right, cases,
        describe=lambda z, t: f"gradient({z}, target={t})",
        mistakes=[
            Mistake(lambda z, t: softmax(z), "that is p = softmax(z); the gradient also involves the target.",
                    "subtract the one-hot target y: p - y."),
            Mistake(lambda z, t: [y - p for p, y in zip(softmax(z), one_hot(t, len(z)))],
                    "the sign is flipped: the true class's logit should go *up* when we step against the gradient.",
                    "it is p - y."),
        ],
        nudge="the gradient of softmax cross-entropy compares the predicted probabilities with the one-hot target.",
        hint="compute p = softmax(z) and y = the one-hot target; dL/dz_k = p_k - y_k.",
    )
