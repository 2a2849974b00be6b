"""Every built-in scalar op, one record each: its forward on floats and its derivative, side by side.

A derivative has one signature, the same as `engine.op`'s: `derivative(*operands, out)` returns the
partial d(out)/d(operand) of each operand (a tuple when there are several), `out` being the op's result.
It is written with operations that work on floats and on Values alike (tanh's is `1 - out * out`), so
`backward()` applies it to floats and `engine.grad(create_graph=True)` to Values, building a graph that can
be differentiated again. A partial of None means "no path here": that operand gets no gradient, not even
from an inf or NaN upstream gradient (a relu that is off, the losers of a max: PyTorch's `where`).

A number operand stays out of the graph: `x * 2` is one node of `mul_const`, whose derivative is mul's
with the number in b's place. The hottest ops also carry `sources`, their forward and gradients as Python
text: backward()'s float rule and the compiled replay are generated from it (engine/op_record.py), and
tests/engine/test_ops.py proves it equal to the derivative, bit for bit. The Value methods that apply
these records are written in engine/value.py; engine/op_record.py is how a definition becomes a record.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

from engine.op_record import OPS, SOURCE_NAMESPACE, Node, binary, nary, unary

# ---------------------------------------------------------------- the ops on one or two operands
# Each: name, symbol, the Value operator; the forward on floats; the derivative, one partial per operand.

ADD = binary("add", "+", "__add__", forward=operator.add, derivative=lambda a, b, out: (1.0, 1.0),
             commutative=True, skip_zero=True,
             sources={"add": ("{a} + {b}", ("{t} += {g}", "{t} += {g}")),
                      "add_const": ("{a} + {c}", ("{t} += {g}",))})  # fmt: skip
SUB = binary("sub", "-", "__sub__", forward=operator.sub, derivative=lambda a, b, out: (1.0, -1.0),
             minus=OPS["add_const"], skip_zero=True,
             sources={"sub": ("{a} - {b}", ("{t} += {g}", "{t} -= {g}")),
                      "rsub": ("{c} - {a}", ("{t} -= {g}",))})  # fmt: skip
MUL = binary("mul", "*", "__mul__", forward=operator.mul, derivative=lambda a, b, out: (b, a),
             commutative=True, skip_zero=True,
             sources={"mul": ("{a} * {b}", ("{t} += {g} * {b}", "{t} += {g} * {a}")),
                      "mul_const": ("{a} * {c}", ("{t} += {g} * {c}",))})  # fmt: skip


def _divide(a: float, b: float) -> float:
    """a / b. Raises ZeroDivisionError when b is 0."""
    if b == 0.0:
        raise ZeroDivisionError(f"div: division by zero: {a!r} / {b!r}")
    return a / b


# d/db is -out / b, not -a / b**2: b * b underflows to 0 where a / b is still finite
DIV = binary("div", "/", "__truediv__", forward=_divide, derivative=lambda a, b, out: (1.0 / b, -out / b))


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


def _pow_derivative(a: Any, b: Any, out: Any) -> tuple[Any, Any]:
    """d/da is b * a ** (b - 1), kept differentiable at b = 0 (so second derivatives are right there; PyTorch
    masks it to 0 instead); d/db of 0 ** b is 0, not 0 * log(0), as in PyTorch."""
    if float(a) == 0.0 and float(b) < 1.0:  # 0 at b == 0 where 0 * inf would be NaN, else infinite (as torch)
        da = 0.0 if float(b) == 0.0 else b * _power(0.0, float(b) - 1.0)
    else:
        da = b * _power(a, b - 1.0)
    db = out * (math.log(a) if isinstance(a, float) else a.log()) if float(a) > 0.0 else 0.0
    return da, db


def _power(base: Any, exponent: Any) -> Any:
    """base ** exponent for a derivative: on floats, IEEE's signed inf where Python would raise."""
    if not isinstance(base, float):
        return base**exponent
    try:
        return base**exponent
    except ZeroDivisionError:
        return math.inf
    except OverflowError:
        odd = exponent.is_integer() and exponent % 2 == 1
        return -math.inf if odd and base < 0.0 else math.inf


POW = binary("pow", "**", "__pow__", forward=_pow_of_value_exponent, derivative=_pow_derivative,
             number_forward=_pow, micrograd="**{c}")  # fmt: skip


def _exp(x: float) -> float:
    """e ** x. Raises OverflowError when the result does not fit a float (x > 709.78)."""
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp: result overflows a float for operand {x!r}") from None


def _log(x: float) -> float:
    """Natural log. Raises ValueError for an operand <= 0."""
    if x <= 0.0:
        raise ValueError(f"log: operand must be > 0, got {x!r}")
    return math.log(x)


