"""RNNCell, LSTMCell, GRUCell and RNN against PyTorch float64 unrolled over several steps; checks, init, BPTT depth."""

from __future__ import annotations

import math
import random
import sys

import pytest
from torch_oracle import (
    assert_close,
    backward_with_random_cotangent,
    copy_weights,
    random_nested,
    replace_parameters,
    to_values,
)

import engine
import nn
import nn.recurrent
from nn.nested import flatten, unflatten

CELLS = {"rnn": "RNNCell", "lstm": "LSTMCell", "gru": "GRUCell"}


def torch_cell(torch, kind, input_size, hidden_size, bias, nonlinearity):
    cls = getattr(torch.nn, CELLS[kind])
    if kind == "rnn":
        return cls(input_size, hidden_size, bias=bias, nonlinearity=nonlinearity)
    return cls(input_size, hidden_size, bias=bias)


def initial_state(kind, hidden_size, rng):
    """A random initial state: h, or (h, c) for an LSTM, as nested floats."""
    h = random_nested((hidden_size,), rng)
    return (h, random_nested((hidden_size,), rng)) if kind == "lstm" else h


@pytest.mark.parametrize(
    ("kind", "nonlinearity", "bias", "with_state"),
    [
        ("rnn", "tanh", True, False),
        ("rnn", "relu", True, True),
        ("rnn", "tanh", False, True),
        ("lstm", "tanh", True, False),
        ("lstm", "tanh", True, True),
        ("lstm", "tanh", False, True),
        ("gru", "tanh", True, False),
        ("gru", "tanh", True, True),
        ("gru", "tanh", False, True),
    ],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_unrolled_cells_match_torch(torch, kind, nonlinearity, bias, with_state, seed):
    rng = random.Random(seed)
    input_size, hidden_size, steps = rng.randint(1, 4), rng.randint(1, 4), 6
    ours = nn.RNN(input_size, hidden_size, cell=kind, bias=bias, nonlinearity=nonlinearity)
    torch.manual_seed(seed)
    theirs = torch_cell(torch, kind, input_size, hidden_size, bias, nonlinearity)
    copy_weights(ours.cell, theirs, into_torch=seed == 1)

    xs = random_nested((steps, input_size), rng)
    state = initial_state(kind, hidden_size, rng) if with_state else None
    xs_v = to_values(xs)
    state_v = to_values(state) if with_state else None
    outputs, final = ours(xs_v, state_v)

    t_xs = torch.tensor(xs, requires_grad=True)
    t_state = None
    if with_state:
        t_state = (
            tuple(torch.tensor(s, requires_grad=True) for s in state)
            if kind == "lstm"
            else torch.tensor(state, requires_grad=True)
        )
    s, t_outputs = t_state, []
    for t in range(steps):
        s = theirs(t_xs[t], s)
        t_outputs.append(s[0] if kind == "lstm" else s)
    t_out = torch.stack(t_outputs)
    if kind == "lstm":  # the final cell state is an output too
        outputs_all, t_all = [*outputs, final[1]], torch.cat([t_out.flatten(), s[1]])
    else:
        outputs_all, t_all = outputs, t_out.flatten()
        assert final is outputs[-1]

    assert_close([v.data for v in flatten(outputs_all)], t_all.tolist(), "outputs")
    g = backward_with_random_cotangent(outputs_all, rng)
    (t_all * torch.tensor(g)).sum().backward()
    assert_close([v.grad for v in flatten(xs_v)], t_xs.grad.flatten().tolist(), "input grad")
    if with_state:
        t_grads = [t.grad for t in t_state] if kind == "lstm" else [t_state.grad]
        assert_close([v.grad for v in flatten(state_v)], torch.cat(t_grads).tolist(), "state grad")
    t_params = dict(theirs.named_parameters())
    assert [name for name, _ in ours.cell.named_tensors()] == list(t_params)
    for name, tensor in ours.cell.named_tensors():
        assert_close([v.grad for v in flatten(tensor)], t_params[name].grad.flatten().tolist(), f"{name}.grad")


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_single_cell_call_matches_torch(torch, kind):
    rng = random.Random(3)
    cell = getattr(nn, CELLS[kind])(3, 2, seed=0)
    theirs = torch_cell(torch, kind, 3, 2, True, "tanh")
    copy_weights(cell, theirs, into_torch=kind != "lstm")
    x, state = random_nested((3,), rng), initial_state(kind, 2, rng)
    ours = cell(x, state)  # floats are accepted as inputs and state
    t_state = tuple(torch.tensor(s) for s in state) if kind == "lstm" else torch.tensor(state)
    theirs_out = theirs(torch.tensor(x), t_state)
    t_flat = torch.cat(theirs_out) if kind == "lstm" else theirs_out
    assert_close([v.data for v in flatten(ours)], t_flat.tolist(), "next state")


def test_gate_preactivation_is_one_dot_node_with_both_biases():
    cell = nn.RNNCell(2, 3, seed=0)
    x, h = to_values([0.5, -1.0]), to_values([0.1, 0.2, 0.3])
    out = cell(x, h)
    pre = out[1].parents[0]
    assert out[1].op == "tanh" and pre.op == "dot"
    assert list(pre.parents[:5]) == [*cell.weight_ih[1], *cell.weight_hh[1]]
    assert pre.parents[5] is cell.bias_hh[1] and pre.parents[-1] is cell.bias_ih[1]
    expected = cell.bias_ih[1].data + cell.bias_hh[1].data
    expected += sum(w.data * v.data for w, v in zip(cell.weight_ih[1] + cell.weight_hh[1], x + h))
    assert math.isclose(pre.data, expected, rel_tol=1e-15, abs_tol=1e-15)


@pytest.mark.parametrize(("kind", "gates"), [("rnn", 1), ("lstm", 4), ("gru", 3)])
def test_init_shapes_bounds_and_seed(kind, gates):
    cls = getattr(nn, CELLS[kind])
    a, b = cls(3, 4, seed=9), cls(3, 4, seed=9)
    state = a.state_dict()
    assert state == b.state_dict()
    assert list(state) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert (len(state["weight_ih"]), len(state["weight_ih"][0])) == (gates * 4, 3)
    assert (len(state["weight_hh"]), len(state["weight_hh"][0])) == (gates * 4, 4)
    assert len(state["bias_ih"]) == len(state["bias_hh"]) == gates * 4
    assert all(-0.5 <= p.data <= 0.5 for p in a.parameters())  # 1/sqrt(hidden_size = 4)
    assert max(abs(p.data) for p in a.parameters()) > 0.4
    assert list(cls(3, 4, bias=False).state_dict()) == ["weight_ih", "weight_hh"]


@pytest.fixture
def no_nodes(forbid_nodes):
    forbid_nodes(nn.recurrent, "dot")


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: nn.RNNCell(3, 2)([1.0, 2.0]), r"RNNCell input: expected shape \[input=3\], got \[2\]"),
        (lambda: nn.GRUCell(1, 2)([1.0], [0.0, 0.0, 0.0]), r"GRUCell h: expected shape \[h=2\], got \[3\]"),
        (lambda: nn.LSTMCell(1, 2)([1.0], [0.0, 0.0]), r"LSTMCell state: expected a pair \(h, c\)"),
        (lambda: nn.LSTMCell(1, 2)([1.0], ([0.0, 0.0], [0.0])), r"LSTMCell c: expected shape \[c=2\], got \[1\]"),
        (lambda: nn.RNN(2, 2)([[1.0, 2.0], [3.0]]), r"RNN input: ragged list"),
        (lambda: nn.RNN(2, 2)([[1.0, 2.0, 3.0]]), r"RNN input: expected shape \[T\]\[input=2\], got \[1\]\[3\]"),
        (lambda: nn.RNN(2, 2, "lstm")([[1.0, 2.0]], [0.0, 0.0]), r"LSTMCell state: expected a pair"),
        (lambda: nn.RNN(1, 2, "gru")([[1.0]], [[0.0, 0.0]]), r"GRUCell h: expected shape \[h=2\], got \[1\]\[2\]"),
    ],
)
def test_bad_shapes_raise_before_building(no_nodes, call, expected):
    with pytest.raises(ValueError, match=expected):
        call()


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu'"):
        nn.RNNCell(1, 1, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="cell must be one of 'rnn', 'lstm', 'gru'"):
        nn.RNN(1, 1, cell="transformer")
    with pytest.raises(ValueError, match="nonlinearity applies to cell='rnn' only"):
        nn.RNN(1, 1, cell="lstm", nonlinearity="relu")
    with pytest.raises(ValueError, match="hidden_size must be >= 1"):
        nn.GRUCell(1, 0)


