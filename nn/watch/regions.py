"""Decision regions: the class a 2-D classifier predicts over a grid, for the training page and the plots.

Pure computation, kept apart from the matplotlib file so that recording a run needs no plotting library.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from engine import Value, no_grad
from nn.training import predict_class, scores_of

Classifier = Callable[[Any], Value | Sequence[Value]]


def class_grid(
    model: Classifier, X: Sequence[Sequence[float]], resolution: int = 60, margin: float = 0.5
) -> tuple[list[float], list[float], list[list[int]]]:
    """The predicted class on a `resolution` x `resolution` grid covering the points of X plus `margin`.

    Returns (xs, ys, classes) with classes[i][j] the class at (xs[j], ys[i]). Builds no graph (no_grad).
    Raises ValueError for an empty X or a resolution below 2.
    """
    if len(X) == 0:
        raise ValueError("class_grid: X is empty")
    if resolution < 2:
        raise ValueError(f"class_grid: resolution must be >= 2, got {resolution}")
    axes = []
    for d in range(2):
        low = min(row[d] for row in X) - margin
        high = max(row[d] for row in X) + margin
        axes.append([low + (high - low) * i / (resolution - 1) for i in range(resolution)])
    xs, ys = axes
    with no_grad():
        classes = [[predict_class(scores_of(model, [a, b])) for a in xs] for b in ys]
    return xs, ys, classes
