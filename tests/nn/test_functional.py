"""nn.functional: values and gradients against hand computation and torch.nn.functional; input checks."""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from engine import Value
from nn import functional as F

TOL = {"rel": 1e-9, "abs": 1e-12}
finite = st.floats(-10, 10, allow_nan=False)
reductions = st.sampled_from(["mean", "sum", "none"])


def leaves(data: Any) -> Any:
    """Nested lists of floats as the same nesting of leaf Values."""
    return Value(data) if isinstance(data, float | int) else [leaves(x) for x in data]


def flat(x: Any) -> list[Any]:
    return [x] if not isinstance(x, list) else [v for item in x for v in flat(item)]


def backward_weighted(out: Value | list[Value]) -> list[float]:
    """Backpropagate Σ c_i out_i with distinct c_i (so every output of a list is checked); return the outputs."""
    outs = out if isinstance(out, list) else [out]
    total = Value(0.0)
    for i, o in enumerate(outs):
        total = total + o * (1.0 + 0.25 * i)
    total.backward()
    return [o.data for o in outs]


def torch_weighted(torch: ModuleType, out: Any) -> list[float]:
    out = out.reshape(-1)
    coef = torch.tensor([1.0 + 0.25 * i for i in range(out.numel())])
    (out * coef).sum().backward()
    return out.tolist()


def compare(torch: ModuleType, ours: Callable[[Any], Any], theirs: Callable[[Any], Any], data: Any) -> None:
    """Outputs and input gradients of `ours` on Values and `theirs` on a float64 tensor agree to 1e-9."""
    xs = leaves(data)
    got = backward_weighted(ours(xs))
    t = torch.tensor(data, requires_grad=True)
    want = torch_weighted(torch, theirs(t))
    assert got == pytest.approx(want, **TOL)
    assert [v.grad for v in flat(xs)] == pytest.approx(t.grad.reshape(-1).tolist(), **TOL)


def probability_rows(rows: int, classes: int) -> st.SearchStrategy[list[list[float]]]:
    row = st.lists(st.floats(0.0, 1.0), min_size=classes, max_size=classes).filter(lambda r: sum(r) > 0.1)
    return st.lists(row.map(lambda r: [x / math.fsum(r) for x in r]), min_size=rows, max_size=rows)


# ------------------------------------------------------------------ softmax and log_softmax


def test_softmax_and_log_softmax_by_hand() -> None:
    e = [math.exp(1.0), math.exp(2.0), math.exp(3.0)]
    assert [v.data for v in F.softmax([1.0, 2.0, 3.0])] == pytest.approx([x / sum(e) for x in e], rel=1e-15)
    assert [v.data for v in F.log_softmax([1.0, 2.0, 3.0])] == pytest.approx(
        [x - math.log(sum(e)) for x in (1.0, 2.0, 3.0)], rel=1e-15
    )


def test_log_softmax_is_finite_for_huge_logits(torch: ModuleType) -> None:
    got = [v.data for v in F.log_softmax([1000.0, -1000.0, 3.0])]
    assert got == pytest.approx([0.0, -2000.0, -997.0], abs=1e-12)
    assert got == pytest.approx(torch.log_softmax(torch.tensor([1000.0, -1000.0, 3.0]), 0).tolist(), **TOL)
    assert [v.data for v in F.softmax([1000.0, -1000.0, 3.0])] == pytest.approx([1.0, 0.0, 0.0], abs=1e-300)
    loss = F.cross_entropy([1000.0, -1000.0, 3.0], 1)
    assert isinstance(loss, Value) and loss.data == pytest.approx(2000.0)


@given(st.lists(finite, min_size=1, max_size=6))
def test_softmax_matches_torch(torch: ModuleType, logits: list[float]) -> None:
    compare(torch, F.softmax, lambda t: torch.softmax(t, 0), logits)


@given(st.lists(st.floats(-500, 500), min_size=1, max_size=6))
def test_log_softmax_matches_torch(torch: ModuleType, logits: list[float]) -> None:
    compare(torch, F.log_softmax, lambda t: torch.log_softmax(t, 0), logits)


def test_softmax_uses_the_max_as_a_constant_not_a_node() -> None:
    xs = leaves([1.0, 5.0, 2.0])
    out = F.softmax(xs)[0]
    out.backward()
    # Had the max been a Value node, x[1] would get an extra path; the softmax Jacobian row sums to 0.
    assert sum(v.grad for v in xs) == pytest.approx(0.0, abs=1e-15)


