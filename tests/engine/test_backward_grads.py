"""`backward()` is all or nothing whatever the leaves' `.grad` hold: None counts as 0.0 (PyTorch's habit of
`p.grad = None`), an int as its float, anything else is refused before any `.grad` changes."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine import Value


def mlp_graph(seed: int) -> tuple[Value, list[Value], list[Value]]:
    """A 2-8-8-1 relu MLP's hinge loss over 4 points, as nn.MLP builds it: (loss, parameters, every node)."""
    rng = random.Random(seed)
    sizes = [2, 8, 8, 1]
    layers = [[([Value(rng.uniform(-1, 1)) for _ in range(nin)], Value(0.0)) for _ in range(nout)]
              for nin, nout in zip(sizes, sizes[1:])]  # fmt: skip
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]
    losses = []
    for x, y in (([0.5, -1.0], 1.0), ([1.5, 0.2], -1.0), ([-0.3, 0.8], 1.0), ([0.0, 0.0], -1.0)):
        h = [Value(v) for v in x]
        for i, layer in enumerate(layers):
            h = [engine.dot(ws, h, b) for ws, b in layer]
            h = [v.relu() for v in h] if i < len(layers) - 1 else h
        losses.append((1 - y * h[0]).relu())
    loss = engine.sum(losses) * 0.25 + engine.sum([p * p for p in params]) * 1e-4
    return loss, params, [loss, *engine.backward_order(loss)]


def grads(values: list[Value]) -> list[Any]:
    return [v.grad for v in values]


@given(seed=st.integers(0, 2**16), nones=st.sets(st.integers(0, 104), max_size=20), start=st.floats(-2, 2))
def test_a_none_grad_counts_as_zero(seed: int, nones: set[int], start: float) -> None:
    loss, params, _ = mlp_graph(seed)
    expected_loss, expected_params, _ = mlp_graph(seed)
    for i, (p, q) in enumerate(zip(params, expected_params)):
        p.grad = None if i in nones else start  # type: ignore[assignment]
        q.grad = 0.0 if i in nones else start
    loss.backward()
    expected_loss.backward()
    assert all(type(g) is float for g in grads(params))
    assert grads(params) == grads(expected_params)


def test_an_int_grad_as_micrograds_zero_grad_leaves_it_works_like_its_float() -> None:
    loss, params, _ = mlp_graph(1)
    expected_loss, expected_params, _ = mlp_graph(1)
    for p, q in zip(params, expected_params):
        p.grad, q.grad = 0, 0.0
    loss.backward()
    expected_loss.backward()
    assert grads(params) == grads(expected_params) and all(type(g) is float for g in grads(params))


def test_a_leaf_root_with_a_none_grad_gets_the_seed() -> None:
    v = Value(3.0)
    v.grad = None  # type: ignore[assignment]
    v.backward(2.5)
    assert v.grad == 2.5


BAD_GRADS = ["0.5", [1.0], 1 + 2j, True, object()]


@pytest.mark.parametrize("bad", BAD_GRADS, ids=[type(b).__name__ for b in BAD_GRADS])
@pytest.mark.parametrize("where", [0, 5, 57, 104])
def test_a_bad_grad_anywhere_changes_nothing(bad: object, where: int) -> None:
    loss, params, nodes = mlp_graph(2)
    loss.backward()  # every node holds a gradient now, so a half-done pass would show
    params[3].grad = None  # type: ignore[assignment]  # a None is not made 0.0 by a refused pass either
    params[where].grad = bad  # type: ignore[assignment]
    before = grads(params + nodes)
    with pytest.raises(TypeError, match=rf"has a \.grad of type {type(bad).__name__}; set it to a number or None"):
        loss.backward()
    assert grads(params + nodes) == before


def test_a_raising_custom_op_puts_none_grads_back() -> None:
    boom = engine.op("boom", lambda x: x, lambda x, out: 1.0 / 0.0)
    loss, params, nodes = mlp_graph(3)
    out = boom(loss) + params[0]
    for p in params[::2]:
        p.grad = None  # type: ignore[assignment]
    before = grads(params + nodes)
    with pytest.raises(ZeroDivisionError, match="op 'boom': derivative raised"):
        out.backward()
    assert grads(params + nodes) == before and params[0].grad is None


def test_a_later_backward_after_a_refused_one_is_the_backward_that_would_have_run() -> None:
    loss, params, _ = mlp_graph(4)
    clean_loss, clean_params, _ = mlp_graph(4)
    params[7].grad = "oops"  # type: ignore[assignment]
    with pytest.raises(TypeError):
        loss.backward()
    params[7].grad = 0.0
    loss.backward()
    clean_loss.backward()
    assert grads(params) == grads(clean_params)
