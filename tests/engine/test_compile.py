"""engine.compile: every replay must give bit for bit what the ordinary graph gives, errors included."""

from __future__ import annotations

import math
import numbers
import random
import re
import struct
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
import nn
from engine import TraceChangedError, Value
from engine.compile import _INLINE, _NAMESPACE, MAX_TRACES, TraceEvictionWarning
from engine.op_record import make_node
from engine.ops import OPS
from engine.testing import expressions, values

Outcome = tuple[Any, ...]


def bits(x: float) -> bytes:
    return struct.pack("<d", x)  # tells 0.0 from -0.0, and NaNs apart


def outcome(step: Callable[[], float], params: Sequence[Value]) -> Outcome:
    """What a step leaves behind: its loss and every parameter's grad as bits, or the error it raised."""
    try:
        loss = step()
    except Exception as exc:  # the same error, message included, is what is compared
        return ("raised", type(exc), str(exc), [bits(p.grad) for p in params])
    return ("returned", bits(loss), [bits(p.grad) for p in params])


def graph_step(f: Callable[..., Value], *args: Any) -> float:
    """The uncompiled step compile() stands for, with float arguments as leaf Values as a user would pass them."""
    out = f(*_leaves(args))
    out.backward()
    return out.data


def _leaves(x: Any) -> Any:
    if isinstance(x, list | tuple):
        return type(x)(_leaves(item) for item in x)
    # As compile's arguments: a float (numpy's too) is data, an int is part of the trace's structure.
    return Value(x) if isinstance(x, numbers.Real) and not isinstance(x, numbers.Integral) else x


def assert_same_as_graph(
    g: Callable[..., float], f: Callable[..., Value], params: Sequence[Value], *args: Any
) -> Outcome:
    """Run the graph step and the compiled step from the same starting grads; both must leave the same bits.
    From 0, every rounding of every contribution shows; from 0.25, that leaves accumulate into what they hold."""
    for start in (0.0, 0.25):
        for p in params:
            p.grad = start
        expected = outcome(lambda: graph_step(f, *args), params)
        for p in params:
            p.grad = start
        got = outcome(lambda: g(*args), params)
        assert got == expected
    return got


def sgd(params: Sequence[Value], lr: float) -> None:
    for p in params:
        p.data -= lr * p.grad


# ---------------------------------------------------------------- models


def test_mlp_steps_are_bit_identical_as_an_optimiser_updates_the_parameters() -> None:
    model = nn.MLP(2, [8, 8, 1], seed=1)
    params = model.parameters()
    rng = random.Random(0)
    xs = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(12)]
    ys = [rng.choice((-1.0, 1.0)) for _ in xs]

    def f(xs: list[list[Value]]) -> Value:
        return nn.hinge_loss([model(x) for x in xs], ys) + 1e-4 * engine.dot(params, params)

    g = engine.compile(f, params)
    for _ in range(4):  # the first call traces, the others replay with the weights the update left
        assert_same_as_graph(g, f, params, xs)
        sgd(params, 0.5)
        xs = [[x0 + 0.1, x1 - 0.05] for x0, x1 in xs]  # new data, same structure
    assert g.traces_made == 1
    assert "def _replay(X, P):" in g.source and "dot" not in g.source  # float code, no op called


def binary_model(layers: list[list[tuple[list[Value], Value]]]) -> Callable[[list[Any]], Value]:
    def model(x: list[Any]) -> Value:
        for l, layer in enumerate(layers):
            x = [sum((wi * xi for wi, xi in zip(w, x)), b) for w, b in layer]
            x = [a.relu() for a in x] if l < len(layers) - 1 else x
        return x[0]

    return model


def test_micrograd_shaped_binary_op_graph() -> None:
    rng = random.Random(2)
    sizes = (2, 6, 6, 1)
    layers = [
        [([Value(rng.uniform(-1, 1)) for _ in range(n)], Value(0.0)) for _ in range(m)]
        for n, m in zip(sizes, sizes[1:])
    ]
    params = [p for layer in layers for w, b in layer for p in (*w, b)]
    model = binary_model(layers)

    def f(xs: list[list[Value]], ys: list[Value]) -> Value:
        losses = [(1 + -y * model(x)).relu() for x, y in zip(xs, ys)]
        return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)

    g = engine.compile(f, params)
    for _ in range(3):
        xs = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(10)]
        ys = [rng.choice((-1.0, 1.0)) for _ in xs]
        assert_same_as_graph(g, f, params, xs, ys)
        sgd(params, 0.3)
    assert g.traces_made == 1


