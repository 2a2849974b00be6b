"""Small data sets generated locally and seedably, and real ones bundled with scikit-learn: no downloads."""

from nn.data.bundled import DIGIT_CLASSES, IRIS_CLASSES, IRIS_FEATURES, load_digits, load_iris
from nn.data.images import BAR_CLASSES, SHAPE_CLASSES, make_bars, make_shapes
from nn.data.points import (
    iterate_minibatches,
    make_blobs,
    make_circles,
    make_moons,
    make_sine,
    make_spirals,
)
from nn.data.sequences import TEXT, make_chars, make_counting, make_parity, make_sine_sequences, one_hot, vocabulary
from nn.data.split import train_test_split

__all__ = [
    "BAR_CLASSES",
    "DIGIT_CLASSES",
    "IRIS_CLASSES",
    "IRIS_FEATURES",
    "SHAPE_CLASSES",
    "TEXT",
    "iterate_minibatches",
    "load_digits",
    "load_iris",
    "make_bars",
    "make_blobs",
    "make_chars",
    "make_circles",
    "make_counting",
    "make_moons",
    "make_parity",
    "make_shapes",
    "make_sine",
    "make_sine_sequences",
    "make_spirals",
    "one_hot",
    "train_test_split",
    "vocabulary",
]
