"""Mutation tests for every lesson checker: wrong answers generated from the reference solution (dropped elements,
swapped axes, off-by-one, sign flips, truncated rows, wrong types) are all rejected, and right answers written in
other ways (loops, comprehensions, NumPy, in place) are all accepted."""

from __future__ import annotations

import importlib
import importlib.util
import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import engine
from engine import Value
from nn.layers import MLP
from nn.lessons import solutions
from nn.lessons.feedback import CORRECT, INCORRECT

lesson = {k: importlib.import_module(f"nn.lessons.lesson{k:02d}") for k in range(1, 10)}  # lesson[3] is lesson03

Answer = Any
Mutation = Callable[[Any], Any]

# ------------------------------------------------------------------ mutations of a returned value
NUMBER: dict[str, Mutation] = {
    "off by one": lambda v: v + 1,
    "one less": lambda v: v - 1,
    "sign flip": lambda v: -v if v else 1,
    "doubled": lambda v: 2 * v if v else 1,
    "a str": str,
    "a list of it": lambda v: [v],
    "NaN": lambda v: math.nan,
    "a bool": lambda v: True,
}
LIST: dict[str, Mutation] = {
    "last dropped": lambda v: list(v)[:-1],
    "first dropped": lambda v: list(v)[1:],
    "one appended": lambda v: [*v, 0.0],
    "empty": lambda v: [],
    "first off by one": lambda v: [v[0] + 1, *v[1:]],
    "last off by one": lambda v: [*v[:-1], v[-1] + 1],
    "signs flipped": lambda v: [-x for x in v],
    "a bare number": lambda v: v[0],
    "a str": str,
    "a set": lambda v: set(v),
    "a dict": lambda v: dict(enumerate(v)),
    "nested once more": lambda v: [list(v)],
}
GRID: dict[str, Mutation] = {
    "axes swapped": lambda v: [list(c) for c in zip(*v)],
    "first row only": lambda v: [list(v[0])],
    "first row only, others zero": lambda v: [list(v[0])] + [[0] * len(r) for r in v[1:]],
    "rows truncated": lambda v: [list(r)[:-1] for r in v],
    "last row dropped": lambda v: [list(r) for r in v][:-1],
    "rows reversed": lambda v: [list(r) for r in v][::-1],
    "entry [1][0] off by one": lambda v: [list(v[0])] + [[v[1][0] + 1, *v[1][1:]]] + [list(r) for r in v[2:]],
    "signs flipped": lambda v: [[-x for x in r] for r in v],
    "flattened": lambda v: [x for r in v for x in r],
    "a bare number": lambda v: v[0][0],
    "a str": str,
}


def returning(solution: Callable[..., Any], mutations: dict[str, Mutation]) -> dict[str, Callable[..., Any]]:
    return {name: (lambda *a, m=mutate: m(solution(*a))) for name, mutate in mutations.items()}


def sign_flip_skipping_zeros(v: list[Any]) -> list[Any]:
    return [[-x for x in r] for r in v]


def pair(solution: Callable[..., Any]) -> dict[str, Callable[..., Any]]:
    """3.1's answer is (hidden, output): each half mutated, and the pair itself."""
    wrong: dict[str, Callable[..., Any]] = {
        "output = []": lambda x: (solution(x)[0], []),
        "output a bare float": lambda x: (solution(x)[0], solution(x)[1][0]),
        "hidden a bare float": lambda x: (solution(x)[0][0], solution(x)[1]),
        "halves swapped": lambda x: solution(x)[::-1],
        "hidden only": lambda x: solution(x)[0],
        "a third item": lambda x: (*solution(x), [0.0]),
    }
    for half in (0, 1):
        for name, mutate in LIST.items():
            if name != "a bare number" or half == 0:  # output has one number: a bare one is "output a bare float"
                wrong[f"{('hidden', 'output')[half]}: {name}"] = (
                    lambda x, m=mutate, k=half: tuple(m(v) if i == k else v for i, v in enumerate(solution(x))))
    return wrong


def dict_answer(right: dict[str, float]) -> dict[str, dict[str, Any]]:
    wrong: dict[str, dict[str, Any]] = {}
    for key in right:
        for name, mutate in NUMBER.items():
            wrong[f"{key}: {name}"] = {**right, key: mutate(right[key])}
        wrong[f"{key} dropped"] = {k: v for k, v in right.items() if k != key}
    wrong["an extra key"] = {**right, "extra": 0.0}
    wrong["all values swapped round"] = dict(zip(right, [*list(right.values())[1:], list(right.values())[0]]))
    wrong["a list of the values"] = list(right.values())  # type: ignore[assignment]
    return wrong


