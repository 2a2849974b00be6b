"""What an op is: the `Op` record (name, symbol, forward, derivative, and how it is drawn and applied), how
a definition (`unary`, `binary`, `nary`) makes one, and the float rules `backward()` runs from it.

The built-in records are in engine/ops.py, and engine.op makes the same kind of record at run time. The
derivative's one signature is described there. This module never imports the Value class: a node is made
of its operand's class and typed as a `Node`, so engine/value.py can import the records with no import circle.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from engine.grad_mode import _thread, state

Partial = Any  # a local derivative: a float in backward(), a Value (or a float) under create_graph, or None
Derivative = Callable[..., Any]
NOT_RECORDED = ("built under no_grad()",)  # the operands slot of a result made while grad mode was off
OPS: dict[str, Op] = {}  # every built-in op by name, in the order defined


class Node(Protocol):
    """What the records read and write of a Value (engine/value.py): its slots, and its operands in order."""

    data: float
    grad: float
    _label: str
    _record: Op | None
    _a: Any
    _b: Any
    _arg: Any

    @property
    def parents(self) -> tuple[Node, ...]: ...


N = TypeVar("N", bound=Node)  # a Value, or a Value of a subclass: an op's result is of its operand's class


class Op:
    """One op's record: what it computes, its derivative (engine/ops.py's docstring), and how it is applied,
    drawn and compiled."""

    __slots__ = ("name", "symbol", "arity", "forward", "derivative", "position", "source", "backward",
                 "may_raise", "skip_zero", "method", "param", "activation", "ordered", "negated",
                 "micrograd", "apply", "reflected_apply")  # fmt: skip

    def __init__(self, name: str, symbol: str, arity: int, derivative: Derivative, position: int | None = None) -> None:
        self.name = name
        self.symbol = symbol  # what drawings show; "{c}" stands for the node's constant
        self.arity = arity  # Value operands per node: 1 or 2 (in `_a`, `_b`), 0 for any number (a tuple in `_a`)
        self.forward: Callable[[float, Any], float] | None = None  # on floats, (a, b) or (a, c); None for n-ary
        self.derivative = derivative  # derivative(*operands, out): the partial of each operand
        # for an op on one Value and a number c (x * 2, 2 - x, leaky_relu(x, c)): the Value's place among the
        # operands `derivative` takes (c at the other)
        self.position = position
        # for a hot op, its forward and gradients as Python text: `backward` and the compiled replay come from it
        self.source: tuple[str, tuple[str, ...]] | None = None
        self.backward: Callable[[Any], None] = generic_backward  # the float rule backward() runs on a node
        self.may_raise = False  # engine.op's derivative may raise: backward() then keeps every .grad to put back
        # whether finite data means finite partials, so a node with gradient 0 would only add zeros and is
        # skipped (a dead relu's whole neuron); not for log, div and pow (1 / b is inf for a tiny b), whose rules
        # then run, so that 0 * inf gives NaN, as in PyTorch
        self.skip_zero = False
        self.method = self.param = ""  # its Value method, and the name of that method's number argument
        self.activation = self.ordered = False  # for drawings: a neuron's activation; operand order matters
        self.negated = ""  # for add_const, which also records x - c as x + -c: how that is shown ("- {c}")
        self.micrograd = symbol  # the symbol micrograd's `_op` writes: "+" for x + 2 too, "**{c}", "ReLU"
        # Value's method for the op (made by `unary` and `binary`), and for a binary op its reflected form (2 - x)
        self.apply: Callable[..., Any] = _not_applied
        self.reflected_apply: Callable[..., Any] = _not_applied

    def partials(self, operands: Sequence[Any], c: Any, out: Any) -> tuple[Partial, ...]:
        """The local derivative of each Value operand of a node (floats or Values), with constant `c`."""
        if self.position is None:
            d = self.derivative(*operands, out)
            return d if type(d) is tuple else (d,)
        args = (operands[0], c) if self.position == 0 else (c, operands[0])
        return (self.derivative(*args, out)[self.position],)

    def passes_nothing(self, data: float) -> bool:
        """Whether a node of this op with data `data` and gradient 0 would add only zeros (its partials finite)."""
        return self.skip_zero and data - data == 0.0  # x - x is 0 for finite x only

    def micrograd_symbol(self, c: Any) -> str:
        """`micrograd` with the node's constant `c` filled in as micrograd prints it (2, not 2.0, for `x**2`)."""
        if "{c}" not in self.micrograd:
            return self.micrograd
        if isinstance(c, float) and c.is_integer() and abs(c) < 2**53:
            c = int(c)
        return self.micrograd.format(c=c)

    def __call__(self, *operands: Any) -> Any:
        """The op applied to `operands`, as its Value method does: `TANH(x)`, `MUL(x, 2)`."""
        return self.apply(*operands)

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


def _not_applied(*operands: Any) -> Any:
    raise TypeError("this op is applied through its Value operator or function (dot, sum, max)")


