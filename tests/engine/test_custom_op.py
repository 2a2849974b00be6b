"""engine.op: custom scalar ops behave like built-ins in backward, grad(create_graph) and gradcheck."""

from __future__ import annotations

import gc
import math

import pytest
from hypothesis import given

import engine
from engine import GradcheckError, Value, gradcheck, gradgradcheck, op
from engine.op_record import Op
from engine.testing import values

softplus = op("softplus", lambda x: math.log1p(math.exp(x)), lambda x, out: x.sigmoid())
wrong_softplus = op("wrong_softplus", lambda x: math.log1p(math.exp(x)), lambda x, out: x.tanh())
hypot = op("hypot", lambda x, y: math.hypot(x, y), lambda x, y, out: (x / out, y / out))


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@given(values(), values(min_value=0.5, max_value=3.0))
def test_custom_ops_match_finite_differences(a: float, b: float) -> None:
    f = lambda x, y: softplus(x * y) * hypot(x, y) + softplus(hypot(y, 2.0))  # noqa: E731
    assert gradcheck(f, [a, b])
    assert gradgradcheck(f, [a, b])


def test_gradcheck_catches_a_wrong_derivative_and_passes_the_right_one() -> None:
    with pytest.raises(GradcheckError, match="MISMATCH"):
        gradcheck(lambda x: wrong_softplus(x), [0.4])
    assert gradcheck(lambda x: softplus(x), [0.4])
    assert gradgradcheck(lambda x: softplus(x), [0.4])


@given(values(), values(min_value=0.5, max_value=3.0))
def test_custom_ops_match_torch_to_second_order(torch, a: float, b: float) -> None:
    F = torch.nn.functional
    xs = [Value(a), Value(b)]
    out = softplus(xs[0] * xs[1]) * hypot(xs[0], xs[1])
    firsts = engine.grad(out, xs, create_graph=True)
    hessian = [[h.data for h in engine.grad(g, xs)] for g in firsts]

    ts = [torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)]
    t_out = F.softplus(ts[0] * ts[1]) * torch.hypot(ts[0], ts[1])
    t_firsts = torch.autograd.grad(t_out, ts, create_graph=True)
    t_hessian = [[h.item() for h in torch.autograd.grad(g, ts, retain_graph=True)] for g in t_firsts]

    assert out.data == pytest.approx(t_out.item(), rel=1e-12)
    assert [g.data for g in firsts] == pytest.approx([g.item() for g in t_firsts], rel=1e-9, abs=1e-12)
    for row, t_row in zip(hessian, t_hessian):
        assert row == pytest.approx(t_row, rel=1e-9, abs=1e-12)


def test_node_is_a_normal_op_record() -> None:
    x, y = Value(3.0), Value(4.0)
    out = hypot(x, y)
    assert isinstance(out.op_record, Op)
    assert (out.op, out.op_record.symbol, out.parents, out.data) == ("hypot", "hypot", (x, y), 5.0)


def test_custom_op_is_drawn_by_its_name() -> None:
    x, y = Value(3.0, label="x"), Value(4.0, label="y")
    source = engine.draw_dot(hypot(x, y) * 2.0).source
    assert "hypot" in source and "5" in source


def test_backward_accumulates_like_a_builtin() -> None:
    x = Value(0.3)
    out = softplus(x) * 2.0
    out.backward()
    out.backward()
    assert x.grad == pytest.approx(2 * 2.0 * sigmoid(0.3), rel=1e-15)


def test_numbers_become_leaves() -> None:
    x = Value(4.0)
    out = hypot(3, x)
    assert out.data == 5.0 and out.parents[0].is_leaf and out.parents[0].data == 3.0
    out.backward()
    assert x.grad == pytest.approx(4.0 / 5.0)
    assert softplus(0.0).data == pytest.approx(math.log(2.0))


