"""nn.to_torch and nn.from_torch: every layer nn has against its torch twin, in float64.

Outputs agree to 1e-12 and the gradients of a random loss sum(g * out), for the input and every
parameter, to 1e-9; parameter names and shapes follow the table in nn.interop.torch_layouts; round trips
give back the weights bit for bit; unrepresentable layers are a TypeError naming their path.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from torch_oracle import random_nested, to_values

import engine
import nn
from nn.interop.torch_layouts import name_pairs, torch_state
from nn.nested import flatten, map_nested, shape_of

OUT_TOL, GRAD_TOL = 1e-12, 1e-9

# (id, a model built from a seed, the shape of one sample)
CASES: list[tuple[str, Callable[[int], nn.Module], tuple[int, ...]]] = [
    ("neuron-relu", lambda s: nn.Neuron(3, seed=s), (3,)),
    ("neuron-linear", lambda s: nn.Neuron(3, None, seed=s), (3,)),
    ("layer-tanh", lambda s: nn.Layer(3, 4, "tanh", seed=s), (3,)),
    ("layer-linear", lambda s: nn.Layer(3, 2, None, seed=s), (3,)),
    ("mlp-relu", lambda s: nn.MLP(3, [5, 4, 2], seed=s), (3,)),
    ("mlp-leaky-sigmoid", lambda s: nn.MLP(2, [4, 1], "leaky_relu", "sigmoid", seed=s), (2,)),
    ("mlp-linear-hidden", lambda s: nn.MLP(2, [3, 2], None, "tanh", seed=s), (2,)),
    ("conv1d", lambda s: nn.Conv1d(2, 3, 3, stride=2, padding=1, dilation=2, seed=s), (2, 9)),
    ("conv2d-nobias", lambda s: nn.Conv2d(2, 2, (2, 3), stride=(2, 1), padding=(1, 0), bias=False, seed=s), (2, 5, 6)),
    ("maxpool1d", lambda s: nn.MaxPool1d(2), (2, 7)),
    ("avgpool1d", lambda s: nn.AvgPool1d(3, stride=2), (2, 7)),
    ("maxpool2d", lambda s: nn.MaxPool2d((2, 3), stride=1), (2, 4, 5)),
    ("avgpool2d", lambda s: nn.AvgPool2d(2), (1, 4, 6)),
    ("activations", lambda s: nn.Sequential(nn.Tanh(), nn.LeakyReLU(0.2), nn.Sigmoid(), nn.ReLU()), (2, 3)),
    ("cnn", lambda s: nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1, seed=s), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(3, 2, 2, seed=s + 1),
        nn.Tanh(), nn.AvgPool2d(1), nn.Flatten(), nn.Layer(8, 3, "relu", seed=s + 2), nn.Layer(3, 2, None, seed=s)
    ), (1, 6, 6)),
    ("rnncell-relu", lambda s: nn.RNNCell(3, 4, nonlinearity="relu", seed=s), (3,)),
    ("lstmcell", lambda s: nn.LSTMCell(3, 2, seed=s), (3,)),
    ("grucell-nobias", lambda s: nn.GRUCell(2, 3, bias=False, seed=s), (2,)),
    ("rnn-tanh", lambda s: nn.RNN(2, 3, seed=s), (4, 2)),
    ("rnn-lstm", lambda s: nn.RNN(nn.LSTMCell(2, 3, seed=s)), (3, 2)),
    ("rnn-gru", lambda s: nn.RNN(3, 2, cell="gru", seed=s), (3, 3)),
    ("classifier-lstm", lambda s: nn.RNNClassifier(2, [3, 2], 3, cell="lstm", seed=s), (4, 2)),
    ("classifier-gru", lambda s: nn.RNNClassifier(3, 4, 2, cell="gru", seed=s), (3, 3)),
]
IDS = [case[0] for case in CASES]
# Round trips that come back as another class (same function, same weights): see nn.interop.torch_import.
RENAMED = {"neuron-relu": nn.Layer, "neuron-linear": nn.Layer, "mlp-leaky-sigmoid": nn.MLP}


def flat_torch(out: Any) -> list[Any]:
    """The batch-of-one torch output(s) as a flat list of scalar tensors, in the order `flatten` gives ours."""
    if isinstance(out, tuple):
        return [t for item in out for t in flat_torch(item)]
    return list(out[0].flatten().unbind())


def flat_ours(out: Any) -> list[engine.Value]:
    if isinstance(out, tuple):
        return [v for item in out for v in flat_ours(item)]
    return flatten(out) if isinstance(out, list) else [out]


def grads_state(model: nn.Module) -> dict[str, Any]:
    return {name: map_nested(lambda v: v.grad, tensor) for name, tensor in model.named_tensors()}


def assert_close(ours: list[float], theirs: list[float], tol: float, what: str) -> None:
    assert len(ours) == len(theirs), f"{what}: {len(ours)} values, torch has {len(theirs)}"
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert abs(a - b) <= tol, f"{what}[{i}]: ours {a!r}, torch {b!r}"


def check_same_function(torch: Any, ours: nn.Module, theirs: Any, shape: tuple[int, ...], seed: int) -> None:
    """Outputs to 1e-12, then input and parameter gradients of sum(g * out) to 1e-9."""
    rng = random.Random(seed)
    x = random_nested(shape, rng)
    xv = to_values(x)
    out = flat_ours(ours(xv))
    t_in = torch.tensor([x], dtype=torch.float64, requires_grad=True)
    t_out = flat_torch(theirs(t_in))
    assert_close([v.data for v in out], [t.item() for t in t_out], OUT_TOL, "output")
    g = [rng.gauss(0.0, 1.0) for _ in out]
    ours.zero_grad()
    engine.sum([o * gi for o, gi in zip(out, g)]).backward()
    sum(t * gi for t, gi in zip(t_out, g)).backward()
    assert_close([v.grad for v in flatten(xv)], t_in.grad[0].flatten().tolist(), GRAD_TOL, "input grad")
    expected = torch_state(ours, grads_state(ours))
    t_params = dict(theirs.named_parameters())
    assert set(expected) == set(t_params), "the twin's parameters are not the mapped ones"
    for name, grad in expected.items():
        assert_close(flatten(grad), t_params[name].grad.flatten().tolist(), GRAD_TOL, f"{name}.grad")


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("name, make, shape", CASES, ids=IDS)
def test_to_torch_computes_the_same_outputs_and_gradients(torch, name, make, shape, seed):
    model = make(seed)
    twin = nn.to_torch(model)
    assert all(p.dtype == torch.float64 for p in twin.parameters())
    check_same_function(torch, model, twin, shape, seed)


def test_every_layer_nn_exports_has_a_torch_twin():
    from nn.interop.torch_export import TWINS
    from nn.interop.torch_layouts import PAIRS

    layers = {cls for cls in vars(nn).values() if isinstance(cls, type) and issubclass(cls, nn.Module)} - {nn.Module}
    assert set(PAIRS) == layers and set(TWINS) == layers


@pytest.mark.parametrize("name, make, shape", CASES, ids=IDS)
def test_state_dict_keys_and_shapes_correspond_one_to_one(torch, name, make, shape):
    model = make(3)
    ours = {k: shape_of(v, k) for k, v in model.state_dict().items()}
    theirs = {k: tuple(t.shape) for k, t in nn.to_torch(model).state_dict().items()}
    pairs = name_pairs(model)
    assert sorted(mine for mine, _, _ in pairs) == sorted(ours), "each of our keys maps exactly once"
    rows: dict[str, list[int]] = {}
    for mine, key, row in pairs:
        if row is None:
            assert ours[mine] == theirs[key], f"{mine} -> {key}"
            assert key not in rows
            rows[key] = []
        else:
            assert ours[mine] == theirs[key][1:], f"{mine} -> {key}[{row}]"
            rows.setdefault(key, []).append(row)
    assert set(rows) == set(theirs), "every torch key is filled"
    for key, filled in rows.items():
        assert filled in ([], list(range(theirs[key][0]))), f"{key}: rows {filled}"


def test_the_documented_names(torch):
    """The names the nn.interop.torch_layouts table promises, spelled out."""
    mlp = nn.MLP(2, [3, 2], seed=0)
    assert ("layers.1.neurons.1.w", "2.weight", 1) in name_pairs(mlp)
    assert list(nn.to_torch(mlp).state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert list(nn.to_torch(nn.Neuron(2, seed=0)).state_dict()) == ["0.weight", "0.bias"]
    assert list(nn.to_torch(nn.Layer(2, 3, None, seed=0)).state_dict()) == ["weight", "bias"]
    classifier = nn.to_torch(nn.RNNClassifier(2, 3, 2, seed=0))
    assert list(classifier.state_dict())[0] == "layers.0.cell.weight_ih"
    assert list(classifier.state_dict())[-2:] == ["head.weight", "head.bias"]
    assert type(classifier.layers[0].cell) is torch.nn.LSTMCell and type(classifier.head) is torch.nn.Linear


def test_the_twin_is_made_of_ordinary_torch_modules(torch):
    model = CASES[IDS.index("cnn")][1](0)
    twin = nn.to_torch(model)
    assert [type(m).__name__ for m in twin] == [
        "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "Tanh", "AvgPool2d", "Flatten", "Sequential", "Linear"
    ]
    assert all(type(m).__module__.startswith("torch.nn.") for m in twin.modules())


def test_to_torch_reads_a_batch_and_trains_like_torch(torch):
    """A batch of samples gives each sample's output; a torch optimiser step on the twin changes its weights."""
    model = nn.MLP(2, [4, 3], seed=5)
    twin = nn.to_torch(model)
    X = [[0.5, -1.0], [2.0, 0.25], [-0.3, 0.1]]
    batch = twin(torch.tensor(X)).tolist()
    for x, row in zip(X, batch):
        assert_close([v.data for v in model(x)], row, OUT_TOL, "batch row")
    loss = torch.nn.functional.cross_entropy(twin(torch.tensor(X)), torch.tensor([0, 1, 2]))
    ours = sum((nn.cross_entropy(model(x), y) for x, y in zip(X, [0, 1, 2])), engine.Value(0.0)) / 3
    assert abs(loss.item() - ours.data) <= OUT_TOL


