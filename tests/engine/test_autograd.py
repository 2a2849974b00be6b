"""Autograd semantics: accumulation, shared nodes, deep graphs, grad modes, `engine.grad` and graph structure."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import engine
from engine import Value

REALS = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)

# ---------------------------------------------------------------- accumulation across backward passes


def test_second_backward_doubles_the_leaves_but_not_the_interior_nodes() -> None:
    """c = a*b + a: micrograd also doubles the interior node a*b, and so gives the leaves the wrong sum."""
    a, b = Value(2.0), Value(-3.0)
    ab = a * b
    c = ab + a
    c.backward()
    assert (a.grad, b.grad, ab.grad, c.grad) == (-2.0, 2.0, 1.0, 1.0)  # dc/da = b + 1, dc/db = a
    c.backward()
    assert (a.grad, b.grad, ab.grad, c.grad) == (-4.0, 4.0, 1.0, 1.0)


def test_interior_nodes_hold_the_latest_pass_only() -> None:
    a, b = Value(2.0), Value(-3.0)
    ab = a * b
    c = ab + a
    c.backward()
    c.backward(gradient=5.0)
    assert ab.grad == 5.0 and c.grad == 5.0
    assert a.grad == (-3.0 + 1.0) * (1 + 5) and b.grad == 2.0 * (1 + 5)
    d = ab * 3  # a new output through the same interior node
    d.backward()
    assert ab.grad == 3.0 and d.grad == 1.0


def test_backward_from_a_leaf_accumulates_the_seed() -> None:
    x = Value(4.0)
    x.backward()
    x.backward(gradient=2.5)
    assert x.grad == 3.5


@given(a=REALS, b=REALS, k=REALS)
def test_backward_gradient_scales_every_gradient(a: float, b: float, k: float) -> None:
    va, vb = Value(a), Value(b)
    (va * vb + va.exp()).backward(gradient=k)
    assert math.isclose(va.grad, k * (b + math.exp(a)), rel_tol=1e-14, abs_tol=1e-14)
    assert math.isclose(vb.grad, k * a, rel_tol=1e-14, abs_tol=1e-14)


@pytest.mark.parametrize("bad", ["1", None, True, [1.0]], ids=["str", "None", "bool", "list"])
def test_backward_gradient_must_be_a_number(bad: object) -> None:
    x = Value(1.0)
    y = x * 2
    with pytest.raises(TypeError, match=type(bad).__name__):
        y.backward(gradient=bad)  # type: ignore[arg-type]
    assert x.grad == 0.0 and y.grad == 0.0


# ---------------------------------------------------------------- shared subexpressions and diamonds


@given(x=REALS)
def test_shared_subexpression(x: float) -> None:
    a = Value(x)
    b = a + a
    c = b * b
    c.backward()
    assert c.data == 4 * x * x
    assert b.grad == 4 * x and a.grad == 8 * x


@given(x=REALS)
def test_diamond_graph(x: float) -> None:
    a = Value(x)
    t, e = a.tanh(), a.exp()
    d = t * e
    d.backward()
    assert t.grad == e.data and e.grad == t.data
    expected = (1 - math.tanh(x) ** 2) * math.exp(x) + math.tanh(x) * math.exp(x)
    assert math.isclose(a.grad, expected, rel_tol=1e-12, abs_tol=1e-12)


@given(x=REALS, y=REALS)
def test_shared_node_used_by_many_ops(x: float, y: float) -> None:
    """f = h*h + h + h.tanh() with h = x*y, so df/dh = 2h + 1 + (1 - tanh(h)**2)."""
    vx, vy = Value(x), Value(y)
    h = vx * vy
    f = h * h + h + h.tanh()
    f.backward()
    dh = 2 * x * y + 1 + (1 - math.tanh(x * y) ** 2)
    assert math.isclose(h.grad, dh, rel_tol=1e-12, abs_tol=1e-12)
    assert math.isclose(vx.grad, dh * y, rel_tol=1e-12, abs_tol=1e-12)
    assert math.isclose(vy.grad, dh * x, rel_tol=1e-12, abs_tol=1e-12)


# ---------------------------------------------------------------- deep graphs, without recursion


def test_a_million_node_chain_under_the_default_recursion_limit() -> None:
    limit = sys.getrecursionlimit()
    assert limit < 100_000, "a raised recursion limit would hide a recursive walk"
    n, c = 1_000_000, 1.0000001
    x0 = Value(1.0)
    x = x0
    for _ in range(n):
        x = x * c
    x.backward()
    assert sys.getrecursionlimit() == limit
    assert math.isclose(x.data, c**n, rel_tol=1e-9) and math.isclose(x0.grad, c**n, rel_tol=1e-9)
    assert x.grad == 1.0


def test_grad_on_a_chain_deeper_than_the_recursion_limit() -> None:
    depth = 20 * sys.getrecursionlimit()
    x0 = Value(0.5)
    x = x0
    for _ in range(depth):
        x = x + 1
    (g,) = engine.grad(x, [x0])
    assert g.data == 1.0 and x.data == 0.5 + depth
    assert len(engine.backward_order(x)) == depth


# ---------------------------------------------------------------- grad modes


def test_no_grad_builds_no_graph() -> None:
    x = Value(2.0)
    with engine.no_grad():
        assert not engine.is_grad_enabled()
        y = (x * 3).tanh() + x
        z = engine.dot([x], [x], bias=x)
    assert engine.is_grad_enabled()
    for v in (y, z):
        assert v.is_leaf and v.op == "" and v.parents == () and v.arg is None
    assert y.data == math.tanh(6.0) + 2.0 and z.data == 6.0
    with pytest.raises(RuntimeError, match="no_grad"):  # as torch: there is no graph to differentiate
        y.backward()
    assert x.grad == 0.0 and y.grad == 0.0


def test_no_grad_nests_and_restores() -> None:
    with engine.no_grad():
        with engine.no_grad():
            assert not engine.is_grad_enabled()
        assert not engine.is_grad_enabled()
    assert engine.is_grad_enabled()


@pytest.mark.parametrize("mode", [engine.no_grad, engine.enable_grad], ids=["no_grad", "enable_grad"])
def test_grad_mode_is_restored_after_an_exception(mode: Callable[[], object]) -> None:
    for outer in (True, False):
        with engine.enable_grad() if outer else engine.no_grad():
            with pytest.raises(ValueError):
                with mode():  # type: ignore[attr-defined]
                    Value(-1.0).log()
            assert engine.is_grad_enabled() is outer


def test_enable_grad_inside_no_grad_records_the_graph() -> None:
    x = Value(2.0)
    with engine.no_grad():
        with engine.enable_grad():
            assert engine.is_grad_enabled()
            y = x * x
        z = x * x
    assert y.parents == (x, x) and z.is_leaf
    y.backward()
    assert x.grad == 4.0


def test_backward_inside_no_grad_still_fills_in_gradients() -> None:
    x = Value(3.0)
    y = x * x
    with engine.no_grad():
        y.backward()
    assert x.grad == 6.0


def test_grad_with_create_graph_inside_no_grad_is_differentiable_again() -> None:
    x = Value(2.0)
    y = x**3
    with engine.no_grad():
        (d1,) = engine.grad(y, [x], create_graph=True)
        assert not engine.is_grad_enabled()
    (d2,) = engine.grad(d1, [x])
    assert d1.data == 12.0 and d2.data == 12.0


# ---------------------------------------------------------------- engine.grad


def all_nodes(root: Value) -> list[Value]:
    """Every node `root` depends on, leaves included, found without using the engine's own walk."""
    seen: dict[int, Value] = {}
    stack = [root]
    while stack:
        v = stack.pop()
        if id(v) not in seen:
            seen[id(v)] = v
            stack.extend(v.parents)
    return list(seen.values())


