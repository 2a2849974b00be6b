"""Every built-in scalar op, each defined once: its forward on floats, then the local derivative of each operand.

A derivative is written with operations that work on floats and on Values alike (tanh's is `1 - out * out`,
where `out` is the op's result), so one rule serves both passes: `backward()` applies it to floats, and
`engine.grad(create_graph=True)` applies it to Values, building a graph that can be differentiated again.
A number operand is not wrapped in a Value: `x * 2` is one node of the op `mul_const`, which keeps the 2 as
its constant `c` and reuses `mul`'s derivative. An op is an `Op` record, and defining it registers it:
Value's operators and methods, drawings, the expression parser and `engine.testing` all read `OPS`.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from engine.grad_mode import _thread, state
from engine.value import NOT_RECORDED, Value, as_float

Partial = Any  # a local derivative: a float in backward(), a Value (or a float) under create_graph
Rule = Callable[..., Partial]


class Op:
    """One op: its `name`; the `symbol` drawings show ("{c}" stands for its constant); `arity`, the number of
    Value operands (1 or 2, kept in a node's `_a` and `_b`; 0 for any number, kept as a tuple in `_a`; -1 for
    a custom op, whose derivative may raise); `forward(a, b)` on floats (`forward(a, c)` for one operand and a
    constant; None for n-ary ops); `partials(operands, c, out)`, the local derivatives; `backward`,
    the float rule `Value.backward()` runs; `method`, its Value method ('' for none) and `param`, the name of
    that method's number argument; `activation` and `ordered` (operand order matters), for drawings."""

    __slots__ = ("name", "symbol", "arity", "forward", "partials", "backward", "method", "param", "activation",
                 "ordered")  # fmt: skip

    def __init__(self, name: str, symbol: str, arity: int, partials: Callable[..., Sequence[Partial]]) -> None:
        self.name, self.symbol, self.arity, self.partials = name, symbol, arity, partials
        self.forward: Callable[[float, Any], float] | None = None
        self.backward: Callable[[Value], None] = generic_backward
        self.method = self.param = ""
        self.activation = self.ordered = False

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


OPS: dict[str, Op] = {}  # every built-in op by name, in the order defined


def generic_backward(out: Value) -> None:
    """The float rule of any op: add out.grad times each local derivative into each operand's `.grad`."""
    operands = out.parents
    g = out.grad
    for v, d in zip(operands, out._op.partials(tuple(v.data for v in operands), out._arg, out.data)):  # type: ignore[union-attr]
        v.grad += g * d


def vjp(out: Value, g: Value) -> list[Value]:
    """The same products as Values, for `engine.grad(create_graph=True)`: g times each local derivative."""
    return [g * d for d in out._op.partials(out.parents, out._arg, out)]  # type: ignore[union-attr]


_new = object.__new__


def make_node(data: float, op: Op, a: Any, b: Any = None, arg: Any = None) -> Value:
    """The result Value of `op` on operands `a` (and `b`; for an n-ary op, the tuple `a` of them all) with
    constant `arg`. While grad mode is off the result records no operands (backward() then refuses it)."""
    # One store per slot, no tuple: a temporary tuple per node would be one more object to count towards the
    # cyclic GC's next collection (see engine/value.py).
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if not state.threads_off or _thread.enabled:  # grad_mode.recording(), inlined: this runs for every node
        out._op = op
        out._a = a
        out._b = b
        out._arg = arg
    else:
        out._op = None
        out._a = NOT_RECORDED
        out._b = None
        out._arg = None
    return out


def attach(out: Value, op: Op, parents: Sequence[Value], arg: Any) -> None:
    """Make `out` the result of `op` on `parents` (and constant `arg`), so `op.backward(out)` can run on it."""
    out._op, out._arg = op, arg
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


def unregister(name: str) -> None:
    """Remove a built-in op and its Value method (for tests that define one). Raises KeyError if unknown."""
    op = OPS.pop(name)
    if op.method:
        delattr(Value, op.method)


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
    """Define `Value.<name>()` (or `method`): `forward(x)` on a float, `derivative(a, out)` its local derivative.
    With `param`, the method takes a number c (default `default`): `forward(x, c)`, `derivative(a, c, out)`."""
    symbol = symbol or (f"{name}({{c}})" if param else name)
    op = Op(name, symbol, 1, (lambda xs, c, out: (derivative(xs[0], c, out),)) if param
            else (lambda xs, c, out: (derivative(xs[0], out),)))  # fmt: skip
    op.activation, op.param = activation, param
    op.forward = forward if param else (lambda x, c: forward(x))

    if param:
        def backward(out: Value) -> None:
            a = out._a
            a.grad += out.grad * derivative(a.data, out._arg, out.data)

        def apply(a: Value, c: float = default) -> Value:
            c = as_float(c, f"{name}({param})")
            return make_node(forward(a.data, c), op, a, arg=c)
    else:
        def backward(out: Value) -> None:
            a = out._a
            a.grad += out.grad * derivative(a.data, out.data)

        def apply(a: Value) -> Value:  # type: ignore[misc]
            return make_node(forward(a.data), op, a)

    op.backward = backward
    apply.__name__ = apply.__qualname__ = method or name
    apply.__doc__ = forward.__doc__
    return _register(op, method or name, apply)