# ------------------------------------------------------------------ mutations of in-place answers and Value ops
def sgd_wrong() -> dict[str, Callable[..., Any]]:
    step = solutions.lesson03_sgd_step

    def off_by_one(params: list[Value], lr: float) -> None:
        step(params, lr)
        params[0].data += 1

    return {
        "last parameter dropped": lambda params, lr: step(params[:-1], lr),
        "first parameter dropped": lambda params, lr: step(params[1:], lr),
        "sign flipped": lambda params, lr: step(params, -lr),
        "off by one": off_by_one,
        "twice": lambda params, lr: (step(params, lr), step(params, lr)),
        "lr squared": lambda params, lr: step(params, lr * lr),
    }


def copy_wrong() -> dict[str, Callable[..., Any]]:
    def copy(layer: Any, linear: Any, edit: Callable[[Any], None]) -> None:
        import torch

        solutions.lesson08_copy_layer(layer, linear)
        with torch.no_grad():
            edit(linear)

    def transposed(linear: Any) -> None:
        linear.weight.copy_(linear.weight.t().clone())

    return {
        "one weight off by one": lambda layer, linear: copy(layer, linear, lambda lin: lin.weight[0].add_(1.0)),
        "signs flipped": lambda layer, linear: copy(layer, linear, lambda lin: lin.weight.neg_()),
        "axes swapped": lambda layer, linear: copy(layer, linear, transposed),
        "last row dropped": lambda layer, linear: copy(layer, linear, lambda lin: lin.weight[-1].zero_()),
        "bias sign flipped": lambda layer, linear: copy(layer, linear, lambda lin: lin.bias.neg_()),
    }


def derivative_wrong(solution: Callable[[Value, Value], Value]) -> dict[str, Callable[..., Any]]:
    return {
        "off by one": lambda x, out: solution(x, out) + 1,
        "sign flip": lambda x, out: -solution(x, out),
        "doubled": lambda x, out: 2 * solution(x, out),
        "taken one step to the right": lambda x, out: solution(x + 1, out),
        "on floats": lambda x, out: solution(x, out).data,
        "a str": lambda x, out: str(solution(x, out).data),
        "two partials for one input": lambda x, out: [solution(x, out), solution(x, out)],
    }


CLIP_WRONG: dict[str, Callable[..., Any]] = {
    "off by one": lambda y: solutions.lesson09_clip_without_if(y) + 1,
    "sign flip": lambda y: -solutions.lesson09_clip_without_if(y),
    "no clipping": lambda y: y * 1,
    "clipped at 3": lambda y: 3 - (3 - y).relu(),
    "clipped from below": lambda y: 2 + (y - 2).relu(),
    "a str": lambda y: str(y.data),
}

# ------------------------------------------------------------------ right answers written in other ways
W1, B1, W2, B2 = (np.array(m, dtype=float) for m in (lesson[3].W1, lesson[3].B1, lesson[3].W2, lesson[3].B2))


def forward_loops(x: list[float]) -> tuple[list[float], list[float]]:
    hidden = []
    for row, b in zip(lesson[3].W1, lesson[3].B1):
        z = b
        for w, xi in zip(row, x):
            z += w * xi
        hidden.append(z if z > 0 else 0.0)
    output = []
    for row, b in zip(lesson[3].W2, lesson[3].B2):
        output.append(b + sum(w * h for w, h in zip(row, hidden)))
    return hidden, output


def forward_numpy(x: list[float]) -> tuple[np.ndarray, np.ndarray]:
    hidden = np.maximum(0.0, W1 @ np.array(x) + B1)
    return hidden, W2 @ hidden + B2


def forward_with_values(x: list[float]) -> list[Any]:
    hidden = [max(Value(0.0), sum((Value(w) * xi for w, xi in zip(row, x)), Value(b)), key=lambda v: v.data)
              for row, b in zip(lesson[3].W1, lesson[3].B1)]
    return [hidden, [sum((w * h for w, h in zip(lesson[3].W2[0], hidden)), Value(lesson[3].B2[0]))]]


def sgd_in_a_comprehension(params: list[Value], lr: float) -> None:
    [setattr(p, "data", p.data - lr * p.grad) for p in params]  # noqa: B018 - a student's way of writing a loop


