"""Sequential and the element-wise activation modules: chaining, PyTorch names, saving, and checks."""

from __future__ import annotations

import json
import math
import random

import pytest
from torch_oracle import assert_close, backward_with_random_cotangent, copy_weights, random_nested, to_values

import nn
import nn.conv
import nn.recurrent
from engine import Value
from nn.loading import LOADABLE
from nn.model_file import check_model_tree
from nn.nested import flatten


def small_cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1, seed=0),
        nn.Tanh(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Layer(8, 3, activation=None, seed=2),
    )


@pytest.mark.parametrize(
    ("module", "fn"),
    [
        (nn.ReLU(), lambda x: max(0.0, x)),
        (nn.Tanh(), math.tanh),
        (nn.Sigmoid(), lambda x: 1 / (1 + math.exp(-x))),
        (nn.LeakyReLU(0.2), lambda x: x if x > 0 else 0.2 * x),
    ],
)
def test_activations_apply_to_every_element_of_a_nested_list(module, fn):
    x = [[[-1.5, 0.5], [2.0, -0.25]], [[0.0, 3.0], [-3.0, 1.0]]]
    out = module(x)
    assert [v.data for v in flatten(out)] == pytest.approx([fn(v) for v in flatten(x)], abs=1e-15)
    assert len(out) == 2 and len(out[0]) == 2 and len(out[0][0]) == 2
    single = module(Value(0.7))
    assert isinstance(single, Value) and single.data == pytest.approx(fn(0.7))


def test_activation_rejects_ragged_lists():
    with pytest.raises(ValueError, match="ReLU input: ragged list"):
        nn.ReLU()([[1.0], [1.0, 2.0]])


def test_sequential_chains_and_names_children_like_torch(torch):
    ours = nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(2, 1, (1, 2), seed=1))
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Conv2d(2, 1, (1, 2))
    )
    assert list(ours.state_dict()) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    copy_weights(ours, theirs, into_torch=True)
    rng = random.Random(0)
    x = random_nested((1, 6, 6), rng)
    xv = to_values(x)
    out = ours(xv)
    t_in = torch.tensor(x, requires_grad=True)
    t_out = theirs(t_in.unsqueeze(0))[0]
    assert_close([v.data for v in flatten(out)], t_out.flatten().tolist(), "output")
    g = backward_with_random_cotangent(out, rng)
    (t_out.flatten() * torch.tensor(g)).sum().backward()
    assert_close([v.grad for v in flatten(xv)], t_in.grad.flatten().tolist(), "input grad")
    assert_close(
        [p.grad for p in ours.parameters()],
        [v for p in theirs.parameters() for v in p.grad.flatten().tolist()],
        "grads",
    )


def test_sequential_indexing_and_repr():
    model = nn.Sequential(nn.Conv1d(1, 1, 2), nn.ReLU())
    assert len(model) == 2 and isinstance(model[0], nn.Conv1d) and isinstance(model[-1], nn.ReLU)
    assert [type(m).__name__ for m in model] == ["Conv1d", "ReLU"]
    with pytest.raises(IndexError, match="index 2 out of range for 2 modules"):
        model[2]
    assert repr(model) == "Sequential(\n  (0): Conv1d(1, 1, kernel_size=(2,), stride=(1,))\n  (1): ReLU()\n)"
    assert nn.Sequential()([1.0]) == [1.0]


def test_sequential_config_holds_children_and_save_load_round_trips(tmp_path):
    model = small_cnn()
    config = model.config()
    assert [c["class"] for c in config["children"]] == ["Conv2d", "Tanh", "MaxPool2d", "Flatten", "Layer"]
    assert config["children"][0]["config"]["padding"] == [1, 1]
    path = tmp_path / "cnn.json"
    model.save(path)
    loaded = nn.load(path)
    assert isinstance(loaded, nn.Sequential) and loaded.config() == config
    x = random_nested((1, 4, 4), random.Random(1))
    assert [v.data for v in loaded(x)] == [v.data for v in model(x)]


def test_sequential_rejects_bad_children():
    with pytest.raises(TypeError, match="item 1 must be a Module, got int"):
        nn.Sequential(nn.ReLU(), 3)
    with pytest.raises(TypeError, match="item 0 must be a Module, got dict"):
        nn.Sequential({"class": "ReLU", "config": {}})  # specs are built by nn.load, not by Sequential


