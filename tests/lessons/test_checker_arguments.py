"""A checker gives the student's function and the reference each their own copy of the arguments, so an answer
that changes its arguments in place is judged by what it returns; and no answer, however odd, crashes a checker."""

from __future__ import annotations

import math
from typing import Any

from nn.lessons import lesson01, lesson02, lesson04, lesson07, solutions
from nn.lessons.feedback import CORRECT, INCORRECT, Mistake, check_function


def mse_reusing_predictions(p: list[float], t: list[float]) -> float:
    for i in range(len(p)):
        p[i] = (p[i] - t[i]) ** 2
    return sum(p) / len(p)


def softmax_gradient_in_place(logits: list[float], target: int) -> list[float]:
    top = max(logits)
    for k, z in enumerate(logits):
        logits[k] = math.exp(z - top)
    total = sum(logits)
    for k, e in enumerate(logits):
        logits[k] = e / total - (k == target)
    return logits


def correlate_then_reverse(image: list[list[float]], kernel: list[list[float]]) -> list[list[float]]:
    out = solutions.lesson04_cross_correlate(image, kernel)
    kernel.reverse()
    return out


def confusion_by_pop(true: list[int], predicted: list[int], n: int) -> list[list[int]]:
    matrix = [[0] * n for _ in range(n)]
    while true:
        matrix[true.pop()][predicted.pop()] += 1
    return matrix


def test_right_answers_that_change_their_arguments_in_place_pass() -> None:
    for check, answer in [(lesson02.check_mse, mse_reusing_predictions),
                          (lesson02.check_cross_entropy_gradient, softmax_gradient_in_place),
                          (lesson04.check_cross_correlation, correlate_then_reverse),
                          (lesson07.check_confusion_matrix, confusion_by_pop)]:
        feedback = check(answer)
        assert feedback.status == CORRECT, str(feedback)


def test_an_answer_that_overwrites_its_arguments_cannot_make_the_reference_agree() -> None:
    def mse(p: list[float], t: list[float]) -> float:
        p[:] = t
        return 0.0

    feedback = lesson02.check_mse(mse)
    assert feedback.status == INCORRECT
    assert "mse([0.5, 2.0, -1.0], [1.0, 2.5, 0.0]) is 0, expected 0.5" in feedback.problems[0]


def self_holding() -> list[Any]:
    loop: list[Any] = []
    loop.append(loop)
    return loop


def deep(levels: int) -> list[Any]:
    top = inner = []
    for _ in range(levels):
        inner.append([])
        inner = inner[0]
    return top


class BrokenData:
    """A Value-like answer whose `.data` raises."""

    @property
    def data(self) -> float:
        raise RuntimeError("no data here")


class BrokenList(list):  # type: ignore[type-arg]
    """A list whose items cannot be read."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        raise OSError("unreadable")


class BrokenShape:
    """An array-like answer whose `.ndim` raises."""

    @property
    def ndim(self) -> int:
        raise RuntimeError("no shape")


class BrokenRepr:
    def __repr__(self) -> str:
        raise ValueError("no repr")


def test_self_holding_deep_and_broken_answers_get_a_message_not_a_crash() -> None:
    for answer, says in [(self_holding(), "has 1 item, expected 3"), (deep(100_000), "has 1 item, expected 3"),
                         (BrokenData(), "should be a list of 3"), (BrokenRepr(), "got <BrokenRepr instance"),
                         (BrokenList([1.0]), "could not be read: OSError: unreadable"),
                         (BrokenShape(), "could not be read: RuntimeError: no shape")]:
        feedback = lesson04.check_cross_correlation(lambda image, kernel, a=answer: a)
        assert feedback.status == INCORRECT and says in feedback.problems[0], str(feedback)
        str(feedback)
    for answer, says in [(self_holding(), "should be a number: it is [[[[...]]]], not a number"),
                         (deep(100_000), "should be a number"),
                         (BrokenData(), "should be a number: reading it raised RuntimeError: no data here"),
                         (BrokenRepr(), "it is <BrokenRepr instance at")]:
        for feedback in (lesson01.check_product_gradients({"a": answer, "b": 4.0, "c": 1.0}),
                         lesson02.check_mse(lambda p, t, a=answer: a)):
            assert feedback.status == INCORRECT and says in feedback.problems[0], str(feedback)
            str(feedback)
    rows = [[0.0] * 3 for _ in range(3)]
    rows[2] = rows  # type: ignore[call-overload]
    feedback = lesson04.check_cross_correlation(lambda image, kernel: rows)
    assert "[2] has 3 items" not in feedback.problems[0] and "[2][0] should be a number" in \
        feedback.problems[0], str(feedback)


def test_a_typical_mistake_that_raises_on_a_case_matches_nothing_and_crashes_nothing() -> None:
    feedback = check_function(
        "exercise 9.9 (double)", lambda x: x + 1, lambda x: 2 * x, [(1.0,), (0.0,)],
        describe=lambda x: f"double({x:g})",
        mistakes=[Mistake(lambda x: 2 / x, "divides"), Mistake(lambda x: x + 1, "adds one")],  # 2 / x fits case 1
        nudge="the exercise's own nudge", hint="2 * x",
    )
    assert feedback.status == INCORRECT and feedback.nudge == "adds one", str(feedback)
    assert feedback.problems == ["double(0) is 1, expected 0 (off by 1)"], feedback.problems
