"""nn.micrograd against micrograd.nn: after the same `random.seed`, the same starting weights, outputs, reprs,
parameter counts and calling conventions; and the models are scalargrad modules of scalargrad Values."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

import pytest

import engine
import nn
from nn import micrograd

SHAPES: list[tuple[int, list[int]]] = [(2, [16, 16, 1]), (3, [4, 4, 1]), (1, [1]), (5, [3, 2]), (2, [8, 3, 2, 4])]


def built(api: SimpleNamespace, nin: int, nouts: list[int], seed: int = 1) -> tuple[Any, float]:
    """`api.MLP(nin, nouts)` after `random.seed(seed)`, and the next number the global `random` draws."""
    random.seed(seed)
    model = api.MLP(nin, nouts)
    return model, random.random()


@pytest.mark.parametrize(("nin", "nouts"), SHAPES, ids=str)
def test_same_starting_weights_reprs_and_parameter_counts(
    micrograd_api: SimpleNamespace, our_api: SimpleNamespace, nin: int, nouts: list[int]
) -> None:
    (ours, next_ours), (theirs, next_theirs) = built(our_api, nin, nouts), built(micrograd_api, nin, nouts)
    assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
    assert len(ours.parameters()) == len(theirs.parameters())
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert next_ours == next_theirs  # the same number of draws from the global random
    for layer, their_layer in zip(ours.layers, theirs.layers, strict=True):
        assert repr(layer) == repr(their_layer)
        for neuron, their_neuron in zip(layer.neurons, their_layer.neurons, strict=True):
            assert (repr(neuron), neuron.nonlin) == (repr(their_neuron), their_neuron.nonlin)
            assert len(neuron.w) == len(their_neuron.w) and neuron.b.data == their_neuron.b.data == 0.0


@pytest.mark.parametrize(("nin", "nouts"), SHAPES, ids=str)
def test_same_outputs_and_gradients(
    micrograd_api: SimpleNamespace, our_api: SimpleNamespace, nin: int, nouts: list[int]
) -> None:
    rng = random.Random(7)
    rows = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(5)]
    found = []
    for api in (our_api, micrograd_api):
        model, _ = built(api, nin, nouts)
        outs = [model(row) for row in rows]
        flat = [v for out in outs for v in (out if isinstance(out, list) else [out])]
        total = sum(v * v for v in flat)
        model.zero_grad()
        total.backward()
        found.append(([v.data for v in flat], [p.grad for p in model.parameters()]))
    (data, grads), (their_data, their_grads) = found
    assert data == their_data  # the fused dot adds in micrograd's order: the forward pass is bit for bit
    assert grads == pytest.approx(their_grads, rel=1e-12, abs=1e-12)


def test_neurons_and_layers_on_their_own(micrograd_api: SimpleNamespace, our_api: SimpleNamespace) -> None:
    found = []
    for api in (our_api, micrograd_api):
        random.seed(3)
        linear, relu, single, wide = api.Neuron(3, nonlin=False), api.Neuron(3), api.Layer(3, 1), api.Layer(3, 2)
        x = [0.5, -1.0, 2.0]
        outs = [linear(x), relu(x), single(x), *wide(x)]
        found.append(([repr(m) for m in (linear, relu, single, wide)], [v.data for v in outs],
                      [len(m.parameters()) for m in (linear, single, wide)], type(single(x)).__name__))
    assert found[0] == found[1]
    assert found[0][0] == ["LinearNeuron(3)", "ReLUNeuron(3)", "Layer of [ReLUNeuron(3)]",
                           "Layer of [ReLUNeuron(3), ReLUNeuron(3)]"]
    assert found[0][3] == "Value"  # a one-output Layer returns the Value itself


def test_zero_grad_and_parameters_order(our_api: SimpleNamespace) -> None:
    random.seed(0)
    model = our_api.MLP(2, [3, 1])
    model([1.0, -1.0]).backward()
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    expected = [p for layer in model.layers for n in layer.neurons for p in (*n.w, n.b)]
    assert model.parameters() == expected  # micrograd's order: each neuron's weights, then its bias


def two_heads(api: SimpleNamespace) -> Any:
    """A student's own Module in micrograd's style: its own __call__ and parameters(), micrograd's zero_grad()."""

    class TwoHeads(api.Module):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            self.body = api.Layer(2, 3)
            self.heads = [api.Neuron(3, nonlin=False) for _ in range(2)]

        def __call__(self, x: Any) -> Any:
            h = self.body(x)
            return self.heads[0](h) * self.heads[1](h)

        def parameters(self) -> list[Any]:
            return self.body.parameters() + [p for head in self.heads for p in head.parameters()]

    return TwoHeads()