@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_touches_no_grad_field(create_graph: bool) -> None:
    a, b = Value(1.5), Value(-0.5)
    out = (a * b + a.tanh()) * b.exp()
    nodes = all_nodes(out)
    for i, v in enumerate(nodes):
        v.grad = float(i) + 0.25
    engine.grad(out, [a, b], create_graph=create_graph)
    assert [v.grad for v in nodes] == [float(i) + 0.25 for i in range(len(nodes))]


@given(a=REALS, b=REALS)
def test_grad_gives_the_derivatives_and_zero_for_unreached_inputs(a: float, b: float) -> None:
    va, vb, unused = Value(a), Value(b), Value(7.0)
    out = va * vb + va
    ga, gb, gu = engine.grad(out, [va, vb, unused])
    assert (ga.data, gb.data, gu.data) == (b + 1.0, a, 0.0)
    assert all(g.is_leaf for g in (ga, gb, gu))


def test_grad_of_an_output_with_respect_to_itself_and_an_interior_node() -> None:
    x = Value(3.0)
    h = x * x
    out = h * 2
    g_out, g_h, g_x = engine.grad(out, [out, h, x])
    assert (g_out.data, g_h.data, g_x.data) == (1.0, 2.0, 12.0)


@given(x=REALS)
def test_second_and_third_derivatives_of_a_cube(x: float) -> None:
    for cube in (lambda v: v**3, lambda v: v * v * v):
        v = Value(x)
        (d1,) = engine.grad(cube(v), [v], create_graph=True)
        (d2,) = engine.grad(d1, [v], create_graph=True)
        (d3,) = engine.grad(d2, [v])
        assert math.isclose(d1.data, 3 * x * x, rel_tol=1e-14, abs_tol=1e-14)
        assert math.isclose(d2.data, 6 * x, rel_tol=1e-14, abs_tol=1e-14)
        assert d3.data == 6.0