def as_float(x: object, where: str) -> float:
    """`x` as a Python float, numpy scalars included: the one check of a number anywhere in the engine.
    Raises TypeError naming `where` for a non-number (bool, str, None, complex, ...), OverflowError for an
    int too large for a float."""
    c = number_or_none(x, where)
    if c is None:
        raise TypeError(f"{where}: expected an int or float, got {type(x).__name__} ({x!r:.60})")
    return c


def number_or_none(x: object, where: str) -> float | None:
    """`as_float(x)`, or None when `x` is not a number (an operator then returns NotImplemented)."""
    if type(x) is float:
        return x  # type: ignore[return-value]
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return None
    try:
        return float(x)
    except OverflowError:
        raise OverflowError(f"{where}: {x!r:.40} is too large for a float") from None


def as_operand(x: object, where: str, value_class: Callable[[float], N]) -> N:
    """`x` as an op's operand: a Value as it is, a number as a constant leaf of `value_class` (the check
    `x * 2` makes). Raises TypeError naming `where` for anything else."""
    if hasattr(x, "_record"):
        return x  # type: ignore[return-value]
    c = number_or_none(x, where)
    if c is None:
        raise TypeError(f"{where} must be a Value or a number, got {type(x).__name__}")
    return value_class(c)


def make_node(cls: type[N], data: float, op: Op, a: Any, b: Any = None, arg: Any = None) -> N:
    """The result of `op`, a Value of class `cls` (its first operand's), on operands `a` (and `b`; for an n-ary
    op, the tuple `a` of them all) with constant `arg`. While grad mode is off it records no operands
    (backward() then refuses it)."""
    out = _new(cls)
    out.data = data
    out.grad = 0.0
    out._label = ""
    if not state.threads_off or _thread.enabled:  # is_grad_enabled(), reading one slot while no thread has it off
        out._record = op
        out._a = a
        out._b = b
        out._arg = arg
    else:
        out._record = None
        out._a = NOT_RECORDED
        out._b = None
        out._arg = None
    return out


# A node is made without calling Value.__init__ (no argument checks: the op computed a float), one slot at
# a time (a temporary tuple per node would count towards the cyclic GC's next collection).
_new = object.__new__


def attach(out: Node, op: Op, parents: Sequence[Node], arg: Any) -> None:
    """Make `out` the result of `op` on `parents` (and constant `arg`), so `op.backward(out)` can run on it."""
    out._record, out._arg = op, arg
    if op.arity == 0:
        out._a, out._b = tuple(parents), None
    else:
        out._a, out._b = parents[0], (parents[1] if op.arity == 2 else None)


# ---------------------------------------------------------------- the rules backward() and grad() run


def generic_backward(out: Node) -> None:
    """The float rule of any op: add out.grad times each local derivative into each operand's `.grad`."""
    parents = out.parents
    g = out.grad
    partials = out._record.partials(tuple(v.data for v in parents), out._arg, out.data)  # type: ignore[union-attr]
    for v, d in zip(parents, partials):
        if d is not None:
            v.grad += g * d


def vjp(out: Node, g: Any) -> list[Any]:
    """The same products as Values, for `engine.grad(create_graph=True)`: g times each local derivative
    (None where an operand has no path)."""
    partials = out._record.partials(out.parents, out._arg, out)  # type: ignore[union-attr]
    return [None if d is None else g * d for d in partials]


# A hot op's `source` is (forward, one statement per operand), with {a}, {b} the operands' data, {c} the
# constant, {out} the result, {g} the node's gradient and {t} the operand's gradient. backward()'s rule is
# generated from it here, and engine/compile.py writes the same text into its replay.
SOURCE_NAMESPACE: dict[str, Any] = {}  # the functions a source text calls (filled by engine/ops.py)
_SOURCE_FIELDS = {"a": "a.data", "b": "b.data", "c": "out._arg", "out": "out.data", "g": "g"}