def test_cnn_with_max_pooling_and_cross_entropy() -> None:
    rng = random.Random(3)
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, rng=rng), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Layer(8, 3, activation=None, rng=rng)
    )
    params = model.parameters()

    def f(images: list[Any], labels: list[int]) -> Value:
        return nn.functional.cross_entropy([model(image) for image in images], labels)

    g = engine.compile(f, params)
    labels = [0, 2, 1]
    for _ in range(3):  # new images each call: max pooling's winners and the relus change
        images = [[[[rng.uniform(-1, 1) for _ in range(6)] for _ in range(6)]] for _ in labels]
        assert_same_as_graph(g, f, params, images, labels)
        sgd(params, 0.1)
    assert g.traces_made == 1


def recurrent(cell: str, sizes: tuple[int, int, int], rng: random.Random) -> tuple[Any, Any, list[Value]]:
    """An RNN layer of `cell` (inputs, hidden) and a linear head (hidden -> outputs), and all their parameters."""
    rnn = nn.RNN(sizes[0], sizes[1], cell=cell, rng=rng)
    head = nn.Layer(sizes[1], sizes[2], activation=None, rng=rng)
    return rnn, head, rnn.parameters() + head.parameters()


def test_lstm() -> None:
    rng = random.Random(4)
    rnn, head, params = recurrent("lstm", (3, 4, 1), rng)

    def f(sequences: list[Any], targets: list[Any]) -> Value:
        return nn.functional.mse_loss([head(rnn(xs)[0][-1]) for xs in sequences], targets)

    g = engine.compile(f, params)
    for _ in range(3):
        sequences = [[[rng.uniform(-1, 1) for _ in range(3)] for _ in range(5)] for _ in range(2)]
        targets = [[rng.uniform(-1, 1)] for _ in sequences]
        assert_same_as_graph(g, f, params, sequences, targets)
        sgd(params, 0.1)


@given(expressions(n_inputs=2), values(), values(), values(), values())
def test_random_expressions(expr: Any, a: float, b: float, a2: float, b2: float) -> None:
    """x is an argument, w a parameter: the replay with new data and a new weight matches the graph, and a
    call that raises (an overflow, say) raises the same error from both."""
    w = Value(b)

    def f(x: Value) -> Value:
        return expr(x, w)

    g = engine.compile(f, [w])
    first = assert_same_as_graph(g, f, [w], a)
    w.data = b2
    assert_same_as_graph(g, f, [w], a2)
    assert g.traces_made == (1 if first[0] == "returned" else 0)


# ---------------------------------------------------------------- data-dependent ops


def test_relu_and_max_decide_anew_at_every_call() -> None:
    w = Value(1.5)

    def f(x: Value, y: Value) -> Value:
        return engine.max([(x * w).relu(), y * w, x + y]) * w

    g = engine.compile(f, [w])
    for x, y in [(2.0, 1.0), (-2.0, 1.0), (-2.0, -5.0), (0.0, 0.0), (math.nan, 1.0), (1.0, 3.0)]:
        assert_same_as_graph(g, f, [w], x, y)
    assert g.traces_made == 1


@pytest.mark.parametrize(
    ("op", "good", "bad", "error"),
    [
        (lambda x, w: w / x, 2.0, 0.0, ZeroDivisionError),
        (lambda x, w: 1.0 / (x * w), 2.0, 0.0, ZeroDivisionError),
        (lambda x, w: (x * w) ** -1.0, 2.0, 0.0, ZeroDivisionError),
        (lambda x, w: (x * w) ** 0.5, 2.0, -1.0, ValueError),
        (lambda x, w: (x + 1.0) ** w, 2.0, -3.0, ValueError),
        (lambda x, w: (x * w).log(), 2.0, 0.0, ValueError),
        (lambda x, w: (x * w).exp(), 2.0, 1000.0, OverflowError),
    ],
    ids=[
        "div",
        "rdiv",
        "pow_const to a negative power",
        "pow_const negative base",
        "pow Value exponent",
        "log",
        "exp overflow",
    ],
)
def test_domain_errors_at_replay_are_the_graphs(
    op: Callable[[Value, Value], Value], good: float, bad: float, error: type[Exception]
) -> None:
    w = Value(1.5)

    def f(x: Value) -> Value:
        return op(x, w)

    g = engine.compile(f, [w])
    assert_same_as_graph(g, f, [w], good)
    w.grad = 0.5
    with pytest.raises(error) as raised:
        g(bad)
    assert w.grad == 0.5, "a call that raises leaves the gradients as they were"
    with pytest.raises(error) as expected:
        graph_step(f, bad)
    assert str(raised.value) == str(expected.value)
    assert_same_as_graph(g, f, [w], good)  # and the trace still works afterwards
    assert g.traces_made == 1


