"""`Value`: one scalar in the computation graph, with its data, its gradient, the op that made it, and backward."""

from __future__ import annotations

import gc
import numbers
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from engine.ops import Op

Number = int | float
Operand = Union["Value", int, float]
NOT_RECORDED = ("built under no_grad()",)  # the operands slot of a result made while grad mode was off


def as_float(x: object, where: str) -> float:
    """`x` as a Python float, numpy scalars included. Raises TypeError naming `where` for a non-number
    (bool, str, None, complex, ...), OverflowError for an int too large for a float."""
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

    `data` is the float value, `grad` the gradient of the last output `backward()` ran from (leaves
    accumulate across calls, as in PyTorch), `label` a name for drawings. Its operators and methods (`+`,
    `*`, `tanh`, ...) are the ops of engine/ops.py, bound to this class where each op is defined.
    """

    # The graph fields are plain slots, not a closure per node: a closure referring to its own node makes a
    # reference cycle, and then every discarded graph waits for the cyclic GC. A unary or binary op keeps its
    # operands in `_a` and `_b`, not a tuple, so a node is one object for the GC to track, not two; an n-ary
    # op (dot, sum, max, custom ops) keeps the tuple of them in `_a`. `_arg` is the op's number (see `arg`).
    __slots__ = ("data", "grad", "_label", "_record", "_a", "_b", "_arg")
    __array_ufunc__ = None  # numpy hands `np.float64(2) * v` to Value.__rmul__ instead of making an array

    data: float
    grad: float
    _label: str
    _record: Op | None
    _a: Any
    _b: Any
    _arg: Any

    def __init__(self, data: Number, label: str = "") -> None:
        """Make a leaf. Raises TypeError unless `data` is a real number and `label` a str."""
        self.label = label
        self.data = as_float(data, "Value(data)")
        self.grad = 0.0
        self._record = self._a = self._b = self._arg = None

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        return self.data

    def __pos__(self) -> Value:
        return self

    @property
    def label(self) -> str:
        """A name for drawings and pages ('' for none); settable, as in micrograd's lecture (`v.label = 'L'`)."""
        return self._label

    @label.setter
    def label(self, label: str) -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self._label = label

    @property
    def op(self) -> str:
        """Name of the op that produced this Value ('' for a leaf)."""
        return self._record.name if self._record is not None else ""

    @property
    def op_record(self) -> Op | None:
        """The record (`engine.ops.Op`) of the op that produced this Value: symbol, kinds, rules (None for a leaf)."""
        return self._record

    # micrograd's names, read-only, so code written in its style (drawing a graph by `_prev` and `_op`) runs.
    @property
    def _prev(self) -> set[Value]:
        """The set of Values this one was computed from, as micrograd keeps it (`parents` keeps their order)."""
        return set(self.parents)

    @property
    def _op(self) -> str:
        """The op's symbol as micrograd writes it: '+', '*', 'ReLU', 'tanh', 'exp', '**2'; '' for a leaf."""
        record = self._record
        return "" if record is None else record.micrograd_symbol(self._arg)

    @property
    def _backward(self) -> Callable[[], None]:
        """A call adding this node's gradient times each local derivative into its operands' `.grad`, as
        micrograd's `_backward()` does (nothing for a leaf)."""
        record = self._record
        return (lambda: None) if record is None else (lambda: record.backward(self))

    @_backward.setter
    def _backward(self, fn: object) -> None:
        raise AttributeError(
            "a Value's _backward can't be assigned: define a new op with engine.op(name, forward, derivative)"
        )

    @property
    def arg(self) -> Any:
        """The op's number: the constant of `x * 2`, leaky_relu's slope, dot's weight count, max's winner, or None."""
        return self._arg

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from (its op's operands), in order; empty for a leaf."""
        op = self._record
        if op is None:
            return ()
        if op.arity <= 0:
            return self._a  # type: ignore[no-any-return]
        return (self._a, self._b) if op.arity == 2 else (self._a,)

    @property
    def is_leaf(self) -> bool:
        return self._record is None

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
        """Set `.grad` of every Value this one depends on to d(self)/d(value) times `gradient`; leaves add it.

        Reset leaves with `engine.zero_grad` between steps. A node whose gradient is exactly 0 passes nothing
        on (a dead relu's neuron is skipped). Calls from several threads run one after another. Raises
        TypeError for a non-number `gradient`, RuntimeError for a result built under `no_grad()` (no graph
        was recorded), and what a custom op's derivative raises, after putting every `.grad` back.
        """
        seed = as_float(gradient, "backward(gradient)")
        if self._a is NOT_RECORDED:
            raise RuntimeError(f"backward: {self!r} was computed under no_grad(), so it has no graph to differentiate")
        # The walk allocates while the graph is alive, which would make the cyclic GC scan the whole graph
        # again and again; the graph has no cycles for it to find, so it is paused for the pass.
        with _one_pass_at_a_time:
            collecting = gc.isenabled()
            gc.disable()
            try:
                order, checked = _walk(self)
                # A built-in float rule never raises (IEEE inf, as torch); a custom op's derivative may, so
                # then every .grad it could touch is kept, to be put back.
                saved = [(v, v.grad) for node in order for v in (node, *node.parents)] if checked else []
                try:
                    _run(self, seed, order)
                except BaseException:
                    for v, g in saved:
                        v.grad = g
                    raise
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
            node._record.backward(node)  # type: ignore[union-attr]


def _walk(root: Value) -> tuple[list[Value], bool]:
    """`backward_order(root)`, and whether it holds an op with a derivative that may raise (a custom op)."""
    op = root._record
    if op is None:
        return [], False
    order: list[Value] = []
    seen = {root}
    checked = op.arity < 0
    # A depth-first walk keeping the node in hand in locals and stacking only the ones it comes back to: it is
    # half the cost of backward() on graphs of binary ops, so it reads operands from the slots with no call.
    stack: list[tuple[Value, Iterator[Value]]] = []
    node, parents = root, iter(root.parents)
    while True:
        for parent in parents:
            op = parent._record
            if op is not None and parent not in seen:
                seen.add(parent)
                stack.append((node, parents))
                node = parent
                arity = op.arity
                if arity == 2:
                    parents = iter((parent._a, parent._b))
                elif arity == 1:
                    parents = iter((parent._a,))
                else:
                    parents = iter(parent._a)
                    checked = checked or arity < 0
                break
        else:
            order.append(node)
            if not stack:
                break
            node, parents = stack.pop()
    order.reverse()
    return order, checked


def backward_order(root: Value) -> list[Value]:
    """The interior nodes `root` depends on, in the order backward processes them: `root` first, each node
    before its operands. No recursion, so a million-node chain works; leaves are left out (they pass nothing on).
    """
    return _walk(root)[0]