def test_a_module_subclass_in_micrograds_style(micrograd_api: SimpleNamespace, our_api: SimpleNamespace) -> None:
    found = []
    for api in (our_api, micrograd_api):
        random.seed(5)
        model = two_heads(api)
        out = model([0.3, -0.8])
        out.backward()
        grads = [p.grad for p in model.parameters()]
        model.zero_grad()
        found.append((out.data, grads, [p.grad for p in model.parameters()]))
    assert found[0][0] == pytest.approx(found[1][0], rel=1e-12)
    assert found[0][1] == pytest.approx(found[1][1], rel=1e-12)
    assert set(found[0][2]) == set(found[1][2]) == {0}


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: micrograd.Neuron(0), ValueError, "Neuron nin must be >= 1, got 0"),
        (lambda: micrograd.Neuron(2, nonlin="yes"), TypeError, "Neuron nonlin must be a bool, got str"),
        (lambda: micrograd.Layer(2, 0), ValueError, "Layer nout must be >= 1, got 0"),
        (lambda: micrograd.MLP(2, []), ValueError, "MLP nouts must be a non-empty list"),
        (lambda: micrograd.MLP(2, [3, 1])([1.0]), ValueError, "MLP: expected 2 inputs, got 1"),
        (lambda: micrograd.MLP(2, [3, 1])([1.0, float("nan")]), ValueError, r"MLP input\[1\] is nan"),
        (lambda: micrograd.Neuron(2)(["a", 1.0]), TypeError, "Neuron: input 0 must be a number or a Value, got str"),
    ],
)
def test_bad_arguments_are_named(make: Any, error: type[Exception], message: str) -> None:
    """Where micrograd would silently truncate (zip) or fail deep inside, these say what is wrong."""
    with pytest.raises(error, match=message):
        make()


def test_the_models_are_scalargrad_models() -> None:
    random.seed(2)
    model = micrograd.MLP(2, [4, 1])
    out = model([0.5, -1.0])
    assert isinstance(model, nn.MLP) and isinstance(model.layers[0], nn.Layer)
    assert all(type(p) is engine.Value for p in model.parameters()) and type(out) is engine.Value
    assert model.state_dict().keys() == nn.MLP(2, [4, 1], seed=0).state_dict().keys()


def test_a_saved_model_loads_back_as_nns_mlp_with_the_same_numbers(tmp_path: Any) -> None:
    random.seed(4)
    model = micrograd.MLP(2, [4, 4, 1])
    model.save(tmp_path / "m.json")
    loaded = nn.load(tmp_path / "m.json")
    assert type(loaded) is nn.MLP
    assert [p.data for p in loaded.parameters()] == [p.data for p in model.parameters()]
    for row in ([0.5, -1.0], [2.0, 0.25], [-1.5, -0.5]):
        assert loaded(row).data == model(row).data


def test_a_saved_model_goes_on_to_torch_through_nn_load(torch: Any, tmp_path: Any) -> None:
    random.seed(6)
    model = micrograd.MLP(2, [4, 1])
    model.save(tmp_path / "m.json")
    twin = nn.to_torch(nn.load(tmp_path / "m.json"))
    got = twin(torch.tensor([[0.5, -1.0]], dtype=torch.float64)).item()
    assert got == pytest.approx(model([0.5, -1.0]).data, rel=1e-12)
