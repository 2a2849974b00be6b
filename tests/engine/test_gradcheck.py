"""engine.gradcheck / gradgradcheck: they pass on right rules, catch wrong ones, agree with torch on tolerances."""

from __future__ import annotations

import math

import pytest

import engine
from engine import GradcheckError, Value, gradcheck, gradgradcheck, op

# d(x*x)/dx is 2x; these ops get it wrong in two different ways.
half_square = op("half_square", lambda x: x * x, lambda x, out: x)  # partial x instead of 2x
detached_square = op("detached_square", lambda x: x * x, lambda x, out: Value(2.0 * x.data))  # right value, no graph


def shifted_line(delta: float):  # noqa: ANN201 - a test helper returning an op
    """2x with a derivative that is off by exactly `delta` (central differences of a line are exact)."""
    return op("shifted_line", lambda x: 2.0 * x, lambda x, out: 2.0 + delta)


def row(error: GradcheckError, label: str) -> tuple[float, float, str]:
    """The analytic and numeric columns of the message line for `label`, and its mark ('' when it passed)."""
    for line in str(error).splitlines():
        if line.strip().startswith(label + " "):
            analytic, numeric, _, *mark = line.strip()[len(label) :].split()
            return float(analytic), float(numeric), " ".join(mark)
    raise AssertionError(f"no line for {label!r} in:\n{error}")


def test_gradcheck_passes_on_builtin_ops() -> None:
    assert gradcheck(lambda x, y: x * y.tanh() + (x / y).exp() - y**3, [0.3, -1.2]) is True


def test_gradcheck_lists_every_input_and_marks_the_wrong_one() -> None:
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: half_square(x) + y * y, [0.75, -2.0])
    # x0: analytic is the op's partial 0.75, numeric 2 * 0.75; x1: both 2y = -4
    analytic, numeric, mark = row(info.value, "x0 = 0.75")
    assert analytic == 0.75 and numeric == pytest.approx(1.5) and mark == "<-- MISMATCH"
    analytic, numeric, mark = row(info.value, "x1 = -2")
    assert analytic == -4.0 and numeric == pytest.approx(-4.0) and mark == ""
    assert isinstance(info.value, AssertionError)


def test_the_table_fits_a_notebook_output_line_of_70_characters() -> None:
    """JupyterLab breaks a longer output line anywhere, even inside a number (lesson 06 prints these tables)."""
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: half_square(x).tanh() + y.exp() * (y * 0.1).sigmoid(), [1.0 / 3, -2.0])
    with pytest.raises(GradcheckError) as second:
        gradgradcheck(lambda x, y: detached_square(x) * y.tanh(), [0.1, 3.0])
    for error in [info.value, second.value]:
        lines = str(error).splitlines()
        assert len(lines) >= 5 and max(map(len, lines)) <= 70, str(error)
    analytic, numeric, mark = row(info.value, "x0 = 0.333333")
    assert numeric == pytest.approx(2 * analytic, rel=1e-5) and mark == "<-- MISMATCH"


@pytest.mark.parametrize(("atol", "rtol"), [(1e-5, 1e-3), (0.0, 1e-3), (1e-3, 0.0), (2e-3, 5e-4)])
@pytest.mark.parametrize("delta", [1e-7, 9e-6, 1.1e-5, 9.9e-4, 1.01e-3, 1.99e-3, 2.001e-3, 2.05e-3, 3e-3, -2.5e-3])
def test_tolerance_verdicts_match_torch_gradcheck(torch, atol: float, rtol: float, delta: float) -> None:
    class ShiftedLine(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # noqa: ANN001, ANN205
            return 2.0 * x

        @staticmethod
        def backward(ctx, g):  # noqa: ANN001, ANN205
            return g * (2.0 + delta)

    x = torch.tensor([0.5], requires_grad=True)
    expected = torch.autograd.gradcheck(ShiftedLine.apply, (x,), atol=atol, rtol=rtol, raise_exception=False)
    try:
        ours = gradcheck(shifted_line(delta), [0.5], atol=atol, rtol=rtol)
    except GradcheckError:
        ours = False
    assert ours == expected


def test_rtol_scales_the_numeric_derivative_not_the_analytic_one() -> None:
    # numeric 2, analytic 2.0021: within 1e-3 * |analytic| = 2.0021e-3 but not within 1e-3 * |numeric| = 2e-3
    with pytest.raises(GradcheckError):
        gradcheck(shifted_line(2.001e-3), [0.5], atol=0.0, rtol=1e-3)
    assert gradcheck(shifted_line(1.999e-3), [0.5], atol=0.0, rtol=1e-3)


def test_gradcheck_leaves_user_gradients_alone() -> None:
    w = Value(0.7)
    w.grad = 5.0
    assert gradcheck(lambda x: (w * x).tanh(), [0.3])
    assert w.grad == 5.0


def test_gradcheck_of_a_function_that_differentiates_inside() -> None:
    # f(x) = d(x**3)/dx = 3x**2: the numeric side must build graphs too, or engine.grad inside f sees none
    assert gradcheck(lambda x: engine.grad(x**3, [x], create_graph=True)[0], [1.5])


def test_nan_gradient_is_reported_by_input() -> None:
    nan_slope = op("nan_slope", lambda x: x, lambda x, out: math.nan)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: x * y + nan_slope(y), [1.0, 2.0])
    analytic, numeric, mark = row(info.value, "x1 = 2")
    assert math.isnan(analytic) and numeric == pytest.approx(2.0) and mark == "<-- NOT FINITE"  # x + 1
    assert row(info.value, "x0 = 1") == (2.0, pytest.approx(2.0), "")


