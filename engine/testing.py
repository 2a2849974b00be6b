"""Hypothesis strategies for property tests of code built on Values: `values` and `expressions`.

This module needs `hypothesis` (a test dependency), so `import engine` does not load it. Example::

    import engine
    from hypothesis import assume, given
    from engine.testing import expressions, values

    @given(expressions(n_inputs=2), values(), values())
    def test_backward_matches_finite_differences(expr, a, b):
        assume(expr.kink_distance(a, b) > 1e-2)  # relu, leaky_relu and max have kinks
        assert engine.gradcheck(expr, [a, b])
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

import engine
import engine.ops
from engine.op_record import Op
from engine.value import Value, as_float

#: Every op `expressions` can draw: all of the engine's built-in scalar ops (`engine.ops.OPS`), by name.
OPS: tuple[str, ...] = tuple(engine.ops.OPS)

_CONSTANTS = (2.0, -0.5, 1.5, -3.0)  # nonzero, so they can divide
_INT_EXPONENTS = (2.0, 3.0)  # fine for a negative base
_REAL_EXPONENTS = (0.5, -1.0, -1.5)  # used on a base >= 0.5 only
_BASES = (2.0, 0.5, 3.0)
_SLOPES = (0.01, 0.2)
_POSITIVE_SHIFT = 0.5  # positive(a) = a * a + 0.5 >= 0.5: safe for log, division and real exponents


def values(
    min_value: float = -3.0, max_value: float = 3.0, avoid: Iterable[float] = (), margin: float = 1e-3
) -> st.SearchStrategy[float]:
    """Finite floats in [min_value, max_value] farther than `margin` from each point in `avoid`.

    Use it to keep inputs off kinks and poles, e.g. `values(avoid=[0.0])` for relu. Raises TypeError or
    ValueError for non-numbers, non-finite bounds, min_value >= max_value or a negative margin.
    """
    lo = as_float(min_value, "values(min_value)")
    hi = as_float(max_value, "values(max_value)")
    gap = as_float(margin, "values(margin)")
    points = tuple(as_float(a, f"values(avoid[{i}])") for i, a in enumerate(avoid))
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"values: need finite min_value < max_value, got {lo!r} and {hi!r}")
    if not (math.isfinite(gap) and gap >= 0.0):
        raise ValueError(f"values: margin must be a finite number >= 0, got {gap!r}")
    floats = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if not points:
        return floats
    return floats.filter(lambda x: all(abs(x - a) > gap for a in points))


@dataclass(frozen=True)
class _Node:
    """One op of a recipe: `args` index earlier results (0 .. n_inputs-1 are the inputs); `const` is its number."""

    op: str
    args: tuple[int, ...]
    const: Any = None  # a float; the weight count (an int) for dot


@dataclass(frozen=True)
class _Backend:
    """The few ops that are not spelled the same on Values and torch tensors."""

    leaky_relu: Callable[[Any, float], Any]
    dot: Callable[[list[Any], list[Any], Any], Any]
    sum: Callable[[list[Any]], Any]
    max: Callable[[list[Any]], Any]


_ENGINE = _Backend(lambda a, k: a.leaky_relu(k), engine.dot, engine.sum, engine.max)


def _torch_backend() -> _Backend:
    import torch

    def dot(ws: list[Any], xs: list[Any], bias: Any) -> Any:
        acc = 0.0 if bias is None else bias  # engine.dot adds in this order, starting from the bias
        for w, x in zip(ws, xs):
            acc = acc + w * x
        return acc

    return _Backend(
        torch.nn.functional.leaky_relu, dot, lambda xs: torch.stack(xs).sum(), lambda xs: torch.stack(xs).max()
    )


_Run = Callable[[list[Any], Any, _Backend], Any]  # (operands, constant, backend) -> result

def _run_rule(op: Op) -> _Run:
    """How a recipe node of `op` runs on a backend: through the same Value method or operator (tensors have it too)."""
    if op.arity != 1 or "{c}" in op.symbol:  # binary operators, and ops with a number such as x * 2, leaky_relu(x, k)
        special = getattr(_ENGINE, op.name, None)
        if special is not None:
            return lambda a, k, be: getattr(be, op.name)(a[0], k)
        return lambda a, k, be: getattr(a[0], op.method)(a[1] if op.arity == 2 else k)
    return lambda a, k, be: op(a[0]) if isinstance(a[0], Value) else getattr(a[0], op.method)()


_NARY: dict[str, _Run] = {
    "dot": lambda a, k, be: be.dot(a[:k], a[k : 2 * k], a[2 * k] if len(a) > 2 * k else None),
    "sum": lambda a, k, be: be.sum(a),
    "max": lambda a, k, be: be.max(a),
}
_RUN: dict[str, _Run] = {name: _NARY.get(name) or _run_rule(op) for name, op in engine.ops.OPS.items()}

# Precedence for printing, as in Python: a ** b binds tighter than -a, which binds tighter than * and +.
_SUM, _PRODUCT, _NEG, _POWER, _ATOM = 1, 2, 3, 4, 5

_Text = tuple[str, int]  # the text of a subexpression and its precedence
_Format = Callable[[Callable[[int, int], str], list[_Text], Any], _Text]  # (operand i at precedence p, texts, k)


def _num(c: float) -> str:
    text = f"{c:g}"
    return f"({text})" if text.startswith("-") else text


def _function(name: str, brackets: str = "") -> _Format:
    """The text of `name(operand)`, or `name([operands])` with brackets "[]"."""
    opening, closing = brackets[:1], brackets[1:]
    return lambda at, a, k: (f"{name}({opening}{', '.join(t for t, _ in a)}{closing})", _ATOM)


def _dot_text(at: Callable[[int, int], str], a: list[_Text], k: int) -> _Text:
    texts = [t for t, _ in a]
    bias = f", {texts[2 * k]}" if len(texts) > 2 * k else ""
    return f"dot([{', '.join(texts[:k])}], [{', '.join(texts[k : 2 * k])}]{bias})", _ATOM


# (result, left operand, right operand) precedence of each binary operator
_PRECEDENCE = {"+": (_SUM, _SUM, _PRODUCT), "-": (_SUM, _SUM, _PRODUCT), "*": (_PRODUCT, _PRODUCT, _NEG),
               "/": (_PRODUCT, _PRODUCT, _NEG), "**": (_POWER, _ATOM, _POWER)}  # fmt: skip


def _format_rule(op: Op) -> _Format:
    """The text of a node of `op`, from its symbol: `a * b`, `a * 2`, `2 - a`, `-a`, `tanh(a)`, `leaky_relu(a, k)`."""
    if op.negated:  # `x - 1` is recorded as x + (-1); shown as written
        minus = op.negated.replace("{c}", "").strip()
        plus = op.symbol.replace("{c}", "").strip()
        return lambda at, a, k: (f"{at(0, _SUM)} {minus if k < 0 else plus} {abs(k):g}", _SUM)
    if op.param:
        return lambda at, a, k: (f"{op.name}({a[0][0]}, {k:g})", _ATOM)
    if op.arity == 1 and op.symbol in _PRECEDENCE:  # unary minus
        return lambda at, a, k: (f"{op.symbol}{at(0, _ATOM)}", _NEG)
    if op.arity != 1 or "{c}" in op.symbol:
        symbol = op.symbol.replace("{c}", "").strip()
        result, left, right = _PRECEDENCE[symbol]
        if op.arity == 2:
            return lambda at, a, k: (f"{at(0, left)} {symbol} {at(1, right)}", result)
        if op.symbol.startswith("{c}"):
            return lambda at, a, k: (f"{k:g} {symbol} {at(0, right)}", result)
        return lambda at, a, k: (f"{at(0, left)} {symbol} {_num(k)}", result)
    return _function(op.name)


_FORMAT: dict[str, _Format] = {
    name: _dot_text if name == "dot" else _function(name, "[]") if op.arity == 0 else _format_rule(op)
    for name, op in engine.ops.OPS.items()
}


def _format(node: _Node, a: list[_Text]) -> _Text:
    def at(i: int, least: int) -> str:
        text, prec = a[i]
        return text if prec >= least else f"({text})"

    return _FORMAT[node.op](at, a, node.const)


def _kink(node: _Node, a: list[float]) -> float:
    """How far the operands are from the op's kink (inf for a smooth op)."""
    if node.op in ("relu", "leaky_relu"):
        return abs(a[0])
    if node.op == "max":
        # operands that are the same node move together, so they never cross each other
        distinct = sorted({i: x for i, x in zip(node.args, a)}.values(), reverse=True)
        return distinct[0] - distinct[1] if len(distinct) > 1 else math.inf
    return math.inf


