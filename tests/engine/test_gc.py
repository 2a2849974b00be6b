"""A discarded graph is freed by reference counting alone: it leaves nothing for the cyclic GC.

micrograd stores a closure per node that refers to the node itself, so every graph it builds is a
heap of reference cycles that lives until the cyclic GC runs (which is what makes its training slow).
The controls show that the measurement does find cycles where there are some.
"""

from __future__ import annotations

import gc
import math
import random
from collections.abc import Callable

import pytest

import engine
import nn
from engine import Value
from nn.data import make_moons


def cyclic_garbage(build: Callable[[], object]) -> int:
    """How many objects `build()` leaves that only the cyclic GC can free (GC off while it runs).

    `build` runs once before, so one-time work such as caches filled on first use is not counted.
    """
    build()
    gc.collect()
    gc.disable()
    try:
        build()
        return gc.collect()
    finally:
        gc.enable()


def mlp_training_step() -> int:
    """One full-batch step of micrograd's demo with nn.MLP; returns how many interior nodes its graph had."""
    xs, labels = make_moons(20, 0.1, seed=1)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    params = model.parameters()
    opt = nn.optim.SGD(params, lr=0.1)
    loss = nn.hinge_loss([model(x) for x in xs], [2.0 * c - 1.0 for c in labels])
    loss = loss + 1e-4 * engine.dot(params, params)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return len(engine.backward_order(loss))


def test_mlp_training_step_leaves_no_cyclic_garbage() -> None:
    assert mlp_training_step() > 1000  # a real graph, not a trivial one
    assert cyclic_garbage(mlp_training_step) == 0


def every_op_graph() -> None:
    """A graph using every built-in op and a custom op, then backward and a second derivative."""
    square = engine.op("square", lambda x: x * x, lambda x, out: 2.0 * x)
    a, b = Value(0.7), Value(1.3)
    terms = [
        a + b, a + 2, 2 + a, a - b, a - 2, 2 - a, -a, a * b, a * 2, a / b, a / 2, 2 / a,
        a**b, a**3, 2**a, a.exp(), a.log(), a.tanh(), a.sigmoid(), (a - 1).relu(), (a - 1).leaky_relu(0.1),
        engine.dot([a, b], [b, a], a), engine.max([a, b]), square(b),
    ]  # fmt: skip
    out = engine.sum(terms)
    out.backward()
    da, db = engine.grad(out, [a, b], create_graph=True)
    (da * db).backward()
    assert math.isfinite(a.grad) and math.isfinite(b.grad)


def test_every_op_and_second_derivatives_leave_no_cyclic_garbage() -> None:
    assert cyclic_garbage(every_op_graph) == 0


def conv_and_lstm_steps() -> None:
    rng = random.Random(0)
    cnn = nn.Sequential(nn.Conv2d(1, 2, 3, rng=rng), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Layer(8, 2, rng=rng))
    image = [[[rng.uniform(-1.0, 1.0) for _ in range(6)] for _ in range(6)]]
    lstm = nn.RNN(3, 4, cell="lstm", rng=rng)
    outputs, _ = lstm([[rng.uniform(-1.0, 1.0) for _ in range(3)] for _ in range(5)])
    loss = nn.functional.cross_entropy(cnn(image), 1) + engine.sum(outputs[-1])
    loss.backward()


def test_conv_and_lstm_graphs_leave_no_cyclic_garbage() -> None:
    assert cyclic_garbage(conv_and_lstm_steps) == 0


class SelfReferring:
    """An object that refers to itself, as each micrograd node does through its closure."""

    def __init__(self) -> None:
        self.me = self


def test_control_the_measurement_finds_a_reference_cycle() -> None:
    assert cyclic_garbage(SelfReferring) >= 1


def test_control_micrograd_leaves_its_graph_to_the_cyclic_gc() -> None:
    micrograd = pytest.importorskip("micrograd.engine", reason="micrograd (the bench extra) is not installed")
    nodes = 200

    def chain() -> None:
        out = micrograd.Value(1.0)
        for _ in range(nodes):
            out = out * 1.0001
        out.backward()

    assert cyclic_garbage(chain) >= nodes


@pytest.mark.parametrize(
    "make",
    [
        lambda: Value(1.0),
        lambda: Value(1.0) * 2,
        lambda: Value(1.0) * Value(2.0),
        lambda: Value(1.0).tanh(),
        lambda: engine.dot([Value(1.0)], [Value(2.0)], Value(0.5)),
        lambda: engine.sum([Value(1.0), Value(2.0)]),
    ],
    ids=["leaf", "mul_const", "mul", "tanh", "dot", "sum"],
)
def test_nodes_have_slots_and_no_per_node_dict(make: Callable[[], Value]) -> None:
    node = make()
    assert not hasattr(node, "__dict__")
    with pytest.raises(TypeError):
        vars(node)
    with pytest.raises(AttributeError):
        node.typo = 1.0  # type: ignore[attr-defined]