def cross_correlate_loops(image: list[list[float]], kernel: list[list[float]]) -> list[list[float]]:
    k = len(kernel)
    out = []
    for i in range(len(image) - k + 1):
        row = []
        for j in range(len(image[0]) - k + 1):
            total = 0.0
            for u in range(k):
                for v in range(k):
                    total += kernel[u][v] * image[i + u][j + v]
            row.append(total)
        out.append(row)
    return out


def cross_correlate_numpy(image: list[list[float]], kernel: list[list[float]]) -> np.ndarray:
    img, ker = np.array(image), np.array(kernel)
    k, n = len(ker), len(img) - len(ker) + 1
    return np.array([[np.sum(img[i:i + k, j:j + k] * ker) for j in range(n)] for i in range(n)])


def max_pool_numpy(image: list[list[float]], upstream: list[list[float]]) -> np.ndarray:
    img, grad = np.array(image), np.zeros((4, 4))
    for i in range(2):
        for j in range(2):
            u, v = np.unravel_index(np.argmax(img[2 * i:2 * i + 2, 2 * j:2 * j + 2]), (2, 2))
            grad[2 * i + u, 2 * j + v] = upstream[i][j]
    return grad


def max_pool_in_the_image(image: list[list[float]], upstream: list[list[float]]) -> list[list[float]]:
    """The winners found first, then the image itself overwritten with the gradient: the checker's copy is its own."""
    winners = {max(((r + u, c + v) for u in range(2) for v in range(2)), key=lambda rc: image[rc[0]][rc[1]]):
               upstream[r // 2][c // 2] for r in (0, 2) for c in (0, 2)}
    for r, row in enumerate(image):
        for c in range(len(row)):
            row[c] = winners.get((r, c), 0.0)
    return image


def last_state_gradient_graph(xs: list[float], w_ih: float, w_hh: float, b: float) -> float:
    h0 = Value(0.0)
    h = h0
    for x in xs:
        h = (w_ih * x + w_hh * h + b).tanh()
    return engine.grad(h, [h0])[0].data


def last_state_gradient_numpy(xs: list[float], w_ih: float, w_hh: float, b: float) -> np.float64:
    states = []
    for x in xs:
        states.append(np.tanh(w_ih * x + w_hh * (states[-1] if states else 0.0) + b))
    return np.prod((1 - np.array(states) ** 2) * w_hh)


def confusion_numpy(true: list[int], predicted: list[int], n: int) -> np.ndarray:
    matrix = np.zeros((n, n), dtype=int)
    np.add.at(matrix, (true, predicted), 1)
    return matrix


def copy_layer_at_once(layer: Any, linear: Any) -> None:
    import torch

    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons]))
        linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons]))


def engine_max_takes_numbers() -> bool:
    try:
        engine.max([Value(1.0), -2])  # type: ignore[list-item]
    except TypeError:
        return False
    return True


NEEDS_TORCH = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                 reason="exercise 8.1 copies into a torch.nn.Linear: torch is not installed")
NUMBERS_IN_MAX = pytest.mark.skipif(not engine_max_takes_numbers(),
                                    reason="engine.max does not take plain numbers in this tree yet")

