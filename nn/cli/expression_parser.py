"""The `scalargrad graph` command's parser: small arithmetic over named scalars, such as "tanh(x1*w1 + b)".

The text is tokenized and parsed by hand (recursive descent) into a tiny tree, and that tree is walked to
build `engine.Value` nodes. Nothing the user types is ever given to Python's `eval`, `exec` or `compile`:
the grammar only knows numbers, names, `+ - * / **`, unary signs, parentheses and the Value methods
`exp log tanh sigmoid relu leaky_relu` called as functions. Precedence is Python's (`-x**2` is -(x**2),
`**` is right-associative).
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from engine import Value, no_grad
from engine.ops import OPS
from nn.checks import check_real, is_real

Operand = Value | float

MAX_LENGTH = 10_000
# Parsing and evaluation recurse about five frames per level, so this stays far below Python's limit.
MAX_DEPTH = 50

_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>\*\*|[-+*/(),]))",
    re.ASCII,
)

# The operators and functions are the engine's ops (engine.ops.OPS), by their symbols and Value methods.
_BINARY: dict[str, Callable[[Value, Operand], Value]] = {
    op.symbol: getattr(Value, op.method) for op in OPS.values() if op.arity == 2
}
# The same operators with a number on the left and a Value on the right.
_REFLECTED: dict[str, Callable[[Value, float], Value]] = {
    op.symbol: getattr(Value, "__r" + op.method[2:]) for op in OPS.values() if op.arity == 2
}
_FUNCTIONS: dict[str, Callable[..., Value]] = {
    op.method: op.apply for op in OPS.values() if op.arity == 1 and op.method == op.name  # as Value.tanh etc.
}
_NUMBER_ARGUMENT = {op.name for op in OPS.values() if op.param}  # functions such as leaky_relu(x, 0.1)
FUNCTION_NAMES = tuple(_FUNCTIONS)


class ExpressionError(ValueError):
    """A malformed or disallowed expression, or one that cannot be evaluated; `column` is 1-based (or None)."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message if column is None else f"{message} (column {column})")
        self.column = column


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name", "op" or "end"
    text: str
    column: int


@dataclass(frozen=True, eq=False)
class _Node:
    kind: str  # "number", "name", "unary", "binary" or "call"
    column: int
    text: str = ""  # the name, operator or function name
    number: float = 0.0
    args: tuple[_Node, ...] = ()


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    pos = 0
    end = len(text.rstrip())
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None or match.lastgroup is None:
            column = len(text) - len(text[pos:].lstrip()) + 1
            raise ExpressionError(f"unexpected character {text[column - 1]!r}: only numbers, names, "
                                  "+ - * / ** ( ) and commas are allowed", column)
        kind = match.lastgroup
        tokens.append(_Token(kind, match.group(kind), match.start(kind) + 1))
        pos = match.end()
    tokens.append(_Token("end", "end of expression", len(text) + 1))
    return tokens


