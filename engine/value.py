"""`Value`: one scalar in the computation graph, with its data, its gradient and the op that made it."""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from engine.ops import Op

Number = int | float
Operand = Union["Value", int, float]


def as_float(x: object, where: str) -> float:
    """Convert a real number to float; raise TypeError naming `where` for bool, str, None, complex, lists, ...

    and OverflowError for an int too large for a float.
    """
    if isinstance(x, float):
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: expected an int or float, got {type(x).__name__} ({x!r:.60})")
    try:
        return float(x)
    except OverflowError:
        raise OverflowError(f"{where}: {x!r:.40} is too large for a float") from None


class Value:
    """A scalar that remembers how it was computed, so `backward()` can fill in gradients.

    `data` is the float value, `grad` the gradient of the last output that `backward()` ran from
    (leaves accumulate across calls, as in PyTorch), `label` a name shown in drawings.
    """

    # The graph fields are plain slots, not a closure per node: a closure that refers to its own
    # node makes a reference cycle, and then every discarded graph waits for the cyclic GC. A unary or
    # binary op keeps its operands in `_a` and `_b` rather than in a tuple, so each node is one object for
    # the GC to track, not two; an n-ary op (dot, sum, max, custom ops) keeps the tuple of operands in `_a`.
    __slots__ = ("data", "grad", "label", "_op", "_a", "_b", "_arg")

    data: float
    grad: float
    label: str
    _op: Op | None
    _a: Any
    _b: Any
    _arg: Any

    def __init__(self, data: Number, label: str = "") -> None:
        """Make a leaf. Raises TypeError unless `data` is an int or float and `label` a str."""
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.data = as_float(data, "Value(data)")
        self.grad = 0.0
        self.label = label
        self._op = None
        self._a = None
        self._b = None
        self._arg = None

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        return self.data

    @property
    def op(self) -> str:
        """Name of the op that produced this Value ('' for a leaf)."""
        return self._op.name if self._op is not None else ""

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in operand order (empty for a leaf)."""
        op = self._op
        if op is None:
            return ()
        if op.arity == 0:
            return self._a  # type: ignore[no-any-return]
        return (self._a, self._b) if op.arity == 2 else (self._a,)

    @property
    def is_leaf(self) -> bool:
        return self._op is None

    def __pos__(self) -> Value:
        return self

    if TYPE_CHECKING:
        # The operators and methods below ARE the op functions of engine/ops.py, which binds them to this class
        # where each op's forward and backward are written together. Binding them directly, not through a
        # method that calls them, saves a Python call on every node a program builds.
        def __add__(self, other: Operand) -> Value: ...
        def __radd__(self, other: Number) -> Value: ...
        def __sub__(self, other: Operand) -> Value: ...
        def __rsub__(self, other: Number) -> Value: ...
        def __mul__(self, other: Operand) -> Value: ...
        def __rmul__(self, other: Number) -> Value: ...
        def __truediv__(self, other: Operand) -> Value: ...
        def __rtruediv__(self, other: Number) -> Value: ...
        def __pow__(self, other: Operand) -> Value: ...
        def __rpow__(self, other: Number) -> Value: ...
        def __neg__(self) -> Value: ...
        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def tanh(self) -> Value: ...
        def sigmoid(self) -> Value: ...
        def relu(self) -> Value: ...
        def leaky_relu(self, slope: float = 0.01) -> Value: ...

    def backward(self, gradient: float = 1.0) -> None:
        """Fill in `.grad` of every Value this one depends on (see `engine.autograd.backward`)."""
        _autograd.backward(self, gradient)


# autograd walks Values, so it is imported once the class exists.
from engine import autograd as _autograd  # noqa: E402
