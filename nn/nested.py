"""Nested Python lists as tensors: their shape, checked before any graph is built, and conversion to Values.

Conv, pooling and recurrent modules take data as nested lists (channels first, no batch dimension)
whose leaves are Values or plain numbers. These helpers check that such a list is rectangular and has
the shape a module expects, and turn its numbers into Values once per call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from engine import Value
from nn.checks import is_real

Nested = Any  # a Value, a number, or a (nested) list/tuple of them
Shape = tuple[int, ...]


def _is_number(x: object) -> bool:
    return isinstance(x, Value) or is_real(x)


def shape_of(x: Nested, where: str) -> Shape:
    """The shape of a rectangular nested list (`()` for a scalar).

    Raises ValueError naming `where` and the index path of the first ragged or empty list, and
    TypeError for a leaf that is neither a Value nor a real number.
    """
    # Fast path, run on every forward call: read the shape off the first items, then check each level
    # in one sweep. Only when that fails does the slower walk below find and name the problem.
    shape = []
    probe = x
    while isinstance(probe, list | tuple) and probe:
        shape.append(len(probe))
        probe = probe[0]
    level = [x]
    for n in shape:
        below: list[Any] = []
        for item in level:
            if not isinstance(item, list | tuple) or len(item) != n:
                return _checked_shape(x, where)
            below.extend(item)
        level = below
    for leaf in level:
        if type(leaf) is not float and type(leaf) is not Value and not _is_number(leaf):
            return _checked_shape(x, where)
    check_finite(level, shape, where)
    return tuple(shape)


def check_finite(leaves: Sequence[Any], shape: Sequence[int], where: str) -> None:
    """Refuse a NaN or infinite input: the one rule every layer applies to the data it is called with.

    `leaves` are numbers or Values (their data is checked) in row-major order of `shape`. Raises
    ValueError naming `where` and the index path of the first one that is not finite, e.g. `input[0][2][1]`.
    """
    for i, leaf in enumerate(leaves):
        x = leaf.data if isinstance(leaf, Value) else leaf
        if x - x != 0.0:  # NaN or ±inf (x - x is 0 for every finite x): cheaper than math.isfinite here
            index = []
            for size in reversed(shape):
                i, k = divmod(i, size)
                index.append(k)
            path = "".join(f"[{k}]" for k in reversed(index))
            raise ValueError(f"{where}{path} is {x!r}, inputs must be finite")


def _checked_shape(x: Nested, where: str) -> Shape:
    """`shape_of` item by item, so that the error names the first bad item's index path."""
    if _is_number(x):
        return ()
    if not isinstance(x, list | tuple):
        raise TypeError(f"{where}: expected a Value, a number or a list, got {type(x).__name__} ({x!r:.60})")
    if len(x) == 0:
        raise ValueError(f"{where}: empty list")
    inner = _checked_shape(x[0], f"{where}[0]")
    for i in range(1, len(x)):
        other = _checked_shape(x[i], f"{where}[{i}]")
        if other != inner:
            raise ValueError(
                f"{where}: ragged list, item 0 has shape {format_shape(inner)} but item {i} has {format_shape(other)}"
            )
    return (len(x), *inner)


def format_shape(shape: Sequence[int | str | None]) -> str:
    """`[3][8][8]` for (3, 8, 8); a None or name stands for a size that may be anything."""
    return "".join(f"[{'any' if s is None else s}]" for s in shape) or "a scalar"


def check_shape(x: Nested, expected: Sequence[int | None], where: str, names: Sequence[str] = ()) -> Shape:
    """Return the shape of `x` after checking it against `expected` (None matches any size).

    `names` label the dimensions in the message, e.g. ("C", "H", "W"). Raises ValueError with the
    expected and actual shapes when the number of dimensions or a fixed size differs.
    """
    shape = shape_of(x, where)
    ok = len(shape) == len(expected) and all(e is None or e == s for e, s in zip(expected, shape))
    if not ok:
        labels = list(names) + [""] * (len(expected) - len(names))
        want = "".join(f"[{_dim_label(n, e)}]" for n, e in zip(labels, expected))
        raise ValueError(f"{where}: expected shape {want or 'a scalar'}, got {format_shape(shape)}")
    return shape


def _dim_label(name: str, size: int | None) -> str:
    if size is None:
        return name or "any"
    return f"{name}={size}" if name else str(size)


def as_value(x: Value | float) -> Value:
    """`x` itself when it is a Value, else a new constant leaf holding the number."""
    return x if isinstance(x, Value) else Value(x)


def flatten(x: Nested) -> list[Any]:
    """The leaves of a rectangular nested list (as `shape_of` accepts) in row-major order; `[x]` for a scalar."""
    if not isinstance(x, list | tuple):
        return [x]
    out = list(x)
    while out and isinstance(out[0], list | tuple):
        out = [leaf for item in out for leaf in item]
    return out


def flat_values(x: Nested) -> list[Value]:
    """The leaves of `x` in row-major order, numbers turned into Values (one new leaf each)."""
    return [as_value(v) for v in flatten(x)]


def map_nested(fn: Callable[[Any], Any], x: Nested) -> Nested:
    """A list of the same nesting as `x` with `fn` applied to every leaf."""
    if isinstance(x, list | tuple):
        return [map_nested(fn, item) for item in x]
    return fn(x)


def unflatten(flat: Sequence[Any], shape: Shape) -> Nested:
    """Nest a row-major flat list into lists of `shape` (inverse of `flatten`)."""
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0]
    return [unflatten(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]