def test_bptt_over_1000_steps_runs_under_the_default_recursion_limit(torch):
    limit = sys.getrecursionlimit()
    steps = 1000
    rnn = nn.RNN(1, 2, cell="gru", seed=0)
    theirs = torch.nn.GRUCell(1, 2)
    copy_weights(rnn.cell, theirs)
    xs = to_values([[math.sin(0.1 * t)] for t in range(steps)])
    outputs, _ = rnn(xs)
    outputs[-1][0].backward()
    assert sys.getrecursionlimit() == limit
    t_xs = torch.tensor([[x[0].data] for x in xs], requires_grad=True)
    h = None
    for t in range(steps):
        h = theirs(t_xs[t], h)
    h[0].backward()
    assert_close([x[0].grad for x in xs[-50:]], t_xs.grad[-50:, 0].tolist(), "input grad")
    assert_close(
        [p.grad for p in rnn.parameters()],
        [g for p in theirs.parameters() for g in p.grad.flatten().tolist()],
        "param grad",
    )


def test_gradcheck_small_unrolled_lstm():
    lstm = nn.LSTMCell(2, 2, seed=1)
    n_params = len(lstm.parameters())
    xs = random_nested((3, 2), random.Random(2))

    def f(*leaves):
        replace_parameters(lstm, list(leaves[:n_params]))
        inputs = unflatten(list(leaves[n_params:]), (3, 2))
        state = None
        for x in inputs:
            state = lstm(x, state)
        return engine.sum(state[0]) + engine.sum(state[1]) * 0.5

    assert engine.gradcheck(f, [p.data for p in lstm.parameters()] + flatten(xs))


