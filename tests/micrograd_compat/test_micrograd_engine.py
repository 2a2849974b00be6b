"""engine.micrograd.Value against micrograd's Value (and PyTorch, as micrograd's own tests check it): the same
programs, with only the Value class changed, give the same data and gradients."""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

import engine
from engine.micrograd import Value


def close(ours: float, theirs: float, rel: float = 1e-12) -> bool:
    return math.isclose(ours, theirs, rel_tol=rel, abs_tol=rel)


def readme_example(V: Any) -> tuple[Any, Any, Any]:
    """The expression of micrograd's README, written against a Value class `V`: returns a, b and g."""
    a = V(-4.0)
    b = V(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return a, b, g


def test_micrograds_readme_example_prints_its_numbers(micrograd_api: SimpleNamespace) -> None:
    results = []
    for api in (micrograd_api, SimpleNamespace(Value=Value)):
        a, b, g = readme_example(api.Value)
        g.backward()
        results.append((g.data, a.grad, b.grad))
    (g, da, db), (g_mg, da_mg, db_mg) = results
    assert (f"{g:.4f}", f"{da:.4f}", f"{db:.4f}") == ("24.7041", "138.8338", "645.5773")  # as its README prints
    assert close(g, g_mg) and close(da, da_mg) and close(db, db_mg)


# One op at a time, each operand order and kind micrograd has: Value with Value, Value with a number, number first.
OPS: dict[str, Callable[[Any, Any], Any]] = {
    "a + b": lambda a, b: a + b,
    "a + 1.5": lambda a, b: a + 1.5,
    "1.5 + a": lambda a, b: 1.5 + a,
    "a - b": lambda a, b: a - b,
    "a - 1.5": lambda a, b: a - 1.5,
    "1.5 - a": lambda a, b: 1.5 - a,
    "a * b": lambda a, b: a * b,
    "a * -2": lambda a, b: a * -2,
    "3 * a": lambda a, b: 3 * a,
    "a / b": lambda a, b: a / b,
    "a / 3.0": lambda a, b: a / 3.0,
    "3.0 / a": lambda a, b: 3.0 / a,
    "-a": lambda a, b: -a,
    "a ** 2": lambda a, b: a**2,
    "a ** -3": lambda a, b: a**-3,
    "b ** 0.5": lambda a, b: b**0.5,
    "relu(a)": lambda a, b: a.relu(),
    "relu(b)": lambda a, b: b.relu(),
    "a * a + a": lambda a, b: a * a + a,
    "sum([a, b, a])": lambda a, b: sum([a, b, a]),
}


@pytest.mark.parametrize("name", list(OPS))
@pytest.mark.parametrize(("x", "y"), [(-1.7, 2.3), (0.4, 5.0)])
def test_each_op_gives_micrograds_data_and_gradients(
    micrograd_api: SimpleNamespace, name: str, x: float, y: float
) -> None:
    found = []
    for V in (micrograd_api.Value, Value):
        a, b = V(x), V(y)
        out = OPS[name](a, b)
        out.backward()
        found.append((out.data, a.grad, b.grad))
    ours, theirs = found
    assert all(close(o, t) for o, t in zip(ours, theirs)), (ours, theirs)


def test_backward_twice_gives_each_leaf_twice_its_gradient_as_torch(micrograd_api: SimpleNamespace) -> None:
    """The one documented difference in backward: micrograd's inner nodes keep their gradients between calls."""
    grads = []
    for V in (Value, micrograd_api.Value):
        a, b, c = V(2.0), V(-3.0), V(10.0)
        out = a * b + c
        out.backward()
        out.backward()
        grads.append((a.grad, b.grad, c.grad))
    assert grads[0] == (-6.0, 4.0, 2.0)
    assert grads[1] != grads[0]


# ------------------------------------------------------------ micrograd's test/test_engine.py, against PyTorch


def test_sanity_check(torch: ModuleType) -> None:
    """micrograd's first engine test: relu, products and sums of one input, value and gradient against torch."""

    def program(x: Any) -> Any:
        z = 2 * x + 2 + x
        q = z.relu() + z * x
        h = (z * z).relu()
        return h + q + q * x

    x = Value(-4.0)
    y = program(x)
    y.backward()
    xt = torch.tensor([-4.0], requires_grad=True)
    yt = program(xt)
    yt.backward()
    assert type(y) is engine.Value
    assert y.data == yt.data.item() and x.grad == xt.grad.item()


def test_more_ops(torch: ModuleType) -> None:
    """micrograd's second engine test: its README expression, value and both gradients against torch to 1e-6."""
    a, b, g = readme_example(Value)
    g.backward()
    at, bt, gt = readme_example(lambda x: torch.tensor([x], requires_grad=True))
    gt.backward()
    tol = 1e-6
    assert abs(g.data - gt.data.item()) < tol
    assert abs(a.grad - at.grad.item()) < tol
    assert abs(b.grad - bt.grad.item()) < tol
