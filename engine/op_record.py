"""What an op is: its `Op` record, and how a definition (`unary`, `binary`, `nary`) becomes one.

Defining an op registers it in `OPS` and binds its Value method or operator; its float rule for
`backward()` is generated from its derivative (engine/ops.py hand-tunes a few hot ones), and `vjp` applies
the same derivative to Values for `engine.grad(create_graph=True)`. The built-in ops are in engine/ops.py.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

from engine.grad_mode import _thread, state
from engine.value import NOT_RECORDED, Value, as_float

Partial = Any  # a local derivative: a float in backward(), a Value (or a float) under create_graph
Rule = Callable[..., Partial]


class Op:
    """One op: its `name`; the `symbol` drawings show ("{c}" stands for its constant); `arity`, the number of
    Value operands (1 or 2, kept in a node's `_a` and `_b`; 0 for any number, kept as a tuple in `_a`; -1 for
    a custom op, whose derivative may raise); `forward(a, b)` on floats (`forward(a, c)` for one operand and
    its constant; None for n-ary ops); `partials(operands, c, out)`, the local derivatives; `backward`,
    the float rule `Value.backward()` runs; `method`, its Value method ('' for none) and `param`, the name of
    that method's number argument; `activation` and `ordered` (operand order matters), for drawings;
    `micrograd`, the symbol micrograd's `_op` writes ('+' for `x + 2` too, '**{c}', 'ReLU')."""

    __slots__ = ("name", "symbol", "arity", "forward", "partials", "backward", "method", "param", "activation",
                 "ordered", "micrograd")  # fmt: skip

    def __init__(self, name: str, symbol: str, arity: int, partials: Callable[..., Sequence[Partial]]) -> None:
        self.name, self.symbol, self.arity, self.partials = name, symbol, arity, partials
        self.forward: Callable[[float, Any], float] | None = None  # what engine.compile replays
        self.backward: Callable[[Value], None] = generic_backward
        self.method = self.param = ""
        self.activation = self.ordered = False
        self.micrograd = symbol

    def micrograd_symbol(self, c: Any) -> str:
        """`micrograd` with the node's constant `c` filled in as micrograd prints it (2, not 2.0, for `x**2`)."""
        if "{c}" not in self.micrograd:
            return self.micrograd
        if isinstance(c, float) and c.is_integer() and abs(c) < 2**53:
            c = int(c)
        return self.micrograd.format(c=c)

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


OPS: dict[str, Op] = {}  # every built-in op by name, in the order defined


def generic_backward(out: Value) -> None:
    """The float rule of any op: add out.grad times each local derivative into each operand's `.grad`."""
    parents = out.parents
    g = out.grad
    for v, d in zip(parents, out._record.partials(tuple(v.data for v in parents), out._arg, out.data)):  # type: ignore[union-attr]
        v.grad += g * d


def vjp(out: Value, g: Value) -> list[Value]:
    """The same products as Values, for `engine.grad(create_graph=True)`: g times each local derivative."""
    return [g * d for d in out._record.partials(out.parents, out._arg, out)]  # type: ignore[union-attr]


_new = object.__new__


def make_node(data: float, op: Op, a: Any, b: Any = None, arg: Any = None) -> Value:
    """The result Value of `op` on operands `a` (and `b`; for an n-ary op, the tuple `a` of them all) with
    constant `arg`. While grad mode is off the result records no operands (backward() then refuses it)."""
    # One store per slot: a temporary tuple per node would count towards the cyclic GC's next collection.
    out = _new(Value)
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


def attach(out: Value, op: Op, parents: Sequence[Value], arg: Any) -> None:
    """Make `out` the result of `op` on `parents` (and constant `arg`), so `op.backward(out)` can run on it."""
    out._record, out._arg = op, arg
    if op.arity <= 0:
        out._a, out._b = tuple(parents), None
    else:
        out._a, out._b = parents[0], (parents[1] if op.arity == 2 else None)


def _register(op: Op, method: str = "", function: Callable[..., Value] | None = None) -> Op:
    if op.name in OPS:
        raise ValueError(f"op {op.name!r} is already defined")
    OPS[op.name] = op
    op.method = method
    if function is not None:
        setattr(Value, method, function)
    return op


def _number(x: object, where: str) -> float | None:
    """The float of a number operand, or None when `x` is not one (the operator then returns NotImplemented)."""
    if type(x) is float:
        return x  # type: ignore[return-value]
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return None
    return as_float(x, where)