# ------------------------------------------------------------------ mse


def test_mse_by_hand() -> None:
    assert F.mse_loss([1.0, 2.0, 4.0], [0.0, 2.0, 1.0]).data == pytest.approx((1 + 0 + 9) / 3)  # type: ignore[union-attr]
    assert F.mse_loss([1.0, 2.0, 4.0], [0.0, 2.0, 1.0], reduction="sum").data == 10.0  # type: ignore[union-attr]
    assert [v.data for v in F.mse_loss([1.0, 2.0], [0.0, 0.5], reduction="none")] == [1.0, 2.25]  # type: ignore[union-attr]
    p = Value(3.0)
    loss = F.mse_loss(p, 1.0)
    assert isinstance(loss, Value) and loss.data == 4.0
    loss.backward()
    assert p.grad == 4.0  # d/dp (p - 1)² = 2 (p - 1)


@given(
    st.integers(1, 3).flatmap(
        lambda n: st.tuples(
            st.lists(st.lists(finite, min_size=2, max_size=2), min_size=n, max_size=n),
            st.lists(st.lists(finite, min_size=2, max_size=2), min_size=n, max_size=n),
        )
    ),
    reductions,
)
def test_mse_matches_torch_on_nested_batches(
    torch: ModuleType, pair: tuple[list[list[float]], list[list[float]]], reduction: str
) -> None:
    pred, target = pair
    compare(
        torch,
        lambda xs: F.mse_loss(xs, target, reduction=reduction),
        lambda t: torch.nn.functional.mse_loss(t, torch.tensor(target), reduction=reduction),
        pred,
    )


def test_mse_gradient_reaches_a_value_target() -> None:
    p, t = Value(2.0), Value(5.0)
    F.mse_loss(p, t).backward()  # type: ignore[union-attr]
    assert (p.grad, t.grad) == (-6.0, 6.0)


# ------------------------------------------------------------------ cross-entropy


def test_cross_entropy_by_hand() -> None:
    logits = [1.0, 2.0, 3.0]
    log_z = math.log(math.exp(1) + math.exp(2) + math.exp(3))
    assert F.cross_entropy(logits, 0).data == pytest.approx(log_z - 1.0, rel=1e-15)  # type: ignore[union-attr]
    soft = F.cross_entropy(logits, [0.25, 0.0, 0.75])
    assert soft.data == pytest.approx(0.25 * (log_z - 1.0) + 0.75 * (log_z - 3.0), rel=1e-15)  # type: ignore[union-attr]
    batch = F.cross_entropy([logits, [0.0, 0.0, 0.0]], [2, 1])
    assert batch.data == pytest.approx(((log_z - 3.0) + math.log(3.0)) / 2, rel=1e-15)  # type: ignore[union-attr]


@given(
    st.integers(1, 4).flatmap(
        lambda c: st.tuples(
            st.lists(st.lists(finite, min_size=c, max_size=c), min_size=1, max_size=3), st.integers(0, c - 1)
        )
    ),
    reductions,
)
def test_cross_entropy_with_class_indices_matches_torch(
    torch: ModuleType, batch: tuple[list[list[float]], int], reduction: str
) -> None:
    logits, first = batch
    classes = len(logits[0])
    target = [(first + i) % classes for i in range(len(logits))]
    compare(
        torch,
        lambda xs: F.cross_entropy(xs, target, reduction=reduction),
        lambda t: torch.nn.functional.cross_entropy(t, torch.tensor(target), reduction=reduction),
        logits,
    )


@given(
    st.tuples(st.integers(1, 3), st.integers(1, 4)).flatmap(
        lambda nc: st.tuples(
            st.lists(st.lists(finite, min_size=nc[1], max_size=nc[1]), min_size=nc[0], max_size=nc[0]),
            probability_rows(*nc),
        )
    ),
    reductions,
)
def test_cross_entropy_with_probabilities_matches_torch(
    torch: ModuleType, batch: tuple[list[list[float]], list[list[float]]], reduction: str
) -> None:
    logits, target = batch
    compare(
        torch,
        lambda xs: F.cross_entropy(xs, target, reduction=reduction),
        lambda t: torch.nn.functional.cross_entropy(t, torch.tensor(target), reduction=reduction),
        logits,
    )


