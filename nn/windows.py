"""Sliding windows over the spatial dimensions of a channels-first tensor, shared by convolution and pooling.

A window is described by index lists into the row-major flattening of the input, so a module builds
each output element from plain list lookups. Positions that fall into the zero padding are left out
of the window instead of being multiplied by a zero Value: they add nothing to a sum and no nodes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

from nn.checks import is_int
from nn.limits import MAX_POSITIONS
from nn.module import Module
from nn.nested import format_shape

Ints = tuple[int, ...]
IntOrTuple = int | Sequence[int]
Window = tuple[list[int], list[int]]  # (flat kernel offsets, flat input positions) of one output position

# The names of a channels-first sample's dimensions for 1 and 2 spatial dimensions, for shape errors.
DIM_NAMES = {1: ("C", "L"), 2: ("C", "H", "W")}


def as_tuple(value: int | Sequence[int], n: int, name: str, minimum: int) -> Ints:
    """`value` as an n-tuple of ints >= `minimum` (an int is repeated n times).

    Raises TypeError for non-ints (including bool) and ValueError for a wrong length or a too small entry.
    """
    items = [value] * n if is_int(value) else value
    if not isinstance(items, list | tuple) or not all(is_int(v) for v in items):
        raise TypeError(f"{name}: expected an int or a sequence of {n} ints, got {value!r:.60}")
    if len(items) != n:
        raise ValueError(f"{name}: expected an int or {n} ints, got {len(items)} ({value!r})")
    if any(v < minimum for v in items):
        raise ValueError(f"{name}: every entry must be >= {minimum}, got {value!r}")
    return tuple(items)


def output_size(spatial: Ints, kernel: Ints, stride: Ints, padding: Ints, dilation: Ints, where: str) -> Ints:
    """The spatial output size, floor((n + 2p - d(k-1) - 1) / s) + 1 per dimension, as in PyTorch.

    Raises ValueError naming `where` when the (dilated) kernel is larger than the padded input.
    """
    extent = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    padded = tuple(n + 2 * p for n, p in zip(spatial, padding))
    if any(e > n for e, n in zip(extent, padded)):
        # Pooling has neither dilation nor padding, so each is worded only when it changes the sizes.
        what = f"kernel {format_shape(kernel)}"
        if extent != kernel:
            what += f" (dilated extent {format_shape(extent)})"
        against = f"the input {format_shape(spatial)}"
        if any(padding):
            against = (f"the padded input {format_shape(padded)} "
                       f"(input {format_shape(spatial)}, padding {format_shape(padding)})")
        raise ValueError(f"{where}: {what} is larger than {against}")
    return tuple((n - e) // s + 1 for n, e, s in zip(padded, extent, stride))


def windows(
    spatial: Ints, kernel: Ints, stride: Ints, padding: Ints, dilation: Ints, out: Ints
) -> list[Window]:
    """For each output position (row-major), the window's (kernel offsets, input positions) as flat indices.

    Both lists are row-major flat indices (into the kernel and into one input channel) and skip the
    positions that fall into the padding, so they have equal length.
    """
    kernel_offsets = list(itertools.product(*(range(k) for k in kernel)))
    in_strides = [math.prod(spatial[d + 1 :]) for d in range(len(spatial))]
    result = []
    for position in itertools.product(*(range(n) for n in out)):
        origin = [p * s - pad for p, s, pad in zip(position, stride, padding)]
        offsets, inputs = [], []
        for k_flat, offset in enumerate(kernel_offsets):
            coords = [o + k * d for o, k, d in zip(origin, offset, dilation)]
            if all(0 <= c < n for c, n in zip(coords, spatial)):
                offsets.append(k_flat)
                inputs.append(sum(c * st for c, st in zip(coords, in_strides)))
        result.append((offsets, inputs))
    return result


def unwrap(t: Ints) -> int | list[int]:
    """A size as a config stores it: the int itself in 1-d, a list in 2-d (as PyTorch's int-or-tuple arguments)."""
    return t[0] if len(t) == 1 else list(t)


class WindowedModule(Module):
    """The base of convolution and pooling: a kernel slid over the input, its window plan cached per input size.

    Subclasses set `kernel_size`, `stride`, `padding` and `dilation` (tuples of `_ndim` ints), and may turn
    the windows into their own index rows with `_rows`; `_plan` computes those once per input size.
    """

    _ndim = 0
    kernel_size: Ints
    stride: Ints
    padding: Ints
    dilation: Ints

    def _rows(self, spatial: Ints, found: list[Window]) -> list[Any]:
        """What a forward pass reads per output position; the windows themselves unless a subclass says otherwise."""
        return found

    def _plan(self, spatial: Ints) -> tuple[Ints, list[Any]]:
        """The output size for input size `spatial` and `_rows` of its windows; ValueError for a too small input."""
        # Created on first use, so that subclasses need not call a base __init__ for it.
        cache: dict[Ints, tuple[Ints, list[Any]]] = self.__dict__.setdefault("_windows", {})
        plan = cache.get(spatial)
        if plan is None:
            geometry = (self.kernel_size, self.stride, self.padding, self.dilation)
            out = output_size(spatial, *geometry, type(self).__name__)
            if math.prod(out) > MAX_POSITIONS:
                raise ValueError(f"{type(self).__name__}: input {format_shape(spatial)} with padding "
                                 f"{format_shape(self.padding)} gives {math.prod(out):,} output positions, more "
                                 f"than the limit of {MAX_POSITIONS:,}")
            plan = cache[spatial] = (out, self._rows(spatial, windows(spatial, *geometry, out)))
        return plan