# ---------------------------------------------------------------- traces


def test_a_new_argument_structure_makes_a_new_trace() -> None:
    w = Value(0.5)

    def f(xs: list[Value]) -> Value:
        return engine.sum([x * w for x in xs]).tanh()

    g = engine.compile(f, [w])
    assert_same_as_graph(g, f, [w], [1.0, 2.0])
    assert_same_as_graph(g, f, [w], [1.0, 2.0, 3.0])
    assert_same_as_graph(g, f, [w], (1.0, 2.0))  # a tuple is another structure than a list
    assert_same_as_graph(g, f, [w], [4.0, 5.0])
    assert g.traces_made == 3


def test_int_arguments_are_part_of_the_trace() -> None:
    w = [Value(0.1), Value(-0.2), Value(0.3)]

    def f(x: Value, label: int) -> Value:
        return nn.functional.cross_entropy([x * v for v in w], label)

    g = engine.compile(f, w)
    for label in (0, 2, 0, 1):
        assert_same_as_graph(g, f, w, 1.5, label)
    assert g.traces_made == 3


def branchy(w: Value) -> Callable[[Value], Value]:
    def f(x: Value) -> Value:
        y = x * w
        return y.tanh() if y.data > 0 else y * y  # control flow on data: invisible to a trace

    return f


def test_control_flow_on_data_is_replayed_as_traced() -> None:
    w = Value(2.0)
    g = engine.compile(branchy(w), [w])
    g(1.0)
    assert g(-1.0) == math.tanh(-2.0)  # the uncompiled step would give 4.0: the trace's branch was replayed


def test_check_every_catches_a_changed_structure() -> None:
    w = Value(2.0)
    f = branchy(w)
    g = engine.compile(f, [w], check_every=3)
    assert_same_as_graph(g, f, [w], 1.0)  # calls 1 (the trace) and 2 (a replay)
    w.grad = 0.0
    with pytest.raises(TraceChangedError, match="branches on a Value's data"):
        g(-1.0)  # the third call re-traces: y * y is not tanh(y)
    assert w.grad == 0.0, "nothing is added when the structure changed"
    assert_same_as_graph(g, f, [w], 3.0)  # calls 4 and 5 replay
    assert_same_as_graph(g, f, [w], 4.0)  # call 6 re-traces the same structure: no error, call 7 replays
    assert g.calls == 7 and g.traces_made == 1


# ---------------------------------------------------------------- bad input


def test_bad_arguments_name_what_is_wrong() -> None:
    w = Value(1.0)
    g = engine.compile(lambda x: x * w, [w])
    with pytest.raises(TypeError, match="argument 0 must be a number or a nested list of numbers, got str"):
        g("1.0")
    with pytest.raises(TypeError, match="got Value"):
        g(Value(1.0))
    with pytest.raises(TypeError, match="must be callable"):
        engine.compile(1, [w])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="params item 1 must be a Value, got float"):
        engine.compile(lambda x: x, [w, 1.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="params must be a list of Values"):
        engine.compile(lambda x: x, w)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="check_every must be >= 1"):
        engine.compile(lambda x: x, [w], check_every=0)
    with pytest.raises(TypeError, match="f must return a Value"):
        engine.compile(lambda x: 1.0, [w])(2.0)  # type: ignore[arg-type, return-value]


