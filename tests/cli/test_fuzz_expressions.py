"""Fuzz: any text given to the `graph` command's parser ends in a Value of floats or an ExpressionError (ValueError).

Texts are built from the grammar's own tokens and from hostile ones (huge and odd numbers, Python keywords and
dunder names, unknown characters, deep nesting, long inputs), so most of them get past the tokenizer.
"""

from __future__ import annotations

import math
import signal

import pytest
from fuzzing import time_limit
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value
from nn.cli.expression_parser import MAX_LENGTH, ExpressionError, parse

NAMES = ["x", "y", "w1", "b", "_", "x" * 40]
TOKENS = st.sampled_from(
    [
        *NAMES, "exp", "log", "tanh", "sigmoid", "relu", "leaky_relu",
        "+", "-", "*", "/", "**", "(", ")", ",", " ", "\t", "\n",
        "0", "1", "2.5", ".5", "1e3", "1e308", "1e309", "1e-400", "9" * 400, "0" * 50 + "1", "1.", "1e", "2**1024",
        "__import__", "lambda", "import", "os", "eval", "x.data", "x[0]", "'a'", "@", "%", "//", "==", ";", "^",
        "nan", "inf", "NaN", "∞", "ｘ", "٣", "\x00", "\\", "#",
    ]
)


@st.composite
def texts(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["tokens", "tokens", "tokens", "nested", "chain", "raw", "long"]))
    if kind == "nested":
        depth = draw(st.integers(min_value=1, max_value=3000))
        fn = draw(st.sampled_from(["", "tanh", "-", "exp"]))
        return (fn + "(") * depth + "x" + ")" * draw(st.integers(min_value=0, max_value=depth + 2))
    if kind == "chain":
        n = draw(st.integers(min_value=1, max_value=4000))
        return draw(st.sampled_from(["*", "+", "**", "/", "-"])).join(["x"] * n)
    if kind == "raw":
        return draw(st.text(max_size=40))
    if kind == "long":
        return "x+" * draw(st.integers(min_value=MAX_LENGTH // 2 - 5, max_value=MAX_LENGTH)) + "x"
    return "".join(draw(st.lists(TOKENS, min_size=0, max_size=25)))


VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -1.0, 1.0, 1e308, -1e308, 5e-324, 10**300, True, None, "1", Value(2.0), Value(math.nan)]),
)


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="the hang guard needs signal.alarm (POSIX)")
@settings(max_examples=300, deadline=None)
@given(texts(), st.data())
def test_any_text_parses_and_evaluates_or_raises_expression_error(text: str, data: st.DataObject) -> None:
    with time_limit(60):  # a hang guard; each text takes milliseconds
        try:
            expression = parse(text)
        except ExpressionError as exc:
            assert str(exc) and "\n" not in str(exc)
            return
        values = {name: data.draw(VALUES, label=name) for name in expression.names}
        if data.draw(st.booleans(), label="extra name"):
            values["zz"] = 1.0
        try:
            out, leaves = expression.build(values)
        except ExpressionError as exc:
            assert str(exc) and "\n" not in str(exc)
            return
        assert type(out.data) is float and math.isfinite(out.data)
        try:
            out.backward()
        except (ValueError, ArithmeticError):
            # backward may overflow or divide by zero where the forward did not (for example x**0.5 at 0)
            return
        assert all(type(leaf.grad) is float for leaf in leaves.values())


@pytest.mark.parametrize("bad", [None, 1, b"x", ["x"]])
def test_a_non_string_expression_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="expression must be a str"):
        parse(bad)  # type: ignore[arg-type]


def test_a_value_too_large_for_a_float_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError, match="'x'"):
        parse("x + 1").build({"x": 10**400})