# checker: (its wrong answers by name, its right answers by name); marks per checker
EXERCISES: dict[Callable[..., Any], tuple[dict[str, Answer], dict[str, Answer]]] = {
    lesson[1].check_product_gradients: (dict_answer(solutions.lesson01_product_gradients), {
        "ints": {"a": 4, "b": 4, "c": 1},
        "NumPy numbers": {"a": np.float64(4), "b": np.int64(4), "c": np.array(1.0)},
        "Values": {"a": Value(4.0), "b": Value(4.0), "c": Value(1.0)},
    }),
    lesson[1].check_central_difference: (returning(solutions.lesson01_central_difference, NUMBER), {
        "halved": lambda f, x, h: 0.5 * (f(x + h) - f(x - h)) / h,
        "NumPy": lambda f, x, h: np.diff([f(x - h), f(x + h)])[0] / (2 * h),
        "a 0-d array": lambda f, x, h: np.array((f(x + h) - f(x - h)) / (2 * h)),
    }),
    lesson[1].check_accumulated_grad: ({name: m(14.0) for name, m in NUMBER.items()},
                                      {"an int": 14, "NumPy": np.int64(14), "a 0-d array": np.array(14.0)}),
    lesson[2].check_sigmoid_derivative: (returning(solutions.lesson02_sigmoid_derivative, NUMBER), {
        "NumPy": lambda z: (s := 1 / (1 + np.exp(-z))) * (1 - s),
        "e^-z over (1 + e^-z)^2": lambda z: math.exp(-z) / (1 + math.exp(-z)) ** 2,
        "a Value": lambda z: engine.grad((v := Value(z)).sigmoid(), [v])[0],
    }),
    lesson[2].check_mse: (returning(solutions.lesson02_mse, NUMBER), {
        "a loop": lambda p, t: sum([(p[i] - t[i]) ** 2 for i in range(len(p))]) / len(t),
        "NumPy": lambda p, t: np.mean((np.array(p) - np.array(t)) ** 2),
        "squares in place": lambda p, t: (p.__setitem__(slice(None), [(a - b) ** 2 for a, b in zip(p, t)]),
                                          sum(p) / len(p))[1],
    }),
    lesson[2].check_cross_entropy_gradient: (returning(solutions.lesson02_cross_entropy_gradient, LIST), {
        "NumPy": lambda z, t: (e := np.exp(np.array(z) - max(z))) / e.sum() - np.eye(len(z))[t],
        "a tuple": lambda z, t: tuple(solutions.lesson02_cross_entropy_gradient(z, t)),
        "engine.grad": lambda z, t: engine.grad(
            -(vs := [Value(v) for v in z])[t] + sum(v.exp() for v in vs).log(), vs),
    }),
    lesson[3].check_forward: (pair(solutions.lesson03_forward), {
        "loops": forward_loops, "NumPy": forward_numpy, "Values, as a list": forward_with_values,
    }),
    lesson[3].check_sgd_step: (sgd_wrong(), {
        "p.data = p.data - ...": lambda params, lr: [setattr(p, "data", p.data - lr * p.grad) for p in params] and None,
        "a comprehension": sgd_in_a_comprehension,
        "by index": lambda params, lr: [params[i].__setattr__("data", params[i].data - lr * params[i].grad)
                                        for i in range(len(params))] and None,
    }),
    lesson[3].check_num_parameters: (returning(solutions.lesson03_num_parameters, NUMBER), {
        "a loop": lambda nin, sizes: sum((n_in + 1) * n_out for n_in, n_out in zip([nin, *sizes], sizes)),
        "NumPy": lambda nin, sizes: np.sum((np.array([nin, *sizes[:-1]]) + 1) * np.array(sizes)),
        "the model itself": lambda nin, sizes: len(MLP(nin, list(sizes)).parameters()),
    }),
    lesson[4].check_output_size: (returning(solutions.lesson04_conv_output_size, NUMBER), {
        "floor": lambda n, k, s, p: math.floor((n + 2 * p - k) / s) + 1,
        "NumPy": lambda n, k, s, p: np.floor((n + 2 * p - k) / s) + 1,
        "counting positions": lambda n, k, s, p: len(range(0, n + 2 * p - k + 1, s)),
    }),
    lesson[4].check_cross_correlation: (returning(solutions.lesson04_cross_correlate, GRID), {
        "loops": cross_correlate_loops, "NumPy": cross_correlate_numpy,
        "tuples": lambda image, kernel: tuple(map(tuple, solutions.lesson04_cross_correlate(image, kernel))),
    }),
    lesson[4].check_max_pool_gradient: ({**returning(solutions.lesson04_max_pool_backward, GRID),
                                        "signs flipped": lambda i, u: sign_flip_skipping_zeros(
                                            solutions.lesson04_max_pool_backward(i, u))}, {
        "NumPy": max_pool_numpy, "in the image, in place": max_pool_in_the_image,
    }),
    lesson[5].check_rnn_step: (returning(solutions.lesson05_rnn_step, NUMBER), {
        "NumPy": lambda x, h, w_ih, w_hh, b: np.tanh(w_ih * x + w_hh * h + b),
        "a Value": lambda x, h, w_ih, w_hh, b: (Value(w_ih) * x + w_hh * h + b).tanh(),
        "from exp": lambda x, h, w_ih, w_hh, b: (1 - math.exp(-2 * (z := w_ih * x + w_hh * h + b))) / (
            1 + math.exp(-2 * z)),
    }),
    lesson[5].check_last_state_gradient: (returning(solutions.lesson05_last_state_gradient, NUMBER), {
        "engine.grad": last_state_gradient_graph,
        "NumPy": last_state_gradient_numpy,
    }),
    lesson[6].check_silu_derivative: (derivative_wrong(solutions.lesson06_silu_derivative), {
        "factored": lambda x, out: (s := x.sigmoid()) * (1 + x - x * s),
        "from exp": lambda x, out: (1 + (-x).exp() + x * (-x).exp()) / (1 + (-x).exp()) ** 2,
    }),
    lesson[6].check_log1p_square_derivative: (derivative_wrong(solutions.lesson06_log1p_square_derivative), {
        "a power": lambda x, out: 2 * x * (1 + x**2) ** -1,
        "reordered": lambda x, out: (x + x) / (x * x + 1),
    }),
    lesson[7].check_predict_class: (returning(solutions.lesson07_predict_class, NUMBER), {
        "np.argmax": lambda s: np.argmax(s), "index of max": lambda s: s.index(max(s)),
        "a loop": lambda s: [k for k in range(len(s)) if all(s[k] >= x for x in s)][0],
    }),
    lesson[7].check_confusion_matrix: (returning(solutions.lesson07_confusion_matrix, GRID), {
        "NumPy": confusion_numpy,
        "a comprehension": lambda t, p, n: [[sum(a == i and b == j for a, b in zip(t, p)) for j in range(n)]
                                            for i in range(n)],
        "a Counter": lambda t, p, n: [[Counter(zip(t, p))[i, j] for j in range(n)] for i in range(n)],
    }),
    lesson[8].check_copy_layer: (copy_wrong(), {"at once": copy_layer_at_once}),
    lesson[8].check_weight_shapes: (returning(solutions.lesson08_weight_shapes, GRID), {
        "tuples": lambda nin, sizes: [(o, i) for i, o in zip([nin, *sizes], sizes)],
        "NumPy": lambda nin, sizes: np.array([[o, i] for i, o in zip([nin, *sizes], sizes)]),
    }),
    lesson[9].check_replay_vs_graph: (dict_answer({"replay_at_2": 5.0, "graph_at_2": 2.0}),
                                     {"ints": {"replay_at_2": 5, "graph_at_2": 2}}),
    lesson[9].check_clip_without_if: (CLIP_WRONG, {
        "relu": solutions.lesson09_clip_without_if,
        "engine.max of Values": lambda y: -engine.max([-y, Value(-2.0)]),
        "engine.max with a number": pytest.param(lambda y: -engine.max([-y, -2]), marks=NUMBERS_IN_MAX),
        "y minus its excess": lambda y: y - (y - 2).relu(),
    }),
    lesson[9].check_check_every: (dict_answer({"first_wrong_call": 2.0, "raising_call": 6.0}),
                                 {"NumPy": {"first_wrong_call": np.int64(2), "raising_call": np.float64(6)}}),
}
TORCH_CHECKS = {lesson[8].check_copy_layer}


