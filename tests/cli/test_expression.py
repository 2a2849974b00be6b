"""The safe expression parser: values and gradients against hand-computed ones, and hostile input rejected."""

from __future__ import annotations

import builtins
import math
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Value
from nn.cli.expression_parser import MAX_DEPTH, ExpressionError, evaluate, parse


def grads(text: str, **values: float) -> tuple[float, dict[str, float]]:
    out, leaves = parse(text).build(values)
    out.backward()
    return out.data, {name: leaf.grad for name, leaf in leaves.items()}


def test_micrograd_neuron_example() -> None:
    # micrograd's README neuron: o = tanh(x1*w1 + x2*w2 + b) with b chosen so that n = 0.8814, o = 1/sqrt(2).
    b = 6.8813735870195432
    out, g = grads("tanh(x1*w1 + x2*w2 + b)", x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=b)
    n = 2.0 * -3.0 + 0.0 * 1.0 + b
    assert out == pytest.approx(math.tanh(n))
    dn = 1 - math.tanh(n) ** 2  # 0.5
    assert dn == pytest.approx(0.5)
    assert g == pytest.approx({"x1": dn * -3.0, "w1": dn * 2.0, "x2": dn * 1.0, "w2": dn * 0.0, "b": dn})


@pytest.mark.parametrize(
    ("text", "x", "value", "grad"),
    [
        ("-x**2", 3.0, -9.0, -6.0),  # unary minus binds looser than **
        ("(-x)**2", 3.0, 9.0, 6.0),
        ("2**x**2", 1.5, 2 ** (1.5**2), 2 ** (1.5**2) * math.log(2) * 2 * 1.5),  # right-associative
        ("x - 1 - 2", 5.0, 2.0, 1.0),  # left-associative
        ("x / 2 / 4", 8.0, 1.0, 1 / 8),
        ("1 + 2 * x", 3.0, 7.0, 2.0),
        ("x ** -1", 4.0, 0.25, -1 / 16),
        ("x * x * x", 2.0, 8.0, 12.0),  # a name used three times is one leaf: gradients add up
        ("exp(log(x))", 2.5, 2.5, 1.0),
        ("sigmoid(x)", 0.3, 1 / (1 + math.exp(-0.3)), math.exp(-0.3) / (1 + math.exp(-0.3)) ** 2),
        ("relu(x) + relu(-x)", -2.0, 2.0, -1.0),
        ("leaky_relu(x)", -2.0, -0.02, 0.01),
        ("leaky_relu(x, 0.2)", -2.0, -0.4, 0.2),
        ("+x", 7.0, 7.0, 1.0),
        ("1/x", 4.0, 0.25, -1 / 16),
        ("3 - x", 1.0, 2.0, -1.0),
        ("2 ** x", 3.0, 8.0, 8 * math.log(2)),
        (".5e1 * x", 2.0, 10.0, 5.0),
    ],
)
def test_values_and_gradients(text: str, x: float, value: float, grad: float) -> None:
    out, g = grads(text, x=x)
    assert out == pytest.approx(value, rel=1e-12)
    assert g["x"] == pytest.approx(grad, rel=1e-12)


def test_constants_fold_into_numbers() -> None:
    out = evaluate("2 * 3 + 2 ** 3 ** 2 - 1 / 4 - exp(0)", {})
    assert isinstance(out, Value) and out.is_leaf
    assert out.data == 6 + 512 - 0.25 - 1
    # A constant operand stays a number on the node (mul_const), not a separate leaf.
    y = evaluate("(2 * 3) * x", {"x": 1.0})
    assert y.op == "mul_const" and y.arg == 6.0


def test_leaves_are_labelled_and_shared() -> None:
    out, leaves = parse("x*w + b + x").build({"x": 2, "w": -3, "b": 6.5})
    assert list(leaves) == ["x", "w", "b"]
    assert all(leaf.label == name and leaf.is_leaf for name, leaf in leaves.items())
    seen: set[int] = set()
    stack = [out]
    while stack:
        node = stack.pop()
        if node.is_leaf:
            seen.add(id(node))
        stack.extend(node.parents)
    assert seen == {id(v) for v in leaves.values()}


def test_parse_reports_names_in_order_of_first_use() -> None:
    assert parse("tanh(b + w*x) + x").names == ("b", "w", "x")


def test_long_flat_expressions_need_no_recursion() -> None:
    out = evaluate("+".join(["x"] * 3000), {"x": 0.5})
    assert out.data == 1500.0


