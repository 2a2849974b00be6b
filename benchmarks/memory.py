"""Graph-size checks: a million-node chain through backward, and bytes per node measured with tracemalloc."""

from __future__ import annotations

import gc
import math
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FACTOR = 1.0001  # the constant of the `x * c` chains


@dataclass(frozen=True)
class ChainResult:
    """Timings (seconds) of a chain `x * c * c * ...` of `nodes` ops, and whether its gradient came out right."""

    nodes: int
    build: float
    backward: float
    free: float
    correct: bool
    recursion_limit: int


def deep_chain(nodes: int, clock: Callable[[], float] = time.process_time) -> ChainResult:
    """Build x * 1.0001 * 1.0001 * ... (`nodes` ops), backpropagate, drop it; check d(out)/dx = 1.0001 ** nodes."""
    from engine import Value

    limit = sys.getrecursionlimit()
    start = clock()
    x = Value(1.0)
    out = x
    for _ in range(nodes):
        out = out * FACTOR
    built = clock()
    out.backward()
    back = clock()
    del out
    freed = clock()
    # Rounding in a million products stays far below 1e-9 relative (each adds at most 2**-53).
    correct = math.isclose(x.grad, FACTOR**nodes, rel_tol=1e-9) and sys.getrecursionlimit() == limit
    return ChainResult(nodes, built - start, back - built, freed - back, correct, limit)


def micrograd_chain_error(nodes: int) -> str:
    """What micrograd's recursive topological sort does on a chain of `nodes` ops ('ok' or the exception's name)."""
    from micrograd.engine import Value

    out = Value(1.0)
    for _ in range(nodes):
        out = out * FACTOR
    try:
        out.backward()
    except RecursionError:
        return "RecursionError"
    return "ok"


def bytes_per_node(build: Callable[[int], Any], nodes: int) -> float:
    """Memory that `build(nodes)` keeps alive, divided by `nodes` (tracemalloc counts every allocation)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = build(nodes)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del kept
    gc.collect()
    return (after - before) / nodes


def const_chain(value_cls: type) -> Callable[[int], Any]:
    """A builder of `x * 1.0001 * ...`: scalargrad keeps the number in the node, micrograd wraps it in a Value."""

    def build(nodes: int) -> Any:
        out = value_cls(1.0)
        for _ in range(nodes):
            out = out * FACTOR
        return out

    return build


def value_chain(value_cls: type) -> Callable[[int], Any]:
    """A builder of `x * w * w * ...` with one leaf w: one binary Value*Value node per op."""

    def build(nodes: int) -> Any:
        w = value_cls(FACTOR)
        out = value_cls(1.0)
        for _ in range(nodes):
            out = out * w
        return out

    return build


def dot_chain(width: int) -> Callable[[int], Any]:
    """A builder of chained `engine.dot` nodes of `width` weights plus a bias: the node of one neuron."""
    from engine import Value, dot

    def build(nodes: int) -> Any:
        ws = [Value(0.01) for _ in range(width)]
        xs = [Value(1.0) for _ in range(width - 1)]
        b = Value(0.0)
        out = Value(1.0)
        for _ in range(nodes):
            out = dot(ws, [out, *xs], b)
        return out

    return build
