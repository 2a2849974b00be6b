"""Max/avg pooling (1-d and 2-d) and Flatten against PyTorch float64, tie-breaking, and input checks."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_oracle import assert_close, backward_with_random_cotangent, random_nested, to_values

import nn
import nn.pooling
from engine import Value
from nn.nested import flatten

POOLS = {
    ("max", 1): (nn.MaxPool1d, "max_pool1d"),
    ("max", 2): (nn.MaxPool2d, "max_pool2d"),
    ("avg", 1): (nn.AvgPool1d, "avg_pool1d"),
    ("avg", 2): (nn.AvgPool2d, "avg_pool2d"),
}


@st.composite
def pool_cases(draw: st.DrawFn) -> tuple:
    kind, ndim = draw(st.sampled_from(sorted(POOLS)))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    stride = draw(st.none() | st.tuples(*[st.integers(1, 3)] * ndim))
    spatial = tuple(draw(st.integers(k, 6)) for k in kernel)
    return kind, ndim, kernel, stride, (draw(st.integers(1, 3)), *spatial), draw(st.integers(0, 10**6))


@settings(max_examples=60)
@given(case=pool_cases())
def test_pooling_matches_torch(torch, case):
    kind, ndim, kernel, stride, shape, seed = case
    cls, fn = POOLS[kind, ndim]
    rng = random.Random(seed)
    # Rounded inputs make ties common, so the tie rule is compared with torch's too.
    x = torch.tensor([float(rng.randint(-2, 2)) for _ in range(math.prod(shape))]).reshape(shape).tolist()
    xv = to_values(x)
    out = cls(kernel, stride)(xv)
    t_in = torch.tensor(x, requires_grad=True)
    t_out = getattr(torch.nn.functional, fn)(t_in.unsqueeze(0), kernel, stride)[0]
    assert_close([v.data for v in flatten(out)], t_out.flatten().tolist(), "output")
    g = backward_with_random_cotangent(out, rng)
    (t_out.flatten() * torch.tensor(g)).sum().backward()
    assert_close([v.grad for v in flatten(xv)], t_in.grad.flatten().tolist(), "input grad")


def test_max_pool_tie_goes_to_the_first_element():
    x = [[[Value(2.0), Value(5.0)], [Value(5.0), Value(5.0)]]]
    out = nn.MaxPool2d(2)(x)
    out[0][0][0].backward()
    assert [[v.grad for v in row] for row in x[0]] == [[0.0, 1.0], [0.0, 0.0]]
    y = [[Value(1.0), Value(1.0), Value(1.0)]]
    nn.MaxPool1d(3)(y)[0][0].backward()
    assert [v.grad for v in y[0]] == [1.0, 0.0, 0.0]


def test_each_output_is_one_node():
    x = to_values(random_nested((1, 4, 4), random.Random(0)))
    mx = nn.MaxPool2d(2)(x)[0][1][1]
    av = nn.AvgPool2d(2)(x)[0][1][1]
    window = [x[0][2][2], x[0][2][3], x[0][3][2], x[0][3][3]]
    assert mx.op == "max" and list(mx.parents) == window
    assert av.op == "div_const" and av.parents[0].op == "sum" and list(av.parents[0].parents) == window


def test_stride_defaults_to_kernel_size_and_config_round_trips():
    pool = nn.MaxPool2d((2, 3))
    assert pool.stride == (2, 3)
    assert nn.MaxPool2d(**pool.config()).config() == pool.config() == {"kernel_size": [2, 3], "stride": [2, 3]}
    assert nn.AvgPool1d(2, 1).config() == {"kernel_size": 2, "stride": 1}
    assert repr(nn.AvgPool1d(2, 1)) == "AvgPool1d(kernel_size=(2,), stride=(1,))"


def test_flatten_is_row_major():
    x = [[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]
    assert nn.Flatten()(x) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    with pytest.raises(ValueError, match="Flatten input: ragged list"):
        nn.Flatten()([[1.0, 2.0], [3.0]])


@pytest.fixture
def no_nodes(forbid_nodes):
    forbid_nodes(nn.pooling.engine, "max", "sum")


@pytest.mark.parametrize(
    ("pool", "x", "expected"),
    [
        (nn.MaxPool2d(2), [[0.0, 1.0]], r"expected shape \[C\]\[H\]\[W\], got \[1\]\[2\]"),
        (nn.AvgPool1d(2), [[0.0, 1.0], [2.0]], r"ragged list"),
        (nn.MaxPool2d(3), [[[0.0] * 4] * 2], r"MaxPool2d: kernel \[3\]\[3\] is larger than the input \[2\]\[4\]$"),
        (nn.AvgPool1d(3), [[0.0, 1.0]], r"AvgPool1d: kernel \[3\] is larger than the input \[2\]$"),
    ],
)
def test_bad_shapes_raise_before_building(no_nodes, pool, x, expected):
    with pytest.raises(ValueError, match=expected):
        pool(x)