def test_derivative_builds_graph_only_under_create_graph() -> None:
    seen = []

    def derivative(x: Value, out: Value) -> Value:
        partial = x.sigmoid()
        seen.append((engine.is_grad_enabled(), partial.is_leaf))
        return partial

    traced = op("traced_softplus", lambda x: math.log1p(math.exp(x)), derivative)
    x = Value(0.5)
    traced(x).backward()
    assert seen == [(False, True)]
    (dx,) = engine.grad(traced(x), [x], create_graph=True)
    assert seen[1] == (True, False)
    (ddx,) = engine.grad(dx, [x])
    assert ddx.data == pytest.approx(sigmoid(0.5) * (1 - sigmoid(0.5)), rel=1e-12)


def test_graphs_of_custom_ops_free_without_the_cycle_collector() -> None:
    gc.collect()
    gc.disable()
    try:
        x = Value(0.5)
        out = hypot(softplus(x), x)
        out.backward()
        engine.grad(out, [x], create_graph=True)
        del out
        assert gc.collect() == 0  # nothing was left for the cycle collector: no node refers to itself
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (("", math.exp, math.exp), TypeError, "non-empty str"),
        ((3, math.exp, math.exp), TypeError, "non-empty str"),
        (("f", 1.0, math.exp), TypeError, "op 'f': forward must be callable"),
        (("f", math.exp, None), TypeError, "op 'f': derivative must be callable"),
    ],
)
def test_definition_is_validated(args, error, match) -> None:  # noqa: ANN001
    with pytest.raises(error, match=match):
        op(*args)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: softplus(1.0, 2.0), TypeError, "op 'softplus' got 2 argument"),
        (lambda: hypot(1.0), TypeError, "op 'hypot' got 1 argument"),
        (lambda: op("clog", math.log, lambda x, out: 1 / x)(1.0, 2.0, 3.0), TypeError, "op 'clog'"),
        (lambda: softplus("1.0"), TypeError, "op 'softplus': argument 0 must be a Value or a number"),
        (lambda: hypot(1.0, True), TypeError, "op 'hypot': argument 1"),
        (lambda: op("s", lambda x: str(x), lambda x, out: 1.0)(1.0), TypeError, "op 's': forward must return a number"),
        (lambda: op("s", lambda x: None, lambda x, out: 1.0)(1.0), TypeError, "op 's': forward must return a number"),
        (lambda: op("clog", math.log, lambda x, out: 1 / x)(-1.0), ValueError, "op 'clog': forward raised"),
        (lambda: op("cexp", math.exp, lambda x, out: out)(1e4), OverflowError, "op 'cexp': forward raised"),
    ],
)
def test_call_errors_name_the_op(call, error, match) -> None:  # noqa: ANN001
    with pytest.raises(error, match=match):
        call()


two_partials = op("two_partials", lambda x: x, lambda x, out: (1.0, 1.0))
text_partial = op("text_partial", lambda x: x, lambda x, out: "1")
failing_partial = op("failing_partial", lambda x: x, lambda x, out: x / 0.0)


@pytest.mark.parametrize(
    ("custom", "error", "match"),
    [
        (two_partials, ValueError, "op 'two_partials': derivative returned 2 partial"),
        (text_partial, TypeError, "op 'text_partial': derivative's partial 0 must be a Value, a number or None"),
        (failing_partial, ZeroDivisionError, "op 'failing_partial': derivative raised"),
    ],
)
@pytest.mark.parametrize("mode", ["backward", "grad", "create_graph"])
def test_bad_derivatives_name_the_op(custom, error, match, mode: str) -> None:  # noqa: ANN001
    x = Value(1.0)
    out = custom(x) * 2.0
    with pytest.raises(error, match=match):
        if mode == "backward":
            out.backward()
        else:
            engine.grad(out, [x], create_graph=mode == "create_graph")


def test_a_builtin_name_is_refused() -> None:
    with pytest.raises(ValueError, match="built-in"):
        op("dot", lambda a: 2 * a, lambda a, out: 2.0)
