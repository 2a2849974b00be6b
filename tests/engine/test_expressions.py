"""Property tests over random expression graphs from engine.testing: every op, shared subexpressions, 2nd order."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import Phase, assume, find, given, settings
from hypothesis import strategies as st

import engine
from engine import Value, gradcheck, gradgradcheck
from engine import ops as engine_ops
from engine.testing import OPS, Expression, _Node, expressions, values
from nn.cli.expression_parser import evaluate

N = 3
KINK_MARGIN = 1e-2  # finite differences need the kink ops' operands this far from their kinks
points = st.lists(values(), min_size=N, max_size=N)
FIRST_HIT = settings(phases=[Phase.generate], max_examples=2000, database=None)  # find() without shrinking


def graph_nodes(root: Value) -> list[Value]:
    """Every interior node under root, found by walking parents (independent of the expression's recipe)."""
    return engine.backward_order(root)


def hessian(expr: Expression, xs: list[float]) -> tuple[float, list[float], list[list[float]]]:
    leaves = [Value(x) for x in xs]
    out = expr(*leaves)
    firsts = engine.grad(out, leaves, create_graph=True)
    return out.data, [g.data for g in firsts], [[h.data for h in engine.grad(g, leaves)] for g in firsts]


def torch_hessian(torch, expr: Expression, xs: list[float]) -> tuple[float, list[float], list[list[float]]]:  # noqa: ANN001
    ts = [torch.tensor(x, requires_grad=True) for x in xs]
    out = expr.torch(*ts)
    firsts = [
        torch.zeros(()) if g is None else g
        for g in torch.autograd.grad(out, ts, create_graph=True, allow_unused=True)
    ]
    rows = []
    for g in firsts:
        if not g.requires_grad:  # a constant first derivative (e.g. of x0 + x1) has no second derivative
            rows.append([0.0] * len(xs))
            continue
        row = torch.autograd.grad(g, ts, retain_graph=True, allow_unused=True)
        rows.append([0.0 if h is None else h.item() for h in row])
    return out.item(), [g.item() for g in firsts], rows


@given(expressions(n_inputs=N), points)
def test_gradcheck_holds(expr: Expression, xs: list[float]) -> None:
    assume(expr.kink_distance(*xs) > KINK_MARGIN)
    assert gradcheck(expr, xs)


def torch_zeroes_a_mixed_pow_partial(expr: Expression, xs: list[float]) -> bool:
    """Whether some a ** b has b == 0 exactly: torch's pow backward masks d/da to 0 where the exponent is 0
    (pytorch/pytorch#8945), which also zeroes the true d/db d/da = a ** (b - 1) = 1/a in double backward."""
    return any(n.op == "pow" and n.parents[1].data == 0.0 for n in graph_nodes(expr(*[Value(x) for x in xs])))


@given(expressions(n_inputs=N), points)
def test_second_derivatives_match_finite_differences_and_torch(torch, expr: Expression, xs: list[float]) -> None:
    assume(expr.kink_distance(*xs) > KINK_MARGIN)
    assert gradgradcheck(expr, xs)
    value, firsts, rows = hessian(expr, xs)
    t_value, t_firsts, t_rows = torch_hessian(torch, expr, xs)
    assert value == pytest.approx(t_value, rel=1e-9, abs=1e-12)
    assert firsts == pytest.approx(t_firsts, rel=1e-9, abs=1e-9)
    if torch_zeroes_a_mixed_pow_partial(expr, xs):
        return  # gradgradcheck above already checked these second derivatives against finite differences
    for row, t_row in zip(rows, t_rows):
        assert row == pytest.approx(t_row, rel=1e-9, abs=1e-9)


def test_mixed_pow_partial_at_exponent_zero_is_one_over_the_base() -> None:
    # d/db d/da a ** b = a ** (b - 1) * (1 + b * log(a)), which is 1/a at b = 0 (torch reports 0 there)
    a, b = Value(4.5), Value(0.0)
    da, _ = engine.grad(a**b, [a, b], create_graph=True)
    assert engine.grad(da, [b])[0].data == pytest.approx(1 / 4.5, rel=1e-15)
    assert gradgradcheck(lambda a, b: a**b, [4.5, 0.0])


@given(expressions(n_inputs=N), points)
def test_backward_equals_grad(expr: Expression, xs: list[float]) -> None:
    # No kink guard: at a kink both must still pick the same one-sided derivative.
    leaves = [Value(x) for x in xs]
    out = expr(*leaves)
    grads = engine.grad(out, leaves)
    assert all(leaf.grad == 0.0 for leaf in leaves)  # grad touches no .grad
    out.backward()
    assert [leaf.grad for leaf in leaves] == pytest.approx([g.data for g in grads], rel=1e-12, abs=1e-12)


def reuses_a_drawn_node(expr: Expression) -> bool:
    """Some interior node feeds two different ops (x * x, the positivity helper, feeds one op twice)."""
    consumers: dict[Value, set[int]] = {}
    for node in graph_nodes(expr(*[Value(0.3 * (i + 1)) for i in range(N)])):
        for parent in node.parents:
            if parent.parents:
                consumers.setdefault(parent, set()).add(id(node))
    return any(len(users) > 1 for users in consumers.values())


def test_shared_subexpressions_are_generated() -> None:
    expr = find(expressions(n_inputs=N), reuses_a_drawn_node, settings=FIRST_HIT)
    assert "t0 = " in repr(expr)  # and the repr names the shared node


def engine_op_names() -> set[str]:
    return set(engine_ops.OPS)


def test_the_strategy_covers_every_builtin_op() -> None:
    assert set(OPS) == engine_op_names()


@pytest.mark.parametrize("name", sorted(OPS))
def test_each_op_is_drawn_into_the_graph(name: str) -> None:
    def has_op(expr: Expression) -> bool:
        return any(node.op == name for node in graph_nodes(expr(*[Value(0.5)] * N)))

    find(expressions(n_inputs=N), has_op, settings=FIRST_HIT)


@given(expressions(n_inputs=2, ops=["log"]))
def test_ops_restricts_the_draw(expr: Expression) -> None:
    # log's operand is made positive as x * x + 0.5, so mul and add_const come with it
    assert {node.op for node in graph_nodes(expr(Value(0.5), Value(0.5)))} <= {"log", "mul", "add_const"}


@given(expressions(n_inputs=2, ops=["relu", "leaky_relu", "max", "add", "sub"]), values(), values())
def test_kink_distance_is_the_smallest_kink_operand(expr: Expression, a: float, b: float) -> None:
    expected = math.inf
    for node in graph_nodes(expr(Value(a), Value(b))):
        operands = [p.data for p in node.parents]
        if node.op in ("relu", "leaky_relu"):
            expected = min(expected, abs(operands[0]))
        elif node.op == "max":
            distinct = sorted({id(p): p.data for p in node.parents}.values(), reverse=True)
            if len(distinct) > 1:
                expected = min(expected, distinct[0] - distinct[1])
    assert expr.kink_distance(a, b) == expected


def test_minimal_expression_shrinks_to_inputs() -> None:
    assert repr(find(expressions(n_inputs=2, ops=["sub"]), lambda e: True)) == "x0 - x0"


@pytest.mark.parametrize(
    ("nodes", "text", "value"),
    [
        ([_Node("sub", (0, 1)), _Node("sub", (1, 2))], "x1 - (x0 - x1)", 2.0 - (3.0 - 2.0)),
        ([_Node("neg", (0,)), _Node("pow_const", (2,), 3.0)], "(-x0) ** 3", (-3.0) ** 3),
        ([_Node("pow_const", (0,), 2.0), _Node("neg", (2,))], "-(x0 ** 2)", -(3.0**2)),
        ([_Node("add_const", (0,), -1.5), _Node("rdiv", (2,), -0.5)], "-0.5 / (x0 - 1.5)", -0.5 / (3.0 - 1.5)),
        ([_Node("mul", (0, 1)), _Node("tanh", (2,)), _Node("add", (3, 2))], "t0 = x0 * x1; tanh(t0) + t0",
         math.tanh(6.0) + 6.0),
        ([_Node("dot", (0, 1, 1, 0, 0), 2)], "dot([x0, x1], [x1, x0], x0)", 3.0 + 3.0 * 2.0 + 2.0 * 3.0),
    ],
)
def test_repr_reads_as_the_computation(nodes: list[_Node], text: str, value: float) -> None:
    expr = Expression(2, nodes)
    assert repr(expr) == text
    assert expr(3.0, 2.0).data == value


def inline(text: str) -> str:
    """The repr with its `t0 = ...;` bindings substituted back in, as one expression."""
    *bindings, body = text.split("; ")
    definitions: dict[str, str] = {}

    def expand(s: str) -> str:
        return re.sub(r"\bt\d+\b", lambda m: f"({definitions[m.group(0)]})", s)

    for binding in bindings:
        name, rhs = binding.split(" = ", 1)
        definitions[name] = expand(rhs)
    return expand(body)


@given(expressions(n_inputs=2, ops=[name for name in OPS if name not in ("dot", "sum", "max")]), values(), values())
def test_repr_parses_back_to_the_same_computation(expr: Expression, a: float, b: float) -> None:
    # nn.cli.expression_parser's parser knows + - * / ** and the Value methods; it builds the graph from the text alone
    text = inline(repr(expr))
    used = {name: x for name, x in (("x0", a), ("x1", b)) if re.search(rf"\b{name}\b", text)}
    assert evaluate(text, used).data == expr(a, b).data


@given(expressions(n_inputs=2), values(), values())
def test_repr_shows_the_structure(expr: Expression, a: float, b: float) -> None:
    text = repr(expr)
    for name in {node.op for node in graph_nodes(expr(Value(a), Value(b)))}:
        shown = {"add": "+", "add_const": None, "sub": "-", "rsub": "-", "neg": "-", "mul": "*", "mul_const": "*"}
        shown |= {"div": "/", "div_const": "/", "rdiv": "/", "pow": "**", "pow_const": "**", "rpow": "**"}
        symbol = shown.get(name, name + "(")
        if symbol is not None:
            assert symbol in text


@given(values(min_value=-1.0, max_value=2.0, avoid=[0.0, 1.0], margin=0.1))
def test_values_stay_in_range_and_away_from_avoided_points(x: float) -> None:
    assert -1.0 <= x <= 2.0 and math.isfinite(x)
    assert abs(x) > 0.1 and abs(x - 1.0) > 0.1


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: values(1.0, 1.0), ValueError, "min_value < max_value"),
        (lambda: values(0.0, math.inf), ValueError, "min_value < max_value"),
        (lambda: values(margin=-1.0), ValueError, "margin"),
        (lambda: values(avoid=["0"]), TypeError, r"avoid\[0\]"),
        (lambda: expressions(n_inputs=0), ValueError, "n_inputs"),
        (lambda: expressions(max_depth=1.5), ValueError, "max_depth"),
        (lambda: expressions(ops=["sin"]), ValueError, "sin"),
        (lambda: expressions(ops=[]), ValueError, "non-empty"),
    ],
)
def test_strategy_arguments_are_checked(make, error, match) -> None:  # noqa: ANN001
    with pytest.raises(error, match=match):
        make()


def test_expression_checks_its_input_count() -> None:
    expr = find(expressions(n_inputs=2), lambda e: True)
    with pytest.raises(TypeError, match="takes 2 input"):
        expr(Value(1.0))
