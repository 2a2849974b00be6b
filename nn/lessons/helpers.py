"""Small named checks the lessons assert with, so lesson cells read as lessons rather than as test plumbing."""

from __future__ import annotations

from engine import Value, backward_order


def count_uses(root: Value, value: Value) -> int:
    """How many operations in the graph behind `root` take `value` as an operand (each use adds to its gradient)."""
    return sum(any(p is value for p in node.parents) for node in backward_order(root))


def max_pool_winners(image: list[list[float]], size: int = 2) -> list[tuple[int, int]]:
    """(row, column) of the largest pixel in each size x size window, row by row (the first one on a tie)."""
    return [
        max(((r + u, c + v) for u in range(size) for v in range(size)), key=lambda rc: image[rc[0]][rc[1]])
        for r in range(0, len(image) - size + 1, size)
        for c in range(0, len(image[0]) - size + 1, size)
    ]