def test_to_torch_in_float32_and_leaves_torch_rng_alone(torch):
    model = nn.MLP(2, [3, 1], seed=0)
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    twin = nn.to_torch(model, dtype=torch.float32)
    assert torch.equal(torch.rand(3), expected), "to_torch drew from torch's global RNG"
    assert all(p.dtype == torch.float32 for p in twin.parameters())
    assert twin[0].weight[1, 0].item() == pytest.approx(model.layers[0].neurons[1].w[0].data, rel=1e-6)


@pytest.mark.parametrize("name, make, shape", CASES, ids=IDS)
def test_round_trip_gives_back_the_weights_bit_for_bit(torch, name, make, shape):
    model = make(4)
    back = nn.from_torch(nn.to_torch(model))
    assert type(back) is RENAMED.get(name, type(model))
    if name in RENAMED:
        assert [p.data for p in back.parameters()] == [p.data for p in model.parameters()]
    else:
        assert back.config() == model.config()
        assert back.state_dict() == model.state_dict()  # == on floats: bit for bit (no NaNs in weights)


def test_from_torch_reads_plain_torch_models(torch):
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.Tanh(),
                              torch.nn.Linear(8, 3))
    ours = nn.from_torch(mlp)
    assert type(ours) is nn.MLP and ours.config() == {
        "nin": 2, "nouts": [8, 8, 3], "activation": "tanh", "output_activation": "linear"}
    check_same_function(torch, ours, mlp, (2,), 0)
    cnn = torch.nn.Sequential(
        torch.nn.Conv1d(2, 4, 3, padding=1), torch.nn.LeakyReLU(0.1), torch.nn.MaxPool1d(2), torch.nn.Flatten(),
        torch.nn.Sequential(torch.nn.Linear(12, 5), torch.nn.ReLU()), torch.nn.Linear(5, 2))
    ours = nn.from_torch(cnn)
    assert [type(m).__name__ for m in ours] == ["Conv1d", "LeakyReLU", "MaxPool1d", "Flatten", "Layer", "Layer"]
    check_same_function(torch, ours, cnn, (2, 6), 1)
    cell = torch.nn.GRUCell(3, 2)
    check_same_function(torch, nn.from_torch(cell), cell, (3,), 2)


