"""The ops on many Values, as functions: `dot` (a neuron's weighted sum), `sum` and `max`, each one node.

Their records, with the derivative beside the forward, are DOT, SUM and MAX in engine/ops.py; these apply them,
as the methods of class Value apply the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from engine.op_record import as_operand, make_node
from engine.ops import DOT, MAX, SUM, winner
from engine.value import Value


def _check_values(items: Sequence[object], where: str) -> None:
    for i, item in enumerate(items):
        if not hasattr(item, "_record"):
            raise TypeError(f"{where}: item {i} must be a Value, got {type(item).__name__}")


def _operands(values: Iterable[Value | float], where: str) -> tuple[Value, ...]:
    """The items as Values, numbers becoming constant leaves of the first Value's class (as `x * 2` takes
    2). Raises ValueError without a Value, TypeError naming an item that is neither."""
    items = tuple(values)
    first: Any = next((x for x in items if hasattr(x, "_record")), None)  # a Value, or of a subclass
    if first is None:
        raise ValueError(f"{where}: needs at least one Value" + (", got only numbers" if items else ""))
    if set(map(type, items)) == {type(first)}:  # the common case, checked at C speed (pooling calls this per window)
        return items  # type: ignore[return-value]
    return tuple(as_operand(x, f"{where}: item {i}", type(first)) for i, x in enumerate(items))


def dot(ws: Sequence[Value], xs: Sequence[Value], bias: Value | None = None) -> Value:
    """bias + w[0]*x[0] + w[1]*x[1] + ... as one node (the fused weighted sum of a neuron).

    The sum is taken in that order, so the value is bit-for-bit the chain of binary `+` and `*` that
    micrograd's Neuron builds. Raises ValueError on different lengths or nothing to add, TypeError on
    non-Values.
    """
    n = len(ws)
    if len(xs) != n:
        raise ValueError(f"dot: {n} weights but {len(xs)} inputs")
    if bias is None:
        acc = 0.0
        operands = (*ws, *xs)
    else:
        if not hasattr(bias, "_record"):
            raise TypeError(f"dot(bias): must be a Value or None, got {type(bias).__name__}")
        acc = bias.data
        operands = (*ws, *xs, bias)
    if not operands:
        raise ValueError("dot: no weights and no bias, so nothing to add")
    # This loop is the forward hot path of every neuron, so operands are checked only when it fails.
    try:
        for w, x in zip(ws, xs):
            acc += w.data * x.data
    except AttributeError:
        _check_values(ws, "dot(ws)")
        _check_values(xs, "dot(xs)")
        raise
    return make_node(type(operands[0]), acc, DOT, operands, arg=n)


def sum(values: Iterable[Value | float]) -> Value:  # the name of the op, as torch.sum
    """values[0] + values[1] + ... as one node; numbers among them are constants. Raises ValueError
    without a Value, TypeError on an item that is neither a Value nor a number."""
    values = _operands(values, "sum")
    acc = 0.0
    for v in values:
        acc += v.data
    return make_node(type(values[0]), acc, SUM, values)


def max(values: Iterable[Value | float]) -> Value:  # the name of the op, as torch.max
    """The largest of `values` as one node; numbers among them are constants (`max([x, 0])`). Its gradient
    goes to the first arg-max (ties go to the first). A NaN wins, as in torch.max, so it is not hidden.
    Raises ValueError without a Value, TypeError on an item that is neither a Value nor a number.
    """
    values = _operands(values, "max")
    k = winner([v.data for v in values])
    return make_node(type(values[0]), values[k].data, MAX, values, arg=k)