def test_rnn_config_and_save_round_trip(tmp_path):
    rnn = nn.RNN(2, 3, cell="lstm", bias=False, seed=4)
    path = tmp_path / "lstm.json"
    rnn.save(path)
    loaded = nn.load(path)
    assert isinstance(loaded, nn.RNN) and loaded.config() == rnn.config()
    xs = [[0.5, -0.5], [1.0, 0.0]]
    assert [v.data for v in loaded(xs)[0][-1]] == [v.data for v in rnn(xs)[0][-1]]
    assert [name for name, _ in rnn.named_parameters()][:2] == ["cell.weight_ih.0.0", "cell.weight_ih.0.1"]


def test_stacked_rnn_classifier_matches_torch_lstm_with_a_linear_head(torch):
    rng = random.Random(5)
    ours = nn.RNNClassifier(2, [3, 3], output_size=4, cell="lstm", seed=0)
    lstm, linear = torch.nn.LSTM(2, 3, num_layers=2), torch.nn.Linear(3, 4)
    state = {}
    for k in range(2):
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            state[f"layers.{k}.cell.{name}"] = getattr(lstm, f"{name}_l{k}").tolist()
    for j in range(4):
        state[f"head.neurons.{j}.w"] = linear.weight[j].tolist()
        state[f"head.neurons.{j}.b"] = linear.bias[j].item()
    ours.load_state_dict(state)
    xs = random_nested((5, 2), rng)
    xs_v = to_values(xs)
    scores = ours(xs_v)
    t_xs = torch.tensor(xs, requires_grad=True)
    t_scores = linear(lstm(t_xs)[0][-1])
    assert_close([s.data for s in scores], t_scores.tolist(), "scores")
    g = backward_with_random_cotangent(scores, rng)
    (t_scores * torch.tensor(g)).sum().backward()
    assert_close([v.grad for v in flatten(xs_v)], t_xs.grad.flatten().tolist(), "input grad")
    assert_close(
        [v.grad for v in flatten(ours.layers[0].cell.weight_hh)], lstm.weight_hh_l0.grad.flatten().tolist(), "w_hh"
    )