def test_from_torch_reads_a_sequential_with_named_children(torch):
    from collections import OrderedDict

    named = torch.nn.Sequential(OrderedDict(
        [("fc1", torch.nn.Linear(3, 4)), ("act", torch.nn.ReLU()), ("out", torch.nn.Linear(4, 2))]))
    ours = nn.from_torch(named)
    assert type(ours) is nn.MLP
    assert [p.tolist() for p in nn.to_torch(ours).parameters()] == [p.tolist() for p in named.parameters()]
    x = [0.5, -1.0, 2.0]
    assert_close([v.data for v in ours(x)], named(torch.tensor([x]))[0].tolist(), OUT_TOL, "output")
    with pytest.raises(TypeError, match=r"^from_torch: fc1 \(.*Linear\) has bias=False"):
        nn.from_torch(torch.nn.Sequential(OrderedDict([("fc1", torch.nn.Linear(3, 4, bias=False))])))


def test_from_torch_reads_float32_weights_exactly(torch):
    linear = torch.nn.Linear(3, 2, dtype=torch.float32)
    layer = nn.from_torch(linear)
    assert [n.w[2].data for n in layer.neurons] == linear.weight[:, 2].tolist()


@pytest.mark.parametrize("build, where", [
    (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.ReLU(), t.nn.Dropout(0.1), t.nn.Linear(3, 1)),
     r"^from_torch: 2 \(torch\.nn\.modules\.dropout\.Dropout\)"),
    (lambda t: t.nn.Sequential(t.nn.Flatten(), t.nn.Sequential(t.nn.Linear(4, 4), t.nn.BatchNorm1d(4))),
     r"^from_torch: 1\.1 \(torch\.nn\.modules\.batchnorm\.BatchNorm1d\)"),
    (lambda t: t.nn.Sequential(t.nn.Conv2d(2, 2, 3, groups=2)), r"^from_torch: 0 \(.*Conv2d\) has groups=2"),
    (lambda t: t.nn.Sequential(t.nn.Conv2d(1, 2, 3, padding="same")), r"0 \(.*Conv2d\) has padding='same'"),
    (lambda t: t.nn.Linear(2, 2, bias=False), r"^from_torch: the module itself \(.*Linear\) has bias=False"),
    (lambda t: t.nn.MaxPool2d(2, padding=1), r"MaxPool2d\) has padding=1"),
    (lambda t: t.nn.AvgPool1d(2, ceil_mode=True), r"AvgPool1d\) has ceil_mode=True"),
    (lambda t: t.nn.Flatten(0), r"Flatten\) has start_dim=0"),
    (lambda t: t.nn.LSTM(2, 3), r"the module itself \(torch\.nn\.modules\.rnn\.LSTM\) has no scalargrad counterpart"),
    (lambda t: t.nn.Sequential(type("MyLinear", (t.nn.Linear,), {})(2, 2)), r"0 \(.*MyLinear\)"),
], ids=["dropout", "nested", "groups", "padding-same", "no-bias", "pool-padding", "ceil", "flatten-dim", "lstm",
        "subclass"])
