"""Max and average pooling over nested lists (1-d `[C][L]` and 2-d `[C][H][W]`), and Flatten.

Each output element is one node: `engine.max(window)` for max pooling, whose gradient goes to the
window's arg-max, and `engine.sum(window) / count` for average pooling. When several inputs in a
window tie for the maximum, the gradient goes to the FIRST of them in row-major order, which is
what PyTorch's CPU kernel does too. Pooling works per channel and has no parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import engine
from engine import Value
from nn.module import Module
from nn.nested import Nested, check_shape, flat_values, flatten, shape_of, unflatten
from nn.windows import DIM_NAMES, IntOrTuple, Window, WindowedModule, as_tuple, unwrap


class _PoolNd(WindowedModule):
    """The shared body of the pooling modules: `_reduce` turns one window of Values into one output Value."""

    _ndim = 0

    def __init__(self, kernel_size: IntOrTuple, stride: IntOrTuple | None = None) -> None:
        name = type(self).__name__
        self.kernel_size = as_tuple(kernel_size, self._ndim, f"{name} kernel_size", 1)
        self.stride = self.kernel_size if stride is None else as_tuple(stride, self._ndim, f"{name} stride", 1)
        self.padding, self.dilation = (0,) * self._ndim, (1,) * self._ndim  # not offered, as in nn.AvgPool

    def _reduce(self, window: list[Value]) -> Value:
        raise NotImplementedError

    def _rows(self, spatial: tuple[int, ...], found: list[Window]) -> list[list[int]]:
        """Per output position, the window's flat indices into one channel."""
        return [inputs for _, inputs in found]

    def forward(self, x: Nested) -> Nested:
        """The pooled `[C][*spatial_out]` for an input `[C][*spatial]` of Values or numbers.

        Raises ValueError with the expected and actual shapes (wrong number of dimensions, ragged list,
        kernel larger than the input) before building any node.
        """
        name = type(self).__name__
        shape = check_shape(x, (None,) * (self._ndim + 1), f"{name} input", DIM_NAMES[self._ndim])
        out, rows = self._plan(shape[1:])
        reduce = self._reduce
        result = []
        for channel in x:
            xs = flat_values(channel)
            result.append(unflatten([reduce([xs[i] for i in row]) for row in rows], out))
        return result

    def config(self) -> dict[str, Any]:
        return {"kernel_size": unwrap(self.kernel_size), "stride": unwrap(self.stride)}

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int | None:
        return 0

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class _MaxPool(_PoolNd):
    def _reduce(self, window: list[Value]) -> Value:
        return engine.max(window)


class _AvgPool(_PoolNd):
    def _reduce(self, window: list[Value]) -> Value:
        return engine.sum(window) / len(window)


class MaxPool1d(_MaxPool):
    """Max over windows of `kernel_size` along L of a `[C][L]` input; stride defaults to kernel_size.

    The gradient of each output goes to the first arg-max of its window (ties go to the first).
    """

    _ndim = 1


class MaxPool2d(_MaxPool):
    """Max over `kernel_size` windows of a `[C][H][W]` input; stride defaults to kernel_size (int or pair each).

    The gradient of each output goes to the first arg-max of its window in row-major order (ties go to the first).
    """

    _ndim = 2


class AvgPool1d(_AvgPool):
    """Mean over windows of `kernel_size` along L of a `[C][L]` input; stride defaults to kernel_size."""

    _ndim = 1


class AvgPool2d(_AvgPool):
    """Mean over `kernel_size` windows of a `[C][H][W]` input; stride defaults to kernel_size (int or pair each)."""

    _ndim = 2


class Flatten(Module):
    """A nested list of any shape to a flat list in row-major order (`[C][H][W]` -> `[C*H*W]`), e.g. before a Layer.

    There is no batch dimension, so it flattens everything, like `torch.flatten(x)` on one sample.
    """

    def forward(self, x: Nested) -> list[Any]:
        """The leaves of `x` in row-major order. Raises ValueError on a ragged list."""
        shape_of(x, "Flatten input")
        return flatten(x)

    def config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int | None:
        return 0