class _Parser:
    """Recursive descent over the token list, one method per precedence level."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text or token.kind != "op":
            raise ExpressionError(f"expected {text!r} but found {_describe(token)}", token.column)

    def at(self, *ops: str) -> bool:
        token = self.peek()
        return token.kind == "op" and token.text in ops

    def sum(self) -> _Node:
        node = self.product()
        while self.at("+", "-"):
            op = self.take()
            node = _Node("binary", op.column, op.text, args=(node, self.product()))
        return node

    def product(self) -> _Node:
        node = self.unary()
        while self.at("*", "/"):
            op = self.take()
            node = _Node("binary", op.column, op.text, args=(node, self.unary()))
        return node

    def unary(self) -> _Node:
        # Every nesting (parentheses, call arguments, signs, the right side of **) passes through here.
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"expression nests deeper than {MAX_DEPTH} levels", self.peek().column)
        if self.at("+", "-"):
            op = self.take()
            node = _Node("unary", op.column, op.text, args=(self.unary(),))
        else:
            node = self.power()
        self.depth -= 1
        return node

    def power(self) -> _Node:
        base = self.atom()
        if self.at("**"):
            op = self.take()
            return _Node("binary", op.column, op.text, args=(base, self.unary()))
        return base

    def atom(self) -> _Node:
        token = self.take()
        if token.kind == "number":
            value = float(token.text)
            if not math.isfinite(value):
                raise ExpressionError(f"number {token.text[:20]!r} is too large for a float", token.column)
            return _Node("number", token.column, number=value)
        if token.kind == "name":
            # Soft keywords (_, match, case, type) are ordinary names in an expression; True, None, if... are not.
            if keyword.iskeyword(token.text):
                raise ExpressionError(f"{token.text!r} is not allowed: only arithmetic is", token.column)
            if self.at("("):
                return self.call(token)
            if token.text in _FUNCTIONS:
                raise ExpressionError(f"{token.text!r} is a function: call it as {token.text}(...)", token.column)
            return _Node("name", token.column, token.text)
        if token.kind == "op" and token.text == "(":
            node = self.sum()
            self.expect(")")
            return node
        raise ExpressionError(f"expected a number, a name or '(' but found {_describe(token)}", token.column)

    def call(self, name: _Token) -> _Node:
        if name.text not in _FUNCTIONS:
            raise ExpressionError(
                f"unknown function {name.text!r}; the functions are {', '.join(FUNCTION_NAMES)}", name.column
            )
        self.expect("(")
        args = [self.sum()]
        while self.at(","):
            self.take()
            args.append(self.sum())
        self.expect(")")
        most = 2 if name.text in _NUMBER_ARGUMENT else 1
        if len(args) > most:
            raise ExpressionError(f"{name.text}() takes at most {most} argument(s), got {len(args)}", name.column)
        return _Node("call", name.column, name.text, args=tuple(args))


def _describe(token: _Token) -> str:
    return "the end of the expression" if token.kind == "end" else repr(token.text)


@dataclass(frozen=True)
class Expression:
    """A parsed expression: `names` are its variables in order of first use, `columns` where each first appears."""

    text: str
    root: _Node
    names: tuple[str, ...]
    columns: tuple[int, ...]

    def build(self, values: Mapping[str, object]) -> tuple[Value, dict[str, Value]]:
        """Build the graph: returns the output Value and the leaf Value of each name (labelled with the name).

        Raises ExpressionError for a missing, unused or non-numeric value, or a domain error (log of a
        negative, division by zero, overflow) with the column of the operator that failed.
        """
        leaves = {name: Value(_check_value(values, name, column), label=name)
                  for name, column in zip(self.names, self.columns)}
        unused = sorted(set(values) - set(self.names))
        if unused:
            raise ExpressionError(f"value given for {unused[0]!r}, which the expression does not use")
        out = _evaluate(self.root, leaves)
        return (out if isinstance(out, Value) else Value(out)), leaves


def _check_value(values: Mapping[str, object], name: str, column: int) -> float:
    if name not in values:
        raise ExpressionError(f"no value given for {name!r}", column)
    value = values[name]
    if isinstance(value, Value):
        value = value.data
    number = check_real(value, f"the value of {name!r}") if is_real(value) else math.nan  # an int beyond floats: inf
    if not math.isfinite(number):
        raise ExpressionError(f"the value of {name!r} must be a finite number, got {value!r:.40}")
    return number


def _postorder(root: _Node) -> list[_Node]:
    """Every node after its arguments, left to right; a loop, because `x+x+...+x` makes a very deep tree."""
    order = []
    stack = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if ready:
            order.append(node)
        else:
            stack.append((node, True))
            stack.extend((arg, False) for arg in reversed(node.args))
    return order


def _evaluate(root: _Node, leaves: dict[str, Value]) -> Operand:
    results: dict[int, Operand] = {}
    for node in _postorder(root):
        if node.kind == "number":
            result: Operand = node.number
        elif node.kind == "name":
            result = leaves[node.text]
        else:
            result = _apply(node, [results.pop(id(arg)) for arg in node.args])
        results[id(node)] = result
    return results[id(root)]


def _apply(node: _Node, args: list[Operand]) -> Operand:
    """One operator or function. Raises ExpressionError with the node's column for domain errors."""
    try:
        first = args[0]
        if not isinstance(first, Value) and not any(isinstance(a, Value) for a in args[1:]):
            # Numbers on both sides fold into a number, through the same engine op and its domain checks.
            with no_grad():
                folded = _apply_value(node, [Value(first), *args[1:]])
            return _finite(node, folded).data
        return _finite(node, _apply_value(node, args))
    except ExpressionError as exc:
        raise ExpressionError(str(exc), node.column) from None
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise ExpressionError(f"cannot evaluate {node.text!r}: {exc}", node.column) from None


def _finite(node: _Node, result: Value) -> Value:
    # Only exp and ** check for overflow in the engine; a product or sum can still reach inf or nan.
    if not math.isfinite(result.data):
        raise ExpressionError(f"{node.text!r} gives {result.data}: the numbers are too large for a float")
    return result


def _apply_value(node: _Node, args: list[Operand]) -> Value:
    first = args[0]
    if node.kind == "binary":
        second = args[1]
        if isinstance(first, Value):
            return _BINARY[node.text](first, second)
        assert isinstance(second, Value)
        return _REFLECTED[node.text](second, first)
    if len(args) == 2:
        number = args[1]
        if isinstance(number, Value):
            param = OPS[node.text].param
            raise ExpressionError(f"the {param} of {node.text}() must be a number, not depend on a variable")
        assert isinstance(first, Value)
        return _FUNCTIONS[node.text](first, number)
    assert isinstance(first, Value)
    if node.kind == "unary":
        return -first if node.text == "-" else first
    return _FUNCTIONS[node.text](first)


def parse(text: str) -> Expression:
    """Parse `text` without evaluating anything. Raises ExpressionError (a ValueError) naming the column."""
    if not isinstance(text, str):
        raise TypeError(f"expression must be a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    if not text.strip():
        raise ExpressionError("expression is empty")
    parser = _Parser(_tokenize(text))
    root = parser.sum()
    if parser.peek().kind != "end":
        token = parser.peek()
        raise ExpressionError(f"expected an operator or the end but found {_describe(token)}", token.column)
    found: dict[str, int] = {}
    for node in _postorder(root):
        if node.kind == "name":
            found.setdefault(node.text, node.column)
    return Expression(text, root, tuple(found), tuple(found.values()))


def evaluate(text: str, values: Mapping[str, object]) -> Value:
    """Parse `text` and build its graph with the given values: the output Value, leaves labelled by name.

    Raises ExpressionError for anything malformed, disallowed, missing or not evaluable.
    """
    return parse(text).build(values)[0]
