"""Every built-in scalar op, each in one place: its forward, its backward rule, and its vector-Jacobian product.

An op has two backward forms side by side:
- `backward(out)` works on floats and adds `out.grad * d(out)/d(child)` into each child's `.grad`.
  This is the hot path of `Value.backward()`, so it touches only floats and slots.
- `vjp(out, g)` returns the same products built from Value ops, one per child, so that
  `engine.grad(..., create_graph=True)` yields gradients that can be differentiated again.
The tests check that the two forms agree for every op (tests/test_ops.py).

A node keeps its operands in slots: `_a` (and `_b` for a binary op), or for an n-ary op (`Op.arity == 0`)
the tuple of all of them in `_a`. Numbers on one side of a binary op are kept in the node's `_arg` instead of
being wrapped in a Value: `x * 1.0001` is one node, not two.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from engine.grad_mode import state as _mode
from engine.value import Number, Operand, Value, as_float

Grad = Value  # the upstream gradient handed to a vjp
Partial = Value  # one child's share of it


class Op:
    """A scalar op: its `name`, the `symbol` drawn for it ("{c}" stands for a constant operand), its rules,
    and its `arity`: 1 or 2 Value operands (kept in the node's `_a` and `_b`), or 0 for any number (a tuple in `_a`).
    """

    __slots__ = ("name", "symbol", "backward", "vjp", "arity")

    def __init__(
        self,
        name: str,
        symbol: str,
        backward: Callable[[Value], None],
        vjp: Callable[[Value, Grad], Sequence[Partial]],
        arity: int,
    ) -> None:
        self.name = name
        self.symbol = symbol
        self.backward = backward
        self.vjp = vjp
        self.arity = arity

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


_new = object.__new__


def make_node(data: float, op: Op, a: Any, b: Any = None, arg: Any = None) -> Value:
    """Create the result Value of `op` from its operands `a` (and `b`), or for an n-ary op the tuple `a` of
    them all; `arg` is the op's constant. Inside `no_grad()` the result is a leaf with no parents."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _mode.enabled:
        out._op = op
        out._a = a
        out._b = b
        out._arg = arg
    else:
        out._op = None
        out._a = None
        out._b = None
        out._arg = None
    return out


def attach(out: Value, op: Op, parents: Sequence[Value], arg: Any) -> None:
    """Make `out` the result of `op` on `parents` (and constant `arg`), so `op.backward(out)` can run on it."""
    out._op = op
    if op.arity == 0:
        out._a, out._b = tuple(parents), None
    else:
        out._a, out._b = parents[0], (parents[1] if op.arity == 2 else None)
    out._arg = arg


def _number(x: object, where: str) -> float | None:
    """The float of a real number operand, or None when `x` is not one (so the operator returns NotImplemented).

    Raises OverflowError naming the op `where` for an int too large for a float.
    """
    if type(x) is float:
        return x  # type: ignore[return-value]
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return None
    return as_float(x, where)


def _fmt(x: float) -> str:
    return f"{x:.6g}"


# ---------------------------------------------------------------- addition and subtraction


def _add_backward(out: Value) -> None:
    a, b = out._a, out._b
    g = out.grad
    a.grad += g
    b.grad += g


def _add_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    return (g, g)


ADD = Op("add", "+", _add_backward, _add_vjp, 2)


def _add_const_backward(out: Value) -> None:
    out._a.grad += out.grad


def _add_const_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    return (g,)


ADD_CONST = Op("add_const", "+ {c}", _add_const_backward, _add_const_vjp, 1)


def add(a: Value, b: Operand) -> Value:
    """a + b, where b is a Value or a number."""
    if isinstance(b, Value):
        return make_node(a.data + b.data, ADD, a, b)
    c = _number(b, "add")
    if c is None:
        return NotImplemented
    return make_node(a.data + c, ADD_CONST, a, arg=c)


def _sub_backward(out: Value) -> None:
    a, b = out._a, out._b
    g = out.grad
    a.grad += g
    b.grad -= g


def _sub_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    return (g, -g)


SUB = Op("sub", "-", _sub_backward, _sub_vjp, 2)


def sub(a: Value, b: Operand) -> Value:
    """a - b, where b is a Value or a number (a - c is recorded as a + (-c), which IEEE defines as equal)."""
    if isinstance(b, Value):
        return make_node(a.data - b.data, SUB, a, b)
    c = _number(b, "sub")
    if c is None:
        return NotImplemented
    return make_node(a.data - c, ADD_CONST, a, arg=-c)


def _rsub_backward(out: Value) -> None:
    out._a.grad -= out.grad


def _rsub_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    return (-g,)


RSUB = Op("rsub", "{c} -", _rsub_backward, _rsub_vjp, 1)


def rsub(a: Value, c: Number) -> Value:
    """c - a for a number c."""
    k = _number(c, "sub")
    if k is None:
        return NotImplemented
    return make_node(k - a.data, RSUB, a, arg=k)


def _neg_backward(out: Value) -> None:
    out._a.grad -= out.grad


def _neg_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    return (-g,)


NEG = Op("neg", "-", _neg_backward, _neg_vjp, 1)


def neg(a: Value) -> Value:
    """-a."""
    return make_node(-a.data, NEG, a)


# ---------------------------------------------------------------- multiplication and division


def _mul_backward(out: Value) -> None:
    a, b = out._a, out._b
    g = out.grad
    a.grad += g * b.data
    b.grad += g * a.data


def _mul_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    a, b = out._a, out._b
    return (g * b, g * a)


MUL = Op("mul", "*", _mul_backward, _mul_vjp, 2)


def _mul_const_backward(out: Value) -> None:
    out._a.grad += out.grad * out._arg


def _mul_const_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    return (g * out._arg,)


MUL_CONST = Op("mul_const", "* {c}", _mul_const_backward, _mul_const_vjp, 1)


def mul(a: Value, b: Operand) -> Value:
    """a * b, where b is a Value or a number."""
    if isinstance(b, Value):
        return make_node(a.data * b.data, MUL, a, b)
    c = _number(b, "mul")
    if c is None:
        return NotImplemented
    return make_node(a.data * c, MUL_CONST, a, arg=c)


def _div_backward(out: Value) -> None:
    a, b = out._a, out._b
    g = out.grad / b.data
    a.grad += g
    b.grad -= g * out.data


def _div_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    b = out._b
    g_b = g / b
    return (g_b, -g_b * out)  # not a / (b * b): b * b underflows to 0 where a / b is still finite


DIV = Op("div", "/", _div_backward, _div_vjp, 2)


def _div_const_backward(out: Value) -> None:
    out._a.grad += out.grad / out._arg


def _div_const_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    return (g / out._arg,)


DIV_CONST = Op("div_const", "/ {c}", _div_const_backward, _div_const_vjp, 1)


def div(a: Value, b: Operand) -> Value:
    """a / b. Raises ZeroDivisionError when b is 0."""
    if isinstance(b, Value):
        if b.data == 0.0:
            raise ZeroDivisionError(f"div: division by zero, divisor {b!r} (dividend {a!r})")
        return make_node(a.data / b.data, DIV, a, b)
    c = _number(b, "div")
    if c is None:
        return NotImplemented
    if c == 0.0:
        raise ZeroDivisionError(f"div: division by zero, divisor is the number {c!r} (dividend {a!r})")
    return make_node(a.data / c, DIV_CONST, a, arg=c)


def _rdiv_backward(out: Value) -> None:
    a = out._a
    a.grad -= out.grad * out.data / a.data


def _rdiv_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    return (-(g * out) / out._a,)  # c / a**2 written as out / a, which cannot underflow to 1 / 0


RDIV = Op("rdiv", "{c} /", _rdiv_backward, _rdiv_vjp, 1)


def rdiv(a: Value, c: Number) -> Value:
    """c / a for a number c. Raises ZeroDivisionError when a is 0."""
    k = _number(c, "div")
    if k is None:
        return NotImplemented
    if a.data == 0.0:
        raise ZeroDivisionError(f"div: division by zero, divisor {a!r} (dividend the number {k!r})")
    return make_node(k / a.data, RDIV, a, arg=k)


# ---------------------------------------------------------------- powers


def _pow_float(base: float, exponent: float) -> float:
    """base ** exponent for the derivative rules, where 0 ** negative is infinite (as in IEEE pow)."""
    try:
        return base**exponent
    except ZeroDivisionError:
        return math.inf


def _checked_pow(base: float, exponent: float, where: str) -> float:
    if base < 0.0 and math.isfinite(exponent) and not exponent.is_integer():
        raise ValueError(f"{where}: negative base {base!r} to the non-integer power {exponent!r} is not real")
    if base == 0.0 and exponent < 0.0:
        raise ZeroDivisionError(f"{where}: 0 to the negative power {exponent!r}")
    try:
        return base**exponent
    except OverflowError:
        raise OverflowError(f"{where}: {base!r} ** {exponent!r} overflows a float") from None


def _pow_const_backward(out: Value) -> None:
    a = out._a
    c = out._arg
    if c != 0.0:
        a.grad += out.grad * c * _pow_float(a.data, c - 1.0)


def _pow_const_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    a = out._a
    c = out._arg
    if c == 0.0:
        return (g * 0.0,)
    if a.data == 0.0 and c < 1.0:
        # The slope of 0 ** c is infinite here; a constant keeps grad() in step with backward() (and torch).
        return (g * (c * _pow_float(0.0, c - 1.0)),)
    return (g * c * a ** (c - 1.0),)


POW_CONST = Op("pow_const", "** {c}", _pow_const_backward, _pow_const_vjp, 1)


def _pow_backward(out: Value) -> None:
    a, b = out._a, out._b
    g = out.grad
    if b.data != 0.0:  # at b == 0 the slope is 0, also at a == 0 where 0 * inf would give NaN (torch masks it too)
        a.grad += g * b.data * _pow_float(a.data, b.data - 1.0)
    if a.data > 0.0:
        b.grad += g * out.data * math.log(a.data)


def _pow_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    a, b = out._a, out._b
    # As in PyTorch, d/db of 0 ** b is taken as 0 rather than 0 * log(0).
    db = g * out * a.log() if a.data > 0.0 else g * 0.0
    if a.data != 0.0:
        da = g * b * a ** (b - 1.0)
    elif b.data == 0.0:
        da = g * 0.0
    else:  # as in _pow_const_vjp: an infinite (or zero) slope at base 0, as a constant factor
        da = g * b * _pow_float(0.0, b.data - 1.0)
    return (da, db)


POW = Op("pow", "**", _pow_backward, _pow_vjp, 2)


def pow(a: Value, b: Operand) -> Value:  # the name of the op, as torch.pow
    """a ** b. A Value exponent needs a base >= 0 (its gradient uses log(a)).

    Raises ValueError for a negative base with a non-integer or Value exponent, ZeroDivisionError for
    0 to a negative power, OverflowError when the result does not fit a float.
    """
    if isinstance(b, Value):
        if a.data < 0.0:
            raise ValueError(f"pow: negative base {a!r} with a Value exponent {b!r} (the gradient needs log(base))")
        return make_node(_checked_pow(a.data, b.data, "pow"), POW, a, b)
    c = _number(b, "pow")
    if c is None:
        return NotImplemented
    return make_node(_checked_pow(a.data, c, "pow"), POW_CONST, a, arg=c)


def _rpow_backward(out: Value) -> None:
    c = out._arg
    if c > 0.0:
        out._a.grad += out.grad * out.data * math.log(c)


def _rpow_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    c = out._arg
    return (g * out * math.log(c) if c > 0.0 else g * 0.0,)


RPOW = Op("rpow", "{c} **", _rpow_backward, _rpow_vjp, 1)


def rpow(a: Value, c: Number) -> Value:
    """c ** a for a number c >= 0. Raises ValueError for a negative base."""
    k = _number(c, "pow")
    if k is None:
        return NotImplemented
    if k < 0.0:
        raise ValueError(f"pow: negative base {k!r} with a Value exponent {a!r} (the gradient needs log(base))")
    return make_node(_checked_pow(k, a.data, "pow"), RPOW, a, arg=k)


# ---------------------------------------------------------------- exp and log


def _exp_backward(out: Value) -> None:
    out._a.grad += out.grad * out.data


def _exp_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    return (g * out,)


EXP = Op("exp", "exp", _exp_backward, _exp_vjp, 1)


def exp(a: Value) -> Value:
    """e ** a. Raises OverflowError when the result does not fit a float (a > 709.78)."""
    try:
        return make_node(math.exp(a.data), EXP, a)
    except OverflowError:
        raise OverflowError(f"exp: result overflows a float for operand {a!r}") from None


def _log_backward(out: Value) -> None:
    a = out._a
    a.grad += out.grad / a.data


def _log_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    return (g / out._a,)


LOG = Op("log", "log", _log_backward, _log_vjp, 1)


def log(a: Value) -> Value:
    """Natural log. Raises ValueError for an operand <= 0."""
    if a.data <= 0.0:
        raise ValueError(f"log: operand must be > 0, got {a!r}")
    return make_node(math.log(a.data), LOG, a)


# ---------------------------------------------------------------- activations


def _tanh_backward(out: Value) -> None:
    t = out.data
    out._a.grad += out.grad * (1.0 - t * t)


def _tanh_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    return (g * (1.0 - out * out),)


TANH = Op("tanh", "tanh", _tanh_backward, _tanh_vjp, 1)


def tanh(a: Value) -> Value:
    """Hyperbolic tangent (math.tanh saturates to +-1 without overflow)."""
    return make_node(math.tanh(a.data), TANH, a)


def _sigmoid_backward(out: Value) -> None:
    s = out.data
    out._a.grad += out.grad * s * (1.0 - s)


def _sigmoid_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    return (g * out * (1.0 - out),)


SIGMOID = Op("sigmoid", "sigmoid", _sigmoid_backward, _sigmoid_vjp, 1)


def sigmoid(a: Value) -> Value:
    """1 / (1 + e ** -a), computed from the side where exp cannot overflow."""
    x = a.data
    if x >= 0.0:
        s = 1.0 / (1.0 + math.exp(-x))
    else:
        e = math.exp(x)
        s = e / (1.0 + e)
    return make_node(s, SIGMOID, a)


def _relu_backward(out: Value) -> None:
    if out.data > 0.0:
        out._a.grad += out.grad


def _relu_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    return (g * (1.0 if out.data > 0.0 else 0.0),)


RELU = Op("relu", "relu", _relu_backward, _relu_vjp, 1)


def relu(a: Value) -> Value:
    """max(0, a), with derivative 0 at 0 as in PyTorch; NaN stays NaN."""
    x = a.data
    return make_node(0.0 if x <= 0.0 else x, RELU, a)


def _leaky_relu_backward(out: Value) -> None:
    a = out._a
    a.grad += out.grad if a.data > 0.0 else out.grad * out._arg


def _leaky_relu_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    return (g * (1.0 if out._a.data > 0.0 else out._arg),)


LEAKY_RELU = Op("leaky_relu", "leaky_relu({c})", _leaky_relu_backward, _leaky_relu_vjp, 1)


def leaky_relu(a: Value, slope: float = 0.01) -> Value:
    """a if a > 0 else slope * a; the derivative at 0 is `slope`, as in PyTorch."""
    k = as_float(slope, "leaky_relu(slope)")
    x = a.data
    return make_node(x if x > 0.0 else x * k, LEAKY_RELU, a, arg=k)


# ---------------------------------------------------------------- n-ary ops: weighted sums and sums


def _dot_backward(out: Value) -> None:
    g = out.grad
    operands = out._a
    n = out._arg
    for w, x in zip(operands[:n], operands[n : 2 * n]):
        w.grad += g * x.data
        x.grad += g * w.data
    if len(operands) > 2 * n:
        operands[-1].grad += g


def _dot_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    operands = out._a
    n = out._arg
    ws, xs = operands[:n], operands[n : 2 * n]
    return [g * x for x in xs] + [g * w for w in ws] + [g] * (len(operands) - 2 * n)


DOT = Op("dot", "Σ w·x", _dot_backward, _dot_vjp, 0)


def _check_values(items: Sequence[object], where: str) -> None:
    if set(map(type, items)) <= {Value}:  # the common case, checked at C speed (pooling calls this per window)
        return
    for i, item in enumerate(items):
        if not isinstance(item, Value):
            raise TypeError(f"{where}: item {i} must be a Value, got {type(item).__name__}")


def dot(ws: Sequence[Value], xs: Sequence[Value], bias: Value | None = None) -> Value:
    """bias + w[0]*x[0] + w[1]*x[1] + ... as one node (the fused weighted sum of a neuron).

    The sum is taken in that order, so the value is bit-for-bit the chain of binary `+` and `*` that
    micrograd's Neuron builds (gradients too, up to the order in which shared nodes sum their contributions).
    Raises ValueError on different lengths, TypeError on non-Values.
    """
    n = len(ws)
    if len(xs) != n:
        raise ValueError(f"dot: {n} weights but {len(xs)} inputs")
    if bias is None:
        acc = 0.0
        prev = (*ws, *xs)
    else:
        if not isinstance(bias, Value):
            raise TypeError(f"dot(bias): must be a Value or None, got {type(bias).__name__}")
        acc = bias.data
        prev = (*ws, *xs, bias)
    # This loop is the forward hot path of every neuron, so operands are checked only when it fails.
    try:
        for w, x in zip(ws, xs):
            acc += w.data * x.data
    except AttributeError:
        _check_values(ws, "dot(ws)")
        _check_values(xs, "dot(xs)")
        raise
    return make_node(acc, DOT, prev, arg=n)


def _sum_backward(out: Value) -> None:
    g = out.grad
    for v in out._a:
        v.grad += g


def _sum_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    return [g] * len(out._a)


SUM = Op("sum", "Σ", _sum_backward, _sum_vjp, 0)


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


def _max_backward(out: Value) -> None:
    out._a[out._arg].grad += out.grad


def _max_vjp(out: Value, g: Grad) -> Sequence[Partial]:
    winner = out._arg
    return [g if i == winner else g * 0.0 for i in range(len(out._a))]


MAX = Op("max", "max", _max_backward, _max_vjp, 0)


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

BUILTIN_NAMES = frozenset(o.name for o in globals().values() if isinstance(o, Op))

# Value's operators and methods are the op functions themselves (see the stubs in engine/value.py).
for _name, _function in {
    "__add__": add,
    "__radd__": add,
    "__sub__": sub,
    "__rsub__": rsub,
    "__mul__": mul,
    "__rmul__": mul,
    "__truediv__": div,
    "__rtruediv__": rdiv,
    "__pow__": pow,
    "__rpow__": rpow,
    "__neg__": neg,
    "exp": exp,
    "log": log,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "relu": relu,
    "leaky_relu": leaky_relu,
}.items():
    setattr(Value, _name, _function)

del _name, _function
