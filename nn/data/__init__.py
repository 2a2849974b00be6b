"""Small data sets generated locally and seedably: no downloads."""

from nn.data.points import (
    iterate_minibatches,
    make_blobs,
    make_circles,
    make_moons,
    make_rng,
    make_sine,
    make_spirals,
)

__all__ = [
    "iterate_minibatches",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_rng",
    "make_sine",
    "make_spirals",
]
