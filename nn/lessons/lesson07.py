"""Lesson 7 exercises: turning scores into a predicted class, and a confusion matrix of the test set."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from nn.lessons.feedback import Feedback, Mistake, check_function
from nn.training import predict_class


def check_predict_class(predict: Callable[[Sequence[float]], Any]) -> Feedback:
    """Exercise 7.1: `predict(scores)` = the index of the largest score, checked against nn.training.predict_class."""
    cases = [([0.1, 2.5, -1.0],), ([-3.0, -0.5, -2.0, -4.0],), ([1.0, 0.0, 0.0, 0.0, 0.5, 7.0, 0.2, 0.0, 0.0, 3.0],)]
    return check_function(
        "exercise 7.1 (predicted class)", predict, predict_class, cases,
        describe=lambda s: f"predict({s})",
        mistakes=[
            Mistake(lambda s: min(range(len(s)), key=s.__getitem__), "that is the *smallest* score's index.",
                    "the largest score's index: max, not min."),
            Mistake(max, "that is the largest score itself; the class is its *index*."),
        ],
        nudge="the predicted class is the position of the largest score (its arg-max).",
        hint="return k such that scores[k] is the largest, e.g. max(range(len(scores)), key=scores.__getitem__).",
    )


def _confusion(true: Sequence[int], predicted: Sequence[int], n_classes: int) -> list[list[int]]:
    matrix = [[0] * n_classes for _ in range(n_classes)]
    for t, p in zip(true, predicted):
        matrix[t][p] += 1
    return matrix


def check_confusion_matrix(confusion_matrix: Callable[[Sequence[int], Sequence[int], int], Any]) -> Feedback:
    """Exercise 7.2: `confusion_matrix(true, predicted, n_classes)`: row = true class, column = predicted class."""
    cases = [([0, 1, 2, 2, 1], [0, 2, 2, 1, 1], 3), ([3, 3, 0, 1], [3, 0, 0, 1], 4)]
    return check_function(
        "exercise 7.2 (confusion matrix)", confusion_matrix, _confusion, cases,
        describe=lambda t, p, n: f"confusion_matrix({t}, {p}, {n})",
        mistakes=[Mistake(lambda t, p, n: [list(c) for c in zip(*_confusion(t, p, n))],
                          "rows and columns are swapped: row = the true class, column = the predicted class.",
                          "add 1 at matrix[true][predicted].")],
        nudge="a confusion matrix counts the samples by (true class, predicted class).",
        hint="start from an n x n table of zeros and add 1 at [true][predicted] for every sample.",
    )