def test_custom_ops_replay_through_their_own_forward_and_derivative() -> None:
    calls: list[str] = []

    def forward(x: float, y: float) -> float:
        calls.append("forward")
        return x * x * y

    def derivative(x: Value, y: Value, out: Value) -> tuple[Value, Value]:
        calls.append("derivative")
        return 2.0 * x * y, x * x

    square_times = engine.op("square_times", forward, derivative)
    clipped = engine.op("clipped", lambda x: min(x, 1.0), lambda x, out: 1.0 if x.data < 1.0 else 0.0)
    w, v = Value(0.7), Value(-0.2)
    params = [w, v]

    def f(xs: list[float]) -> Value:
        return engine.sum([clipped(square_times(x * w, v) + x) for x in xs])

    g = engine.compile(f, params)
    for xs in ([0.5, -1.5], [2.0, 0.25], [-3.0, 0.0]):
        calls.clear()
        assert_same_as_graph(g, f, params, xs)
        sgd(params, 0.1)
        assert calls.count("forward") == 2 * 4  # per node, in the graph and in the replay, from both starts
    assert g.traces_made == 1


def test_a_custom_op_raising_in_the_replay_raises_as_the_graph_does() -> None:
    def derivative(x: Value, out: Value) -> float:
        if x.data > 1.0:
            raise ValueError("too big")
        return 1.0

    guarded = engine.op("guarded", lambda x: x, derivative)
    w = Value(1.0)
    f = lambda x: guarded(x * w)  # noqa: E731
    g = engine.compile(f, [w])
    assert_same_as_graph(g, f, [w], 0.5)
    outcome = assert_same_as_graph(g, f, [w], 2.0)
    assert outcome[:3] == ("raised", ValueError, "op 'guarded': derivative raised ValueError: too big")


