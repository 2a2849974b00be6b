"""`Value`: one scalar in the computation graph, with its data, its gradient, the op that made it, and backward."""

from __future__ import annotations

import gc
import numbers
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from engine.ops import Op

Number = int | float
Operand = Union["Value", int, float]
NOT_RECORDED = ("built under no_grad()",)  # the operands slot of a result made while grad mode was off


def as_float(x: object, where: str) -> float:
    """`x` as a Python float (numpy scalars included). Raises TypeError naming `where` for bool, str, None,
    complex, lists, ..., and OverflowError for an int too large for a float."""
    if type(x) is float:
        return x  # type: ignore[return-value]
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: expected an int or float, got {type(x).__name__} ({x!r:.60})")
    try:
        return float(x)
    except OverflowError:
        raise OverflowError(f"{where}: {x!r:.40} is too large for a float") from None


class Value:
    """A scalar that remembers how it was computed, so `backward()` can fill in gradients.

    `data` is the float value, `grad` the gradient of the last output that `backward()` ran from
    (leaves accumulate across calls, as in PyTorch), `label` a name shown in drawings. Its operators and
    methods (`+`, `*`, `tanh`, ...) are the ops of engine/ops.py, bound to this class where they are defined.
    """

    # The graph fields are plain slots, not a closure per node: a closure that refers to its own node makes
    # a reference cycle, and then every discarded graph waits for the cyclic GC. A unary or binary op keeps
    # its operands in `_a` and `_b` rather than a tuple, so each node is one object for the GC to track, not
    # two; an n-ary op (dot, sum, max, custom ops) keeps the tuple of operands in `_a`. `_arg` is the op's
    # number: the constant of `x * 2`, leaky_relu's slope, dot's weight count, max's winner.
    __slots__ = ("data", "grad", "label", "_op", "_a", "_b", "_arg")
    __array_ufunc__ = None  # numpy hands `np.float64(2) * v` to Value.__rmul__ instead of making an array

    data: float
    grad: float
    label: str
    _op: Op | None
    _a: Any
    _b: Any
    _arg: Any

    def __init__(self, data: Number, label: str = "") -> None:
        """Make a leaf. Raises TypeError unless `data` is a real number and `label` a str."""
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.data = as_float(data, "Value(data)")
        self.grad = 0.0
        self.label = label
        self._op = self._a = self._b = self._arg = None

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        return self.data

    def __pos__(self) -> Value:
        return self

    @property
    def op(self) -> str:
        """Name of the op that produced this Value ('' for a leaf)."""
        return self._op.name if self._op is not None else ""

    @property
    def op_record(self) -> Op | None:
        """The record (`engine.ops.Op`) of the op that produced this Value: symbol, kinds, rules (None for a leaf)."""
        return self._op

    @property
    def arg(self) -> Any:
        """The op's number: the constant of `x * 2`, leaky_relu's slope, dot's weight count, max's winner, or None."""
        return self._arg

    @property
    def parents(self) -> tuple[Value, ...]:
        """The operands this Value was computed from, in order (empty for a leaf)."""
        op = self._op
        if op is None:
            return ()
        if op.arity <= 0:
            return self._a  # type: ignore[no-any-return]
        return (self._a, self._b) if op.arity == 2 else (self._a,)

    @property
    def is_leaf(self) -> bool:
        return self._op is None

    if TYPE_CHECKING:  # bound by engine/ops.py from each op's definition
        def __add__(self, other: Operand) -> Value: ...
        def __radd__(self, other: Number) -> Value: ...
        def __sub__(self, other: Operand) -> Value: ...
        def __rsub__(self, other: Number) -> Value: ...
        def __mul__(self, other: Operand) -> Value: ...
        def __rmul__(self, other: Number) -> Value: ...
        def __truediv__(self, other: Operand) -> Value: ...
        def __rtruediv__(self, other: Number) -> Value: ...
        def __pow__(self, other: Operand) -> Value: ...
        def __rpow__(self, other: Number) -> Value: ...
        def __neg__(self) -> Value: ...
        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def tanh(self) -> Value: ...
        def sigmoid(self) -> Value: ...
        def relu(self) -> Value: ...
        def leaky_relu(self, slope: float = 0.01) -> Value: ...

    def backward(self, gradient: float = 1.0) -> None:
        """Set `.grad` of every Value this one depends on to d(self)/d(value), times `gradient`.

        Leaves accumulate: a second call adds the same gradient again, as in PyTorch, so reset them with
        `engine.zero_grad` between steps. Interior nodes hold the latest pass only. A node whose gradient is
        exactly 0 passes nothing on (a dead relu's neuron is skipped). Calls from several threads run one
        after another. A leaf gets `gradient` added to its own `.grad`. Raises TypeError for a non-number
        `gradient`, RuntimeError for a result built under `no_grad()` (it has no graph), and whatever a
        custom op's derivative raises, after putting back every `.grad` as it was.
        """
        seed = as_float(gradient, "backward(gradient)")
        if self._a is NOT_RECORDED:
            raise RuntimeError(
                f"backward: {self!r} was computed under no_grad(), so no graph was recorded to differentiate"
            )
        # The walk allocates while the graph is alive, which would make the cyclic GC scan the whole graph
        # again and again; the graph has no cycles for it to find, so it is paused for the pass.
        collecting = gc.isenabled()
        gc.disable()
        try:
            with _one_pass_at_a_time:
                order, checked = _walk(self)
                if checked:  # a custom op's derivative may raise: keep what every .grad was
                    saved = [(v, v.grad) for node in order for v in (node, *node.parents)]
                    try:
                        _run(self, seed, order)
                    except BaseException:
                        for v, g in reversed(saved):
                            v.grad = g
                        raise
                else:
                    _run(self, seed, order)
        finally:
            if collecting:
                gc.enable()