def test_create_graph_leaves_the_first_graph_alone() -> None:
    """Differentiating the gradient graph does not disturb `.grad` of the original graph, and vice versa."""
    x = Value(2.0)
    y = x**3
    (d1,) = engine.grad(y, [x], create_graph=True)
    d1.backward()
    assert x.grad == 12.0  # d/dx (3x^2) = 6x
    y.backward()
    assert x.grad == 12.0 + 12.0  # plus dy/dx = 3x^2


def _f(x: Value, y: Value) -> Value:
    return x * x * y + (x * y).tanh() + y.log() * x.exp() + x / y


@given(x=REALS, y=st.floats(0.5, 3.0))
def test_hessian_of_a_two_variable_function_matches_torch(torch: ModuleType, x: float, y: float) -> None:
    vx, vy = Value(x), Value(y)
    gx, gy = engine.grad(_f(vx, vy), [vx, vy], create_graph=True)
    ours = [[h.data for h in engine.grad(g, [vx, vy])] for g in (gx, gy)]
    theirs = torch.autograd.functional.hessian(
        lambda tx, ty: tx * tx * ty + (tx * ty).tanh() + ty.log() * tx.exp() + tx / ty,
        (torch.tensor(x), torch.tensor(y)),
    )
    for i in range(2):
        for j in range(2):
            assert math.isclose(ours[i][j], theirs[i][j].item(), rel_tol=1e-11, abs_tol=1e-11), (i, j)


@given(x=REALS, y=st.floats(0.5, 3.0))
def test_mixed_partial_by_hand(x: float, y: float) -> None:
    vx, vy = Value(x), Value(y)
    (gx,) = engine.grad(vx * vx * vy, [vx], create_graph=True)
    (gxy,) = engine.grad(gx, [vy])
    assert gxy.data == 2 * x


GRAD_MISUSE = [
    ("output-float", lambda x: engine.grad(1.0, [x]), "output"),  # type: ignore[arg-type]
    ("output-None", lambda x: engine.grad(None, [x]), "output"),  # type: ignore[arg-type]
    ("input-float", lambda x: engine.grad(x * 2, [x, 1.0]), "item 1"),  # type: ignore[list-item]
    ("input-str", lambda x: engine.grad(x * 2, ["x"]), "item 0"),  # type: ignore[list-item]
    ("inputs-not-iterable", lambda x: engine.grad(x * 2, 3), "int"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("call, words", [m[1:] for m in GRAD_MISUSE], ids=[m[0] for m in GRAD_MISUSE])
def test_grad_rejects_bad_arguments(call: Callable[[Value], object], words: str) -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match=words):
        call(x)
    assert x.grad == 0.0


# ---------------------------------------------------------------- zero_grad


def test_zero_grad_resets_every_given_value() -> None:
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    (a * b * c).backward()
    engine.zero_grad(v for v in (a, b))  # any iterable, a generator included
    assert (a.grad, b.grad, c.grad) == (0.0, 0.0, 2.0)


# ---------------------------------------------------------------- graph structure and determinism


def test_parents_are_kept_in_operand_order() -> None:
    a, b = Value(1.0), Value(2.0)
    assert (a * b).parents == (a, b) and (b * a).parents == (b, a)
    assert (a - b).parents == (a, b) and (b / a).parents == (b, a) and (a**b).parents == (a, b)
    assert (a + a).parents == (a, a)
    assert engine.dot([a, b], [b, a], bias=a).parents == (a, b, b, a, a)
    assert engine.sum([b, a, b]).parents == (b, a, b)


CONSTANT_OPS = [
    ("x*2", lambda x: x * 2, "mul_const", 2.0),
    ("2*x", lambda x: 2 * x, "mul_const", 2.0),
    ("x+2", lambda x: x + 2, "add_const", 2.0),
    ("2+x", lambda x: 2 + x, "add_const", 2.0),
    ("x-2", lambda x: x - 2, "add_const", -2.0),
    ("2-x", lambda x: 2 - x, "rsub", 2.0),
    ("x/2", lambda x: x / 2, "div_const", 2.0),
    ("2/x", lambda x: 2 / x, "rdiv", 2.0),
    ("x**2", lambda x: x**2, "pow_const", 2.0),
    ("2**x", lambda x: 2**x, "rpow", 2.0),
    ("leaky_relu", lambda x: x.leaky_relu(0.25), "leaky_relu", 0.25),
]


@pytest.mark.parametrize("f, op, arg", [c[1:] for c in CONSTANT_OPS], ids=[c[0] for c in CONSTANT_OPS])
def test_a_constant_operand_is_not_wrapped_in_a_value(f: Callable[[Value], Value], op: str, arg: float) -> None:
    x = Value(3.0)
    y = f(x)
    assert y.parents == (x,) and y.op == op
    assert type(y.arg) is float and y.arg == arg


def test_backward_order_of_a_small_graph() -> None:
    a, b = Value(2.0), Value(3.0)
    ab = a * b
    c = ab + a
    assert engine.backward_order(c) == [c, ab]
    assert engine.backward_order(a) == []


# A program is a list of steps (op, i, j), each combining two earlier nodes; the first nodes are the leaves.
PROGRAM_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "tanh": lambda a, b: a.tanh(),
}
STEP = st.tuples(st.sampled_from(sorted(PROGRAM_OPS)), st.integers(0, 30), st.integers(0, 30))
PROGRAMS = st.lists(STEP, min_size=1, max_size=25)
START = (0.5, -0.25)