def test_calls_from_several_threads_give_the_gradients_of_the_same_calls_in_turn() -> None:
    # The reproducer: MLP(2, [16, 16, 2]) on 100 moons, 2 threads x 30 calls, lost gradient.
    X, y = nn.data.make_moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 2], seed=0)
    params = model.parameters()
    f = lambda xs, ys: nn.functional.cross_entropy([model(x) for x in xs], ys)  # noqa: E731
    g = engine.compile(f, params)
    g(X, y)  # traced
    engine.zero_grad(params)
    for _ in range(60):
        g(X, y)
    in_turn = [bits(p.grad) for p in params]
    engine.zero_grad(params)
    threads = [threading.Thread(target=lambda: [g(X, y) for _ in range(30)]) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Each call adds the same gradient, so any order of the 60 calls gives these bits.
    assert [bits(p.grad) for p in params] == in_turn


def test_under_no_grad_a_compiled_call_raises_as_backward_does() -> None:
    w = Value(1.5)
    f = lambda x: w * x  # noqa: E731
    g = engine.compile(f, [w])
    g(3.0)  # traced
    w.grad = 0.0
    with engine.no_grad():
        with pytest.raises(RuntimeError, match="computed under no_grad"):
            (w * 3.0).backward()  # control: what the graph does
        with pytest.raises(RuntimeError, match="computed under no_grad"):
            g(3.0)
    assert w.grad == 0.0
    assert g(3.0) == 4.5 and w.grad == 3.0  # grad mode back on: the replay again


def test_bce_with_logits_traced_at_one_sign_replays_the_other() -> None:
    # The reproducer: traced at x = 0.3, replayed at x = -0.3, it gave 0.8543552444685272 against
    # 0.854355244468527 before the loss was written with ops instead of an `if` on the logit's sign.
    w = Value(1.0)
    f = lambda x: nn.functional.binary_cross_entropy_with_logits([x * w], [1.0])  # noqa: E731
    g = engine.compile(f, [w])
    for x in (0.3, -0.3, 0.0, 40.0, -40.0, -750.0):
        assert_same_as_graph(g, f, [w], x)
    assert g.traces_made == 1


@pytest.mark.parametrize("loss", ["bce", "bce_with_logits", "hinge", "mse", "cross_entropy"])
def test_every_loss_replays_its_graph_with_targets_as_arguments(loss: str) -> None:
    F = nn.functional
    layer = nn.Layer(2, 2, activation=None, seed=4)
    params = layer.parameters()

    def f(xs: list[Any], ts: list[Any]) -> Value:
        scores = [layer(x) for x in xs]
        if loss == "bce":  # a custom op (engine.op), torch's clamps included
            return F.binary_cross_entropy([s[0].sigmoid() for s in scores], [t[0] for t in ts])
        if loss == "bce_with_logits":
            return F.binary_cross_entropy_with_logits([s[0] for s in scores], [t[0] for t in ts])
        if loss == "hinge":
            return F.hinge_loss([s[0] for s in scores], [2.0 * t[0] - 1.0 for t in ts])
        return (F.mse_loss if loss == "mse" else F.cross_entropy)(scores, ts)

    g = engine.compile(f, params)
    rng = random.Random(2)
    for scale in (1.0, 30.0, 1.0, 800.0):  # large scores saturate the sigmoid: bce's clamps at p = 0 and 1
        xs = [[rng.uniform(-scale, scale), rng.uniform(-1, 1)] for _ in range(4)]
        ts = [[1.0, 0.0] if rng.random() < 0.5 else [0.0, 1.0] for _ in xs]
        assert_same_as_graph(g, f, params, xs, ts)
        sgd(params, 0.01)
    assert g.traces_made == 1


def test_a_non_finite_argument_or_result_is_decided_by_the_graph() -> None:
    layer = nn.Layer(2, 1, activation=None, seed=0)
    params = layer.parameters()
    f = lambda x: layer(x)[0].tanh()  # noqa: E731
    g = engine.compile(f, params)
    assert_same_as_graph(g, f, params, [0.5, 1.0])
    for bad in ([math.nan, 1.0], [math.inf, 1.0]):  # the layer refuses it; tanh would have hidden the inf
        outcome = assert_same_as_graph(g, f, params, bad)
        assert outcome[:2] == ("raised", ValueError)
    w = Value(1e200)
    h = lambda x: (x * w) * w  # noqa: E731
    gh = engine.compile(h, [w])
    assert_same_as_graph(gh, h, [w], 1.0)
    assert_same_as_graph(gh, h, [w], 1e10)  # inf, with NaN gradients: the graph's numbers


def test_thrashing_traces_are_reported_once() -> None:
    w = Value(1.0)
    f = lambda xs: engine.sum([x * w for x in xs])  # noqa: E731
    g = engine.compile(f, [w])
    lengths = range(1, MAX_TRACES + 2)
    for length in lengths:  # one more structure than is kept: the first is dropped, quietly
        g([1.0] * length)
    with pytest.warns(TraceEvictionWarning, match="more than MAX_TRACES = 8") as caught:
        for _ in range(2):
            for length in lengths:
                g([1.0] * length)
    assert len(caught) == 1 and g.thrashing


def test_a_leaf_loss_gets_the_seed() -> None:
    w = Value(1.0)
    f = lambda: w  # noqa: E731
    g = engine.compile(f, [w])
    assert_same_as_graph(g, f, [w])
    assert_same_as_graph(g, f, [w])


def test_extra_outputs_come_back_as_data_in_their_nesting() -> None:
    w = Value(0.5)

    def f(xs: list[Value]) -> tuple[Value, list[list[Value]]]:
        scores = [[x * w, (x * w).relu()] for x in xs]
        return engine.sum([s for row in scores for s in row]), scores

    g = engine.compile(f, [w])
    for xs in ([1.0, -2.0], [3.0, 4.0]):
        loss, scores = g(xs)
        assert scores == [[x * 0.5, max(x * 0.5, 0.0)] for x in xs]
        assert loss == sum(s for row in scores for s in row)
    outside = Value(1.0)
    with pytest.raises(ValueError, match="output 0 of f .* is not part of the loss's graph"):
        engine.compile(lambda x: (x * w, [outside * 2.0]), [w])(1.0)


def test_a_dot_with_constant_ones_and_non_finite_data() -> None:
    """The replay leaves out `* 1.0` (as recurrent cells feed their second bias); that must hold for inf and NaN."""
    w = [Value(0.5), Value(-2.0)]
    one = Value(1.0)

    def f(x: Value) -> Value:
        return engine.dot([w[0], w[1]], [x, one], bias=x * one)

    g = engine.compile(f, w)
    for x, w1 in [(1.5, -2.0), (math.inf, 3.0), (2.0, math.nan), (-0.0, -0.0)]:
        w[1].data = w1
        assert_same_as_graph(g, f, w, x)


def test_the_readme_example_trains_and_matches_the_graph() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    (code,) = [b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "engine.compile(" in b]
    ns: dict[str, Any] = {"__name__": "readme"}
    exec(compile(code, "README.md", "exec"), ns)  # our own README
    assert 0.0 < ns["loss"] < 0.5  # it learns
    ns["engine"].zero_grad(ns["params"])
    expected = graph_step(ns["step_loss"], ns["xs"])
    grads = [p.grad for p in ns["params"]]
    ns["engine"].zero_grad(ns["params"])
    assert ns["g"](ns["xs"]) == expected
    assert [p.grad for p in ns["params"]] == grads


@pytest.mark.parametrize("name", sorted(_INLINE))
@given(a=values(-30.0, 30.0), b=values(-30.0, 30.0), g=st.sampled_from([0.75, -2.5, math.inf, math.nan]))
def test_each_inline_rule_is_its_ops_record(name: str, a: float, b: float, g: float) -> None:
    """The source written out for the hottest ops does exactly what their records' forward and float backward
    (hand-tuned or not) do, bit for bit, also for an infinite or NaN gradient."""
    op = OPS[name]
    forward, rules = _INLINE[name]
    env: dict[str, Any] = {**_NAMESPACE, "a": a, "b": b, "c": b, "g": g}
    out = eval(forward.format(a="a", b="b", c="c"), env)  # our own templates, not user text
    assert bits(out) == bits(op.forward(a, b))  # type: ignore[misc]  # b: the other operand or the constant
    operands = [Value(a), Value(b)][: op.arity]
    node = make_node(Value, out, op, operands[0], operands[1] if op.arity == 2 else None, None if op.arity == 2 else b)
    node.grad = g
    for v in operands:
        v.grad = 0.125
    op.backward(node)  # the record's own float rule
    env["out"] = out
    for v, rule in zip(operands, rules):
        env["t"] = 0.125
        exec(rule.format(t="t", g="g", a="a", b="b", c="c", out="out"), env)
        assert bits(env["t"]) == bits(v.grad)


# ---------------------------------------------------------------- per-sample blocks


def test_a_batch_is_written_once_per_sample_shape_and_replays_bit_for_bit() -> None:
    rng = random.Random(7)
    rnn, head, params = recurrent("gru", (2, 3, 2), rng)

    def f(sequences: list[Any], targets: list[Any]) -> Any:
        scores = [head(rnn(xs)[0][-1]) for xs in sequences]
        return nn.functional.cross_entropy(scores, targets) + 1e-3 * engine.dot(params, params), scores

    lengths = [3, 5, 3, 3, 5, 4]  # three shapes of sample in one batch
    loss_only = lambda s, t: f(s, t)[0]  # noqa: E731
    g, with_scores = engine.compile(loss_only, params), engine.compile(f, params)
    for _ in range(3):
        sequences = [[[rng.uniform(-2, 2) for _ in range(2)] for _ in range(n)] for n in lengths]
        targets = [[1.0, 0.0] if rng.random() < 0.5 else [0.0, 1.0] for _ in lengths]
        expected = assert_same_as_graph(g, loss_only, params, sequences, targets)
        loss, scores = with_scores(sequences, targets)  # the scores are read out of the blocks
        with engine.no_grad():
            assert scores == [[v.data for v in head(rnn(_leaves(xs))[0][-1])] for xs in sequences]
        assert expected[1] == bits(loss)
        sgd(params, 0.1)
    assert g.traces_made == with_scores.traces_made == 1
    assert g.source.count("def _F") == 3 and len(re.findall(r"= _F\d+\(_PD", g.source)) == len(lengths)


# ---------------------------------------------------------------- differential fuzz: programs

_cube = engine.op("fuzz_cube", lambda x: x * x * x, lambda x, out: 3.0 * x * x)
_blend = engine.op("fuzz_blend", lambda a, b: a * 0.25 + b * b, lambda a, b, out: (0.25, 2.0 * b))
_UNARY = ("neg", "exp", "log", "tanh", "sigmoid", "relu", "leaky_relu", "cube")
_BINARY = ("+", "-", "*", "/", "**", "blend")
_N_ARGS, _N_PARAMS = 3, 3


def _apply(name: str, a: Any, b: Any = None, c: float = 0.5) -> Any:
    """One op of a fuzz program; `b` is a Value or a number (a constant on either side for `c` < 0)."""
    if name in _UNARY:
        return {"neg": lambda: -a, "exp": a.exp, "log": a.log, "tanh": a.tanh, "sigmoid": a.sigmoid,
                "relu": a.relu, "leaky_relu": lambda: a.leaky_relu(abs(c)), "cube": lambda: _cube(a)}[name]()
    if name == "blend":
        return _blend(a, b)
    x, y = (b, a) if c < 0 and not isinstance(b, Value) else (a, b)
    return {"+": lambda: x + y, "-": lambda: x - y, "*": lambda: x * y, "/": lambda: x / y,
            "**": lambda: x ** y}[name]()


@st.composite
def programs(draw: Any) -> list[tuple[Any, ...]]:
    """Instructions over a pool that starts with the arguments, then the parameters; each appends to the pool.
    ("op", name, i, j or a constant, c), ("loop", name, i, j, times), ("nary", dot|sum|max, indices)."""
    pool = _N_ARGS + _N_PARAMS
    program = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["op", "op", "loop", "nary"]))
        i = draw(st.integers(0, pool - 1))
        if kind == "nary":
            picks = draw(st.lists(st.integers(0, pool - 1), min_size=2, max_size=6))  # repeats: reused nodes
            program.append(("nary", draw(st.sampled_from(["dot", "sum", "max"])), picks))
            pool += 1
            continue
        name = draw(st.sampled_from(_UNARY + _BINARY))
        other = draw(st.one_of(st.integers(0, pool - 1), st.sampled_from([2.0, -0.5, 3.0, 0.0])))
        if kind == "loop":
            times = draw(st.integers(2, 4))
            program.append(("loop", name, i, other, times))
            pool += times
        else:
            program.append(("op", name, i, other, draw(st.sampled_from([0.5, -0.5, 0.2]))))
            pool += 1
    return program