def _sigmoid(x: float) -> float:
    """1 / (1 + e ** -x), computed from the side where exp cannot overflow."""
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0.0 else math.exp(x) / (1.0 + math.exp(x))


def _relu(x: float) -> float:
    """max(0, x), with derivative 0 at 0 as in PyTorch; NaN stays NaN."""
    return 0.0 if x <= 0.0 else x


def _leaky_relu(x: float, slope: float) -> float:
    """x if x > 0 else slope * x; the derivative at 0 is `slope`, as in PyTorch."""
    return x if x > 0.0 else x * slope


# Each: name, the forward on a float, then d(out)/da, written to work on floats and Values alike.
NEG = unary("neg", forward=operator.neg, derivative=lambda a, out: -1.0, symbol="-", method="__neg__",
            source=("-{a}", ("{t} -= {g}",)), skip_zero=True)  # fmt: skip
EXP = unary("exp", forward=_exp, derivative=lambda a, out: out, skip_zero=True)
LOG = unary("log", forward=_log, derivative=lambda a, out: 1.0 / a)
# as PyTorch's threshold_backward: no path where out <= 0 (a NaN unit passes its gradient on, as in torch)
RELU = unary("relu", forward=_relu, derivative=lambda a, out: None if float(out) <= 0.0 else 1.0, skip_zero=True,
             activation=True,
             source=("(0.0 if {a} <= 0.0 else {a})", ("if not {out} <= 0.0: {t} += {g}",)))  # fmt: skip
TANH = unary("tanh", forward=math.tanh, derivative=lambda a, out: 1.0 - out * out, activation=True, skip_zero=True,
             source=("_tanh({a})", ("{t} += {g} * (1.0 - {out} * {out})",)))  # fmt: skip
SIGMOID = unary("sigmoid", forward=_sigmoid, derivative=lambda a, out: out * (1.0 - out), activation=True,
                skip_zero=True,
                source=("(1.0 / (1.0 + _exp(-{a})) if {a} >= 0.0 else _exp({a}) / (1.0 + _exp({a})))",
                        ("{t} += {g} * ({out} * (1.0 - {out}))",)))  # fmt: skip
LEAKY_RELU = unary("leaky_relu", forward=_leaky_relu, activation=True, param="slope", default=0.01, skip_zero=True,
                   derivative=lambda a, slope, out: (1.0, 0.0) if float(a) > 0.0 else (slope, a))  # fmt: skip
RELU.micrograd = "ReLU"
SOURCE_NAMESPACE.update(_exp=math.exp, _tanh=math.tanh)


# ---------------------------------------------------------------- n-ary ops: weighted sums, sums and max


def _dot_derivative(*operands_out: Any) -> tuple[Any, ...]:
    """dot's operands are w0..w(n-1), x0..x(n-1) and maybe the bias: d/dw_i = x_i, d/dx_i = w_i, d/dbias = 1."""
    xs = operands_out[:-1]
    n = len(xs) // 2
    return (*xs[n : 2 * n], *xs[:n], *(1.0,) * (len(xs) - 2 * n))


def _dot_backward(out: Node) -> None:  # hand-tuned: one per neuron, most of an MLP's backward
    g = out.grad
    operands = out._a
    n = out._arg
    for w, x in zip(operands[:n], operands[n : 2 * n]):
        w.grad += g * x.data
        x.grad += g * w.data
    if len(operands) > 2 * n:
        operands[-1].grad += g


def _sum_backward(out: Node) -> None:  # hand-tuned: losses sum over a batch
    g = out.grad
    for v in out._a:
        v.grad += g


def winner(values: Sequence[float]) -> int:
    """The first arg-max; a NaN wins, as in torch.max, so it is not hidden."""
    winner, best = 0, values[0]
    for i in range(1, len(values)):
        x = values[i]
        if best == best and (x > best or x != x):  # `x != x` is the NaN test
            winner, best = i, x
    return winner


def _max_derivative(*operands_out: Any) -> tuple[Any, ...]:
    xs = operands_out[:-1]
    k = winner([float(x) for x in xs])
    return tuple(1.0 if i == k else None for i in range(len(xs)))


def _max_backward(out: Node) -> None:  # hand-tuned: one per pooling window; the winner is kept in the node
    out._a[out._arg].grad += out.grad


DOT = nary("dot", "Σ w·x", _dot_derivative, _dot_backward)
SUM = nary("sum", "Σ", lambda *xs_out: (1.0,) * (len(xs_out) - 1), _sum_backward)
MAX = nary("max", "max", _max_derivative, _max_backward)
