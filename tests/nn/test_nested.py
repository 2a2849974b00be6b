"""nn.nested: shapes of nested lists (and the errors naming where they are ragged), flatten/unflatten."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Value
from nn.nested import check_shape, flatten, shape_of, unflatten

shapes = st.lists(st.integers(1, 3), min_size=0, max_size=4).map(tuple)


def build(shape, start=0):
    """A nested list of `shape` holding start, start+1, ... in row-major order."""
    if not shape:
        return float(start)
    step = 1
    for n in shape[1:]:
        step *= n
    return [build(shape[1:], start + i * step) for i in range(shape[0])]


@given(shape=shapes)
def test_shape_flatten_and_unflatten_agree(shape):
    x = build(shape)
    assert shape_of(x, "x") == shape
    flat = flatten(x)
    assert flat == [float(i) for i in range(len(flat))]
    assert unflatten(flat, shape) == x


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        ([[1.0, 2.0], [3.0]], ValueError, r"x: ragged list, item 0 has shape \[2\] but item 1 has \[1\]"),
        ([[[1.0], [2.0]], [[3.0], [4.0, 5.0]]], ValueError, r"x\[1\]: ragged list"),
        ([[1.0], 2.0], ValueError, r"x: ragged list, item 0 has shape \[1\] but item 1 has a scalar"),
        ([[]], ValueError, r"x\[0\]: empty list"),
        ([], ValueError, r"x: empty list"),
        ([[1.0, "a"]], TypeError, r"x\[0\]\[1\]: expected a Value, a number or a list, got str"),
        ([[1.0, None]], TypeError, r"got NoneType"),
        ([True], TypeError, r"got bool"),
    ],
)
def test_bad_nesting_is_named(x, error, match):
    with pytest.raises(error, match=match):
        shape_of(x, "x")


def test_values_ints_and_tuples_are_accepted():
    assert shape_of((Value(1.0), 2, 3.5), "x") == (3,)
    assert shape_of(Value(1.0), "x") == ()


def test_check_shape_message_names_expected_and_actual():
    with pytest.raises(ValueError, match=r"in: expected shape \[C=3\]\[H\]\[W\], got \[2\]\[1\]"):
        check_shape([[0.0], [0.0]], (3, None, None), "in", ("C", "H", "W"))
    with pytest.raises(ValueError, match=r"in: expected shape \[4\]\[any\], got \[2\]"):
        check_shape([0.0, 1.0], (4, None), "in")
    assert check_shape([[0.0, 1.0]], (1, None), "in") == (1, 2)
