"""Lesson 4 exercises: a convolution's output size, cross-correlation by hand, where max pooling sends gradient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine import Value, no_grad
from nn.conv import Conv2d
from nn.lessons.feedback import Feedback, Mistake, check_function
from nn.pooling import MaxPool2d

Grid = list[list[float]]


def check_output_size(conv_output_size: Callable[[int, int, int, int], Any]) -> Feedback:
    """Exercise 4.1: `conv_output_size(size, kernel, stride, padding)`, checked by running a Conv2d of that shape."""
    def right(size: int, kernel: int, stride: int, padding: int) -> int:
        conv = Conv2d(1, 1, kernel, stride=stride, padding=padding, seed=0)
        with no_grad():
            return len(conv([[[0.0] * size for _ in range(size)]])[0])

    return check_function(
        "exercise 4.1 (output size)", conv_output_size, right,
        [(8, 3, 1, 0), (8, 3, 1, 1), (12, 3, 2, 0), (9, 5, 2, 2), (7, 2, 2, 0)],
        describe=lambda n, k, s, p: f"conv_output_size(size={n}, kernel={k}, stride={s}, padding={p})",
        mistakes=[
            Mistake(lambda n, k, s, p: (n + 2 * p - k) // s, "one short: the first window position counts too.",
                    "add 1 after dividing."),
            Mistake(lambda n, k, s, p: (n - k) // s + 1, "padding adds `padding` pixels on *both* sides.",
                    "use size + 2·padding."),
            Mistake(lambda n, k, s, p: (n + p - k) // s + 1, "padding adds `padding` pixels on *both* sides.",
                    "use size + 2·padding, not size + padding."),
            Mistake(lambda n, k, s, p: n + 2 * p - k + 1, "the window moves `stride` pixels at a time.",
                    "divide by the stride before adding 1."),
        ],
        nudge="count the positions the window can take along one side.",
        hint="count the window positions: floor((size + 2·padding - kernel) / stride) + 1.",
    )


def _conv(image: Grid, kernel: Grid) -> Grid:
    conv = Conv2d(1, 1, len(kernel), bias=False, seed=0)
    for row, weights in zip(conv.weight[0][0], kernel):
        for w, value in zip(row, weights):
            w.data = value
    with no_grad():
        return [[v.data for v in row] for row in conv([image])[0]]


def check_cross_correlation(cross_correlate: Callable[[Grid, Grid], Any]) -> Feedback:
    """Exercise 4.2: `cross_correlate(image, kernel)` (no padding, stride 1), checked against nn.Conv2d."""
    image = [[float((3 * r + 5 * c) % 7) for c in range(5)] for r in range(5)]
    kernels = [[[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]], [[0.0, 1.0], [2.0, 3.0]]]
    flipped = lambda img, k: _conv(img, [row[::-1] for row in k[::-1]])  # noqa: E731
    return check_function(
        "exercise 4.2 (cross-correlation)", cross_correlate, _conv, [(image, k) for k in kernels],
        describe=lambda img, k: f"cross_correlate(image, {len(k)}x{len(k)} kernel)",
        mistakes=[Mistake(flipped, "you flipped the kernel (the textbook convolution); deep-learning 'convolution' "
                                   "does not flip it.", "multiply kernel[u][v] with image[i+u][j+v].")],
        nudge="slide the kernel over the image: each output is one window's weighted sum.",
        hint="output[i][j] = sum over u, v of kernel[u][v] * image[i+u][j+v], for i, j from 0 to size - k.",
    )


def pool_gradient(image: Grid, upstream: Grid) -> Grid:
    """d(Σ upstream · maxpool2x2(image))/d image, from the engine: the gradient each pixel receives."""
    pixels = [[Value(v) for v in row] for row in image]
    pooled = MaxPool2d(2)([pixels])[0]
    total = sum((g * p for grow, prow in zip(upstream, pooled) for g, p in zip(grow, prow)), Value(0.0))
    total.backward()
    return [[p.grad for p in row] for row in pixels]


def check_max_pool_gradient(max_pool_backward: Callable[[Grid, Grid], Any]) -> Feedback:
    """Exercise 4.3: `max_pool_backward(image, upstream)`, the 4x4 gradient of a 2x2 max pool, from the engine."""
    image = [[1.0, 3.0, 0.5, 0.2], [2.0, -1.0, 0.1, 0.4], [0.0, 0.3, -2.0, -3.0], [0.6, 0.2, -1.0, -0.5]]
    upstream = [[0.5, -2.0], [1.5, 3.0]]
    spread = lambda img, up: [[up[r // 2][c // 2] / 4 for c in range(4)] for r in range(4)]  # noqa: E731
    everyone = lambda img, up: [[up[r // 2][c // 2] for c in range(4)] for r in range(4)]  # noqa: E731
    ones = lambda img, up: [[1.0 if g else 0.0 for g in row] for row in pool_gradient(img, up)]  # noqa: E731
    return check_function(
        "exercise 4.3 (max pooling's gradient)", max_pool_backward, pool_gradient,
        [(image, upstream), ([[-v for v in row] for row in image], upstream)],
        describe=lambda img, up: f"max_pool_backward({'image' if img[0][0] > 0 else '-image'}, upstream)",
        mistakes=[
            Mistake(spread, "that spreads the gradient evenly, as *average* pooling does; max pooling sends it all "
                            "to the window's largest pixel."),
            Mistake(everyone, "only the winner of each window affects the output, so only it receives gradient."),
            Mistake(ones, "the winner receives the upstream gradient itself (local derivative 1 × upstream), not 1.",
                    "grad[r][c] = upstream[i][j] for the winner (r, c) of window (i, j)."),
        ],
        nudge="max pooling's local derivative is 1 for each window's largest pixel and 0 for the others.",
        hint="for each 2x2 window find its largest pixel; it gets that window's upstream gradient, the rest get 0.",
    )