def label(check: Callable[..., Any], name: str) -> str:
    return f"{check.__module__.rsplit('.', 1)[1]}.{check.__name__}: {name}"


def cases(which: int) -> list[Any]:
    out = []
    for check, answers in EXERCISES.items():
        for name, answer in answers[which].items():
            marks = [NEEDS_TORCH] if check in TORCH_CHECKS else []
            if isinstance(answer, type(pytest.param(None))):
                marks += list(answer.marks)
                answer = answer.values[0]
            out.append(pytest.param(check, answer, id=label(check, name), marks=marks))
    return out


@pytest.mark.parametrize(("check", "answer"), cases(0))
def test_a_generated_wrong_answer_is_rejected(check: Callable[[Any], Any], answer: Answer) -> None:
    feedback = check(answer)
    assert feedback.status == INCORRECT, str(feedback)
    assert feedback.problems, str(feedback)


@pytest.mark.parametrize(("check", "answer"), cases(1))
def test_a_right_answer_written_another_way_is_accepted(check: Callable[[Any], Any], answer: Answer) -> None:
    feedback = check(answer)
    assert feedback.status == CORRECT, str(feedback)


def test_every_checker_has_mutations_and_other_right_answers() -> None:
    checkers = {getattr(module, name) for module in lesson.values() for name in dir(module)
                if name.startswith("check_") and name not in {"check_function", "check_numbers"}}
    assert checkers == set(EXERCISES)
    for check, (wrong, right) in EXERCISES.items():
        assert len(wrong) >= 5 and right, check.__name__
