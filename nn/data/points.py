"""Toy point data sets (two moons, circles, blobs, spirals, a noisy sine), generated locally from a seed.

They follow scikit-learn's generators where one exists (same construction, same shapes: `X` a list of
`[x1, x2]` rows, `y` a list of int labels), but use Python's `random` instead of NumPy, so the same seed
gives different points than sklearn.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from typing import TypeVar

from nn.checks import check_count, check_number, check_samples, check_scale, is_int, make_rng

Points = list[list[float]]
Labels = list[int]
T = TypeVar("T")
L = TypeVar("L")


def _linspace(start: float, stop: float, n: int, endpoint: bool = True) -> list[float]:
    """`n` evenly spaced numbers, as numpy.linspace (a single point is `start`)."""
    steps = (n - 1 if endpoint else n) or 1
    return [start + (stop - start) * i / steps for i in range(n)]


def class_sizes(n_samples: int, n_classes: int) -> list[int]:
    """Class sizes as equal as possible, the first classes taking the remainder (as sklearn's make_blobs)."""
    base, extra = divmod(n_samples, n_classes)
    return [base + (1 if k < extra else 0) for k in range(n_classes)]


def _finish(X: Points, y: Labels, noise: float, shuffle: bool, rng: random.Random) -> tuple[Points, Labels]:
    """Shuffle the rows (keeping X and y aligned), then add Gaussian noise of std `noise` to every coordinate."""
    if shuffle:
        order = list(range(len(X)))
        rng.shuffle(order)
        X, y = [X[i] for i in order], [y[i] for i in order]
    if noise > 0:
        X = [[c + rng.gauss(0.0, noise) for c in row] for row in X]
    return X, y


def make_moons(
    n_samples: int = 100,
    noise: float = 0.1,
    seed: int | None = None,
    *,
    shuffle: bool = True,
    rng: random.Random | None = None,
) -> tuple[Points, Labels]:
    """Two interleaving half circles, as sklearn.datasets.make_moons: class 0 on the upper unit half circle,
    class 1 on the lower one shifted by (1, 0.5). Gaussian noise of std `noise` is added to each coordinate.

    Raises ValueError for n_samples < 1 or negative noise.
    """
    n_samples = check_samples(n_samples)
    noise = check_scale(noise, "noise")
    rng = make_rng(rng, seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    outer = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_out)]
    inner = [[1.0 - math.cos(t), 1.0 - math.sin(t) - 0.5] for t in _linspace(0.0, math.pi, n_in)]
    return _finish(outer + inner, [0] * n_out + [1] * n_in, noise, shuffle, rng)


def make_circles(
    n_samples: int = 100,
    noise: float = 0.05,
    seed: int | None = None,
    *,
    factor: float = 0.5,
    shuffle: bool = True,
    rng: random.Random | None = None,
) -> tuple[Points, Labels]:
    """A small circle (radius `factor`, class 1) inside the unit circle (class 0), as sklearn's make_circles.

    Raises ValueError for n_samples < 1, negative noise, or factor outside [0, 1).
    """
    n_samples = check_samples(n_samples)
    noise = check_scale(noise, "noise")
    factor = check_scale(factor, "factor")
    if factor >= 1:
        raise ValueError(f"factor must be in [0, 1), got {factor!r}")
    rng = make_rng(rng, seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    outer = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, 2 * math.pi, n_out, endpoint=False)]
    inner = [[factor * math.cos(t), factor * math.sin(t)] for t in _linspace(0.0, 2 * math.pi, n_in, endpoint=False)]
    return _finish(outer + inner, [0] * n_out + [1] * n_in, noise, shuffle, rng)


def make_blobs(
    n_samples: int = 100,
    centers: int | Sequence[Sequence[float]] = 3,
    cluster_std: float = 1.0,
    seed: int | None = None,
    *,
    center_box: tuple[float, float] = (-10.0, 10.0),
    shuffle: bool = True,
    rng: random.Random | None = None,
) -> tuple[Points, Labels]:
    """Gaussian clusters of std `cluster_std`, one class per center, as sklearn's make_blobs.

    `centers` is a count (drawn uniformly in `center_box` on both axes) or a list of [x1, x2] points.
    Class sizes differ by at most one. Raises ValueError for bad counts, std or centers.
    """
    n_samples = check_samples(n_samples)
    cluster_std = check_scale(cluster_std, "cluster_std")
    rng = make_rng(rng, seed)
    if is_int(centers):
        low, high = _check_range(center_box, "center_box")
        points = [[rng.uniform(low, high), rng.uniform(low, high)] for _ in range(check_count(centers, "centers"))]
    else:
        points = _check_centers(centers)
    X: Points = []
    y: Labels = []
    for label, (center, size) in enumerate(zip(points, class_sizes(n_samples, len(points)))):
        X += [list(center) for _ in range(size)]
        y += [label] * size
    return _finish(X, y, cluster_std, shuffle, rng)


