"""Check backward rules against central differences: `gradcheck` (first) and `gradgradcheck` (second derivatives).

Both follow `torch.autograd.gradcheck`: an analytic value `a` passes against the numeric estimate `n` when
|a - n| <= atol + rtol * |n|. Each call builds its own leaf Values from the numbers it is given. `gradcheck`
runs `backward()` (the float rules training uses) and `engine.grad` (the Value-op rules behind create_graph)
and checks both; it restores every `.grad` that backward touched, so nothing the caller owns changes.
`f` always runs with the graph recorded, also inside `no_grad()`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from engine.autograd import backward_order, grad
from engine.grad_mode import enable_grad
from engine.value import Value, as_float

Function = Callable[..., Value]


class GradcheckError(AssertionError):
    """Gradients disagree with finite differences, or something on the way is NaN/inf."""


@dataclass(frozen=True)
class _Tolerance:
    eps: float
    atol: float
    rtol: float

    def close(self, analytic: float, numeric: float) -> bool:
        return abs(analytic - numeric) <= self.atol + self.rtol * abs(numeric)


@dataclass(frozen=True)
class _Row:
    label: str
    analytic: float
    numeric: float


def _tolerance(where: str, eps: float, atol: float, rtol: float) -> _Tolerance:
    tol = _Tolerance(as_float(eps, f"{where}(eps)"), as_float(atol, f"{where}(atol)"), as_float(rtol, f"{where}(rtol)"))
    if not (math.isfinite(tol.eps) and tol.eps > 0.0):
        raise ValueError(f"{where}: eps must be a positive finite number, got {eps!r}")
    for name, x in (("atol", tol.atol), ("rtol", tol.rtol)):
        if not (math.isfinite(x) and x >= 0.0):
            raise ValueError(f"{where}: {name} must be a finite number >= 0, got {x!r}")
    return tol


def _points(where: str, f: object, inputs: object) -> list[float]:
    """The inputs as floats, after checking that `f` is callable and each input a finite number."""
    if not callable(f):
        raise TypeError(f"{where}: f must be callable, got {type(f).__name__}")
    if isinstance(inputs, str | bytes) or not isinstance(inputs, Sequence):
        raise TypeError(f"{where}: inputs must be a list or tuple of numbers, got {type(inputs).__name__}")
    if len(inputs) == 0:
        raise ValueError(f"{where}: inputs is empty, there is nothing to differentiate")
    xs = []
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            raise TypeError(f"{where}: inputs[{i}] is a Value; pass numbers (its .data), {where} makes its own leaves")
        v = as_float(x, f"{where}: inputs[{i}]")
        if not math.isfinite(v):
            raise ValueError(f"{where}: inputs[{i}] must be finite, got {v!r}")
        xs.append(v)
    return xs


def _call(where: str, f: Function, xs: Sequence[float], moved: str = "") -> tuple[Value, list[Value]]:
    """f on fresh leaves x0, x1, ... holding `xs`; `moved` names the perturbation when there is one."""
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    at = f" with {moved}" if moved else ""
    try:
        with enable_grad():  # under the caller's no_grad() there would be no graph to check
            out = f(*leaves)
    except (ArithmeticError, ValueError) as exc:
        if not moved:
            raise
        raise GradcheckError(f"{where}: f raised {exc!r}{at}; the input is within eps of a domain boundary") from exc
    if not isinstance(out, Value):
        raise TypeError(f"{where}: f must return a Value, got {type(out).__name__}{at}")
    if not math.isfinite(out.data):
        raise GradcheckError(f"{where}: f returned the non-finite {out.data!r}{at} (inputs {list(xs)})")
    return out, leaves


def _first_derivatives(where: str, f: Function, xs: Sequence[float], moved: str = "") -> list[float]:
    out, leaves = _call(where, f, xs, moved)
    return [g.data for g in grad(out, leaves)]


def _backward_derivatives(out: Value, leaves: Sequence[Value]) -> list[float]:
    """d out / d leaf from `out.backward()`, putting back every `.grad` it touched (f may use the caller's Values)."""
    touched = {v: v.grad for node in backward_order(out) for v in (node, *node.parents)}
    touched.update({v: v.grad for v in leaves})
    for v in leaves:
        v.grad = 0.0
    try:
        out.backward()
        return [v.grad for v in leaves]
    finally:
        for v, g in touched.items():
            v.grad = g


def _shifted(xs: Sequence[float], j: int, step: float) -> list[float]:
    ys = list(xs)
    ys[j] += step
    return ys


def _report(where: str, tol: _Tolerance, rows: Sequence[_Row]) -> None:
    """Raise GradcheckError listing every row, the failing ones marked, when any row fails."""
    marks = []
    for r in rows:
        if not (math.isfinite(r.analytic) and math.isfinite(r.numeric)):
            marks.append("  <-- NOT FINITE")
        else:
            marks.append("" if tol.close(r.analytic, r.numeric) else "  <-- MISMATCH")
    if not any(marks):
        return
    # Each column as wide as its widest entry and 6 significant digits, so a lesson's table fits a notebook's
    # 70-character output line (JupyterLab breaks a longer one inside a number).
    table = [["", "analytic", "numeric", "|difference|"]]
    table += [[r.label, f"{r.analytic:.6g}", f"{r.numeric:.6g}", f"{abs(r.analytic - r.numeric):.3g}"] for r in rows]
    widths = [max(len(row[k]) for row in table) for k in range(4)]
    lines = [
        f"{where}: analytic and numeric derivatives disagree",
        f"(central differences, eps={tol.eps:g}; a row passes when",
        f"|analytic - numeric| <= {tol.atol:g} + {tol.rtol:g}*|numeric|)",
    ]
    for (label, *numbers), mark in zip(table, ["", *marks]):
        cells = [label.ljust(widths[0])] + [n.rjust(w) for n, w in zip(numbers, widths[1:])]
        lines.append(("  " + "  ".join(cells) + mark).rstrip())
    raise GradcheckError("\n".join(lines))


def gradcheck(
    f: Function, inputs: Sequence[float], eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3
) -> bool:
    """Check d f / d input_i from `backward()` and from `engine.grad` against central differences at `inputs`.

    `f` takes one Value per input and returns a Value. Returns True, or raises GradcheckError listing each
    input with its analytic and numeric derivative (the failing ones marked; a row for `engine.grad` appears
    where it disagrees with backward); TypeError/ValueError for bad arguments (f not returning a Value,
    non-number or non-finite inputs).
    """
    xs = _points("gradcheck", f, inputs)
    tol = _tolerance("gradcheck", eps, atol, rtol)
    out, leaves = _call("gradcheck", f, xs)
    by_backward = _backward_derivatives(out, leaves)
    by_grad = [g.data for g in grad(out, leaves)]
    rows = []
    for i, x in enumerate(xs):
        hi, _ = _call("gradcheck", f, _shifted(xs, i, tol.eps), f"x{i} + eps")
        lo, _ = _call("gradcheck", f, _shifted(xs, i, -tol.eps), f"x{i} - eps")
        numeric = (hi.data - lo.data) / (2.0 * tol.eps)
        rows.append(_Row(f"x{i} = {x:.6g}", by_backward[i], numeric))
        if not tol.close(by_grad[i], by_backward[i]):
            rows.append(_Row(f"x{i} by engine.grad", by_grad[i], numeric))
    _report("gradcheck", tol, rows)
    return True


def gradgradcheck(
    f: Function, inputs: Sequence[float], eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3
) -> bool:
    """Check second derivatives d/dx_j (df/dx_i) from `engine.grad(..., create_graph=True)` against central
    differences of the first derivatives, for every pair (i, j).

    The reference is the engine's own first derivatives, so run `gradcheck` as well. Returns True, or raises
    GradcheckError listing every pair (the failing ones marked); TypeError/ValueError for bad arguments.
    """
    xs = _points("gradgradcheck", f, inputs)
    tol = _tolerance("gradgradcheck", eps, atol, rtol)
    out, leaves = _call("gradgradcheck", f, xs)
    firsts = grad(out, leaves, create_graph=True)
    analytic = [[h.data for h in grad(g, leaves)] for g in firsts]
    # numeric[j][i] = d/dx_j of df/dx_i, from first derivatives at x -+ eps along x_j
    numeric = []
    for j in range(len(xs)):
        hi = _first_derivatives("gradgradcheck", f, _shifted(xs, j, tol.eps), f"x{j} + eps")
        lo = _first_derivatives("gradgradcheck", f, _shifted(xs, j, -tol.eps), f"x{j} - eps")
        numeric.append([(h - l) / (2.0 * tol.eps) for h, l in zip(hi, lo)])
    rows = [
        _Row(f"d/dx{j} df/dx{i}", analytic[i][j], numeric[j][i]) for i in range(len(xs)) for j in range(len(xs))
    ]
    _report("gradgradcheck", tol, rows)
    return True