def test_from_torch_names_an_unrepresentable_layer_before_building(torch, monkeypatch, build, where):
    import nn.interop.torch_import

    def forbidden(spec: object) -> None:
        raise AssertionError("a scalargrad module was built before the whole torch module was read")

    monkeypatch.setattr(nn.interop.torch_import, "_build", forbidden)
    with pytest.raises(TypeError, match=where):
        nn.from_torch(build(torch))


def test_from_torch_refuses_what_is_not_a_torch_module(torch):
    with pytest.raises(TypeError, match="expected a torch.nn.Module, got MLP"):
        nn.from_torch(nn.MLP(2, [1], seed=0))


def test_to_torch_names_a_module_with_no_twin(torch):
    class Doubler(nn.Module):
        def forward(self, x: Any) -> Any:
            return [2 * v for v in x]

    model = nn.Sequential(nn.Layer(2, 2, seed=0), nn.Sequential(nn.ReLU(), Doubler()))
    with pytest.raises(TypeError, match=r"^to_torch: 1\.1 is a .*Doubler, which has no torch counterpart"):
        nn.to_torch(model)


def test_unrolled_rnn_refuses_an_unbatched_sequence(torch):
    twin = nn.to_torch(nn.RNN(2, 3, seed=0))
    with pytest.raises(ValueError, match=r"expected a batch of sequences \[N, T, input\], got shape \[4, 2\]"):
        twin(torch.zeros(4, 2))


