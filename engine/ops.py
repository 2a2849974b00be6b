"""Every built-in scalar op, each defined once: its forward on floats, then the local derivative of each operand.

A derivative is written with operations that work on floats and on Values alike (tanh's is `1 - out * out`,
`out` being the op's result): `backward()` applies it to floats, `engine.grad(create_graph=True)` to Values,
building a graph that can be differentiated again. A number operand stays out of the graph: `x * 2` is one
node of `mul_const`, which keeps 2 as its constant c and reuses `mul`'s derivative. Defining an op makes its
`Op` record and registers it in `OPS`, from which Value's methods, drawings, the parser and strategies come.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from typing import Any

from engine.op_record import OPS as OPS
from engine.op_record import Op as Op
from engine.op_record import attach as attach
from engine.op_record import binary, make_node, nary, unary
from engine.op_record import generic_backward as generic_backward
from engine.op_record import vjp as vjp
from engine.value import Value

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


# ---------------------------------------------------------------- the ops

# Each definition: name, symbol, the Value operator; the forward on floats; d(out)/da and d(out)/db.
ADD = binary("add", "+", "__add__", forward=operator.add, da=lambda a, b, out: 1.0, db=lambda a, b, out: 1.0,
             commutative=True)  # fmt: skip


def _add_backward(out: Value) -> None:  # hand-tuned: with mul, nearly every node of a binary-op graph
    g = out.grad
    out._a.grad += g
    out._b.grad += g


ADD.backward = _add_backward

SUB = binary("sub", "-", "__sub__", forward=operator.sub, da=lambda a, b, out: 1.0, db=lambda a, b, out: -1.0,
             minus=OPS["add_const"])  # fmt: skip

MUL = binary("mul", "*", "__mul__", forward=operator.mul, da=lambda a, b, out: b, db=lambda a, b, out: a,
             commutative=True)  # fmt: skip


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
DIV = binary("div", "/", "__truediv__", forward=_divide, da=lambda a, b, out: 1.0 / b, db=lambda a, b, out: -out / b)


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
    if not float(a) > 0.0:
        return 0.0  # as PyTorch: d/db of 0 ** b is 0, not 0 * log(0)
    return out * (a.log() if isinstance(a, Value) else math.log(a))


POW = binary("pow", "**", "__pow__", forward=_pow_of_value_exponent, da=_pow_da, db=_pow_db, forward_constant=_pow)
NEG = unary("neg", forward=operator.neg, derivative=lambda a, out: -1.0, symbol="-", method="__neg__")


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


# Each definition: name, the forward on a float, then d(out)/da, written to work on floats and Values alike.
EXP = unary("exp", forward=_exp, derivative=lambda a, out: out)
LOG = unary("log", forward=_log_forward, derivative=lambda a, out: 1.0 / a)
RELU = unary("relu", forward=_relu, derivative=lambda a, out: 1.0 if float(out) > 0.0 else 0.0, activation=True)


def _relu_backward(out: Value) -> None:  # hand-tuned: one per neuron; and as torch, a dead unit gets 0 even from inf
    if out.data > 0.0:
        out._a.grad += out.grad


RELU.backward = _relu_backward
RELU.micrograd = "ReLU"
TANH = unary("tanh", forward=math.tanh, derivative=lambda a, out: 1.0 - out * out, activation=True)
SIGMOID = unary("sigmoid", forward=_sigmoid, derivative=lambda a, out: out * (1.0 - out), activation=True)
LEAKY_RELU = unary("leaky_relu", forward=_leaky_relu, derivative=lambda a, slope, out: 1.0 if float(a) > 0.0 else slope,
                   activation=True, param="slope", default=0.01)  # fmt: skip


# ---------------------------------------------------------------- n-ary ops: weighted sums, sums and max


def _check_values(items: Sequence[object], where: str) -> None:
    if set(map(type, items)) <= {Value}:  # the common case, checked at C speed (pooling calls this per window)
        return
    for i, item in enumerate(items):
        if not isinstance(item, Value):
            raise TypeError(f"{where}: item {i} must be a Value, got {type(item).__name__}")


# dot's operands are w0..w(n-1), x0..x(n-1) and maybe the bias: d/dw_i = x_i, d/dx_i = w_i, d/dbias = 1
DOT = nary("dot", "Σ w·x", partials=lambda xs, n, out: (*xs[n : 2 * n], *xs[:n], *(1.0,) * (len(xs) - 2 * n)))


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
SUM = nary("sum", "Σ", partials=lambda xs, c, out: (1.0,) * len(xs))


def _sum_backward(out: Value) -> None:  # hand-tuned: losses sum over a batch
    g = out.grad
    for v in out._a:
        v.grad += g


SUM.backward = _sum_backward


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


MAX = nary("max", "max", partials=lambda xs, winner, out: [1.0 if i == winner else 0.0 for i in range(len(xs))])


def _max_backward(out: Value) -> None:  # hand-tuned: one per pooling window; only the winner gets gradient
    out._a[out._arg].grad += out.grad


MAX.backward = _max_backward


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


