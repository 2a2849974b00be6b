"""Reference answers to the lesson exercises, for teachers (the checkers never import this file).

Each name is `lessonNN_<exercise>` (lesson 0's class is `Lesson00Value`); pass it to the matching
`nn.lessons.lessonNN.check_<exercise>` to see it pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from engine import Value


# ---------------------------------------------------------------- lesson 0
class Lesson00Value:
    """Exercises 0.1-0.3 in one class, micrograd's way (the notebook calls it `Value`)."""

    def __init__(self, data: float, _children: tuple[Lesson00Value, ...] = (), _op: str = "") -> None:
        self.data = data
        self.grad = 0.0
        self._backward: Callable[[], None] = lambda: None
        self._prev = set(_children)
        self._op = _op

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    def __add__(self, other: Lesson00Value | float) -> Lesson00Value:
        other = other if isinstance(other, Lesson00Value) else Lesson00Value(other)
        out = Lesson00Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad

        out._backward = _backward
        return out

    def __radd__(self, other: float) -> Lesson00Value:
        return self + other

    def __mul__(self, other: Lesson00Value | float) -> Lesson00Value:
        other = other if isinstance(other, Lesson00Value) else Lesson00Value(other)
        out = Lesson00Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __rmul__(self, other: float) -> Lesson00Value:
        return self * other

    def tanh(self) -> Lesson00Value:
        t = math.tanh(self.data)
        out = Lesson00Value(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    def backward(self) -> None:
        topo: list[Lesson00Value] = []
        visited: set[Lesson00Value] = set()

        def build(v: Lesson00Value) -> None:
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)

        build(self)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()


def lesson00_neuron(V: Callable[[float], Any]) -> Any:
    x1, x2 = V(2.0), V(0.0)
    w1, w2 = V(-3.0), V(1.0)
    b = V(6.8813735870195432)
    a = (x1 * w1 + x2 * w2 + b).tanh()
    a.backward()
    return a


# ---------------------------------------------------------------- lesson 1
# L = (a + b) * c at a = 2, b = -1, c = 4: dL/da = dL/db = c, dL/dc = a + b.
lesson01_product_gradients = {"a": 4.0, "b": 4.0, "c": 1.0}


def lesson01_central_difference(f: Callable[[float], float], x: float, h: float) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


# dy/dx = 2x + 1 = 7 per backward(); two calls accumulate into the leaf.
lesson01_accumulated_grad = 14.0


# ---------------------------------------------------------------- lesson 2
def lesson02_sigmoid_derivative(z: float) -> float:
    s = 1 / (1 + math.exp(-z))
    return s * (1 - s)


def lesson02_mse(predictions: Sequence[float], targets: Sequence[float]) -> float:
    return sum((y - p) ** 2 for p, y in zip(predictions, targets)) / len(predictions)


def lesson02_cross_entropy_gradient(logits: Sequence[float], target: int) -> list[float]:
    m = max(logits)
    exps = [math.exp(z - m) for z in logits]
    total = sum(exps)
    return [e / total - (1.0 if k == target else 0.0) for k, e in enumerate(exps)]


# ---------------------------------------------------------------- lesson 3
def lesson03_forward(x: Sequence[float]) -> tuple[list[float], list[float]]:
    from nn.lessons.lesson03 import B1, B2, W1, W2

    hidden = [max(0.0, sum(w * xi for w, xi in zip(row, x)) + b) for row, b in zip(W1, B1)]
    output = [sum(w * h for w, h in zip(row, hidden)) + b for row, b in zip(W2, B2)]
    return hidden, output


def lesson03_sgd_step(params: list[Value], lr: float) -> None:
    for p in params:
        p.data -= lr * p.grad


def lesson03_num_parameters(nin: int, sizes: Sequence[int]) -> int:
    ins = [nin, *sizes[:-1]]
    return sum(i * o + o for i, o in zip(ins, sizes))


# ---------------------------------------------------------------- lesson 4
def lesson04_conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def lesson04_cross_correlate(image: list[list[float]], kernel: list[list[float]]) -> list[list[float]]:
    k, n = len(kernel), len(image)
    return [[sum(kernel[u][v] * image[i + u][j + v] for u in range(k) for v in range(k)) for j in range(n - k + 1)]
            for i in range(n - k + 1)]


def lesson04_max_pool_backward(image: list[list[float]], upstream: list[list[float]]) -> list[list[float]]:
    grad = [[0.0] * len(image[0]) for _ in image]
    for i, row in enumerate(upstream):
        for j, g in enumerate(row):
            window = [(2 * i + u, 2 * j + v) for u in range(2) for v in range(2)]
            r, c = max(window, key=lambda rc: image[rc[0]][rc[1]])
            grad[r][c] = g
    return grad


# ---------------------------------------------------------------- lesson 5
def lesson05_rnn_step(x: float, h: float, w_ih: float, w_hh: float, b: float) -> float:
    return math.tanh(w_ih * x + w_hh * h + b)


def lesson05_last_state_gradient(xs: Sequence[float], w_ih: float, w_hh: float, b: float) -> float:
    h, product = 0.0, 1.0
    for x in xs:
        h = math.tanh(w_ih * x + w_hh * h + b)
        product *= (1 - h * h) * w_hh
    return product


# ---------------------------------------------------------------- lesson 6
def lesson06_silu_derivative(x: Value, out: Value) -> Value:
    s = x.sigmoid()
    return s + x * s * (1 - s)


def lesson06_log1p_square_derivative(x: Value, out: Value) -> Value:
    return 2 * x / (1 + x * x)


# ---------------------------------------------------------------- lesson 7
def lesson07_predict_class(scores: Sequence[float]) -> int:
    return max(range(len(scores)), key=scores.__getitem__)


def lesson07_confusion_matrix(true: Sequence[int], predicted: Sequence[int], n_classes: int) -> list[list[int]]:
    matrix = [[0] * n_classes for _ in range(n_classes)]
    for t, p in zip(true, predicted):
        matrix[t][p] += 1
    return matrix


# ---------------------------------------------------------------- lesson 8
def lesson08_copy_layer(layer: Any, linear: Any) -> None:
    import torch

    with torch.no_grad():  # the copy is not part of any loss: autograd must not record it
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                linear.weight[j, i] = w.data
            linear.bias[j] = neuron.b.data


def lesson08_weight_shapes(nin: int, sizes: Sequence[int]) -> list[list[int]]:
    ins = [nin, *sizes[:-1]]
    return [[nout, n] for n, nout in zip(ins, sizes)]


# ---------------------------------------------------------------- lesson 9
# Traced at x = 0 the recorded ops are y = 3x - 1 (no clipping); the plain call at x = 2 clips 5 to 2.
lesson09_replay_vs_graph = {"replay_at_2": 5.0, "graph_at_2": 2.0}


def lesson09_clip_without_if(y: Value) -> Value:
    return 2 - (2 - y).relu()


# Call 2 (x = 2) replays 5 instead of 2; call 3 re-traces at x = 0.5 (same graph); call 6 (x = 3) differs.
lesson09_check_every = {"first_wrong_call": 2, "raising_call": 6}