# ---------------------------------------------------------------- how a definition becomes an op


def unary(
    name: str, forward: Callable[..., float], derivative: Rule, *, activation: bool = False, param: str = "",
    default: float = 0.0, symbol: str = "", method: str = "",
) -> Op:
    """Define `Value.<name>()` (or `method`): `forward(x)` on a float, then `derivative(a, out)`. With `param`,
    the method also takes a number c (default `default`): `forward(x, c)`, `derivative(a, c, out)`."""
    if param:
        op = _with_constant(name, symbol or f"{name}({{c}})", derivative)

        def apply(a: Value, c: float = default) -> Value:
            c = as_float(c, f"{name}({param})")
            return make_node(forward(a.data, c), op, a, arg=c)
    else:
        op = Op(name, symbol or name, 1, lambda xs, c, out: (derivative(xs[0], out),))

        def backward(out: Value) -> None:
            a = out._a
            a.grad += out.grad * derivative(a.data, out.data)

        def apply(a: Value) -> Value:  # type: ignore[misc]
            return make_node(forward(a.data), op, a)

        op.backward = backward
    op.forward = forward if param else (lambda x, c: forward(x))
    op.activation, op.param = activation, param
    apply.__name__ = apply.__qualname__ = method or name
    apply.__doc__ = forward.__doc__
    return _register(op, method or name, apply)


def _with_constant(name: str, symbol: str, derivative: Rule) -> Op:
    """An op on one Value and a number c kept in the node, with local derivative `derivative(a, c, out)`."""
    op = Op(name, symbol, 1, lambda xs, c, out: (derivative(xs[0], c, out),))

    def backward(out: Value) -> None:
        a = out._a
        a.grad += out.grad * derivative(a.data, out._arg, out.data)

    op.backward = backward
    return op


def binary(
    name: str, symbol: str, method: str, forward: Callable[[float, float], float], da: Rule, db: Rule, *,
    commutative: bool = False, forward_constant: Callable[[float, float], float] | None = None,
    minus: Op | None = None,
) -> Op:
    """Define `Value.<method>` (and its reflected form): `forward(a, b)` on floats, then the local derivatives
    `da(a, b, out)` and `db(a, b, out)`. A number operand makes `<name>_const` (or `r<name>` on the left);
    `forward_constant` is the forward when the exponent-like right operand is a number; with `minus`,
    `a - c` is recorded as that op with -c."""
    op = Op(name, symbol, 2, lambda xs, c, out: (da(xs[0], xs[1], out), db(xs[0], xs[1], out)))
    op.ordered = not commutative

    def backward(out: Value) -> None:
        a, b, g = out._a, out._b, out.grad
        a.grad += g * da(a.data, b.data, out.data)
        b.grad += g * db(a.data, b.data, out.data)

    op.backward = backward
    op.forward = forward
    on_number = forward_constant or forward
    right = minus or _register(_with_constant(f"{name}_const", f"{symbol} {{c}}", da), method)
    if not minus:
        right.forward = on_number
        right.micrograd = symbol + "{c}" if forward_constant else symbol
    if commutative:
        left = right
    else:  # c op a: the derivative for the Value on the right
        left = _register(_with_constant(f"r{name}", f"{{c}} {symbol}", lambda a, c, out: db(c, a, out)))
        left.forward = lambda a, c: forward(c, a)
        left.micrograd = symbol

    def apply(a: Value, b: Any) -> Value:
        if isinstance(b, Value):
            return make_node(forward(a.data, b.data), op, a, b)
        c = _number(b, name)
        if c is None:
            return NotImplemented
        return make_node(on_number(a.data, c), right, a, arg=-c if minus else c)

    def reflected(a: Value, b: Any) -> Value:
        c = _number(b, name)
        if c is None:
            return NotImplemented
        return make_node(forward(c, a.data), left, a, arg=c)

    reflected_name = "__r" + method[2:]
    left.method = reflected_name
    setattr(Value, reflected_name, reflected)
    return _register(op, method, apply)


def nary(name: str, symbol: str, partials: Callable[..., Sequence[Partial]]) -> Op:
    """Define an op on any number of Values: `partials(operands, c, out)` gives each one's local derivative."""
    return _register(Op(name, symbol, 0, partials))