def _with_constant(
    name: str, symbol: str, forward: Callable[[float, float], float], derivative: Rule, left: bool
) -> Op:
    """A binary op with a number on one side, kept in the node: `forward` and `derivative` are the binary op's."""
    if left:
        op = Op(name, symbol, 1, lambda xs, c, out: (derivative(c, xs[0], out),))

        def backward(out: Value) -> None:
            a = out._a
            a.grad += out.grad * derivative(out._arg, a.data, out.data)
    else:
        op = Op(name, symbol, 1, lambda xs, c, out: (derivative(xs[0], c, out),))

        def backward(out: Value) -> None:  # type: ignore[misc]
            a = out._a
            a.grad += out.grad * derivative(a.data, out._arg, out.data)

    op.backward = backward
    op.forward = (lambda a, c: forward(c, a)) if left else forward
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
    right = minus or _register(_with_constant(f"{name}_const", f"{symbol} {{c}}", on_number, da, False), method)
    left = right if commutative else _register(_with_constant(f"r{name}", f"{{c}} {symbol}", forward, db, True))

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


# ---------------------------------------------------------------- helpers for rules on floats and Values


def _power(base: Any, exponent: float) -> Any:
    """base ** exponent for a derivative: on floats, IEEE's signed inf where Python would raise."""
    if isinstance(base, Value):
        return base**exponent
    try:
        return base**exponent
    except ZeroDivisionError:
        return math.inf
    except OverflowError:
        odd = exponent.is_integer() and exponent % 2 == 1
        return -math.inf if odd and base < 0.0 else math.inf


def _log(x: Any) -> Any:
    return x.log() if isinstance(x, Value) else math.log(x)


# ---------------------------------------------------------------- the ops

ADD = binary("add", "+", "__add__", operator.add, lambda a, b, out: 1.0, lambda a, b, out: 1.0, commutative=True)


def _add_backward(out: Value) -> None:  # hand-tuned: with mul, nearly every node of a binary-op graph
    g = out.grad
    out._a.grad += g
    out._b.grad += g


ADD.backward = _add_backward

SUB = binary("sub", "-", "__sub__", operator.sub, lambda a, b, out: 1.0, lambda a, b, out: -1.0,
             minus=OPS["add_const"])  # fmt: skip

MUL = binary("mul", "*", "__mul__", operator.mul, lambda a, b, out: b, lambda a, b, out: a, commutative=True)


def _mul_backward(out: Value) -> None:  # hand-tuned: the hottest rule of a binary-op graph
    a, b = out._a, out._b
    g = out.grad
    a.grad += g * b.data
    b.grad += g * a.data


MUL.backward = _mul_backward


def _divide(a: float, b: float) -> float:
    """a / b. Raises ZeroDivisionError when b is 0."""
    if b == 0.0:
        raise ZeroDivisionError(f"div: division by zero: {a!r} / {b!r}")
    return a / b


# d/db is -out / b, not -a / b**2: b * b underflows to 0 where a / b is still finite
DIV = binary("div", "/", "__truediv__", _divide, lambda a, b, out: 1.0 / b, lambda a, b, out: -out / b)


def _pow(base: float, exponent: float) -> float:
    """base ** exponent. Raises ValueError for a negative base to a non-integer power, ZeroDivisionError for
    0 to a negative power, OverflowError when the result does not fit a float."""
    if base < 0.0 and math.isfinite(exponent) and not exponent.is_integer():
        raise ValueError(f"pow: negative base {base!r} to the non-integer power {exponent!r} is not real")
    if base == 0.0 and exponent < 0.0:
        raise ZeroDivisionError(f"pow: 0 to the negative power {exponent!r}")
    try:
        return base**exponent
    except OverflowError:
        raise OverflowError(f"pow: {base!r} ** {exponent!r} overflows a float") from None


def _pow_of_value_exponent(base: float, exponent: float) -> float:
    if base < 0.0:
        raise ValueError(f"pow: negative base {base!r} with a Value exponent {exponent!r} (the gradient uses log)")
    return _pow(base, exponent)


def _pow_da(a: Any, b: Any, out: Any) -> Any:
    if float(a) == 0.0 and float(b) < 1.0:  # 0 at b == 0 where 0 * inf would be NaN, else infinite (as torch)
        return 0.0 if float(b) == 0.0 else b * _power(0.0, float(b) - 1.0)
    return b * _power(a, b - 1.0)


def _pow_db(a: Any, b: Any, out: Any) -> Any:
    return out * _log(a) if float(a) > 0.0 else 0.0  # as PyTorch: d/db of 0 ** b is 0, not 0 * log(0)


POW = binary("pow", "**", "__pow__", _pow_of_value_exponent, _pow_da, _pow_db, forward_constant=_pow)
NEG = unary("neg", operator.neg, lambda a, out: -1.0, symbol="-", method="__neg__")


def _exp(x: float) -> float:
    """e ** x. Raises OverflowError when the result does not fit a float (x > 709.78)."""
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp: result overflows a float for operand {x!r}") from None