_one_pass_at_a_time = threading.RLock()  # a custom op's derivative may itself call backward()


def _run(root: Value, seed: float, order: list[Value]) -> None:
    if not order:
        root.grad += seed
        return
    for node in order:
        node.grad = 0.0
    root.grad = seed
    for node in order:
        if node.grad:
            node._op.backward(node)  # type: ignore[union-attr]


def _walk(root: Value) -> tuple[list[Value], bool]:
    """`backward_order(root)`, and whether it holds an op with a derivative that may raise (a custom op)."""
    op = root._op
    if op is None:
        return [], False
    order: list[Value] = []
    seen = {root}
    checked = op.arity < 0
    # A depth-first walk that keeps the node in hand in locals and stacks only the ones it will come back
    # to: this loop is half the cost of backward() on graphs of binary ops, so it avoids any extra indexing,
    # and it reads a node's operands from its slots (see Value) with no call.
    stack: list[tuple[Value, Iterator[Value]]] = []
    node, operands = root, iter(root.parents)
    while True:
        for child in operands:
            op = child._op
            if op is not None and child not in seen:
                seen.add(child)
                stack.append((node, operands))
                node = child
                arity = op.arity
                if arity == 2:
                    operands = iter((child._a, child._b))
                elif arity == 1:
                    operands = iter((child._a,))
                else:
                    operands = iter(child._a)
                    checked = checked or arity < 0
                break
        else:
            order.append(node)
            if not stack:
                break
            node, operands = stack.pop()
    order.reverse()
    return order, checked


def backward_order(root: Value) -> list[Value]:
    """The interior (non-leaf) nodes that `root` depends on, in the order backward processes them.

    `root` comes first and every node comes before the nodes it was computed from. The walk uses an
    explicit stack, so a graph a million nodes deep needs no recursion. Leaves are left out: they
    only receive gradient, they pass none on.
    """
    return _walk(root)[0]
