"""Every lesson exercise's checker passes its reference solution, catches a typical wrong answer with the hint
written for that mistake, says "not attempted yet" for an untouched starter, and never raises on a student's error."""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable
from typing import Any

import pytest

from engine import Value
from nn.lessons import (
    lesson01,
    lesson02,
    lesson03,
    lesson04,
    lesson05,
    lesson06,
    lesson07,
    lesson08,
    lesson09,
    solutions,
)
from nn.lessons.feedback import CORRECT, INCORRECT, NOT_ATTEMPTED, Feedback


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def flip_kernel_correlate(image: list[list[float]], kernel: list[list[float]]) -> list[list[float]]:
    return solutions.lesson04_cross_correlate(image, [row[::-1] for row in kernel[::-1]])


def average_pool_backward(image: list[list[float]], upstream: list[list[float]]) -> list[list[float]]:
    return [[upstream[r // 2][c // 2] / 4 for c in range(4)] for r in range(4)]


def no_relu_forward(x: list[float]) -> tuple[list[float], list[float]]:
    hidden = [sum(w * xi for w, xi in zip(row, x)) + b for row, b in zip(lesson03.W1, lesson03.B1)]
    return hidden, [sum(w * h for w, h in zip(lesson03.W2[0], hidden)) + lesson03.B2[0]]


def ascent_step(params: list[Any], lr: float) -> None:
    for p in params:
        p.data += lr * p.grad


def transposed_copy(layer: Any, linear: Any) -> None:
    import torch

    with torch.no_grad():
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                linear.weight[i, j] = w.data
            linear.bias[j] = neuron.b.data


def clip_with_if(y: Value) -> Value:
    return y * 0 + 2 if y.data > 2 else y * 1


def no_tanh_product(xs: list[float], w_ih: float, w_hh: float, b: float) -> float:
    return w_hh ** len(xs)


NEEDS_TORCH = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                 reason="exercise 8.1 copies into a torch.nn.Linear: torch is not installed")
# (checker, reference solution, a typical wrong answer, a phrase of the nudge that wrong answer must get), some
# wrapped in pytest.param to carry a skip mark
EXERCISES: list[Any] = [
    (lesson01.check_product_gradients, solutions.lesson01_product_gradients, {"a": 4.0, "b": 4.0, "c": 4.0},
     "the *other* operand"),
    (lesson01.check_central_difference, solutions.lesson01_central_difference,
     lambda f, x, h: (f(x + h) - f(x)) / h, "forward"),
    (lesson01.check_accumulated_grad, solutions.lesson01_accumulated_grad, 7.0, "accumulates"),
    (lesson02.check_sigmoid_derivative, solutions.lesson02_sigmoid_derivative, sigmoid, "that is σ(z) itself"),
    (lesson02.check_mse, solutions.lesson02_mse, lambda p, t: sum((a - b) ** 2 for a, b in zip(p, t)),
     "the *mean* divides by n"),
    (lesson02.check_cross_entropy_gradient, solutions.lesson02_cross_entropy_gradient,
     lambda z, t: [b - a for a, b in zip(solutions.lesson02_cross_entropy_gradient(z, t), [0.0] * len(z))],
     "sign is flipped"),
    (lesson03.check_forward, solutions.lesson03_forward, no_relu_forward, "applies relu"),
    (lesson03.check_sgd_step, solutions.lesson03_sgd_step, ascent_step, "climbs the loss"),
    (lesson03.check_num_parameters, solutions.lesson03_num_parameters,
     lambda nin, sizes: sum(i * o for i, o in zip([nin, *sizes[:-1]], sizes)), "also has a bias"),
    (lesson04.check_output_size, solutions.lesson04_conv_output_size, lambda n, k, s, p: (n - k) // s + 1,
     "*both* sides"),
    (lesson04.check_cross_correlation, solutions.lesson04_cross_correlate, flip_kernel_correlate, "flipped"),
    (lesson04.check_max_pool_gradient, solutions.lesson04_max_pool_backward, average_pool_backward,
     "*average* pooling"),
    (lesson05.check_rnn_step, solutions.lesson05_rnn_step, lambda x, h, w_ih, w_hh, b: w_ih * x + w_hh * h + b,
     "with tanh"),
    (lesson05.check_last_state_gradient, solutions.lesson05_last_state_gradient, no_tanh_product, "1 - h_t²"),
    (lesson06.check_silu_derivative, solutions.lesson06_silu_derivative, lambda x, out: x.sigmoid(),
     "product rule"),
    (lesson06.check_log1p_square_derivative, solutions.lesson06_log1p_square_derivative,
     lambda x, out: 1 / (1 + x * x), "inner derivative"),
    (lesson07.check_predict_class, solutions.lesson07_predict_class, lambda s: min(range(len(s)), key=s.__getitem__),
     "*smallest*"),
    (lesson07.check_confusion_matrix, solutions.lesson07_confusion_matrix,
     lambda t, p, n: [list(c) for c in zip(*solutions.lesson07_confusion_matrix(t, p, n))], "swapped"),
    pytest.param(lesson08.check_copy_layer, solutions.lesson08_copy_layer, transposed_copy, "the other way round",
                 marks=NEEDS_TORCH),
    (lesson08.check_weight_shapes, solutions.lesson08_weight_shapes,
     lambda nin, sizes: [[b, a] for a, b in solutions.lesson08_weight_shapes(nin, sizes)], "[out_features, in_f"),
    (lesson09.check_replay_vs_graph, solutions.lesson09_replay_vs_graph, {"replay_at_2": 2.0, "graph_at_2": 2.0},
     "does not run the `if` again"),
    (lesson09.check_clip_without_if, solutions.lesson09_clip_without_if, clip_with_if, "repeats that branch"),
    (lesson09.check_check_every, solutions.lesson09_check_every, {"first_wrong_call": 2, "raising_call": 3},
     "same graph as the trace"),
]
IDS = [check.__module__.rsplit(".", 1)[1] + "." + check.__name__
       for check, *_ in (e.values if hasattr(e, "values") else e for e in EXERCISES)]
IN_PLACE = (solutions.lesson03_sgd_step, solutions.lesson08_copy_layer)  # they return nothing: a starter is `...`


def starter(answer: Any) -> Any:
    """What the notebook's starter cell hands in: a `...` placeholder, in the answer's own shape."""
    if isinstance(answer, dict):
        return dict.fromkeys(answer, ...)
    if answer in IN_PLACE:  # it returns nothing: its starter is a body of `...`

        def step(*args: Any) -> None: ...

        return step
    if callable(answer):
        return lambda *args: ...
    return ...


@pytest.mark.parametrize(("check", "solution", "wrong", "hint"), EXERCISES, ids=IDS)
def test_the_reference_solution_passes(check: Callable[[Any], Feedback], solution: Any, wrong: Any, hint: str) -> None:
    feedback = check(solution)
    assert feedback.status == CORRECT, str(feedback)
    assert str(feedback).startswith("✔") and "hint" not in str(feedback)


@pytest.mark.parametrize(("check", "solution", "wrong", "hint"), EXERCISES, ids=IDS)
def test_a_typical_mistake_gets_its_own_nudge_and_how_far_off(
    check: Callable[[Any], Feedback], solution: Any, wrong: Any, hint: str
) -> None:
    feedback = check(wrong)
    assert feedback.status == INCORRECT
    assert hint in feedback.nudge, str(feedback)
    assert feedback.problems and all(("expected" in p) for p in feedback.problems), str(feedback)
    assert any("off by" in p or "second derivative" in p for p in feedback.problems), str(feedback)


@pytest.mark.parametrize(("check", "solution", "wrong", "hint"), EXERCISES, ids=IDS)
def test_an_untouched_starter_is_not_attempted_yet(
    check: Callable[[Any], Feedback], solution: Any, wrong: Any, hint: str
) -> None:
    feedback = check(starter(solution))
    assert feedback.status == NOT_ATTEMPTED, str(feedback)
    assert "replace the `...`" in feedback.note


def test_an_answer_that_raises_is_reported_not_raised() -> None:
    feedback = lesson02.check_mse(lambda p, t: 1 / 0)
    assert feedback.status == INCORRECT
    assert "ZeroDivisionError" in feedback.problems[0] and "mse([0.5, 2.0, -1.0]" in feedback.problems[0]


def test_an_unknown_wrong_answer_gets_the_general_hint_and_the_numbers() -> None:
    feedback = lesson02.check_sigmoid_derivative(lambda z: 0.25)
    assert feedback.status == INCORRECT
    assert "sigmoid_derivative(-3.0) is 0.25, expected 0.0451767 (off by 0.204823)" in feedback.problems[0]
    assert feedback.hint.startswith("write s = 1 / (1 + e^(-z))")


def test_a_first_derivative_on_floats_is_caught_one_level_up() -> None:
    feedback = lesson06.check_silu_derivative(
        lambda x, out: sigmoid(x.data) + x.data * sigmoid(x.data) * (1 - sigmoid(x.data))
    )
    assert feedback.status == INCORRECT
    assert "second derivative" in feedback.problems[0] and "Value ops" in feedback.hint


def test_a_wrong_shape_is_named() -> None:
    feedback = lesson04.check_cross_correlation(lambda image, kernel: [[0.0]])
    assert "cross_correlate(image, 3x3 kernel) has 1 item, expected 3" in feedback.problems[0]


def test_missing_names_and_a_wrong_container_are_named() -> None:
    feedback = lesson01.check_product_gradients({"a": 4.0, "b": 4.0, "z": 1.0})
    assert feedback.status == INCORRECT and "missing: c" in feedback.problems[0]
    feedback = lesson01.check_product_gradients(4.0)  # type: ignore[arg-type]
    assert feedback.status == INCORRECT and "expected a dict of numbers, got float" in feedback.problems[0]


def test_checkers_do_not_import_the_solutions() -> None:
    from pathlib import Path

    folder = Path(lesson01.__file__).parent
    for path in folder.glob("*.py"):
        if path.name != "solutions.py":
            assert "solutions" not in path.read_text().replace("`nn.lessons.solutions`", "").replace(
                "`solutions`", ""), path.name


def test_a_derivative_that_raises_is_reported_not_raised() -> None:
    feedback = lesson06.check_silu_derivative(lambda x, out: x.undefined_method())
    assert feedback.status == INCORRECT and "AttributeError" in feedback.problems[0]


def test_an_in_place_step_that_changes_nothing_is_not_mistaken_for_untouched() -> None:
    def rebinding_step(params: list[Any], lr: float) -> None:
        for p in params:
            p = p - lr * p.grad  # the classic mistake: a new Value is made, the parameter stays as it was

    feedback = lesson03.check_sgd_step(rebinding_step)
    assert feedback.status == INCORRECT and "in place" in feedback.nudge


def test_a_function_that_forgets_to_return_is_told_so() -> None:
    def mse(predictions: list[float], targets: list[float]) -> None:
        sum((y - p) ** 2 for p, y in zip(predictions, targets)) / len(predictions)

    feedback = lesson02.check_mse(mse)
    assert feedback.status == INCORRECT and "returned None" in feedback.problems[0] and "`return`" in feedback.nudge


@pytest.mark.parametrize(("check", "solution", "wrong", "hint"), EXERCISES, ids=IDS)
def test_feedback_lines_fit_a_notebook_output_at_1000_px_with_every_word_kept(
    check: Callable[[Any], Feedback], solution: Any, wrong: Any, hint: str
) -> None:
    """JupyterLab breaks an output line over 70 characters anywhere, even inside a number: feedback wraps itself
    at word boundaries instead (untouched, a first miss with its hint, a repeated miss with more help, a pass)."""
    for feedback in [check(starter(solution)), check(wrong), check(wrong), check(solution)]:
        text = str(feedback)
        long = [line for line in text.splitlines() if len(line) > 70]
        assert long == [], text
        words = " ".join(text.split())
        for part in [feedback.note, *feedback.problems, feedback.nudge, feedback.hint * feedback.more_help]:
            assert " ".join(part.split()) in words, (part, text)