@given(st.floats(-5, 5), st.floats(-5, 5))
def test_polynomial_matches_python(x: float, y: float) -> None:
    out, g = grads("3*x**2*y - y/2 + 1", x=x, y=y)
    assert out == pytest.approx(3 * x**2 * y - y / 2 + 1, abs=1e-9)
    assert g["x"] == pytest.approx(6 * x * y, abs=1e-9)
    assert g["y"] == pytest.approx(3 * x**2 - 0.5, abs=1e-9)


HOSTILE = [
    "__import__('os').system('touch pwned')",
    "__import__(x)",
    "x.data",
    "x.__class__",
    "x[0]",
    "lambda: x",
    "lambda x: x",
    "'abc'",
    '"abc" * x',
    "open(x)",
    "print(x)",
    "x(1)",
    "tanh(x=1)",
    "tanh(*x)",
    "tanh(**x)",
    "x < 1",
    "x == x",
    "x if x else x",
    "not x",
    "x and x",
    "x; x",
    "x = 1",
    "x := 1",
    "[x]",
    "{x}",
    "x @ x",
    "x % 2",
    "x // 2",
    "x ^ 2",
    "x & 1",
    "~x",
    "`x`",
    "x\\",
    "f'{x}'",
    "exp",
    "exp x",
    "exp()",
    "exp(x, 1)",
    "leaky_relu(x, x)",
    "tanh(x,)",
    "2 x",
    "x x",
    "x +",
    "* x",
    "(x",
    "x)",
    "()",
    "",
    "   ",
    "x ** ** 2",
    "1e999",
    "9" * 400,
    "9 ** 9 ** 9",
    "10 ** 400",
    "x * 1e308 * 10",
    "1 / 0",
    "x / (x - x)",
    "log(0 * x)",
    "(-8) ** (1/3)",
    "exp(1000 * x)",
    "y",
    "x + ı",
    "x + ３",
    "(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1),
    "-" * 10_000 + "x",
    "tanh(" * 5000 + "x" + ")" * 5000,
    "x" + " + x" * 5000,
]


class _AuditLog:
    """Records the audit events that running code would raise (sys.addaudithook cannot be removed, so it is
    installed once and records only while `active`)."""

    WATCHED = ("exec", "compile", "import", "open", "os.system", "subprocess.Popen", "builtins.input")

    def __init__(self) -> None:
        self.active = False
        self.events: list[str] = []

    def __call__(self, event: str, args: tuple[object, ...]) -> None:
        if self.active and event in self.WATCHED:
            self.events.append(event)


@pytest.fixture(scope="module")
def audit() -> _AuditLog:
    log = _AuditLog()
    sys.addaudithook(log)
    return log


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:30]))
def test_hostile_inputs_are_rejected_without_side_effects(
    text: str, audit: _AuditLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    audit.events.clear()
    audit.active = True
    try:
        with pytest.raises(ExpressionError) as info:
            evaluate(text, {"x": 1.0})
    finally:
        audit.active = False
    assert audit.events == []
    assert list(tmp_path.iterdir()) == []
    message = str(info.value)
    assert message and "\n" not in message


def test_the_audit_log_would_notice_code_running(audit: _AuditLog) -> None:
    audit.events.clear()
    audit.active = True
    try:
        builtins.eval("1 + 1")
    finally:
        audit.active = False
    assert "compile" in audit.events or "exec" in audit.events


def test_errors_name_the_column() -> None:
    with pytest.raises(ExpressionError, match=r"found '\)' \(column 8\)") as info:
        parse("tanh(x*)")
    assert info.value.column == 8
    with pytest.raises(ExpressionError, match=r"unexpected character '\.'.*\(column 2\)"):
        parse("x.data")
    with pytest.raises(ExpressionError, match=r"cannot evaluate 'log'.*\(column 3\)"):
        evaluate("1+log(x - 1)", {"x": 1.0})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"x": 1.0}, "no value given for 'w'"),
        ({"x": 1.0, "w": 2.0, "z": 3.0}, "value given for 'z', which the expression does not use"),
        ({"x": 1.0, "w": float("nan")}, "'w' must be a finite number"),
        ({"x": 1.0, "w": "2"}, "'w' must be a finite number"),
        ({"x": True, "w": 2.0}, "'x' must be a finite number"),
    ],
)
def test_bad_values_are_rejected(values: dict[str, object], message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        evaluate("x * w", values)


def test_non_string_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="must be a str"):
        parse(3)  # type: ignore[arg-type]