def run_program(program: list[tuple[str, int, int]], leaves: list[Any]) -> list[Any]:
    """Every node of the program, leaves first; works on Values and on tensors alike."""
    nodes = list(leaves)
    for op, i, j in program:
        nodes.append(PROGRAM_OPS[op](nodes[i % len(nodes)], nodes[j % len(nodes)]))
    return nodes


def shape(nodes: list[Value], order: list[Value]) -> list[tuple[int, ...]]:
    """The order written as program positions, so that two builds can be compared."""
    index = {id(v): i for i, v in enumerate(nodes)}
    return [(index[id(v)], *(index[id(p)] for p in v.parents)) for v in order]


@given(program=PROGRAMS)
def test_backward_order_is_topological_and_deterministic(program: list[tuple[str, int, int]]) -> None:
    nodes = run_program(program, [Value(x) for x in START])
    root = nodes[-1]
    order = engine.backward_order(root)
    reachable = [v for v in all_nodes(root) if not v.is_leaf]
    assert order[0] is root and len(order) == len(reachable) == len({id(v) for v in order})
    position = {id(v): i for i, v in enumerate(order)}
    for v in order:
        assert all(p.is_leaf or position[id(p)] > position[id(v)] for p in v.parents)
    again = run_program(program, [Value(x) for x in START])
    assert shape(nodes, order) == shape(again, engine.backward_order(again[-1]))


@given(program=PROGRAMS)
def test_backward_matches_torch_on_random_programs(torch: ModuleType, program: list[tuple[str, int, int]]) -> None:
    nodes = run_program(program, [Value(x) for x in START])
    assume(all(abs(v.data) < 1e100 for v in nodes))  # repeated squaring can overflow; that is not the point here
    nodes[-1].backward()
    leaves = [torch.tensor(x, requires_grad=True) for x in START]
    run_program(program, leaves)[-1].backward()
    for v, t in zip(nodes, leaves):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert math.isclose(v.grad, expected, rel_tol=1e-12, abs_tol=1e-12), (v.grad, expected)


@given(program=PROGRAMS)
def test_hessian_matches_torch_on_random_programs(torch: ModuleType, program: list[tuple[str, int, int]]) -> None:
    leaves = [Value(x) for x in START]
    nodes = run_program(program, leaves)
    assume(all(abs(v.data) < 1e50 for v in nodes))
    ours = [[h.data for h in engine.grad(g, leaves)] for g in engine.grad(nodes[-1], leaves, create_graph=True)]
    theirs = torch.autograd.functional.hessian(
        lambda *ts: run_program(program, list(ts))[-1], tuple(torch.tensor(x) for x in START)
    )
    for i in range(2):
        for j in range(2):
            assert math.isclose(ours[i][j], theirs[i][j].item(), rel_tol=1e-10, abs_tol=1e-10), (ours, theirs)


# ---------------------------------------------------------------- backward's pause of the cyclic GC