def test_the_readme_example_runs(torch, tmp_path, monkeypatch):
    from test_readme import run_block

    pytest.importorskip("onnx", reason="onnx (the torch extra) is not installed")
    monkeypatch.chdir(tmp_path)
    ns = run_block("nn.to_torch(model)")
    assert type(ns["back"]) is nn.MLP
    assert (tmp_path / "moons.onnx").stat().st_size > 1000


def test_from_torch_reads_a_shared_activation_at_each_place_it_is_called(torch):
    """Issue 17 §4: `named_children()` lists a shared ReLU once; it was dropped (-0.3445 for torch's -0.5035)."""
    torch.manual_seed(0)
    act = torch.nn.ReLU()
    shared = torch.nn.Sequential(torch.nn.Linear(2, 4), act, torch.nn.Linear(4, 4), act, torch.nn.Linear(4, 1))
    ours = nn.from_torch(shared)
    assert type(ours) is nn.MLP and ours.config()["activation"] == "relu"
    check_same_function(torch, ours, shared, (2,), 0)
    mixed = torch.nn.Sequential(torch.nn.Linear(2, 3), act, torch.nn.Flatten(), act, torch.nn.Linear(3, 2))
    assert [type(m).__name__ for m in nn.from_torch(mixed)] == ["Layer", "ReLU", "Flatten", "ReLU", "Layer"]
    check_same_function(torch, nn.from_torch(mixed), mixed, (2,), 1)


def _weight_norm(t: Any) -> Any:
    with pytest.warns(FutureWarning):
        return t.nn.Sequential(t.nn.Linear(2, 2), t.nn.utils.weight_norm(t.nn.Linear(2, 2)))


def _parametrized(t: Any) -> Any:
    class Double(t.nn.Module):
        def forward(self, w: Any) -> Any:
            return 2 * w

    model = t.nn.Sequential(t.nn.Linear(2, 2), t.nn.Sequential(t.nn.Tanh(), t.nn.Linear(2, 2)))
    t.nn.utils.parametrize.register_parametrization(model[1][1], "weight", Double())
    return model


def _with(module: Any, change: Callable[[Any], Any]) -> Any:
    change(module)
    return module


def _tied(t: Any) -> Any:
    model = t.nn.Sequential(t.nn.Linear(2, 2), t.nn.Tanh(), t.nn.Linear(2, 2))
    model[2].weight = model[0].weight
    return model


def _plain_weight(t: Any) -> Any:
    model = t.nn.Sequential(t.nn.Linear(2, 2), t.nn.Linear(2, 2))
    weight = model[1].weight.detach().clone()
    del model[1].weight
    model[1].weight = weight
    return model


def _replaced_forward(t: Any) -> Any:
    model = t.nn.Sequential(t.nn.Linear(2, 2), t.nn.ReLU())
    model[1].forward = lambda x: x * 3
    return model


@pytest.mark.parametrize("build, where", [
    (lambda t: _with(t.nn.Sequential(t.nn.Linear(2, 1)), lambda m: m[0].register_forward_hook(lambda *a: a[2] * 100)),
     r"^from_torch: 0 \(.*Linear\) has a forward hook"),
    (lambda t: _with(t.nn.Linear(2, 1), lambda m: m.register_forward_pre_hook(lambda mod, i: (i[0] * 2,))),
     r"^from_torch: the module itself \(.*Linear\) has a forward pre-hook"),
    (lambda t: _with(t.nn.Sequential(t.nn.Linear(2, 2), t.nn.Sequential(t.nn.ReLU())),
                     lambda m: m[1][0].register_full_backward_hook(lambda *a: None)),
     r"^from_torch: 1\.0 \(.*ReLU\) has a backward hook"),
    (_weight_norm, r"^from_torch: 1 \(.*Linear\) has old-style weight_norm"),
    (_parametrized, r"^from_torch: 1\.1 \(.*ParametrizedLinear\) has a parametrization of weight"),
    (lambda t: _with(t.nn.Linear(2, 2), lambda m: m.register_parameter("scale", t.nn.Parameter(t.ones(1)))),
     r"^from_torch: the module itself \(.*Linear\) has a parameter 'scale'"),
    (lambda t: _with(t.nn.Sequential(t.nn.Tanh()), lambda m: m[0].register_buffer("offset", t.ones(1))),
     r"^from_torch: 0 \(.*Tanh\) has a buffer 'offset'"),
    (lambda t: _with(t.nn.Sequential(t.nn.Linear(2, 2)), lambda m: m[0].add_module("act", t.nn.ReLU())),
     r"^from_torch: 0 \(.*Linear\) has a submodule 'act'"),
    (lambda t: t.nn.Sequential(*(lambda lin: (lin, t.nn.ReLU(), lin))(t.nn.Linear(2, 2))),
     r"^from_torch: 2 \(.*Linear\) shares its weight with 0\.weight"),
    (_tied, r"^from_torch: 2 \(.*Linear\) shares its weight with 0\.weight"),
    (_replaced_forward, r"^from_torch: 1 \(.*ReLU\) has its forward replaced on the instance"),
    (_plain_weight, r"^from_torch: 1 \(.*Linear\) has its weight replaced by a plain tensor"),
], ids=["hook", "pre-hook", "backward-hook", "weight-norm", "parametrization", "parameter", "buffer", "submodule",
        "shared-linear", "tied-weights", "forward", "plain-weight"])
