"""Neuron, Layer and MLP: hand-computed outputs, micrograd bit-for-bit, PyTorch gradients, init, input checks."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from engine import Value

ACTS = ["relu", "tanh", "sigmoid", "leaky_relu", "linear"]


def by_hand(z: float, activation: str | None) -> float:
    """The activations written out, independent of the engine."""
    if activation == "relu":
        return z if z > 0 else 0.0
    if activation == "tanh":
        return (math.exp(z) - math.exp(-z)) / (math.exp(z) + math.exp(-z))
    if activation == "sigmoid":
        return 1.0 / (1.0 + math.exp(-z))
    if activation == "leaky_relu":
        return z if z > 0 else 0.01 * z
    return z


def set_neuron(n: nn.Neuron, w: list[float], b: float) -> None:
    for v, x in zip(n.w, w, strict=True):
        v.data = x
    n.b.data = b


# ------------------------------------------------------------------ Neuron


@pytest.mark.parametrize("activation", [*ACTS, None])
@pytest.mark.parametrize("x", [[2.0, 1.0], [-1.0, 3.0], [3.0, 0.5]])
def test_neuron_is_activation_of_w_dot_x_plus_b(activation: str | None, x: list[float]) -> None:
    n = nn.Neuron(2, activation, seed=0)
    set_neuron(n, [0.5, -2.0], 0.25)
    z = 0.5 * x[0] - 2.0 * x[1] + 0.25  # -0.75, -6.25, and 0.75 > 0 for relu's and leaky_relu's positive branch
    assert n(x).data == pytest.approx(by_hand(z, activation), rel=1e-15, abs=1e-300)


@pytest.mark.parametrize("activation", ACTS)
def test_neuron_graph_is_one_dot_node_then_the_activation(activation: str) -> None:
    n = nn.Neuron(3, activation, seed=1)
    xs = [Value(1.0), Value(2.0), Value(-1.0)]
    out = n(xs)
    dot = out if activation == "linear" else out.parents[0]
    assert out.op == ("dot" if activation == "linear" else activation)
    assert dot.op == "dot"
    assert all(a is b for a, b in zip(dot.parents, [*n.w, *xs, n.b], strict=True))


def test_neuron_parameters_are_w_then_b() -> None:
    n = nn.Neuron(4, seed=2)
    assert len(n.w) == 4 and isinstance(n.b, Value)
    assert all(a is b for a, b in zip(n.parameters(), [*n.w, n.b], strict=True))


@pytest.mark.parametrize("bad", ["gelu", "ReLU", 3, ""])
def test_unknown_activation_lists_the_valid_names(bad: object) -> None:
    with pytest.raises(ValueError, match="unknown activation .*'relu', 'tanh', 'sigmoid', 'leaky_relu', 'linear'"):
        nn.Neuron(2, bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown activation"):
        nn.MLP(2, [2, 1], output_activation=bad)  # type: ignore[arg-type]


def test_neuron_gradients_match_the_chain_rule_by_hand() -> None:
    n = nn.Neuron(2, "tanh", seed=0)
    set_neuron(n, [0.5, -2.0], 0.25)
    x = [Value(2.0), Value(1.0)]
    out = n(x)
    out.backward()
    t = math.tanh(0.5 * 2.0 - 2.0 * 1.0 + 0.25)
    d = 1.0 - t * t
    assert [v.grad for v in n.w] == pytest.approx([d * 2.0, d * 1.0], rel=1e-14)
    assert n.b.grad == pytest.approx(d, rel=1e-14)
    assert [v.grad for v in x] == pytest.approx([d * 0.5, d * -2.0], rel=1e-14)


# ------------------------------------------------------------------ Layer and MLP outputs


def test_layer_always_returns_a_list_and_mlp_unwraps_a_single_output() -> None:
    assert isinstance(nn.Layer(2, 1, seed=0)([1.0, 2.0]), list)
    assert len(nn.Layer(2, 3, seed=0)([1.0, 2.0])) == 3
    assert isinstance(nn.MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    out = nn.MLP(2, [3, 2], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2


def test_mlp_activations_hidden_and_output() -> None:
    mlp = nn.MLP(2, [3, 3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    assert [layer.activation for layer in mlp.layers] == ["tanh", "tanh", "sigmoid"]
    assert [layer.activation for layer in nn.MLP(2, [3, 1], seed=0).layers] == ["relu", "linear"]
    assert nn.MLP(2, [3, 1], output_activation=None, seed=0).layers[-1].activation == "linear"


def test_float_inputs_become_leaves_once_per_call_shared_by_all_neurons() -> None:
    layer = nn.Layer(3, 4, activation="linear", seed=0)
    outs = layer([1.0, 2.0, 3.0])
    xs = [out.parents[3:6] for out in outs]  # each dot node: (*w, *x, b)
    assert all(a is b for row in xs[1:] for a, b in zip(row, xs[0], strict=True))
    assert [x.data for x in xs[0]] == [1.0, 2.0, 3.0] and all(x.is_leaf for x in xs[0])
    mlp = nn.MLP(3, [4, 1], activation="linear", seed=0)
    first = [n.parents[3:6] for n in mlp([1.0, 2.0, 3.0]).parents[4:8]]
    assert all(a is b for row in first[1:] for a, b in zip(row, first[0], strict=True))


def test_value_inputs_are_used_as_given_so_gradients_reach_them() -> None:
    mlp = nn.MLP(2, [3, 1], seed=4)
    x = [Value(0.5), Value(-1.5)]
    out = mlp(x)
    assert isinstance(out, Value)
    out.backward()
    eps = 1e-6
    for i in range(2):
        hi = [v.data + (eps if j == i else 0.0) for j, v in enumerate(x)]
        lo = [v.data - (eps if j == i else 0.0) for j, v in enumerate(x)]
        numeric = (mlp(hi).data - mlp(lo).data) / (2 * eps)  # type: ignore[union-attr]
        assert x[i].grad == pytest.approx(numeric, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("module", [nn.Neuron(3, seed=0), nn.Layer(3, 2, seed=0), nn.MLP(3, [2, 1], seed=0)])
def test_wrong_input_length_names_expected_and_actual_sizes(module: nn.Module) -> None:
    name = type(module).__name__
    with pytest.raises(ValueError, match=f"{name}: expected 3 inputs, got 2"):
        module([1.0, 2.0])
    with pytest.raises(ValueError, match=f"{name}: expected 3 inputs, got 4"):
        module([1.0, 2.0, 3.0, 4.0])


@pytest.mark.parametrize("bad", [[1.0, "2", 3.0], [1.0, None, 3.0], [True, 2.0, 3.0], [1.0, [2.0], 3.0]])
def test_non_number_inputs_raise_type_error_naming_the_index(bad: list[object]) -> None:
    index = next(i for i, v in enumerate(bad) if not isinstance(v, float))
    with pytest.raises(TypeError, match=f"MLP: input {index} must be a number or a Value"):
        nn.MLP(3, [2, 1], seed=0)(bad)


@pytest.mark.parametrize("module", [nn.Neuron(3, seed=0), nn.Layer(3, 2, seed=0), nn.MLP(3, [2, 1], seed=0)])
@pytest.mark.parametrize("bad", [math.nan, -math.inf, Value(math.nan), Value(math.inf)])
def test_non_finite_input_raises_value_error_naming_the_index(module: nn.Module, bad: object) -> None:
    message = rf"^{type(module).__name__} input\[1\] is (nan|-?inf), inputs must be finite$"
    with pytest.raises(ValueError, match=message):
        module([0.5, bad, 2.0])


@pytest.mark.parametrize("bad", [1.0, Value(1.0), "abc", None])
def test_non_sequence_input_raises_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="Layer: expected a sequence of 3 numbers or Values"):
        nn.Layer(3, 2, seed=0)(bad)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: nn.Neuron(0), ValueError, "Neuron nin must be >= 1, got 0"),
        (lambda: nn.Neuron(2.0), TypeError, "Neuron nin must be an int, got float"),
        (lambda: nn.Layer(2, 0), ValueError, "Layer nout must be >= 1"),
        (lambda: nn.MLP(2, []), ValueError, "MLP nouts must be a non-empty list"),
        (lambda: nn.MLP(2, 3), TypeError, "MLP nouts must be a non-empty list of layer sizes, got int"),
        (lambda: nn.MLP(2, [3, 0]), ValueError, r"MLP nouts\[1\] must be >= 1"),
        (lambda: nn.MLP(2, [1], seed=1, rng=random.Random(1)), ValueError, "either rng or seed, not both"),
        (lambda: nn.MLP(2, [1], seed="x"), TypeError, "seed must be an int"),
        (lambda: nn.MLP(2, [1], rng=1), TypeError, "rng must be a random.Random"),
    ],
)
def test_bad_constructor_arguments(make: Callable[[], object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make()


def test_config_rebuilds_the_same_architecture() -> None:
    mlp = nn.MLP(3, [4, 2], activation="leaky_relu", output_activation="tanh", seed=0)
    again = nn.MLP(**mlp.config())
    assert repr(again) == repr(mlp) and again.num_parameters() == mlp.num_parameters()
    assert nn.Layer(**nn.Layer(2, 5, "sigmoid", seed=0).config()).config() == {
        "nin": 2,
        "nout": 5,
        "activation": "sigmoid",
    }


# ------------------------------------------------------------------ initialisation


def test_same_seed_same_weights_and_rng_is_consumed_in_order() -> None:
    a = nn.MLP(3, [4, 2], seed=7)
    b = nn.MLP(3, [4, 2], seed=7)
    c = nn.MLP(3, [4, 2], seed=8)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]
    rng = random.Random(7)
    d = nn.MLP(3, [4, 2], rng=rng)
    assert [p.data for p in d.parameters()] == [p.data for p in a.parameters()]
    # Draw order: each neuron's weights, then its bias.
    rng = random.Random(3)
    n = nn.Neuron(2, "linear", rng=rng)
    again = random.Random(3)
    bound = math.sqrt(3.0 / 2)
    assert [v.data for v in n.w] == [again.uniform(-bound, bound) for _ in range(2)]
    assert n.b.data == again.uniform(-1 / math.sqrt(2), 1 / math.sqrt(2))


@pytest.mark.parametrize(
    ("activation", "gain"),
    [("relu", math.sqrt(2)), ("leaky_relu", math.sqrt(2 / 1.0001)), ("tanh", 5 / 3), ("sigmoid", 1.0), ("linear", 1.0)],
)
def test_init_is_kaiming_uniform_with_the_activation_gain(activation: str, gain: float) -> None:
    nin = 400
    layer = nn.Layer(nin, 5, activation, seed=1)
    ws = [v.data for n in layer.neurons for v in n.w]
    bound = gain * math.sqrt(3.0 / nin)
    assert max(abs(w) for w in ws) <= bound
    assert max(abs(w) for w in ws) > 0.99 * bound  # the range is used, not a narrower one
    variance = sum(w * w for w in ws) / len(ws)
    assert variance == pytest.approx(gain * gain / nin, rel=0.1)  # U(-b, b) has variance b²/3
    assert all(abs(n.b.data) <= 1 / math.sqrt(nin) for n in layer.neurons)


@pytest.mark.parametrize("activation", ["relu", "tanh", "leaky_relu", "linear"])
def test_deep_net_keeps_the_input_signal_in_range(activation: str) -> None:
    """After twelve layers, different inputs still give different outputs (spread ~0.5).

    With torch.nn.Linear's U(-1/sqrt(nin), 1/sqrt(nin)) weights the spread falls below 1e-3: the output
    is the same whatever the input.
    """
    width, depth = 24, 12
    mlp = nn.MLP(width, [width] * depth, activation=activation, output_activation=activation, seed=3)
    rng = random.Random(0)
    outs = []
    for _ in range(4):
        out = mlp([rng.gauss(0.0, 1.0) for _ in range(width)])
        assert isinstance(out, list)
        outs.append([v.data for v in out])
    mean = [sum(column) / len(outs) for column in zip(*outs)]
    spread = math.sqrt(sum((o - m) ** 2 for row in outs for o, m in zip(row, mean)) / (len(outs) * width))
    assert 0.1 < spread < 10.0


# ------------------------------------------------------------------ against micrograd and PyTorch


def test_mlp_forward_is_micrographs_bit_for_bit() -> None:
    mg_nn = pytest.importorskip("micrograd.nn", reason="micrograd is the reference for the fused dot node")
    mg = mg_nn.MLP(3, [4, 4, 1])
    ours = nn.MLP(3, [4, 4, 1], seed=0)
    rng = random.Random(0)
    for p, q in zip(ours.parameters(), mg.parameters(), strict=True):
        p.data = q.data = rng.uniform(-1, 1)
    x = [0.7, -1.3, 2.2]
    out, ref = ours(x), mg(x)
    assert isinstance(out, Value)
    assert out.data == ref.data  # same floats, same order of additions
    out.backward()
    ref.backward()
    # Gradients may differ in the last bits: shared nodes sum their contributions in backward order, and
    # micrograd's order depends on hashing (its children are a set).
    assert [p.grad for p in ours.parameters()] == pytest.approx([q.grad for q in mg.parameters()], rel=1e-12)


def torch_copy(torch: ModuleType, mlp: nn.MLP) -> list[object]:
    layers = []
    for layer in mlp.layers:
        lin = torch.nn.Linear(layer.nin, layer.nout)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor([[v.data for v in n.w] for n in layer.neurons]))
            lin.bias.copy_(torch.tensor([n.b.data for n in layer.neurons]))
        layers.append(lin)
    return layers


TORCH_ACTS = {
    "relu": lambda t, F: F.relu(t),
    "tanh": lambda t, F: t.tanh(),
    "sigmoid": lambda t, F: t.sigmoid(),
    "leaky_relu": lambda t, F: F.leaky_relu(t, 0.01),
    "linear": lambda t, F: t,
}


@given(
    st.sampled_from(ACTS),
    st.sampled_from(ACTS),
    st.lists(st.integers(1, 4), min_size=1, max_size=3),
    st.lists(st.floats(-3, 3), min_size=3, max_size=3),
    st.integers(0, 1000),
)
def test_mlp_output_and_all_gradients_match_torch_linear_stack(
    torch: ModuleType, act: str, out_act: str, nouts: list[int], x: list[float], seed: int
) -> None:
    F = torch.nn.functional
    mlp = nn.MLP(3, nouts, activation=act, output_activation=out_act, seed=seed)
    lins = torch_copy(torch, mlp)
    xs = [Value(v) for v in x]
    out = mlp(xs)
    outs = out if isinstance(out, list) else [out]
    # A weighted sum of the outputs, so every output gets its own upstream gradient.
    coef = [1.0 + 0.5 * i for i in range(len(outs))]
    loss = sum((c * o for c, o in zip(coef, outs)), Value(0.0))
    loss.backward()

    tx = torch.tensor(x, requires_grad=True)
    h = tx
    for i, lin in enumerate(lins):
        h = TORCH_ACTS[out_act if i == len(lins) - 1 else act](lin(h), F)
    (h * torch.tensor(coef)).sum().backward()

    assert [o.data for o in outs] == pytest.approx(h.tolist(), rel=1e-9, abs=1e-12)
    assert [v.grad for v in xs] == pytest.approx(tx.grad.tolist(), rel=1e-9, abs=1e-12)
    for layer, lin in zip(mlp.layers, lins):
        assert [[v.grad for v in n.w] for n in layer.neurons] == [
            pytest.approx(row, rel=1e-9, abs=1e-12) for row in lin.weight.grad.tolist()
        ]
        assert [n.b.grad for n in layer.neurons] == pytest.approx(lin.bias.grad.tolist(), rel=1e-9, abs=1e-12)