def test_non_finite_output_is_reported() -> None:
    with pytest.raises(GradcheckError, match="non-finite inf"):
        gradcheck(lambda x: x * math.inf, [1.0])


def test_domain_boundary_within_eps_is_reported_by_input() -> None:
    with pytest.raises(GradcheckError, match=r"x1 - eps.*domain boundary"):
        gradcheck(lambda x, y: x * y.log(), [2.0, 1e-7])


@pytest.mark.parametrize(
    ("f", "inputs", "error", "match"),
    [
        (lambda x: 2.0 * x.data, [1.0], TypeError, "f must return a Value, got float"),
        (lambda x: x, ["1.0"], TypeError, r"inputs\[0\]"),
        (lambda x, y: x, [1.0, True], TypeError, r"inputs\[1\]"),
        (lambda x: x, [Value(1.0)], TypeError, r"inputs\[0\] is a Value"),
        (lambda x: x, 1.0, TypeError, "list or tuple of numbers"),
        (lambda x: x, [], ValueError, "empty"),
        (lambda x, y: x, [1.0, math.nan], ValueError, r"inputs\[1\] must be finite"),
        (lambda x: x, [-math.inf], ValueError, r"inputs\[0\] must be finite"),
        ("not a function", [1.0], TypeError, "f must be callable"),
    ],
)
def test_bad_use_gets_clear_errors(f, inputs, error, match) -> None:  # noqa: ANN001
    for check in (gradcheck, gradgradcheck):
        with pytest.raises(error, match=match):
            check(f, inputs)


@pytest.mark.parametrize(("name", "value"), [("eps", 0.0), ("eps", math.nan), ("atol", -1.0), ("rtol", math.inf)])
def test_bad_tolerances_are_rejected(name: str, value: float) -> None:
    with pytest.raises(ValueError, match=name):
        gradcheck(lambda x: x, [1.0], **{name: value})


def test_gradgradcheck_passes_on_builtin_ops() -> None:
    assert gradgradcheck(lambda x, y: x * y.tanh() + (x / y).exp() - y**3 + (x * x + 1.0) ** y, [0.3, -1.2])


def test_gradgradcheck_catches_a_derivative_built_outside_the_graph() -> None:
    f = lambda x, y: detached_square(x) * y  # noqa: E731
    assert gradcheck(f, [0.5, 3.0])  # the first derivatives are right
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(f, [0.5, 3.0])
    # d/dx0 (df/dx0) = 2y = 6 but the detached partial gives 0; the other pairs are right
    assert row(info.value, "d/dx0 df/dx0") == (0.0, pytest.approx(6.0), "<-- MISMATCH")
    assert row(info.value, "d/dx1 df/dx0") == (1.0, pytest.approx(1.0), "")
    assert row(info.value, "d/dx0 df/dx1") == (1.0, pytest.approx(1.0), "")
    assert row(info.value, "d/dx1 df/dx1") == (0.0, pytest.approx(0.0), "")


def test_gradgradcheck_leaves_user_gradients_alone() -> None:
    w = Value(-0.4)
    assert gradgradcheck(lambda x, y: (w * x * y).sigmoid(), [0.3, 0.8])
    assert w.grad == 0.0


def test_both_checks_work_inside_no_grad() -> None:
    # f must record its graph even when the caller is evaluating under no_grad()
    wrong_second = op("wrong_second", lambda x: x * x, lambda x, out: 2.0 * float(x.data))  # slope built off-graph
    with engine.no_grad():
        assert gradcheck(lambda x: x * x, [2.0])
        with pytest.raises(GradcheckError):
            gradgradcheck(wrong_second, [1.5])


def test_gradcheck_checks_the_float_rules_that_backward_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    # backward() uses each op's float rule, engine.grad its Value-op vjp: a wrong float rule must be caught too
    def wrong_mul_backward(out: Value) -> None:
        a, b = out.parents
        a.grad += out.grad * 123.0
        b.grad += out.grad * a.data

    monkeypatch.setattr(engine.ops.OPS["mul"], "backward", wrong_mul_backward)
    with pytest.raises(GradcheckError, match="MISMATCH"):
        gradcheck(lambda x, y: x * y, [2.0, 3.0])


def test_gradcheck_restores_the_grads_of_interior_values_it_reaches() -> None:
    w = Value(0.7)
    h = w * 2.0  # an interior node the caller built, reached by f's graph
    h.grad, w.grad = 3.0, 5.0
    assert gradcheck(lambda x: (h * x).tanh(), [0.3])
    assert (h.grad, w.grad) == (3.0, 5.0)