def test_from_torch_refuses_what_changes_a_module_naming_it(torch, monkeypatch, build, where):
    """Issue 17 §4: a hook was ignored (0.304 for torch's 30.42); extra tensors gave `zip() argument 2 is longer`."""
    import nn.interop.torch_import

    model = build(torch)
    monkeypatch.setattr(nn.interop.torch_import, "_build", lambda spec: pytest.fail("built before refusing"))
    with pytest.raises(TypeError, match=where):
        nn.from_torch(model)


def test_from_torch_refuses_under_a_global_module_hook(torch):
    handle = torch.nn.modules.module.register_module_forward_hook(lambda mod, i, o: o)
    try:
        with pytest.raises(TypeError, match=r"itself .* under a global hook \(register_module_forward_hook\)"):
            nn.from_torch(torch.nn.Linear(2, 2))
    finally:
        handle.remove()
    assert type(nn.from_torch(torch.nn.Linear(2, 2))) is nn.Layer


@pytest.mark.parametrize("build, where", [
    (lambda: (lambda layer: nn.Sequential(layer, nn.ReLU(), layer))(nn.Layer(2, 2, seed=0)),
     r"^to_torch: 2\.neurons\.0\.w and 0\.neurons\.0\.w share a parameter"),
    (lambda: _with(nn.Sequential(nn.Layer(2, 2, seed=0), nn.Tanh()), lambda m: setattr(m[1], "forward", abs)),
     r"^to_torch: 1 has its forward replaced on the instance"),
], ids=["shared-layer", "forward"])
def test_to_torch_refuses_what_a_twin_would_compute_or_train_otherwise(torch, build, where):
    with pytest.raises(TypeError, match=where):
        nn.to_torch(build())


def test_to_torch_names_an_activation_torch_has_no_module_for(torch, monkeypatch):
    import nn.interop.torch_export

    monkeypatch.setattr(nn.interop.torch_export, "ACTIVATION_MODULES", {"relu": "ReLU"})
    with pytest.raises(TypeError, match=r"^to_torch: layers\.1 uses the activation 'tanh', which has no torch"):
        nn.to_torch(nn.MLP(2, [3, 2], "relu", "tanh", seed=0))


def test_to_torch_keeps_a_shared_activation_module(torch):
    act = nn.Tanh()
    model = nn.Sequential(nn.Layer(2, 3, None, seed=0), act, nn.Layer(3, 3, None, seed=1), act)
    check_same_function(torch, model, nn.to_torch(model), (2,), 3)


def test_from_torch_passes_a_one_output_block_on_as_a_list(torch):
    """An MLP with one output returns a Value; inside a model, torch passes [N, 1] on, so ours must pass a list."""
    torch.manual_seed(1)
    inner = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
    model = torch.nn.Sequential(inner, torch.nn.ReLU(), torch.nn.Sequential(torch.nn.Linear(1, 2), torch.nn.Tanh()))
    ours = nn.from_torch(model)
    assert [type(m).__name__ for m in ours[0]] == ["Layer", "Layer"]
    x = [0.5, -1.0, 2.0]
    assert_close([v.data for v in ours(x)], model(torch.tensor([x]))[0].tolist(), OUT_TOL, "output")
    check_same_function(torch, ours, nn.to_torch(ours), (3,), 0)
    assert type(nn.from_torch(inner)) is nn.MLP  # alone, or last, it stays an MLP
