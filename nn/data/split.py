"""Hold out part of a data set: a seeded train/test split, so a model is scored on samples it never trained on."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import TypeVar

from nn.checks import check_number, make_rng

T = TypeVar("T")


def train_test_split(
    X: Sequence[T],
    y: Sequence[int],
    test_size: float = 0.25,
    seed: int | None = None,
    *,
    rng: random.Random | None = None,
) -> tuple[list[T], list[T], list[int], list[int]]:
    """(X_train, X_test, y_train, y_test) as scikit-learn orders them: a random `test_size` fraction held out.

    The same seed gives the same split. Raises ValueError if X and y differ in length, `test_size` is not
    between 0 and 1, or either part would be empty; TypeError for a non-number test_size.
    """
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)} labels")
    fraction = check_number(test_size, "test_size", minimum=0.0, strict=True)
    if fraction >= 1:
        raise ValueError(f"test_size must be a fraction between 0 and 1, got {test_size!r}")
    n_test = math.ceil(fraction * len(X))
    if n_test >= len(X):
        raise ValueError(f"test_size {test_size:g} of {len(X)} samples leaves nothing to train on")
    order = list(range(len(X)))
    make_rng(rng, seed).shuffle(order)
    test, train = order[:n_test], order[n_test:]
    return [X[i] for i in train], [X[i] for i in test], [y[i] for i in train], [y[i] for i in test]