class Expression:
    """A random expression over `n_inputs` inputs, drawn by `expressions()`; its repr reads like Python.

    Call it on Values (numbers become leaves) to build the engine graph, `.torch(*tensors)` to run the
    same recipe in PyTorch, `.kink_distance(*floats)` to see how close the inputs bring it to a kink.
    """

    def __init__(self, n_inputs: int, nodes: Sequence[_Node]) -> None:
        self.n_inputs = n_inputs
        self._nodes = tuple(nodes)

    def _run(self, inputs: Sequence[Any], be: _Backend) -> list[Any]:
        if len(inputs) != self.n_inputs:
            raise TypeError(f"{self!r} takes {self.n_inputs} input(s), got {len(inputs)}")
        results = list(inputs)
        for node in self._nodes:
            results.append(_RUN[node.op]([results[i] for i in node.args], node.const, be))
        return results

    def __call__(self, *inputs: Value | float) -> Value:
        """Build the expression on Values; numbers become leaf Values. Raises TypeError on a wrong count."""
        leaves = [x if isinstance(x, Value) else Value(as_float(x, f"input {i}")) for i, x in enumerate(inputs)]
        return self._run(leaves, _ENGINE)[-1]  # type: ignore[no-any-return]

    def torch(self, *inputs: Any) -> Any:
        """The same recipe on torch tensors (the oracle); needs PyTorch. Raises TypeError on a wrong count."""
        return self._run(inputs, _torch_backend())[-1]

    def kink_distance(self, *inputs: float) -> float:
        """The smallest distance of any relu/leaky_relu operand from 0 or max operand from a tie (inf if none).

        Finite differences are meaningless across a kink, so property tests `assume()` this is > a margin.
        """
        with engine.no_grad():
            results = [r.data for r in self._run([Value(as_float(x, "kink_distance")) for x in inputs], _ENGINE)]
        return min(
            (_kink(node, [results[i] for i in node.args]) for node in self._nodes),
            default=math.inf,
        )

    def __repr__(self) -> str:
        uses = [0] * (self.n_inputs + len(self._nodes))
        for node in self._nodes:
            for i in node.args:
                uses[i] += 1
        texts = [(f"x{i}", _ATOM) for i in range(self.n_inputs)]
        bindings: list[str] = []
        for index, node in enumerate(self._nodes, start=self.n_inputs):
            text = _format(node, [texts[i] for i in node.args])
            if uses[index] > 1:  # a shared subexpression gets a name, so the sharing shows
                name = f"t{len(bindings)}"
                bindings.append(f"{name} = {text[0]}; ")
                text = (name, _ATOM)
            texts.append(text)
        return "".join(bindings) + texts[-1][0]