@pytest.mark.parametrize(
    "module",
    [
        nn.Conv1d(2, 3, 2, stride=2, padding=1, dilation=2, bias=False, seed=0),
        nn.Conv2d(1, 2, (2, 3), seed=0),
        nn.MaxPool1d(3, 1),
        nn.MaxPool2d(2),
        nn.AvgPool1d(2),
        nn.AvgPool2d((1, 2), (1, 1)),
        nn.Flatten(),
        nn.ReLU(),
        nn.Tanh(),
        nn.Sigmoid(),
        nn.LeakyReLU(0.3),
        nn.RNNCell(2, 3, nonlinearity="relu", seed=0),
        nn.LSTMCell(2, 3, bias=False, seed=0),
        nn.GRUCell(1, 2, seed=0),
        nn.RNN(2, 2, cell="gru", seed=0),
        nn.RNNClassifier(2, [3, 2], 4, cell="rnn", nonlinearity="relu", seed=0),
        nn.Sequential(nn.Conv1d(1, 2, 2, seed=0), nn.ReLU(), nn.Flatten()),
    ],
    ids=lambda m: type(m).__name__,
)
def test_every_module_saves_and_loads_with_its_config(tmp_path, module):
    path = tmp_path / "m.json"
    module.save(path)
    loaded = nn.load(path)
    assert type(loaded) is type(module)
    assert loaded.config() == module.config()
    assert loaded.state_dict() == module.state_dict()
    assert repr(loaded) == repr(module)


@pytest.mark.parametrize(
    "module",
    [
        nn.Conv1d(2, 3, 4, bias=False),
        nn.Conv2d(3, 2, (2, 3), padding=1),
        nn.RNNCell(3, 4),
        nn.LSTMCell(2, 5, bias=False),
        nn.GRUCell(4, 3),
        nn.RNN(2, 3, cell="gru", bias=False),
        nn.RNNClassifier(3, [4, 2], 5, cell="lstm"),
        nn.RNNClassifier(2, 3, 2, cell="rnn", nonlinearity="relu"),
        small_cnn(),
        nn.Sequential(nn.Flatten(), nn.MLP(4, [3, 2]), nn.LeakyReLU(0.1), nn.AvgPool1d(1)),
    ],
    ids=lambda m: type(m).__name__,
)
def test_count_parameters_from_the_config_matches_the_model(module):
    cls, config = type(module), module.config()
    if cls.child_specs(config) is None:
        assert cls.count_parameters(config) == module.num_parameters()
    else:  # a container's children name their classes, so the model file's check counts them, class by class
        doc = {"class": cls.__name__, "config": config, "state_dict": module.state_dict()}
        assert check_model_tree(cls, doc, "here", LOADABLE) == module.num_parameters()


def _forbid(cls):
    def init(self, *args, **kwargs):
        raise AssertionError(f"{cls.__name__} was built")

    return init


@pytest.mark.parametrize(
    ("name", "config", "count"),
    [
        ("LSTMCell", {"input_size": 2000, "hidden_size": 2000}, 4 * 2000 * 4000 + 2 * 4 * 2000),
        ("Conv2d", {"in_channels": 3000, "out_channels": 3000, "kernel_size": 3}, 3000 * 3000 * 9 + 3000),
        ("Sequential", {"children": [{"class": "ReLU", "config": {}},
                                     {"class": "Conv2d", "config": {"in_channels": 3000, "out_channels": 3000,
                                                                    "kernel_size": 3, "bias": False}}]},
         3000 * 3000 * 9),
        ("RNN", {"input_size": 1000, "hidden_size": 3000, "cell": "gru"}, 3 * 3000 * 4000 + 2 * 3 * 3000),
    ],
)
def test_a_file_asking_for_a_huge_model_is_refused_before_building(tmp_path, monkeypatch, name, config, count):
    # Building one of these would allocate tens of millions of Values; the guard must answer from the config alone.
    for cls in (nn.conv._ConvNd, nn.recurrent._CellBase):
        monkeypatch.setattr(cls, "__init__", _forbid(cls))
    path = tmp_path / "huge.json"
    doc = {"format": "scalargrad-model", "version": 1, "class": name, "config": config, "state_dict": {}, "meta": {}}
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=rf"huge.json: key 'config': config asks for a {name} with {count} parameters"):
        nn.load(path)


def test_a_shape_error_inside_sequential_names_the_child():
    model = nn.Sequential(nn.ReLU(), nn.Conv2d(2, 1, 3))
    with pytest.raises(ValueError, match=r"^Sequential\[1\] \(Conv2d\): Conv2d input: expected shape") as info:
        model([[[0.0] * 4] * 4])
    assert type(info.value) is ValueError and isinstance(info.value.__cause__, ValueError)
    outer = nn.Sequential(nn.Flatten(), model)
    with pytest.raises(ValueError, match=r"^Sequential\[1\] \(Sequential\): Sequential\[1\] \(Conv2d\): "):
        outer([[[0.0] * 4] * 4])
