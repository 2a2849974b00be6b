"""`Value`: one scalar in the computation graph, with its data, its gradient, the op that made it, and backward.

Each operator and method applies its op's record from engine/ops.py, where its forward and its derivative
are written side by side. `backward()` is at the end of this file.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Union

from engine.op_record import NOT_RECORDED, Op, as_float, number_or_none
from engine.ops import ADD, DIV, EXP, LEAKY_RELU, LOG, MUL, NEG, POW, RELU, SIGMOID, SUB, TANH

Number = int | float
Operand = Union["Value", int, float]
Unary = Callable[["Value"], "Value"]  # the type of an op's method: `x.tanh()`
Binary = Callable[["Value", Operand], "Value"]  # and of an operator: `x * y`, `x * 2`, `2 * x`


class Value:
    """A scalar that remembers how it was computed, so `backward()` can fill in gradients.

    `data` is the float value, `grad` the gradient of the last output `backward()` ran from (leaves
    accumulate across calls, as in PyTorch), `label` a name for drawings. Its operators and methods (`+`,
    `*`, `tanh`, ...) apply the ops of engine/ops.py.
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
        """The record (`engine.op_record.Op`) of the op that made this Value: symbol, rules (None for a leaf)."""
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
        if op.arity == 0:
            return self._a  # type: ignore[no-any-return]
        return (self._a, self._b) if op.arity == 2 else (self._a,)

    @property
    def is_leaf(self) -> bool:
        return self._record is None

    # ---------------------------------------------------------------- the ops
    # Each operator and method is its op's `apply`, made from the op's record in engine/ops.py, where its
    # forward and derivative are written side by side (a `def` calling it would cost one more call per node).
    __add__: ClassVar[Binary] = ADD.apply
    __radd__: ClassVar[Binary] = ADD.reflected_apply
    __sub__: ClassVar[Binary] = SUB.apply
    __rsub__: ClassVar[Binary] = SUB.reflected_apply
    __mul__: ClassVar[Binary] = MUL.apply
    __rmul__: ClassVar[Binary] = MUL.reflected_apply
    __truediv__: ClassVar[Binary] = DIV.apply
    __rtruediv__: ClassVar[Binary] = DIV.reflected_apply
    __pow__: ClassVar[Binary] = POW.apply
    __rpow__: ClassVar[Binary] = POW.reflected_apply
    __neg__: ClassVar[Unary] = NEG.apply
    exp: ClassVar[Unary] = EXP.apply
    log: ClassVar[Unary] = LOG.apply
    tanh: ClassVar[Unary] = TANH.apply
    sigmoid: ClassVar[Unary] = SIGMOID.apply
    relu: ClassVar[Unary] = RELU.apply

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """self if self > 0 else slope * self."""
        return LEAKY_RELU.apply(self, slope)

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
        with _one_pass_at_a_time, _collector_paused():
            order, may_raise, odd = _walk(self)
            # Leaves whose .grad is not a float (None, as PyTorch leaves it, or an int) are checked and made
            # floats before any .grad changes, so a bad one changes nothing.
            saved = [(v, v.grad) for v in odd]
            starts = [_start(v) for v in odd]
            # A built-in float rule never raises (IEEE inf, as torch); a custom op's derivative may, so then
            # every .grad it could touch is kept, to be put back.
            if may_raise:
                saved += [(v, v.grad) for node in order for v in (node, *node.parents)]
            try:
                for v, g in zip(odd, starts):
                    v.grad = g
                _run(self, seed, order)
            except BaseException:
                for v, g in reversed(saved):
                    v.grad = g
                raise


def backward_order(root: Value) -> list[Value]:
    """The interior nodes `root` depends on, in the order backward processes them: `root` first, each node
    before its operands. No recursion, so a million-node chain works; leaves are left out (they pass nothing on).
    """
    return _walk(root)[0]


def _run(root: Value, seed: float, order: list[Value]) -> None:
    if not order:
        root.grad += seed
        return
    for node in order:
        node.grad = 0.0
    root.grad = seed
    for node in order:
        # skipped at gradient 0 where that adds only zeros (Op.skip_zero; x - x is 0, false, for finite x only)
        if node.grad or node.data - node.data or not node._record.skip_zero:  # type: ignore[union-attr]
            node._record.backward(node)  # type: ignore[union-attr]


def _walk(root: Value) -> tuple[list[Value], bool, list[Value]]:
    """`backward_order(root)`, whether an op in it may raise (engine.op's), and the leaves whose .grad is
    not a float."""
    odd: dict[Value, None] = {}  # an ordered set
    if root._record is None:
        return [], False, [] if type(root.grad) is float else [root]
    order: list[Value] = []
    seen = {root}
    may_raise = root._record.may_raise
    # A depth-first walk keeping the node in hand in locals and stacking only the ones it comes back to, reading
    # operands from the slots with no call: the plain form (a stack of (node, iterator) pairs, `v.parents`) made
    # backward() twice as slow on micrograd's binary-op graph (measured, benchmarks/).
    stack: list[tuple[Value, Iterator[Value]]] = []
    node, operands = root, iter(root.parents)
    while True:
        for v in operands:
            if v._record is None:  # a leaf, the commoner operand: _record is read again below, not kept for it
                if type(v.grad) is not float:
                    odd[v] = None
            elif v not in seen:
                seen.add(v)
                stack.append((node, operands))
                node = v
                op = v._record
                arity = op.arity
                if arity == 2:
                    operands = iter((v._a, v._b))
                elif arity == 1:
                    operands = iter((v._a,))
                else:
                    operands = iter(v._a)
                    may_raise = may_raise or op.may_raise
                break
        else:  # every operand visited: the node comes after them all
            order.append(node)
            if not stack:
                break
            node, operands = stack.pop()
    order.reverse()
    return order, may_raise, list(odd)


def _start(leaf: Value) -> float:
    """The float a leaf's gradient accumulates onto: its .grad, with None counting as 0.0 as in PyTorch.
    Raises TypeError naming the leaf when .grad holds something else."""
    g = leaf.grad
    if g is None:
        return 0.0
    c = number_or_none(g, f"backward: .grad of {leaf!r}")
    if c is None:
        raise TypeError(f"backward: {leaf!r} has a .grad of type {type(g).__name__}; set it to a number or None")
    return c


# Calls from several threads run one after another (an RLock: a custom op's derivative may call backward()).
_one_pass_at_a_time = threading.RLock()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The walk allocates while the graph is alive, which makes the cyclic GC scan the whole graph again and
    again (measured: benchmarks/, notebook heap); a graph has no cycles for it to find, so it waits."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