def _check_centers(centers: object) -> Points:
    if not isinstance(centers, Sequence) or isinstance(centers, str) or not centers:
        raise TypeError(f"centers must be an int or a non-empty list of [x1, x2] points, got {centers!r:.60}")
    points = []
    for i, c in enumerate(centers):
        if not isinstance(c, Sequence) or len(c) != 2:
            raise ValueError(f"centers[{i}] must be a point [x1, x2], got {c!r:.60}")
        points.append([check_number(v, f"centers[{i}][{j}]") for j, v in enumerate(c)])
    return points


def _check_range(value: object, name: str) -> tuple[float, float]:
    if not isinstance(value, Sequence) or len(value) != 2:
        raise ValueError(f"{name} must be a pair (low, high), got {value!r:.60}")
    low, high = (check_number(b, f"{name}[{j}]") for j, b in enumerate(value))
    if not low < high:
        raise ValueError(f"{name} must be (low, high) with low < high, got {value!r}")
    return low, high


def make_spirals(
    n_samples: int = 100,
    n_classes: int = 2,
    noise: float = 0.05,
    seed: int | None = None,
    *,
    turns: float = 1.0,
    shuffle: bool = True,
    rng: random.Random | None = None,
) -> tuple[Points, Labels]:
    """`n_classes` interleaved spiral arms from the origin out to radius 1, each winding `turns` times.

    Arm k holds the points at radius r and angle 2*pi*(k/n_classes + turns*r), so the arms never cross;
    Gaussian noise of std `noise` is added to each coordinate. Raises ValueError for bad counts or scales.
    """
    n_samples = check_samples(n_samples)
    n_classes = check_count(n_classes, "n_classes", minimum=2)
    noise = check_scale(noise, "noise")
    turns = check_scale(turns, "turns")
    rng = make_rng(rng, seed)
    X: Points = []
    y: Labels = []
    for label, size in enumerate(class_sizes(n_samples, n_classes)):
        # Start a little away from the centre: at r = 0 every arm meets every other one.
        for r in _linspace(0.1, 1.0, size):
            angle = 2 * math.pi * (label / n_classes + turns * r)
            X.append([r * math.cos(angle), r * math.sin(angle)])
            y.append(label)
    return _finish(X, y, noise, shuffle, rng)


def make_sine(
    n_samples: int = 100,
    noise: float = 0.1,
    seed: int | None = None,
    *,
    x_range: tuple[float, float] = (-math.pi, math.pi),
    rng: random.Random | None = None,
) -> tuple[Points, list[float]]:
    """A regression set: x drawn uniformly in `x_range`, target sin(x) plus Gaussian noise of std `noise`.

    `X` is a list of one-feature rows `[x]`, `y` a list of floats. Raises ValueError for bad counts or scales.
    """
    n_samples = check_samples(n_samples)
    noise = check_scale(noise, "noise")
    low, high = _check_range(x_range, "x_range")
    rng = make_rng(rng, seed)
    xs = [rng.uniform(low, high) for _ in range(n_samples)]
    ys = [math.sin(x) + (rng.gauss(0.0, noise) if noise > 0 else 0.0) for x in xs]
    return [[x] for x in xs], ys


def iterate_minibatches(
    X: Sequence[T],
    y: Sequence[L],
    batch_size: int,
    shuffle: bool = True,
    rng: random.Random | None = None,
    *,
    seed: int | None = None,
) -> Iterator[tuple[list[T], list[L]]]:
    """Yield `(X_batch, y_batch)` pairs covering every sample once; the last batch may be smaller.

    With `shuffle` the order is drawn from `rng` (or `seed`). Raises ValueError for batch_size < 1 or when
    X and y differ in length, before yielding anything.
    """
    batch_size = check_count(batch_size, "batch_size")
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got {len(X)} samples and {len(y)} labels")
    order = list(range(len(X)))
    if shuffle:
        make_rng(rng, seed).shuffle(order)
    return _batches(X, y, order, batch_size)


def _batches(X: Sequence[T], y: Sequence[L], order: list[int], size: int) -> Iterator[tuple[list[T], list[L]]]:
    # A separate generator, so the checks above run when iterate_minibatches is called, not at the first next().
    for start in range(0, len(order), size):
        chunk = order[start : start + size]
        yield [X[i] for i in chunk], [y[i] for i in chunk]