class _Builder:
    """Draws a recipe top-down; operands are new subexpressions, inputs, or nodes drawn before (sharing)."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any], n_inputs: int, ops: Sequence[str]) -> None:
        self.draw = draw
        self.n_inputs = n_inputs
        self.ops = ops
        self.nodes: list[_Node] = []

    def emit(self, op: str, *args: int, const: Any = None) -> int:
        self.nodes.append(_Node(op, args, const))
        return self.n_inputs + len(self.nodes) - 1

    def pick(self, choices: Sequence[float]) -> float:
        return self.draw(st.sampled_from(choices))  # type: ignore[no-any-return]

    def operand(self, depth: int) -> int:
        # Hypothesis shrinks False and 0 first, so a failing case shrinks towards x0.
        if depth == 0 or self.draw(st.integers(0, 9)) == 0:  # hypothesis draws 0 here about one time in four
            return self.draw(st.integers(0, self.n_inputs + len(self.nodes) - 1))  # type: ignore[no-any-return]
        return self.expression(depth)

    def operands(self, depth: int, low: int = 1, high: int = 3) -> list[int]:
        return [self.operand(depth) for _ in range(self.draw(st.integers(low, high)))]

    def positive(self, i: int) -> int:
        return self.emit("add_const", self.emit("mul", i, i), const=_POSITIVE_SHIFT)

    def squashed(self, i: int) -> int:
        return self.emit("tanh", i)

    def expression(self, depth: int) -> int:
        op = self.draw(st.sampled_from(self.ops))
        return _BUILDERS[op](self, op, depth - 1)


def _binary(b: _Builder, op: str, d: int) -> int:
    return b.emit(op, b.operand(d), b.operand(d))


def _unary(b: _Builder, op: str, d: int) -> int:
    return b.emit(op, b.operand(d))


def _with_constant(b: _Builder, op: str, d: int) -> int:
    return b.emit(op, b.operand(d), const=b.pick(_CONSTANTS))


def _pow_const(b: _Builder, op: str, d: int) -> int:
    if b.draw(st.booleans()):
        return b.emit(op, b.positive(b.operand(d)), const=b.pick(_REAL_EXPONENTS))
    return b.emit(op, b.operand(d), const=b.pick(_INT_EXPONENTS))


def _dot(b: _Builder, op: str, d: int) -> int:
    n = b.draw(st.integers(1, 3))
    bias = [b.operand(d)] if b.draw(st.booleans()) else []
    return b.emit(op, *b.operands(d, n, n), *b.operands(d, n, n), *bias, const=n)


# Ops whose operands must be kept in their domain (or that take a constant): how each draws its operands.
_DOMAINS: dict[str, Callable[[_Builder, str, int], int]] = {
    "leaky_relu": lambda b, op, d: b.emit(op, b.operand(d), const=b.pick(_SLOPES)),
    "div": lambda b, op, d: b.emit(op, b.operand(d), b.positive(b.operand(d))),
    "rdiv": lambda b, op, d: b.emit(op, b.positive(b.operand(d)), const=b.pick(_CONSTANTS)),
    "pow": lambda b, op, d: b.emit(op, b.positive(b.operand(d)), b.squashed(b.operand(d))),
    "pow_const": _pow_const,
    "rpow": lambda b, op, d: b.emit(op, b.squashed(b.operand(d)), const=b.pick(_BASES)),
    "exp": lambda b, op, d: b.emit(op, b.squashed(b.operand(d))),
    "log": lambda b, op, d: b.emit(op, b.positive(b.operand(d))),
    "dot": _dot,
    "sum": lambda b, op, d: b.emit(op, *b.operands(d)),
    "max": lambda b, op, d: b.emit(op, *b.operands(d)),
}


def _builder(op: Op) -> Callable[[_Builder, str, int], int]:
    """How a node of `op` draws its operands: from `_DOMAINS`, else any operands (and a constant if it takes one)."""
    if op.name in _DOMAINS:
        return _DOMAINS[op.name]
    if op.arity == 2:
        return _binary
    return _with_constant if "{c}" in op.symbol else _unary


_BUILDERS = {name: _builder(op) for name, op in engine.ops.OPS.items()}


def expressions(
    n_inputs: int = 2, max_depth: int = 3, ops: Iterable[str] = OPS
) -> st.SearchStrategy[Expression]:
    """Random differentiable expressions over `n_inputs` inputs, at most `max_depth` ops deep, drawn from `ops`.

    Operands are kept in their op's domain by construction: log, division and real powers get
    `a * a + 0.5`, exp and Value exponents get `tanh(a)`, so any finite inputs are valid. Subexpressions are
    reused (a drawn node can feed several ops, and the repr names it: `t0 = x0 * x1; tanh(t0) + t0`).
    Depths above ~4 can overflow for inputs of a few units. Raises ValueError for n_inputs or max_depth < 1,
    or ops that are empty or not in `OPS`. For instance, second derivatives against PyTorch::

        @given(expressions(n_inputs=1, ops=["mul", "log", "sigmoid"]), values())
        def test_second_derivative(expr, a):
            x, t = Value(a), torch.tensor(a, dtype=torch.float64, requires_grad=True)
            (dx,) = engine.grad(expr(x), [x], create_graph=True)
            (dt,) = torch.autograd.grad(expr.torch(t), [t], create_graph=True)
            assert engine.grad(dx, [x])[0].data == pytest.approx(torch.autograd.grad(dt, [t])[0].item())
    """
    chosen = tuple(ops)
    unknown = [name for name in chosen if name not in _BUILDERS]
    if unknown or not chosen:
        raise ValueError(f"expressions: ops must be a non-empty selection of {OPS}, got unknown {unknown or chosen}")
    for name, x in (("n_inputs", n_inputs), ("max_depth", max_depth)):
        if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < 1:
            raise ValueError(f"expressions: {name} must be an int >= 1, got {x!r}")

    @st.composite
    def draw_expression(draw: Callable[[st.SearchStrategy[Any]], Any]) -> Expression:
        builder = _Builder(draw, int(n_inputs), chosen)
        builder.expression(int(max_depth))
        return Expression(int(n_inputs), builder.nodes)

    return draw_expression()
