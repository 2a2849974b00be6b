"""Conv1d and Conv2d: cross-correlation over nested lists, each output element one fused `engine.dot` node.

Layouts follow PyTorch without the batch dimension: the input is `[C][L]` or `[C][H][W]`, `weight` is
`[out][in][k]` or `[out][in][kh][kw]` and `bias` is `[out]`, so weights copy between this and
`torch.nn.Conv1d/Conv2d` entry by entry. Each output element is `dot(window weights, window inputs,
bias)`: a single node whose parents are the weights and inputs it read. Zero padding is never
materialised: padded positions are simply left out of the window.

Initialisation is PyTorch's default: weights and bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
fan_in = in_channels * kernel elements, seedable with `rng=random.Random(...)` or `seed=...`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any

from engine import Value, dot
from nn.checks import check_bool, check_count, check_parameter_count, make_rng
from nn.nested import Nested, Shape, check_shape, flat_values, flatten, unflatten
from nn.windows import DIM_NAMES, IntOrTuple, Ints, Window, WindowedModule, as_tuple, unwrap


def _random_tensor(shape: Shape, bound: float, rng: random.Random) -> Nested:
    """A nested list of `shape` of new leaves drawn from U(-bound, bound), in row-major order."""
    return unflatten([Value(rng.uniform(-bound, bound)) for _ in range(math.prod(shape))], shape)


class _ConvNd(WindowedModule):
    """The shared body of Conv1d and Conv2d; `_ndim` is the number of spatial dimensions."""

    _ndim = 0

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrTuple,
        stride: IntOrTuple = 1,
        padding: IntOrTuple = 0,
        dilation: IntOrTuple = 1,
        bias: bool = True,
        rng: random.Random | None = None,
        seed: int | None = None,
    ) -> None:
        name, n = type(self).__name__, self._ndim
        self.in_channels = check_count(in_channels, f"{name} in_channels")
        self.out_channels = check_count(out_channels, f"{name} out_channels")
        self.kernel_size = as_tuple(kernel_size, n, f"{name} kernel_size", 1)
        self.stride = as_tuple(stride, n, f"{name} stride", 1)
        self.padding = as_tuple(padding, n, f"{name} padding", 0)
        self.dilation = as_tuple(dilation, n, f"{name} dilation", 1)
        check_bool(bias, f"{name} bias")
        check_parameter_count(out_channels * (in_channels * math.prod(self.kernel_size) + bias), name)
        rng = make_rng(rng, seed)
        bound = 1.0 / math.sqrt(in_channels * math.prod(self.kernel_size))
        self.weight = _random_tensor((out_channels, in_channels, *self.kernel_size), bound, rng)
        self.bias = _random_tensor((out_channels,), bound, rng) if bias else None

    def _rows(self, spatial: Ints, found: list[Window]) -> list[tuple[list[int] | None, list[int]]]:
        """Per output position: (flat weight indices, None for all of them; flat input indices over every channel)."""
        k_size, in_size = math.prod(self.kernel_size), math.prod(spatial)
        rows: list[tuple[list[int] | None, list[int]]] = []
        for offsets, inputs in found:
            xs = [c * in_size + i for c in range(self.in_channels) for i in inputs]
            full = len(offsets) == k_size
            rows.append((None if full else [c * k_size + k for c in range(self.in_channels) for k in offsets], xs))
        return rows

    def forward(self, x: Nested) -> Nested:
        """The output `[out_channels][*spatial_out]` for an input `[in_channels][*spatial]` of Values or numbers.

        Raises ValueError with the expected and actual shapes (wrong channel count, ragged list, kernel
        larger than the padded input) before building any node.
        """
        name = type(self).__name__
        shape = check_shape(x, (self.in_channels,) + (None,) * self._ndim, f"{name} input", DIM_NAMES[self._ndim])
        out, rows = self._plan(shape[1:])
        xs = flat_values(x)
        weights = [flatten(w) for w in self.weight]
        biases: list[Value | None] = list(self.bias) if self.bias is not None else [None] * self.out_channels
        result: list[list[Value]] = [[] for _ in range(self.out_channels)]
        for w_idx, x_idx in rows:
            window = [xs[i] for i in x_idx]
            for w, b, channel in zip(weights, biases, result):
                if not window and b is None:  # a window wholly in the padding, with no bias: the constant 0
                    channel.append(Value(0.0))
                    continue
                channel.append(dot(w if w_idx is None else [w[i] for i in w_idx], window, b))
        return [unflatten(channel, out) for channel in result]

    def config(self) -> dict[str, Any]:
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": unwrap(self.kernel_size),
            "stride": unwrap(self.stride),
            "padding": unwrap(self.padding),
            "dilation": unwrap(self.dilation),
            "bias": self.bias is not None,
        }

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int | None:
        name = cls.__name__
        n_in = check_count(config["in_channels"], f"{name} in_channels")
        n_out = check_count(config["out_channels"], f"{name} out_channels")
        kernel = as_tuple(config["kernel_size"], cls._ndim, f"{name} kernel_size", 1)
        return n_out * n_in * math.prod(kernel) + (n_out if config.get("bias", True) else 0)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if any(self.padding):
            text += f", padding={self.padding}"
        if any(d != 1 for d in self.dilation):
            text += f", dilation={self.dilation}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv1d(_ConvNd):
    """1-d convolution (cross-correlation, as torch.nn.Conv1d): input `[C][L]`, `weight[out][in][k]`, `bias[out]`."""

    _ndim = 1


class Conv2d(_ConvNd):
    """2-d convolution (as torch.nn.Conv2d): input `[C][H][W]`, `weight[out][in][kh][kw]`, `bias[out]`.

    kernel_size, stride, padding and dilation are each an int or an (h, w) pair.
    """

    _ndim = 2
