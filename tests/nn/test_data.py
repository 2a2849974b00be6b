"""The toy point data sets: shapes, seeds, class balance, geometry, and argument checks."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nn.data import iterate_minibatches, make_blobs, make_circles, make_moons, make_sine, make_spirals

CLASSIFIERS: dict[str, Callable[..., tuple[list[list[float]], list[int]]]] = {
    "moons": make_moons,
    "circles": make_circles,
    "blobs": make_blobs,
    "spirals": make_spirals,
}


@pytest.mark.parametrize("name", CLASSIFIERS)
@given(n=st.integers(1, 60))
def test_shapes_and_balance(name: str, n: int) -> None:
    X, y = CLASSIFIERS[name](n_samples=n, seed=0)
    assert len(X) == len(y) == n
    assert all(len(row) == 2 and all(isinstance(c, float) and math.isfinite(c) for c in row) for row in X)
    assert all(type(label) is int for label in y)
    counts = Counter(y)
    classes = 3 if name == "blobs" else 2
    if n >= classes:
        assert set(counts) == set(range(classes))
        assert max(counts.values()) - min(counts.values()) <= 1
    else:
        assert set(counts) < set(range(classes)) and max(counts.values()) == 1


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_seed_determines_the_data(name: str) -> None:
    make = CLASSIFIERS[name]
    assert make(n_samples=30, seed=3) == make(n_samples=30, seed=3)
    assert make(n_samples=30, seed=3) == make(n_samples=30, rng=random.Random(3))
    assert make(n_samples=30, seed=3) != make(n_samples=30, seed=4)


def test_class_counts_follow_sklearn() -> None:
    # sklearn puts n // 2 samples on the outer moon/circle and the rest on the inner one.
    assert Counter(make_moons(7, seed=0)[1]) == {0: 3, 1: 4}
    assert Counter(make_circles(7, seed=0)[1]) == {0: 3, 1: 4}
    assert Counter(make_blobs(7, centers=3, seed=0)[1]) == {0: 3, 1: 2, 2: 2}
    assert Counter(make_spirals(9, n_classes=3, seed=0)[1]) == {0: 3, 1: 3, 2: 3}


def test_moons_without_noise_lie_on_their_half_circles() -> None:
    X, y = make_moons(n_samples=51, noise=0.0, seed=1)
    for (a, b), label in zip(X, y):
        if label == 0:  # upper unit half circle around (0, 0)
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:  # lower unit half circle around (1, 0.5)
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12
    ends = sorted(tuple(round(c, 9) for c in row) for row in X)
    assert (-1.0, 0.0) in ends and (1.0, 0.0) in ends and (0.0, 0.5) in ends and (2.0, 0.5) in ends


def test_moons_noise_has_the_requested_spread() -> None:
    clean, _ = make_moons(n_samples=2000, noise=0.0, seed=5, shuffle=False)
    noisy, _ = make_moons(n_samples=2000, noise=0.3, seed=5, shuffle=False)
    offsets = [n - c for rn, rc in zip(noisy, clean) for n, c in zip(rn, rc)]
    std = math.sqrt(sum(d * d for d in offsets) / len(offsets))
    assert std == pytest.approx(0.3, rel=0.05)
    assert abs(sum(offsets) / len(offsets)) < 0.02


def test_circles_without_noise_have_their_radii() -> None:
    X, y = make_circles(n_samples=40, noise=0.0, factor=0.3, seed=0)
    for row, label in zip(X, y):
        assert math.hypot(*row) == pytest.approx(1.0 if label == 0 else 0.3)


def test_blobs_scatter_around_given_centers() -> None:
    centers = [[-5.0, 0.0], [5.0, 2.0]]
    X, y = make_blobs(n_samples=2000, centers=centers, cluster_std=0.5, seed=0)
    for label, (cx, cy) in enumerate(centers):
        rows = [row for row, lab in zip(X, y) if lab == label]
        assert sum(r[0] for r in rows) / len(rows) == pytest.approx(cx, abs=0.05)
        assert sum(r[1] for r in rows) / len(rows) == pytest.approx(cy, abs=0.05)


def test_random_blob_centers_lie_in_the_box() -> None:
    X, _ = make_blobs(n_samples=30, centers=4, cluster_std=0.0, center_box=(2.0, 3.0), seed=0)
    assert all(2.0 <= c <= 3.0 for row in X for c in row)
    assert len({tuple(row) for row in X}) == 4


def test_spiral_arms_without_noise_follow_their_angle() -> None:
    X, y = make_spirals(n_samples=60, n_classes=3, noise=0.0, turns=0.75, seed=0)
    for (a, b), label in zip(X, y):
        r = math.hypot(a, b)
        assert 0.1 - 1e-12 <= r <= 1.0 + 1e-12
        expected = 2 * math.pi * (label / 3 + 0.75 * r)
        # Same direction: the angle differs from the arm's by a whole number of turns.
        assert math.cos(expected) * a + math.sin(expected) * b == pytest.approx(r)


def test_sine_is_a_noisy_sine() -> None:
    X, y = make_sine(n_samples=50, noise=0.0, seed=0)
    assert all(len(row) == 1 and -math.pi <= row[0] <= math.pi for row in X)
    assert y == pytest.approx([math.sin(row[0]) for row in X])
    _, noisy = make_sine(n_samples=50, noise=0.1, seed=0)
    assert noisy != y


@pytest.mark.parametrize(
    ("make", "kwargs", "error", "message"),
    [
        (make_moons, {"n_samples": 0}, ValueError, "n_samples must be >= 1"),
        (make_moons, {"n_samples": -5}, ValueError, "n_samples must be >= 1"),
        (make_moons, {"n_samples": 2.5}, TypeError, "n_samples must be an int"),
        (make_moons, {"noise": -0.1}, ValueError, "noise must be a finite number >= 0"),
        (make_moons, {"noise": float("nan")}, ValueError, "noise must be a finite number >= 0"),
        (make_moons, {"noise": 10**400}, ValueError, "noise must be a finite number >= 0"),  # not an OverflowError
        (make_blobs, {"centers": [[1.0, "2"]]}, TypeError, r"centers\[0\]\[1\] must be a number, got str"),
        (make_circles, {"factor": 1.0}, ValueError, "factor must be in"),
        (make_circles, {"n_samples": True}, TypeError, "n_samples must be an int"),
        (make_blobs, {"centers": 0}, ValueError, "centers must be >= 1"),
        (make_blobs, {"centers": [[1.0, 2.0, 3.0]]}, ValueError, r"centers\[0\] must be a point"),
        (make_blobs, {"cluster_std": -1.0}, ValueError, "cluster_std must be"),
        (make_blobs, {"center_box": (1.0, 1.0)}, ValueError, "center_box must be"),
        (make_blobs, {"center_box": (1.0, 2.0, 3.0)}, ValueError, r"center_box must be a pair \(low, high\)"),
        (make_sine, {"x_range": (0.0, math.inf)}, ValueError, r"x_range\[1\] must be a finite number, got inf"),
        (make_spirals, {"n_classes": 1}, ValueError, "n_classes must be >= 2"),
        (make_sine, {"noise": -1}, ValueError, "noise must be"),
        (make_moons, {"seed": 1, "rng": random.Random(1)}, ValueError, "either rng or seed"),
        (make_moons, {"seed": "1"}, TypeError, "seed must be an int"),
        (make_moons, {"rng": 1}, TypeError, "rng must be a random.Random"),
    ],
)
def test_bad_arguments(make: Callable[..., Any], kwargs: dict[str, Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make(**kwargs)


@given(n=st.integers(0, 40), batch_size=st.integers(1, 12), shuffle=st.booleans())
def test_minibatches_cover_every_sample_once(n: int, batch_size: int, shuffle: bool) -> None:
    X = [[float(i), -float(i)] for i in range(n)]
    y = list(range(n))
    batches = list(iterate_minibatches(X, y, batch_size, shuffle=shuffle, rng=random.Random(0)))
    tail = [n % batch_size] if n % batch_size else []
    assert [len(xb) for xb, _ in batches] == [batch_size] * (n // batch_size) + tail
    seen = [label for _, yb in batches for label in yb]
    assert sorted(seen) == y
    if not shuffle:
        assert seen == y
    assert all(xb == [X[label] for label in yb] for xb, yb in batches)


def test_minibatch_order_depends_on_the_seed() -> None:
    X, y = list(range(50)), list(range(50))
    first = [yb for _, yb in iterate_minibatches(X, y, 10, seed=1)]
    assert first == [yb for _, yb in iterate_minibatches(X, y, 10, seed=1)]
    assert first != [yb for _, yb in iterate_minibatches(X, y, 10, seed=2)]


@pytest.mark.parametrize(
    ("X", "y", "batch_size", "message"),
    [([1, 2], [1, 2], 0, "batch_size must be >= 1"), ([1, 2], [1], 1, "same length, got 2 samples and 1 labels")],
)
def test_minibatch_arguments_are_checked_at_the_call(X: list[int], y: list[int], batch_size: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        iterate_minibatches(X, y, batch_size)