def _log_forward(x: float) -> float:
    """Natural log. Raises ValueError for an operand <= 0."""
    if x <= 0.0:
        raise ValueError(f"log: operand must be > 0, got {x!r}")
    return math.log(x)


def _sigmoid(x: float) -> float:
    """1 / (1 + e ** -x), computed from the side where exp cannot overflow."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _relu(x: float) -> float:
    """max(0, x), with derivative 0 at 0 as in PyTorch; NaN stays NaN."""
    return 0.0 if x <= 0.0 else x


def _leaky_relu(x: float, slope: float) -> float:
    """x if x > 0 else slope * x; the derivative at 0 is `slope`, as in PyTorch."""
    return x if x > 0.0 else x * slope


EXP = unary("exp", _exp, lambda a, out: out)
LOG = unary("log", _log_forward, lambda a, out: 1.0 / a)
RELU = unary("relu", _relu, lambda a, out: 1.0 if float(out) > 0.0 else 0.0, activation=True)
TANH = unary("tanh", math.tanh, lambda a, out: 1.0 - out * out, activation=True)
SIGMOID = unary("sigmoid", _sigmoid, lambda a, out: out * (1.0 - out), activation=True)
LEAKY_RELU = unary("leaky_relu", _leaky_relu, lambda a, slope, out: 1.0 if float(a) > 0.0 else slope,
                   activation=True, param="slope", default=0.01)  # fmt: skip


# ---------------------------------------------------------------- n-ary ops: weighted sums, sums and max


def _check_values(items: Sequence[object], where: str) -> None:
    if set(map(type, items)) <= {Value}:  # the common case, checked at C speed (pooling calls this per window)
        return
    for i, item in enumerate(items):
        if not isinstance(item, Value):
            raise TypeError(f"{where}: item {i} must be a Value, got {type(item).__name__}")


# dot's operands are w0..w(n-1), x0..x(n-1) and maybe the bias: d/dw_i = x_i, d/dx_i = w_i, d/dbias = 1
DOT = nary("dot", "Σ w·x", lambda xs, n, out: (*xs[n : 2 * n], *xs[:n], *(1.0,) * (len(xs) - 2 * n)))


def dot(ws: Sequence[Value], xs: Sequence[Value], bias: Value | None = None) -> Value:
    """bias + w[0]*x[0] + w[1]*x[1] + ... as one node (the fused weighted sum of a neuron).

    The sum is taken in that order, so the value is bit-for-bit the chain of binary `+` and `*` that
    micrograd's Neuron builds. Raises ValueError on different lengths, TypeError on non-Values.
    """
    n = len(ws)
    if len(xs) != n:
        raise ValueError(f"dot: {n} weights but {len(xs)} inputs")
    if bias is None:
        acc = 0.0
        operands = (*ws, *xs)
    else:
        if not isinstance(bias, Value):
            raise TypeError(f"dot(bias): must be a Value or None, got {type(bias).__name__}")
        acc = bias.data
        operands = (*ws, *xs, bias)
    # This loop is the forward hot path of every neuron, so operands are checked only when it fails.
    try:
        for w, x in zip(ws, xs):
            acc += w.data * x.data
    except AttributeError:
        _check_values(ws, "dot(ws)")
        _check_values(xs, "dot(xs)")
        raise
    return make_node(acc, DOT, operands, arg=n)


def _dot_backward(out: Value) -> None:  # hand-tuned: one per neuron, most of an MLP's backward
    g = out.grad
    operands = out._a
    n = out._arg
    for w, x in zip(operands[:n], operands[n : 2 * n]):
        w.grad += g * x.data
        x.grad += g * w.data
    if len(operands) > 2 * n:
        operands[-1].grad += g


DOT.backward = _dot_backward
SUM = nary("sum", "Σ", lambda xs, c, out: (1.0,) * len(xs))


def sum(values: Iterable[Value]) -> Value:  # the name of the op, as torch.sum
    """values[0] + values[1] + ... as one node. Raises ValueError when empty, TypeError on non-Values."""
    values = tuple(values)
    if len(values) == 0:
        raise ValueError("sum: needs at least one Value")
    _check_values(values, "sum")
    acc = 0.0
    for v in values:
        acc += v.data
    return make_node(acc, SUM, values)


MAX = nary("max", "max", lambda xs, winner, out: [1.0 if i == winner else 0.0 for i in range(len(xs))])


def max(values: Iterable[Value]) -> Value:  # the name of the op, as torch.max
    """The largest of `values` as one node; its gradient goes to the first arg-max (ties go to the first).

    A NaN wins, as in torch.max, so it is not hidden. Raises ValueError when empty, TypeError on non-Values.
    """
    values = tuple(values)
    if len(values) == 0:
        raise ValueError("max: needs at least one Value")
    _check_values(values, "max")
    winner = 0
    best = values[0].data
    for i in range(1, len(values)):
        x = values[i].data
        if best == best and (x > best or x != x):  # `x != x` is the NaN test
            winner, best = i, x
    return make_node(best, MAX, values, arg=winner)