def test_rnn_classifier_config_and_save_round_trip(tmp_path):
    model = nn.RNNClassifier(3, [4, 2], output_size=2, cell="gru", seed=1)
    assert model.config() == {
        "input_size": 3,
        "hidden_size": [4, 2],
        "output_size": 2,
        "cell": "gru",
        "bias": True,
        "nonlinearity": "tanh",
    }
    model.save(tmp_path / "m.json")
    loaded = nn.load(tmp_path / "m.json")
    xs = [[0.1, 0.2, 0.3], [0.0, -1.0, 1.0]]
    assert [v.data for v in loaded(xs)] == [v.data for v in model(xs)]
    with pytest.raises(ValueError, match="non-empty list of sizes"):
        nn.RNNClassifier(1, [], 2)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_rnn_from_a_cell_matches_the_named_form_and_torch(torch, tmp_path, kind):
    cell = getattr(nn, CELLS[kind])(2, 3, seed=7)
    forms = [nn.RNN(cell), nn.RNN(cell=cell), nn.RNN(2, 3, cell=kind, seed=7)]
    assert forms[0].cell is cell and forms[1].cell is cell
    assert forms[0].config() == forms[2].config() == {
        "input_size": 2, "hidden_size": 3, "bias": True, "cell": kind, "nonlinearity": "tanh"
    }
    forms[0].save(tmp_path / "rnn.json")
    forms.append(nn.load(tmp_path / "rnn.json"))
    theirs = torch_cell(torch, kind, 2, 3, True, "tanh")
    copy_weights(cell, theirs, into_torch=True)
    xs = random_nested((4, 2), random.Random(1))
    s = None
    for x in torch.tensor(xs):
        s = theirs(x, s)
    expected = (s[0] if kind == "lstm" else s).tolist()
    for rnn in forms:
        assert_close([v.data for v in rnn(xs)[0][-1]], expected, f"{kind} last output")


def test_rnn_from_a_cell_keeps_its_settings_and_refuses_disagreeing_ones():
    relu = nn.RNN(nn.RNNCell(2, 3, bias=False, nonlinearity="relu"))
    assert relu.config() == {"input_size": 2, "hidden_size": 3, "bias": False, "cell": "rnn", "nonlinearity": "relu"}
    cell = nn.LSTMCell(2, 3)
    assert nn.RNN(cell, hidden_size=3, bias=True).cell is cell
    with pytest.raises(ValueError, match=r"disagrees with hidden_size=4 \(the cell has 3\)"):
        nn.RNN(cell, hidden_size=4)
    with pytest.raises(ValueError, match=r"disagrees with input_size=5 \(the cell has 2\)"):
        nn.RNN(5, cell=cell)
    with pytest.raises(ValueError, match="nonlinearity='relu'"):
        nn.RNN(cell, nonlinearity="relu")
    with pytest.raises(ValueError, match="seed initialise a new cell"):
        nn.RNN(cell, seed=1)
    with pytest.raises(ValueError, match="give the cell once"):
        nn.RNN(cell, cell=cell)


@pytest.mark.parametrize(("state", "missing"), [(([0.0, 0.0], None), "c"), ((None, [0.0, 0.0]), "h")])
def test_lstm_state_with_a_none_half_is_refused(no_nodes, state, missing):
    with pytest.raises(ValueError, match=f"LSTMCell state: {missing} is None; give both h and c"):
        nn.LSTMCell(1, 2)([0.5], state)