def _run_program(program: list[tuple[Any, ...]], xs: Sequence[Any], params: Sequence[Value]) -> Value:
    pool: list[Any] = [*xs, *params]

    def operand(j: Any) -> Any:
        return pool[j] if isinstance(j, int) else j

    for kind, name, i, *rest in program:
        if kind == "op":
            pool.append(_apply(name, pool[i], operand(rest[0]), rest[1]))
        elif kind == "loop":  # a Python loop: the trace unrolls it
            v = pool[i]
            for _ in range(rest[1]):
                v = _apply(name, v, operand(rest[0]))
                pool.append(v)
        else:
            items = [pool[k] for k in i]
            if name == "dot":
                half = len(items) // 2
                pool.append(engine.dot(items[:half], items[half : 2 * half], items[-1] if len(items) % 2 else None))
            else:
                pool.append((engine.sum if name == "sum" else engine.max)(items))
    # Every node feeds the loss: one the loss did not need would not be replayed (see engine.compile's limits).
    return engine.sum([v if isinstance(v, Value) else Value(v) for v in pool[_N_ARGS:]])


_arguments = st.one_of(
    st.floats(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-3, 3).map(np.float64),
    st.floats(-3, 3, width=32).map(np.float32),
)


@settings(max_examples=300, deadline=None)
@given(programs(), st.lists(st.lists(_arguments, min_size=_N_ARGS, max_size=_N_ARGS), min_size=3, max_size=3),
       st.lists(st.floats(-2, 2), min_size=_N_PARAMS, max_size=_N_PARAMS), st.booleans())
