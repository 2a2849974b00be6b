"""The image and sequence data sets: shapes, labels checked against the pixels/bits/text, seeding, bad arguments."""

from __future__ import annotations

import random

import pytest

from nn.data import (
    BAR_CLASSES,
    SHAPE_CLASSES,
    TEXT,
    make_bars,
    make_chars,
    make_counting,
    make_parity,
    make_shapes,
    make_sine_sequences,
    vocabulary,
)
from nn.nested import shape_of


def ink(image):
    """The (row, col) cells that are on in a noiseless image."""
    return {(r, c) for r, row in enumerate(image[0]) for c, v in enumerate(row) if v == 1.0}


def test_bars_are_one_channel_images_whose_label_matches_the_bar():
    X, y = make_bars(40, size=8, noise=0.0, seed=0)
    assert shape_of(X, "X") == (40, 1, 8, 8) and len(y) == 40
    assert sorted(y) == [0] * 20 + [1] * 20
    for image, label in zip(X, y):
        cells = ink(image)
        rows, cols = {r for r, _ in cells}, {c for _, c in cells}
        across, along = (rows, cols) if BAR_CLASSES[label] == "horizontal" else (cols, rows)
        assert len(across) == 1 and len(along) == len(cells) >= 4


def test_shapes_labels_match_the_drawn_shape():
    X, y = make_shapes(60, size=8, noise=0.0, seed=1)
    assert shape_of(X, "X") == (60, 1, 8, 8) and sorted(set(y)) == [0, 1, 2]
    for image, label in zip(X, y):
        cells = ink(image)
        rows, cols = {r for r, _ in cells}, {c for _, c in cells}
        if SHAPE_CLASSES[label] == "square":  # an outline: as tall as wide, hollow
            assert len(rows) == len(cols) >= 3 and len(cells) == 4 * (len(rows) - 1)
        elif SHAPE_CLASSES[label] == "cross":  # a plus: one full row and one full column crossing
            assert len(rows) == len(cols) >= 3 and len(cells) == 2 * len(rows) - 1
        else:
            assert min(len(rows), len(cols)) == 1 and max(len(rows), len(cols)) >= 4


def test_noise_and_seeds():
    a, b = make_bars(10, noise=0.2, seed=3), make_bars(10, noise=0.2, seed=3)
    assert a == b and a != make_bars(10, noise=0.2, seed=4)
    assert make_shapes(5, rng=random.Random(2)) == make_shapes(5, seed=2)
    X, _ = make_bars(5, noise=0.2, seed=3)
    assert any(v not in (0.0, 1.0) for image in X for row in image[0] for v in row)


def test_sine_sequences_continue_the_wave():
    X, y = make_sine_sequences(20, length=12, seed=0)
    assert shape_of(X, "X") == (20, 12, 1) and len(y) == 20
    for xs, target in zip(X, y):
        # sin(w(t+1)+p) = 2 cos(w) sin(wt+p) - sin(w(t-1)+p): the next value follows from the last three
        a, b, c = xs[-3][0], xs[-2][0], xs[-1][0]
        two_cos_w = (a + c) / b if abs(b) > 1e-3 else None
        if two_cos_w is not None:
            assert target == pytest.approx(two_cos_w * c - b, abs=1e-9)


def test_parity_and_counting_labels_are_computed_from_the_bits():
    X, y = make_parity(50, length=5, seed=0)
    assert shape_of(X, "X") == (50, 5, 1)
    assert all(label == int(sum(b[0] for b in xs)) % 2 for xs, label in zip(X, y))
    X, y = make_counting(50, length=5, seed=0)
    assert all(label == int(sum(b[0] for b in xs)) for xs, label in zip(X, y))
    assert set(y) <= set(range(6)) and len(set(y)) > 2


def test_chars_windows_are_one_hot_text_and_the_label_is_the_next_character():
    X, y, vocab = make_chars(30, window=5, seed=0)
    assert vocab == vocabulary(TEXT) and vocab == sorted(set(TEXT))
    assert shape_of(X, "X") == (30, 5, len(vocab))
    for xs, label in zip(X, y):
        chars = "".join(vocab[row.index(1.0)] for row in xs)
        assert all(sum(row) == 1.0 for row in xs)
        assert chars + vocab[label] in TEXT
    _, y2, vocab2 = make_chars(10, window=2, text="abab", seed=0)
    assert vocab2 == ["a", "b"] and set(y2) <= {0, 1}


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: make_bars(0), ValueError, "n_samples must be >= 1"),
        (lambda: make_bars(5, size=1), ValueError, "size must be >= 2"),
        (lambda: make_shapes(5, size=4), ValueError, "size must be >= 5"),
        (lambda: make_bars(5, noise=-1.0), ValueError, "noise"),
        (lambda: make_parity(5, length=0), ValueError, "length must be >= 1"),
        (lambda: make_chars(5, window=10, text="short"), ValueError, "longer than window=10"),
        (lambda: make_chars(5, text=None), TypeError, "text must be a str"),
        (lambda: make_bars(5, seed=1, rng=random.Random(1)), ValueError, "either rng or seed"),
    ],
)
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
