"""Conv1d and Conv2d against PyTorch float64 (outputs and all gradients), graph shape, input checks, gradcheck."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_oracle import (
    backward_with_random_cotangent,
    compare,
    copy_weights,
    random_nested,
    replace_parameters,
    to_values,
)

import engine
import nn
import nn.conv
from nn.nested import flatten, unflatten

pair = st.tuples


@st.composite
def conv_configs(draw: st.DrawFn, ndim: int) -> dict:
    """Random conv arguments plus an input size big enough for the dilated kernel."""
    dims = st.tuples(*[st.integers(1, 3)] * ndim)
    kernel, stride, dilation = draw(dims), draw(dims), draw(st.tuples(*[st.integers(1, 2)] * ndim))
    padding = draw(st.tuples(*[st.integers(0, 2)] * ndim))
    spatial = tuple(draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), 6)) for k, d, p in zip(kernel, dilation, padding))
    return {
        "in_channels": draw(st.integers(1, 3)),
        "out_channels": draw(st.integers(1, 3)),
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "bias": draw(st.booleans()),
        "spatial": spatial,
        "seed": draw(st.integers(0, 10**6)),
    }


def check_against_torch(torch, ndim: int, cfg: dict) -> None:
    cfg = dict(cfg)
    spatial, seed = cfg.pop("spatial"), cfg.pop("seed")
    ours = (nn.Conv1d if ndim == 1 else nn.Conv2d)(**cfg)
    torch.manual_seed(seed)
    theirs = (torch.nn.Conv1d if ndim == 1 else torch.nn.Conv2d)(**cfg)
    copy_weights(ours, theirs, into_torch=seed % 2 == 1)
    rng = random.Random(seed)
    x = random_nested((cfg["in_channels"], *spatial), rng)
    xv = to_values(x)
    out = ours(xv)
    t_in = torch.tensor(x, requires_grad=True)
    t_out = theirs(t_in.unsqueeze(0))[0]
    g = backward_with_random_cotangent(out, rng)
    compare(torch, ours, out, xv, theirs, t_out, t_in, g)


@settings(max_examples=40)
@given(cfg=conv_configs(2))
def test_conv2d_matches_torch(torch, cfg):
    check_against_torch(torch, 2, cfg)


@settings(max_examples=40)
@given(cfg=conv_configs(1))
def test_conv1d_matches_torch(torch, cfg):
    check_against_torch(torch, 1, cfg)


@pytest.mark.parametrize(
    "cfg",
    [
        # non-square kernel, stride, padding and dilation all different from 1 and from each other per axis
        {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 2), "dilation": (2, 1), "spatial": (7, 5)},
        {"kernel_size": (1, 4), "stride": (1, 3), "padding": (0, 1), "dilation": (1, 2), "spatial": (3, 9)},
        {"kernel_size": 3, "stride": 1, "padding": 1, "dilation": 1, "spatial": (4, 4)},  # "same" padding
    ],
)
def test_conv2d_fixed_cases_match_torch(torch, cfg):
    check_against_torch(torch, 2, {"in_channels": 2, "out_channels": 3, "bias": True, "seed": 7, **cfg})


def test_each_output_is_one_dot_node_without_padding_values():
    conv = nn.Conv2d(2, 3, 3, padding=1, seed=0)
    x = to_values(random_nested((2, 4, 4), random.Random(0)))
    out = conv(x)
    inputs = {id(v) for v in flatten(x)}
    params = {id(p) for p in conv.parameters()}
    for o in range(3):
        for i in range(4):
            for j in range(4):
                node = out[o][i][j]
                assert node.op == "dot"
                # every parent is a weight, an input or the bias: no zero Value stands in for the padding
                assert all(id(p) in inputs or id(p) in params for p in node.parents)
                rows = sum(0 <= i + di < 4 for di in (-1, 0, 1))
                cols = sum(0 <= j + dj < 4 for dj in (-1, 0, 1))
                assert len(node.parents) == 2 * (2 * rows * cols) + 1
    corner = out[1][0][0]
    assert corner.parents[-1] is conv.bias[1]


def test_float_inputs_give_the_same_result_as_values():
    conv = nn.Conv1d(2, 2, 2, seed=3)
    x = random_nested((2, 5), random.Random(1))
    assert [v.data for v in flatten(conv(x))] == [v.data for v in flatten(conv(to_values(x)))]


def test_weight_layout_and_names_follow_torch():
    conv = nn.Conv2d(3, 4, (2, 5), bias=True, seed=0)
    state = conv.state_dict()
    assert list(state) == ["weight", "bias"]
    assert (
        len(state["weight"]),
        len(state["weight"][0]),
        len(state["weight"][0][0]),
        len(state["weight"][0][0][0]),
    ) == (
        4,
        3,
        2,
        5,
    )
    assert len(state["bias"]) == 4
    assert "bias" not in nn.Conv1d(1, 1, 1, bias=False).state_dict()


def test_init_is_seedable_and_within_torch_bound():
    a, b = nn.Conv2d(2, 3, 3, seed=5), nn.Conv2d(2, 3, 3, seed=5)
    assert a.state_dict() == b.state_dict()
    bound = 1 / (2 * 9) ** 0.5
    assert all(-bound <= p.data <= bound for p in a.parameters())
    assert max(abs(p.data) for p in a.parameters()) > bound / 2


@pytest.fixture
def no_nodes(forbid_nodes):
    """Building any conv node fails the test, to show that checks run before the graph is built."""
    forbid_nodes(nn.conv, "dot")


@pytest.mark.parametrize(
    ("conv", "x", "expected"),
    [
        (nn.Conv2d(3, 1, 2), [[[0.0] * 4] * 4] * 2, r"expected shape \[C=3\]\[H\]\[W\], got \[2\]\[4\]\[4\]"),
        (nn.Conv1d(1, 1, 2), [[[0.0] * 4]], r"expected shape \[C=1\]\[L\], got \[1\]\[1\]\[4\]"),
        (nn.Conv2d(1, 1, 3), [[[0.0, 1.0], [2.0]]], r"ragged list, item 0 has shape \[2\] but item 1 has \[1\]"),
        (nn.Conv2d(1, 1, (3, 1)), [[[0.0], [1.0]]], r"kernel \[3\]\[1\] is larger than the input \[2\]\[1\]$"),
        (nn.Conv1d(1, 1, 3, dilation=2), [[0.0] * 4], r"\(dilated extent \[5\]\) is larger than the input \[4\]$"),
        (nn.Conv1d(1, 1, 5, padding=1), [[0.0] * 2], r"the padded input \[4\] \(input \[2\], padding \[1\]\)$"),
    ],
)
def test_bad_shapes_raise_before_building(no_nodes, conv, x, expected):
    with pytest.raises(ValueError, match=expected):
        conv(x)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="kernel_size: expected an int or 2 ints, got 3"):
        nn.Conv2d(1, 1, (1, 2, 3))
    with pytest.raises(ValueError, match="stride: every entry must be >= 1"):
        nn.Conv1d(1, 1, 2, stride=0)
    with pytest.raises(TypeError, match="in_channels must be an int"):
        nn.Conv1d(1.5, 1, 2)
    with pytest.raises(TypeError, match="padding"):
        nn.Conv2d(1, 1, 2, padding=True)


def test_config_rebuilds_an_equal_conv():
    conv = nn.Conv2d(2, 3, (3, 1), stride=2, padding=(0, 1), dilation=(2, 1), bias=False)
    assert nn.Conv2d(**conv.config()).config() == conv.config()
    assert repr(conv) == "Conv2d(2, 3, kernel_size=(3, 1), stride=(2, 2), padding=(0, 1), dilation=(2, 1), bias=False)"
    assert nn.Conv1d(1, 2, 3).config()["kernel_size"] == 3


def test_gradcheck_small_conv():
    conv = nn.Conv2d(1, 2, 2, stride=1, padding=1, seed=0)
    n_params = len(conv.parameters())
    x = random_nested((1, 3, 2), random.Random(0))

    def f(*leaves):
        replace_parameters(conv, list(leaves[:n_params]))
        out = flatten(conv(unflatten(list(leaves[n_params:]), (1, 3, 2))))
        return engine.sum([o.tanh() * (k + 1) for k, o in enumerate(out)])

    assert engine.gradcheck(f, [p.data for p in conv.parameters()] + flatten(x))