@pytest.mark.parametrize("enabled", [True, False])
def test_backward_leaves_the_cyclic_gc_as_it_found_it(enabled: bool) -> None:
    import gc

    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        x = Value(2.0)
        (x * x).backward()
        assert gc.isenabled() is enabled
        bad = engine.op("bad", lambda a: a, lambda a, out: (a, a))  # wrong number of partials: backward raises
        with pytest.raises(Exception, match="bad"):
            bad(x).backward()
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_a_zero_gradient_is_multiplied_through_where_a_partial_is_infinite() -> None:
    # out's gradient is exactly 0 and its partial for `a` is inf: 0 * inf is NaN in backward() and grad(), as in
    # PyTorch; a node whose partials are finite (the add) is skipped, which changes nothing.
    a, inf = Value(2.0), Value(math.inf)
    out = a * inf
    z = out * 0.0 + 1.0
    z.backward()
    assert out.grad == 0.0 and math.isnan(a.grad) and inf.grad == 0.0
    da, dinf = engine.grad(z, [a, inf])
    assert math.isnan(da.data) and dinf.data == 0.0


def test_grad_takes_a_single_value_as_torch_does() -> None:
    x = Value(3.0)
    (d,) = engine.grad(x * x, x)
    assert d.data == 6.0


def test_set_grad_enabled_switches_recording_both_ways() -> None:
    x = Value(2.0)
    with engine.set_grad_enabled(False):
        assert (x * x).is_leaf and not engine.is_grad_enabled()
        with engine.set_grad_enabled(True):
            assert (x * x).parents == (x, x)
    assert engine.is_grad_enabled()


# ---------------------------------------------------------------- all or nothing


def failing_branch_graph() -> tuple[list[Value], Value]:
    """out = a*b + fails(a): backward reaches a through a*b before the custom op's derivative raises."""
    fails = engine.op("fails", lambda x: 2.0 * x, lambda x, out: x / 0.0)
    a, b = Value(3.0), Value(1.5)
    ab = a * b
    out = fails(a) * 1.0 + ab
    return [a, b, ab, out, *out.parents, *out.parents[0].parents], out


def test_a_backward_that_raises_leaves_every_grad_as_it_was() -> None:
    nodes, out = failing_branch_graph()
    for i, v in enumerate(nodes):
        v.grad = 0.5 + i
    before = [v.grad for v in nodes]
    order = engine.backward_order(out)
    assert order.index(nodes[2]) < order.index(nodes[-1])  # a*b passes its gradient on before fails(a) raises
    with pytest.raises(ZeroDivisionError, match="op 'fails': derivative raised"):
        out.backward()
    assert [v.grad for v in nodes] == before


def test_a_backward_that_raises_on_the_second_call_keeps_the_first_calls_gradients() -> None:
    calls = []

    def derivative(x: Value, out: Value) -> float:
        calls.append(1)
        if len(calls) > 1:
            raise ArithmeticError("second time")
        return 2.0

    twice = engine.op("twice", lambda x: 2.0 * x, derivative)
    a = Value(1.0)
    out = a * a + twice(a)
    out.backward()
    assert a.grad == 4.0
    with pytest.raises(ArithmeticError, match="twice"):
        out.backward()
    assert a.grad == 4.0 and out.grad == 1.0


def test_a_backward_without_custom_ops_is_not_copied() -> None:
    # the copy of every .grad is only made when some op's derivative can raise
    a = Value(2.0)
    out, checked, _ = engine.value._walk((a * a).tanh() + engine.dot([a], [a]))
    assert checked is False
    square = engine.op("sq", lambda x: x * x, lambda x, out: 2 * x)
    assert engine.value._walk((square(a) * a).tanh())[1] is True


def test_backward_of_a_result_built_under_no_grad_says_why() -> None:
    x = Value(2.0)
    with engine.no_grad():
        y = x * x
    with pytest.raises(RuntimeError, match=r"under no_grad\(\)"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"under no_grad\(\)"):
        engine.backward(y)
    assert x.grad == 0.0 and y.grad == 0.0
    with engine.no_grad():
        leaf = Value(1.0)  # a leaf is a leaf wherever it is made: backward seeds it, as torch does
    leaf.backward(2.0)
    assert leaf.grad == 2.0


def test_zero_grad_checks_every_item_before_resetting_any() -> None:
    v, w = Value(1.0), Value(2.0)
    v.grad, w.grad = 3.0, 4.0
    with pytest.raises(TypeError, match="item 1 must be a Value, got int"):
        engine.zero_grad([v, 1, w])
    assert (v.grad, w.grad) == (3.0, 4.0)
    engine.zero_grad(iter([v, w]))
    assert (v.grad, w.grad) == (0.0, 0.0)