def test_fuzzed_programs_replay_bit_for_bit(program: Any, calls: list[list[Any]], start: list[float], threads: bool
                                            ) -> None:
    """Programs with loops, reused nodes, every kind of op (custom ops too) and NaN, inf and numpy arguments:
    compiled and uncompiled leave the same bits or raise the same error, call after call as the parameters move,
    under no_grad, and from two threads."""
    params = [Value(p) for p in start]

    def f(xs: list[Any]) -> Value:
        return _run_program(program, xs, params)

    g = engine.compile(f, params)
    for k, xs in enumerate(calls):
        outcome = assert_same_as_graph(g, f, params, xs)
        with engine.no_grad():
            expected = outcome_of(lambda xs=xs: graph_step(f, xs))
            assert outcome_of(lambda xs=xs: g(xs)) == expected
        if outcome[0] == "returned" and k < len(calls) - 1:  # the threads below use the last call's parameters
            for p in params:
                p.data = p.data * 0.9 - 0.01  # a parameter update between calls
    if threads and outcome[0] == "returned":
        xs = calls[-1]
        engine.zero_grad(params)
        for _ in range(4):
            g(xs)
        in_turn = [bits(p.grad) for p in params]
        engine.zero_grad(params)
        workers = [threading.Thread(target=lambda: [g(xs) for _ in range(2)]) for _ in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert [bits(p.grad) for p in params] == in_turn


def outcome_of(step: Callable[[], float]) -> tuple[Any, ...]:
    try:
        return ("returned", bits(step()))
    except Exception as exc:
        return ("raised", type(exc), str(exc))