@given(st.lists(finite, min_size=2, max_size=5), st.integers(0, 4))
def test_single_sample_cross_entropy_matches_torch(torch: ModuleType, logits: list[float], k: int) -> None:
    k %= len(logits)
    compare(
        torch,
        lambda xs: F.cross_entropy(xs, k),
        lambda t: torch.nn.functional.cross_entropy(t, torch.tensor(k)),
        logits,
    )


# ------------------------------------------------------------------ binary cross-entropy and hinge


def test_binary_cross_entropy_by_hand() -> None:
    assert F.binary_cross_entropy(0.8, 1.0).data == pytest.approx(-math.log(0.8), rel=1e-15)  # type: ignore[union-attr]
    loss = F.binary_cross_entropy([0.8, 0.3], [0.0, 0.5])
    want = (-math.log(0.2) - 0.5 * (math.log(0.3) + math.log(0.7))) / 2
    assert loss.data == pytest.approx(want, rel=1e-15)  # type: ignore[union-attr]


def test_binary_cross_entropy_clamps_the_log_at_minus_100_as_torch(torch: ModuleType) -> None:
    got = F.binary_cross_entropy([0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0], reduction="none")
    want = torch.nn.functional.binary_cross_entropy(
        torch.tensor([0.0, 1.0, 0.0, 1.0]), torch.tensor([1.0, 0.0, 0.0, 1.0]), reduction="none"
    )
    assert [v.data for v in got] == want.tolist() == [100.0, 100.0, 0.0, 0.0]  # type: ignore[union-attr]


@pytest.mark.parametrize("p", [0.0, 1e-20, 1.0 - 1e-16, 1.0])
@pytest.mark.parametrize("y", [0.0, 0.3, 1.0])
def test_binary_cross_entropy_matches_torch_at_the_edges(torch: ModuleType, p: float, y: float) -> None:
    # torch clamps each log at -100 and the gradient's denominator p(1 - p) at 1e-12.
    x = Value(p)
    loss = F.binary_cross_entropy(x, y)
    loss.backward()  # type: ignore[union-attr]
    t = torch.tensor(p, requires_grad=True)
    want = torch.nn.functional.binary_cross_entropy(t, torch.tensor(y))
    want.backward()
    assert loss.data == pytest.approx(want.item(), rel=1e-12)  # type: ignore[union-attr]
    assert x.grad == pytest.approx(t.grad.item(), rel=1e-12)


@given(
    st.lists(st.tuples(st.floats(0.01, 0.99), st.floats(0.0, 1.0)), min_size=1, max_size=5),
    reductions,
)
def test_binary_cross_entropy_matches_torch(
    torch: ModuleType, pairs: list[tuple[float, float]], reduction: str
) -> None:
    p, y = [a for a, _ in pairs], [b for _, b in pairs]
    compare(
        torch,
        lambda xs: F.binary_cross_entropy(xs, y, reduction=reduction),
        lambda t: torch.nn.functional.binary_cross_entropy(t, torch.tensor(y), reduction=reduction),
        p,
    )


@given(
    st.lists(st.tuples(st.floats(-800, 800), st.floats(0.0, 1.0)), min_size=1, max_size=5),
    reductions,
)
def test_binary_cross_entropy_with_logits_matches_torch(
    torch: ModuleType, pairs: list[tuple[float, float]], reduction: str
) -> None:
    z, y = [a for a, _ in pairs], [b for _, b in pairs]
    compare(
        torch,
        lambda xs: F.binary_cross_entropy_with_logits(xs, y, reduction=reduction),
        lambda t: torch.nn.functional.binary_cross_entropy_with_logits(t, torch.tensor(y), reduction=reduction),
        z,
    )


def test_binary_cross_entropy_with_logits_is_finite_for_huge_logits() -> None:
    got = F.binary_cross_entropy_with_logits([1000.0, -1000.0, 1000.0, -1000.0], [0.0, 1.0, 1.0, 0.0], "none")
    assert [v.data for v in got] == [1000.0, 1000.0, 0.0, 0.0]  # type: ignore[union-attr]
    z = Value(-1000.0)
    F.binary_cross_entropy_with_logits(z, 1.0).backward()  # type: ignore[union-attr]
    assert z.grad == -1.0  # sigmoid(z) - y


def test_hinge_loss_is_micrographs_max_margin_loss() -> None:
    scores, ys = [0.5, -2.0, 0.3, 2.0], [1.0, -1.0, -1.0, -1.0]
    # micrograd's demo: mean of relu(1 - y * score)
    want = (0.5 + 0.0 + 1.3 + 3.0) / 4
    assert F.hinge_loss(scores, ys).data == pytest.approx(want, rel=1e-15)  # type: ignore[union-attr]


