"""Drawing another library's Values: micrograd's own, or the class a student writes in the lecture.

Any object with `data`, `grad`, `_prev` (its operands) and `_op` (the op's symbol as a string, "" for a leaf)
is drawn. `adopt` copies such a graph into `Foreign` nodes, which have the attributes `draw_dot` reads from
an `engine.Value` (parents, op text, label), so the drawing code has one path for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.op_record import Op

MICROGRAD_ATTRIBUTES = ("data", "grad", "_prev", "_op")


def is_foreign(x: Any) -> bool:
    """Whether `x` looks like a micrograd Value: it has data, grad, _prev and _op (a string)."""
    return all(hasattr(x, name) for name in MICROGRAD_ATTRIBUTES) and isinstance(x._op, str)


@dataclass(eq=False)  # nodes compare and hash by identity, as Values do
class Foreign:
    """One node of a foreign graph, as the drawing sees it; `symbol` is the op as its class writes it."""

    data: float
    grad: float
    label: str
    symbol: str
    parents: tuple[Foreign, ...] = ()
    op = "foreign"  # never one of the engine's op names, so no engine op rule is looked up for it
    op_record: Op | None = None
    arg: Any = None

    @property
    def is_leaf(self) -> bool:
        return not self.parents


def _number(x: object, what: str) -> float:
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError(f"draw_dot: a node's {what} must be a number, got {type(x).__name__}") from None


def _operands(x: Any) -> list[Any]:
    """`x._prev` in a stable order (micrograd keeps a set, whose order changes from run to run)."""
    prev = x._prev
    if not isinstance(prev, Sequence | set | frozenset):
        raise TypeError(f"draw_dot: a node's _prev must be a set or sequence of nodes, got {type(prev).__name__}")
    items = list(prev)
    for p in items:
        if not is_foreign(p):
            raise TypeError(f"draw_dot: an operand is not a node with data, grad, _prev and _op: {p!r:.60}")
    if isinstance(prev, set | frozenset):
        items.sort(key=lambda p: (str(getattr(p, "label", "")), p._op, repr(p.data)))
    return items


def adopt(roots: Sequence[Any]) -> list[Foreign]:
    """The graphs behind foreign `roots` as Foreign nodes, each source node copied once (iteratively).

    Raises TypeError naming what is missing when a node lacks data, grad, _prev or _op, or holds no number,
    and ValueError when a node is (through others) its own operand.
    """
    made: dict[int, Foreign] = {}  # by id: the roots keep every source node alive meanwhile
    entered: set[int] = set()
    stack: list[tuple[Any, bool]] = [(r, False) for r in reversed(roots)]
    while stack:
        x, expanded = stack.pop()
        if id(x) in made:
            continue
        operands = _operands(x)
        if not expanded:
            if id(x) in entered:
                raise ValueError(f"draw_dot: the graph has a cycle through {x!r:.60}; a computation graph has none")
            entered.add(id(x))
            stack.append((x, True))
            stack += [(p, False) for p in reversed(operands) if id(p) not in made]
            continue
        label = getattr(x, "label", "")
        made[id(x)] = Foreign(
            data=_number(x.data, "data"),
            grad=_number(x.grad, "grad"),
            label=label if isinstance(label, str) else str(label),
            symbol=x._op if operands else "",
            parents=tuple(made[id(p)] for p in operands),
        )
    return [made[id(r)] for r in roots]


def not_a_value(where: str, root: object) -> TypeError:
    """The error for a root that is not an engine Value, saying what to do when it is another library's."""
    if is_foreign(root):
        return TypeError(
            f"{where}: stepping through backward uses scalargrad's own op rules, so it needs an engine.Value, not a "
            f"{type(root).__module__}.{type(root).__qualname__}; draw_dot(root) draws this graph as it is"
        )
    return TypeError(f"{where}: expected a Value, got {type(root).__name__}")
