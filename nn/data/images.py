"""Tiny image sets a scalar CNN learns in seconds: bars (horizontal vs vertical) and shapes (square, cross, line).

Each image is a `[1][size][size]` nested list of floats (one channel, channels first, as Conv2d
expects): ink is 1.0 on a 0.0 background, plus Gaussian noise of std `noise`. Labels are ints.
Everything is generated locally from `seed` (or `rng`); classes are balanced and shuffled.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from nn.checks import check_count, check_samples, check_scale, make_rng
from nn.data.points import class_sizes

Image = list[list[list[float]]]
Pixels = list[tuple[int, int]]

BAR_CLASSES = ("horizontal", "vertical")
SHAPE_CLASSES = ("square", "cross", "line")


def _bar(size: int, label: int, rng: random.Random) -> Pixels:
    """A straight bar at least half the image long, along a random row (label 0) or column (label 1)."""
    length = rng.randint((size + 1) // 2, size)
    start, line = rng.randint(0, size - length), rng.randrange(size)
    cells = [(line, start + k) for k in range(length)]
    return cells if label == 0 else [(c, r) for r, c in cells]


def _shape(size: int, label: int, rng: random.Random) -> Pixels:
    """The outline of a square, a plus-shaped cross, or a horizontal/vertical line, at a random place."""
    if label == 0:
        side = rng.randint(3, max(3, size // 2 + 1))
        top, left = rng.randint(0, size - side), rng.randint(0, size - side)
        return [
            (top + i, left + j) for i in range(side) for j in range(side) if i in (0, side - 1) or j in (0, side - 1)
        ]
    if label == 1:
        arm = rng.randint(1, max(1, (size - 1) // 3))
        r, c = rng.randint(arm, size - 1 - arm), rng.randint(arm, size - 1 - arm)
        return [(r + k, c) for k in range(-arm, arm + 1)] + [(r, c + k) for k in range(-arm, arm + 1) if k]
    return _bar(size, rng.randrange(2), rng)


def _make(
    draw: Callable[[int, int, random.Random], Pixels],
    n_classes: int,
    n_samples: int,
    size: int,
    noise: float,
    rng: random.Random,
) -> tuple[list[Image], list[int]]:
    labels = [k for k, count in enumerate(class_sizes(n_samples, n_classes)) for _ in range(count)]
    rng.shuffle(labels)
    images = []
    for label in labels:
        ink = set(draw(size, label, rng))
        images.append(
            [[[(1.0 if (r, c) in ink else 0.0) + rng.gauss(0.0, noise) for c in range(size)] for r in range(size)]]
        )
    return images, labels


def make_bars(
    n_samples: int = 100,
    size: int = 8,
    noise: float = 0.1,
    seed: int | None = None,
    *,
    rng: random.Random | None = None,
) -> tuple[list[Image], list[int]]:
    """Images `[1][size][size]` of one bar: label 0 horizontal, 1 vertical (class names in BAR_CLASSES).

    Raises ValueError for n_samples < 1, size < 2 or negative noise.
    """
    size = check_count(size, "size", 2)
    n_samples = check_samples(n_samples, size * size)
    noise = check_scale(noise, "noise")
    return _make(_bar, 2, n_samples, size, noise, make_rng(rng, seed))


def make_shapes(
    n_samples: int = 150,
    size: int = 8,
    noise: float = 0.1,
    seed: int | None = None,
    *,
    rng: random.Random | None = None,
) -> tuple[list[Image], list[int]]:
    """Images `[1][size][size]` of a square outline (0), a plus-shaped cross (1) or a straight line (2).

    Class names are in SHAPE_CLASSES. Raises ValueError for n_samples < 1, size < 5 or negative noise.
    """
    size = check_count(size, "size", 5)
    n_samples = check_samples(n_samples, size * size)
    noise = check_scale(noise, "noise")
    return _make(_shape, 3, n_samples, size, noise, make_rng(rng, seed))