@given(st.lists(st.tuples(finite, st.sampled_from([-1, 1])), min_size=1, max_size=6), reductions)
def test_hinge_loss_matches_torch(torch: ModuleType, pairs: list[tuple[float, int]], reduction: str) -> None:
    s, y = [a for a, _ in pairs], [b for _, b in pairs]

    def theirs(t: Any) -> Any:
        per = torch.relu(1.0 - torch.tensor(y, dtype=torch.float64) * t)
        return {"mean": per.mean, "sum": per.sum, "none": lambda: per}[reduction]()

    compare(torch, lambda xs: F.hinge_loss(xs, y, reduction=reduction), theirs, s)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: F.mse_loss([1.0, 2.0], [1.0]), ValueError, "prediction has 2 items but target has 1"),
        (lambda: F.mse_loss(1.0, [1.0]), ValueError, "prediction is a scalar but target is a list"),
        (lambda: F.mse_loss([1.0], [1.0], reduction="avg"), ValueError, "unknown reduction 'avg'"),
        (lambda: F.mse_loss(["a"], [1.0]), TypeError, r"mse_loss\(pred\) must be a number, got str"),
        (lambda: F.mse_loss([math.nan], [1.0]), ValueError, r"mse_loss\(pred\) must be a finite number, got nan"),
        (lambda: F.mse_loss([1.0], [Value(math.nan)]), ValueError, r"mse_loss\(target\): expected a finite value"),
        (lambda: F.mse_loss([1.0], [Value(math.inf)]), ValueError, r"mse_loss\(target\): expected a finite value"),
        (lambda: F.softmax([]), ValueError, "softmax: empty list"),
        (lambda: F.softmax(3.0), TypeError, "softmax: expected a list"),
        (lambda: F.cross_entropy([1.0, 2.0], 2), ValueError, "class index 2 out of range for 2 classes"),
        (lambda: F.cross_entropy([1.0, 2.0], -1), ValueError, "class index -1 out of range"),
        (lambda: F.cross_entropy([1.0, 2.0], 1.0), TypeError, "expected a class index or a list of probabilities"),
        (lambda: F.cross_entropy([1.0, 2.0], [0.5, 0.6]), ValueError, "probabilities sum to 1.1"),
        (lambda: F.cross_entropy([1.0, 2.0], [1.5, -0.5]), ValueError, r"\[0\]: probability 1.5 outside \[0, 1\]"),
        (lambda: F.cross_entropy([1.0, 2.0], [1.0]), ValueError, "1 probabilities for 2 classes"),
        (lambda: F.cross_entropy([[1.0, 2.0]], [0, 1]), ValueError, "batch of 1 logit lists but target is 2"),
        (lambda: F.cross_entropy([[1.0, 2.0], [1.0, 2.0]], [0, 5]), ValueError, r"target\[1\]\): class index 5"),
        (lambda: F.cross_entropy([1.0, 2.0], 0, reduction="max"), ValueError, "unknown reduction 'max'"),
        (lambda: F.binary_cross_entropy([1.2], [1.0]), ValueError, "input item 0 is 1.2, a probability must be in"),
        (lambda: F.binary_cross_entropy([0.5, -0.1], [1.0, 0.0]), ValueError, "input item 1 is -0.1"),
        (lambda: F.binary_cross_entropy([0.5], [2.0]), ValueError, r"target item 0 is 2.0, outside \[0, 1\]"),
        (lambda: F.binary_cross_entropy_with_logits([5.0], [-1.0]), ValueError, "target item 0 is -1.0"),
        (lambda: F.binary_cross_entropy_with_logits([5.0, 1.0], [1.0]), ValueError, "prediction has 2 items"),
        (lambda: F.hinge_loss([0.5], [0.0]), ValueError, "labels must be -1 or \\+1"),
        (lambda: F.hinge_loss([0.5], [1], reduction="all"), ValueError, "unknown reduction 'all'"),
    ],
)
def test_bad_input_raises_a_clear_error(call: Callable[[], object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_losses_are_exported_from_nn() -> None:
    assert nn.cross_entropy is F.cross_entropy and nn.functional is F
    assert {"softmax", "log_softmax", "mse_loss", "binary_cross_entropy", "hinge_loss"} <= set(nn.__all__)