def rule_from_source(op: Op) -> Callable[[Node], None]:
    """The float rule `backward()` runs for `op`, compiled from `op.source` (the engine's own text)."""
    assert op.source is not None
    lines = [f"def {op.name}_backward(out):"]
    fields = dict(_SOURCE_FIELDS)
    if op.arity == 2:  # each operand is read twice: once bound is faster
        lines += ["    a, b = out._a, out._b", "    g = out.grad"]
    else:  # read where used, so a rule that adds nothing (a relu that is off) reads nothing
        fields.update(a="out._a.data", g="out.grad")
    for target, statement in zip(("a.grad", "b.grad") if op.arity == 2 else ("out._a.grad",), op.source[1]):
        lines.append("    " + statement.format(t=target, **fields))
    namespace = dict(SOURCE_NAMESPACE)
    exec(compile("\n".join(lines), f"<{op.name} rule from its source>", "exec"), namespace)  # noqa: S102 - our text
    return namespace[f"{op.name}_backward"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------- how a definition becomes an op


def _register(op: Op, method: str = "") -> Op:
    if op.name in OPS:
        raise ValueError(f"op {op.name!r} is already defined")
    OPS[op.name] = op
    op.method = method
    return op


def unary(
    name: str, forward: Callable[..., float], derivative: Derivative, *, activation: bool = False, param: str = "",
    default: float = 0.0, symbol: str = "", method: str = "", source: tuple[str, tuple[str, ...]] | None = None,
    skip_zero: bool = False,
) -> Op:
    """Define an op on one Value, `Value.<name>()` (or `method`): `forward(x)` on a float, `derivative(a, out)`.
    With `param` it also takes a number c (default `default`): `forward(x, c)`, `derivative(a, c, out)`
    returning both partials. Raises ValueError for a name already defined."""
    op = Op(name, symbol or (f"{name}({{c}})" if param else name), 1, derivative, 0 if param else None)
    op.forward = forward if param else (lambda x, c: forward(x))
    op.activation, op.param, op.source, op.skip_zero = activation, param, source, skip_zero
    if param:

        def apply(a: N, c: float = default) -> N:
            c = as_float(c, f"{name}({param})")
            return make_node(type(a), forward(a.data, c), op, a, arg=c)
    else:

        def apply(a: N) -> N:  # type: ignore[misc]
            return make_node(type(a), forward(a.data), op, a)

    apply.__name__ = apply.__qualname__ = method or name
    apply.__doc__ = forward.__doc__
    op.apply = apply
    if source is not None:
        op.backward = rule_from_source(op)
    elif not param:
        op.backward = _unary_backward(derivative)
    return _register(op, method or name)


def _unary_backward(derivative: Derivative) -> Callable[[Node], None]:
    def backward(out: Node) -> None:  # the generic rule, without building a tuple: one call per node
        d = derivative(out._a.data, out.data)
        if d is not None:
            out._a.grad += out.grad * d

    return backward


def binary(
    name: str, symbol: str, method: str, forward: Callable[[float, float], float], derivative: Derivative, *,
    commutative: bool = False, number_forward: Callable[[float, float], float] | None = None,
    minus: Op | None = None, micrograd: str = "", sources: dict[str, tuple[str, tuple[str, ...]]] | None = None,
    skip_zero: bool = False,
) -> Op:
    """Define an op on two operands, `Value.<method>` and its reflected form: `forward(a, b)` on floats,
    `derivative(a, b, out)` giving both partials. A number operand makes `<name>_const` (`x * 2`; computed
    with `number_forward` if given) or `r<name>` (`2 - x`), whose derivative is this one with the number
    in its place; with `minus`, `a - c` is recorded as that op with -c. `sources` gives the hot ones' text by
    name. Raises ValueError for a name already defined."""
    sources = sources or {}
    op = Op(name, symbol, 2, derivative)
    op.forward, on_number = forward, number_forward or forward
    op.ordered = not commutative
    if minus is not None:
        right = minus
        minus.negated = f"{symbol} {{c}}"
    else:
        right = _register(Op(f"{name}_const", f"{symbol} {{c}}", 1, derivative, position=0), method)
        right.forward, right.micrograd = on_number, micrograd or symbol
    if commutative:
        left = right
    else:
        left = _register(Op(f"r{name}", f"{{c}} {symbol}", 1, derivative, position=1), f"__r{method[2:]}")
        left.forward, left.micrograd = (lambda a, c: forward(c, a)), symbol
    for record in (op, right, left):
        record.skip_zero = record.skip_zero or skip_zero
        if record.name in sources:
            record.source = sources[record.name]
            record.backward = rule_from_source(record)

    def apply(a: N, b: Any) -> N:
        cls = type(a)
        if type(b) is cls:  # two Values
            return make_node(cls, forward(a.data, b.data), op, a, b)
        c = number_or_none(b, name)
        if c is not None:
            return make_node(cls, on_number(a.data, c), right, a, arg=-c if minus else c)
        if isinstance(b, cls) or isinstance(a, type(b)):  # Values of a class and its subclass
            return make_node(cls, forward(a.data, b.data), op, a, b)
        return NotImplemented  # so that Python tries the other operand's method, as an operator must

    def reflected_apply(a: N, b: Any) -> N:  # b op a, for a number b
        c = number_or_none(b, name)
        if c is None:
            return NotImplemented
        return make_node(type(a), forward(c, a.data), left, a, arg=c)

    apply.__name__ = apply.__qualname__ = method
    reflected_apply.__name__ = reflected_apply.__qualname__ = f"__r{method[2:]}"
    op.apply, op.reflected_apply = apply, reflected_apply
    if op.source is None:
        op.backward = _binary_backward(derivative)
    return _register(op, method)


def _binary_backward(derivative: Derivative) -> Callable[[Node], None]:
    def backward(out: Node) -> None:  # the generic rule, reading both partials from one call
        a, b, g = out._a, out._b, out.grad
        da, db = derivative(a.data, b.data, out.data)
        if da is not None:
            a.grad += g * da
        if db is not None:
            b.grad += g * db

    return backward


def nary(name: str, symbol: str, derivative: Derivative, backward: Callable[[Node], None]) -> Op:
    """Define an op on any number of Values, `derivative(*operands, out)`, with its hand-tuned float rule
    `backward` (tests/engine/test_ops.py proves the two equal bit for bit); its partials must be finite
    where its data is (`skip_zero`)."""
    op = Op(name, symbol, 0, derivative)
    op.backward, op.skip_zero = backward, True
    return _register(op)
