"""nn.Module: parameter discovery and naming, state_dict checks, JSON save/load and its failure modes."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from engine import Value
from nn.module import Module, read_model_file


class Pair(Module):
    """A toy module with every kind of attribute discovery must handle."""

    def __init__(self, n: int = 2) -> None:
        self.n = n  # an int: not a parameter
        self.name = "pair"  # a str: not a parameter
        self.w = [Value(float(i + 1)) for i in range(n)]
        self.sizes = [1, 2, 3]  # a list of ints: not a parameter
        self.b = Value(-1.0)
        self.m = ((Value(10.0), Value(11.0)), (Value(12.0), Value(13.0)))
        self._cache = [Value(99.0)]  # private: never a parameter
        self.empty: list[Value] = []

    def forward(self, x: float, scale: float = 1.0) -> Value:
        return (self.w[0] * x + self.b) * scale

    def config(self) -> dict[str, int]:
        return {"n": self.n}

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int:
        return int(config["n"]) + 5


class Net(Module):
    def __init__(self) -> None:
        self.first = Pair(1)
        self.shared = self.first.b  # the same Value again: listed once
        self.blocks = [Pair(2), Pair(2)]
        self.c = Value(5.0)

    def forward(self, x: float) -> Value:
        return self.first(x) + self.c

    def config(self) -> dict[str, int]:
        return {}


def snapshot(model: Module) -> list[float]:
    return [p.data for p in model.parameters()]


# ------------------------------------------------------------------ discovery and naming


def test_named_parameters_follow_assignment_order_row_major() -> None:
    p = Pair(2)
    names = [name for name, _ in p.named_parameters()]
    assert names == ["w.0", "w.1", "b", "m.0.0", "m.0.1", "m.1.0", "m.1.1"]
    assert [v.data for _, v in p.named_parameters()] == [1.0, 2.0, -1.0, 10.0, 11.0, 12.0, 13.0]
    assert p.parameters()[2] is p.b


def test_submodules_recursed_in_place_and_shared_values_listed_once() -> None:
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names[:6] == ["first.w.0", "first.b", "first.m.0.0", "first.m.0.1", "first.m.1.0", "first.m.1.1"]
    assert "shared" not in names  # first.b already listed
    assert names[6:9] == ["blocks.0.w.0", "blocks.0.w.1", "blocks.0.b"]
    assert names[-1] == "c"
    assert len(names) == 6 + 7 + 7 + 1 == net.num_parameters()
    assert len({id(v) for v in net.parameters()}) == len(net.parameters())


def test_mlp_dotted_names_point_at_the_right_values() -> None:
    mlp = nn.MLP(2, [4, 5, 1], seed=0)
    named = dict(mlp.named_parameters())
    assert named["layers.1.neurons.3.w.1"] is mlp.layers[1].neurons[3].w[1]
    assert named["layers.2.neurons.0.b"] is mlp.layers[2].neurons[0].b
    assert mlp.num_parameters() == (2 * 4 + 4) + (4 * 5 + 5) + (5 + 1)
    # parameters(): layer by layer, neuron by neuron, w then b.
    expected = [v for layer in mlp.layers for n in layer.neurons for v in [*n.w, n.b]]
    assert all(a is b for a, b in zip(mlp.parameters(), expected, strict=True))


def test_ragged_nesting_is_one_tensor_listed_row_major() -> None:
    class Ragged(Module):
        def __init__(self) -> None:
            self.t = [Value(1.0), [Value(2.0), Value(3.0)], [[Value(4.0)]]]

    r = Ragged()
    assert [(name, v.data) for name, v in r.named_parameters()] == [
        ("t.0", 1.0),
        ("t.1.0", 2.0),
        ("t.1.1", 3.0),
        ("t.2.0.0", 4.0),
    ]
    assert [v.data for v in r.parameters()] == [1.0, 2.0, 3.0, 4.0]
    assert r.state_dict() == {"t": [1.0, [2.0, 3.0], [[4.0]]]}


def test_mixed_list_of_modules_and_values_is_rejected() -> None:
    class Bad(Module):
        def __init__(self) -> None:
            self.items = [Pair(1), Value(1.0)]

    with pytest.raises(TypeError, match=r"Bad\.items: this list holds .*a list must hold only Modules or only"):
        Bad().parameters()


@pytest.mark.parametrize(
    "make",
    [
        lambda: {"a": Pair(1)},  # a dict of Modules
        lambda: {Value(1.0)},  # a set of Values
        lambda: [[Pair(1)], [Pair(1)]],  # a nested list of Modules
        lambda: [1, (2, {"deep": Value(3.0)})],
    ],
)
def test_containers_discovery_does_not_search_are_rejected_naming_the_attribute(make: Callable[[], object]) -> None:
    class Hidden(Module):
        def __init__(self) -> None:
            self.w = Value(1.0)
            self.parts = make()

    with pytest.raises(TypeError, match=r"^Hidden\.parts: this (dict|set|list) holds Modules or Values"):
        Hidden().parameters()


def test_zero_grad_clears_every_parameter() -> None:
    net = Net()
    for p in net.parameters():
        p.grad = 3.0
    net.zero_grad()
    assert all(p.grad == 0.0 for p in net.parameters())


def test_call_forwards_positional_and_keyword_arguments() -> None:
    p = Pair(1)
    assert p(3.0, scale=2.0).data == (1.0 * 3.0 - 1.0) * 2.0


def test_forward_must_be_implemented() -> None:
    with pytest.raises(NotImplementedError, match="Module must implement forward"):
        Module()(1.0)


def test_repr_is_torch_style_and_collapses_repeated_children() -> None:
    assert repr(nn.MLP(2, [3, 1], seed=0)) == (
        "MLP(\n"
        "  (layers.0): Layer(\n"
        "    nin=2, nout=3, activation='relu'\n"
        "    (neurons.0-2): 3 x Neuron(nin=2, activation='relu')\n"
        "  )\n"
        "  (layers.1): Layer(\n"
        "    nin=3, nout=1, activation='linear'\n"
        "    (neurons.0): Neuron(nin=3, activation='linear')\n"
        "  )\n"
        ")"
    )
    assert repr(nn.Neuron(4, "tanh", seed=0)) == "Neuron(nin=4, activation='tanh')"


# ------------------------------------------------------------------ state_dict


def test_state_dict_has_one_key_per_tensor_with_plain_floats() -> None:
    p = Pair(2)
    assert p.state_dict() == {"w": [1.0, 2.0], "b": -1.0, "m": [[10.0, 11.0], [12.0, 13.0]]}
    mlp = nn.MLP(3, [2, 1], seed=1)
    sd = mlp.state_dict()
    assert list(sd) == [
        "layers.0.neurons.0.w",
        "layers.0.neurons.0.b",
        "layers.0.neurons.1.w",
        "layers.0.neurons.1.b",
        "layers.1.neurons.0.w",
        "layers.1.neurons.0.b",
    ]
    assert sd["layers.0.neurons.1.w"] == [v.data for v in mlp.layers[0].neurons[1].w]
    json.dumps(sd)  # plain JSON-able data


@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.integers(0, 2**32))
def test_load_state_dict_round_trip_reproduces_outputs(nouts: list[int], seed: int) -> None:
    a = nn.MLP(3, nouts, seed=seed)
    b = nn.MLP(3, nouts, seed=seed + 1)
    b.load_state_dict(json.loads(json.dumps(a.state_dict())))
    assert snapshot(a) == snapshot(b)
    x = [0.3, -1.2, 2.0]
    out_a, out_b = a(x), b(x)
    assert [v.data for v in (out_a if isinstance(out_a, list) else [out_a])] == [
        v.data for v in (out_b if isinstance(out_b, list) else [out_b])
    ]


def good_state() -> dict[str, object]:
    return {"w": [5.0, 6.0], "b": 7.0, "m": [[1.0, 2.0], [3.0, 4.0]]}


@pytest.mark.parametrize(
    ("edit", "error", "message"),
    [
        (lambda d: d.pop("b"), ValueError, r"missing key\(s\) 'b'"),
        (lambda d: d.update(extra=1.0), ValueError, r"unexpected key\(s\) 'extra'"),
        (lambda d: d.update(w=[5.0]), ValueError, r"key 'w': expected a list of 2 items, got a list of 1"),
        (lambda d: d.update(m=[[1.0, 2.0], [3.0]]), ValueError, r"key 'm'\[1\]: expected a list of 2 items"),
        (lambda d: d.update(b=[7.0]), TypeError, r"key 'b': expected a number, got list"),
        (lambda d: d.update(w=5.0), ValueError, r"key 'w': expected a list of 2 items, got float"),
        (lambda d: d.update(w=[5.0, "6"]), TypeError, r"key 'w'\[1\]: expected a number, got str"),
        (lambda d: d.update(b=True), TypeError, r"key 'b': expected a number, got bool"),
        (lambda d: d.update(b=math.nan), ValueError, r"key 'b': expected a finite number, got nan"),
        (lambda d: d.update(b=10**400), ValueError, r"key 'b': expected a finite number, got an int too large"),
        (lambda d: d.update(m=[[1.0, math.inf], [3.0, 4.0]]), ValueError, r"key 'm'\[0\]\[1\]: expected a finite"),
    ],
)
def test_bad_state_dict_raises_naming_the_key_and_changes_nothing(
    edit: Callable[[dict[str, object]], object], error: type[Exception], message: str
) -> None:
    p = Pair(2)
    before = snapshot(p)
    state = good_state()
    edit(state)
    with pytest.raises(error, match=message):
        p.load_state_dict(state)
    assert snapshot(p) == before


def test_load_state_dict_needs_a_mapping() -> None:
    with pytest.raises(TypeError, match="expected a dict, got list"):
        Pair(2).load_state_dict([1.0, 2.0])  # type: ignore[arg-type]


def test_load_state_dict_checks_all_keys_before_assigning_any() -> None:
    p = Pair(2)
    before = snapshot(p)
    state = good_state()
    state["m"] = [[1.0, 2.0], [3.0, "x"]]  # the last key is bad, the earlier ones are fine
    with pytest.raises(TypeError):
        p.load_state_dict(state)
    assert snapshot(p) == before


# ------------------------------------------------------------------ save and load


def test_save_writes_documented_json_and_load_rebuilds(tmp_path: Path) -> None:
    mlp = nn.MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=3)
    path = tmp_path / "model.json"
    mlp.save(path, meta={"epochs": 7})
    doc = json.loads(path.read_text())
    assert doc["format"] == "scalargrad-model" and doc["version"] == 1
    assert doc["class"] == "MLP"
    assert doc["config"] == {"nin": 2, "nouts": [3, 2], "activation": "tanh", "output_activation": "sigmoid"}
    assert doc["meta"] == {"epochs": 7}
    for loaded in (nn.load(path), nn.load(path, nn.MLP)):
        assert isinstance(loaded, nn.MLP)
        assert loaded.config() == mlp.config()
        assert snapshot(loaded) == snapshot(mlp)
        assert [v.data for v in loaded([0.5, -0.25])] == [v.data for v in mlp([0.5, -0.25])]


def test_user_subclass_loads_through_its_own_class(tmp_path: Path) -> None:
    p = Pair(3)
    p.b.data = 42.0
    p.save(tmp_path / "pair.json")
    q = nn.load(tmp_path / "pair.json", Pair)
    assert q.n == 3 and q.b.data == 42.0 and snapshot(q) == snapshot(p)
    with pytest.raises(ValueError, match="unknown model class 'Pair'"):
        nn.load(tmp_path / "pair.json")  # nn does not export Pair


def test_save_with_unserialisable_meta_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    with pytest.raises(ValueError, match="must be JSON-able"):
        nn.MLP(1, [1], seed=0).save(path, meta={"when": object()})
    assert not path.exists()


def test_module_without_config_cannot_be_saved(tmp_path: Path) -> None:
    class NoConfig(Module):
        def __init__(self) -> None:
            self.w = Value(1.0)

    with pytest.raises(NotImplementedError, match="NoConfig must implement config"):
        NoConfig().save(tmp_path / "x.json")


def saved_mlp(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    path = tmp_path / "mlp.json"
    nn.MLP(2, [2, 1], seed=5).save(path)
    return path, json.loads(path.read_text())


def edit_doc(doc: dict, change: str) -> str:  # type: ignore[type-arg]
    """The text of a saved file after one hand edit."""
    if change == "truncated":
        return json.dumps(doc)[:-40]
    if change == "not an object":
        return "[1, 2, 3]"
    if change == "deep":
        return "[" * 100_000 + "]" * 100_000
    if change == "long int":
        return json.dumps(doc).replace(json.dumps(doc["state_dict"]["layers.1.neurons.0.b"]), "1" + "0" * 5000, 1)
    if change == "huge int":
        return json.dumps(doc).replace(json.dumps(doc["state_dict"]["layers.1.neurons.0.b"]), "1" + "0" * 400, 1)
    if change == "huge config":
        doc["config"]["nouts"] = [1_000_000, 1_000_000, 1]
    if change == "big config":
        doc["config"]["nouts"] = [100, 100, 1]
    if change == "format":
        doc["format"] = "pickle"
    elif change == "version":
        doc["version"] = 2
    elif change == "no state":
        del doc["state_dict"]
    elif change == "class":
        doc["class"] = "os"
    elif change == "config":
        doc["config"]["nouts"] = []
    elif change == "config key":
        doc["config"]["bogus"] = 1
    elif change == "shape":
        doc["state_dict"]["layers.0.neurons.1.w"] = [1.0, 2.0, 3.0]
    elif change == "nan":
        return json.dumps(doc).replace(json.dumps(doc["state_dict"]["layers.1.neurons.0.b"]), "NaN", 1)
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("truncated", "not valid JSON, the file may be truncated"),
        ("not an object", "not a scalargrad model file"),
        ("format", "not a scalargrad model file"),
        ("version", "unsupported version 2"),
        ("no state", "key 'state_dict': must be a dict, got NoneType"),
        ("class", "key 'class': unknown model class 'os'"),
        ("config", "key 'config': config does not build a MLP: MLP nouts must be a non-empty list"),
        ("config key", "config does not build a MLP: .*bogus"),
        ("shape", "key 'layers.0.neurons.1.w': expected a list of 2 items, got a list of 3"),
        ("nan", "key 'layers.1.neurons.0.b': expected a finite number, got nan"),
        ("deep", "its JSON is nested too deeply to read"),
        ("long int", "its JSON holds an unreadable value"),
        ("huge int", "key 'layers.1.neurons.0.b': expected a finite number, got an int too large for a float"),
        # Refused from the config alone: building 10**12 parameters first would never finish.
        ("huge config", "key 'config': config asks for a MLP with 1000005000001 parameters, more than the 1,000,000"),
        ("big config", "key 'config': config asks for a MLP with 10501 parameters, the state_dict holds only 9"),
    ],
)
def test_bad_files_raise_naming_the_file_and_leave_the_model_unchanged(
    tmp_path: Path, change: str, message: str
) -> None:
    path, doc = saved_mlp(tmp_path)
    path.write_text(edit_doc(doc, change))
    with pytest.raises(ValueError, match=message) as info:
        nn.load(path)
    assert str(path) in str(info.value)
    model = nn.MLP(2, [2, 1], seed=9)
    before = snapshot(model)
    with pytest.raises(ValueError):
        model.load_weights(path)
    assert snapshot(model) == before


def test_binary_file_raises_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "weights.bin"
    path.write_bytes(b"\x80\x04\x95pickle")
    with pytest.raises(ValueError, match=r"weights.bin: not a text file"):
        nn.load(path)


def test_meta_can_be_read_back(tmp_path: Path) -> None:
    nn.Neuron(2, seed=0).save(tmp_path / "n.json", meta={"note": "hi", "losses": [0.5, 0.25]})
    assert read_model_file(tmp_path / "n.json")["meta"] == {"note": "hi", "losses": [0.5, 0.25]}


def test_class_specific_load_rejects_another_class(tmp_path: Path) -> None:
    path = tmp_path / "layer.json"
    nn.Layer(2, 3, seed=0).save(path)
    with pytest.raises(ValueError, match="holds a Layer, not a MLP"):
        nn.load(path, nn.MLP)
    model = nn.MLP(2, [3], seed=0)
    before = snapshot(model)
    with pytest.raises(ValueError, match="holds a Layer, not a MLP"):
        model.load_weights(path)
    assert snapshot(model) == before


def test_load_weights_rejects_another_architecture(tmp_path: Path) -> None:
    nn.MLP(2, [3, 1], activation="tanh", seed=1).save(tmp_path / "m.json")
    model = nn.MLP(2, [3, 1], seed=2)
    before = snapshot(model)
    with pytest.raises(ValueError, match="holds config .*'tanh'.*this model has"):
        model.load_weights(tmp_path / "m.json")
    assert snapshot(model) == before


def test_load_weights_copies_parameters_into_an_existing_model(tmp_path: Path) -> None:
    src = nn.MLP(2, [3, 1], seed=1)
    src.save(tmp_path / "m.json")
    dst = nn.MLP(2, [3, 1], seed=2)
    dst.load_weights(tmp_path / "m.json")
    assert snapshot(dst) == snapshot(src)


def test_loaded_model_trains_like_the_original(tmp_path: Path) -> None:
    """Saving mid-training and resuming gives the same parameters as never stopping."""
    rng = random.Random(0)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(8)]
    ys = [1.0 if a * b > 0 else -1.0 for a, b in xs]

    def train(model: nn.MLP, steps: int) -> None:
        opt = nn.optim.SGD(model.parameters(), lr=0.05)
        for _ in range(steps):
            opt.zero_grad()
            loss = nn.mse_loss([model(x) for x in xs], ys)
            loss.backward()
            opt.step()

    a = nn.MLP(2, [4, 1], seed=11)
    train(a, 3)
    a.save(tmp_path / "mid.json")
    train(a, 3)
    b = nn.load(tmp_path / "mid.json")
    assert isinstance(b, nn.MLP)
    train(b, 3)
    assert snapshot(a) == snapshot(b)


@pytest.mark.parametrize(
    ("cls", "config"),
    [(nn.Neuron, {"nin": 3}), (nn.Layer, {"nin": 3, "nout": 4}), (nn.MLP, {"nin": 2, "nouts": [5, 3, 1]})],
)
def test_count_parameters_from_the_config_matches_the_built_model(cls: type[Module], config: dict[str, object]) -> None:
    assert cls.count_parameters(config) == cls(**config, seed=0).num_parameters()  # type: ignore[arg-type]


def test_save_refuses_non_finite_weights_naming_them_and_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    model = nn.MLP(2, [2, 1], seed=0)
    model.save(path)
    old = path.read_text()
    model.layers[1].neurons[0].w[1].data = math.inf
    with pytest.raises(ValueError, match=r"parameter 'layers\.1\.neurons\.0\.w\.1' is inf, only finite weights"):
        model.save(path)
    assert path.read_text() == old
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.json"
    nn.Neuron(2, seed=0).save(path)
    old = path.read_text()

    def full_disk(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("nn.module.os.replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        nn.Neuron(2, seed=1).save(path)
    assert path.read_text() == old
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]  # no temporary file left behind
    monkeypatch.undo()
    nn.Neuron(2, seed=1).save(path)
    assert path.read_text() != old
    assert path.stat().st_mode & 0o777 == 0o644
