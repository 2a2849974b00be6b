"""Convolution and average pooling as Gather + MatMul / ReduceMean, so an ONNX file runs in float64.

onnxruntime's CPU kernels for Conv and AveragePool exist only in float32. Written with index tables
instead (the windows scalargrad itself uses, from nn.windows), a CNN's ONNX file runs in float64 and
matches scalargrad to 1e-9. Only `export_onnx` uses these modules; `to_torch` keeps torch's Conv2d.
This file imports torch, so nn imports it only when exporting.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from nn.windows import output_size, windows


def _window_table(spatial: tuple[int, ...], module: Any, padding: tuple[int, ...], dilation: tuple[int, ...]) -> Any:
    """Per output position, each kernel element's flat input index in one channel, or -1 where it is padding."""
    kernel, stride = _pair(module.kernel_size, len(spatial)), _pair(module.stride, len(spatial))
    out = output_size(spatial, kernel, stride, padding, dilation, type(module).__name__)
    table = []
    for offsets, inputs in windows(spatial, kernel, stride, padding, dilation, out):
        row = [-1] * math.prod(kernel)
        for k, i in zip(offsets, inputs):
            row[k] = i
        table.append(row)
    return out, torch.tensor(table)


def _pair(value: Any, n: int) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value,) * n


class GatherConv(torch.nn.Module):
    """A Conv1d/Conv2d on inputs of one spatial size: gather each window into a row, then one MatMul."""

    index: torch.Tensor

    def __init__(self, conv: Any, shape: tuple[int, ...]) -> None:
        super().__init__()
        spatial = shape[1:]
        self.weight, self.bias = conv.weight, conv.bias
        self.out_channels = conv.out_channels
        self.out, table = _window_table(spatial, conv, conv.padding, conv.dilation)
        size = math.prod(spatial)
        # Index into the input flattened per sample, with one zero appended if padding is read: the padding.
        self.padded = bool((table < 0).any())
        channels = [torch.where(table < 0, conv.in_channels * size, table + c * size) for c in range(conv.in_channels)]
        self.register_buffer("index", torch.cat(channels, dim=1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(1)
        if self.padded:
            flat = torch.cat([flat, torch.zeros_like(flat[:, :1])], dim=1)
        out = flat[:, self.index] @ self.weight.flatten(1).T  # [N, positions, out_channels]
        if self.bias is not None:
            out = out + self.bias
        return out.transpose(1, 2).reshape(-1, self.out_channels, *self.out)


class GatherAvgPool(torch.nn.Module):
    """An AvgPool1d/AvgPool2d on inputs of one spatial size: gather each window, then the mean."""

    index: torch.Tensor

    def __init__(self, pool: Any, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.channels, spatial = shape[0], shape[1:]
        self.size = math.prod(spatial)
        self.out, table = _window_table(spatial, pool, (0,) * len(spatial), (1,) * len(spatial))
        self.register_buffer("index", table, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        windows = x.reshape(-1, self.channels, self.size)[:, :, self.index]  # [N, C, positions, kernel]
        return windows.mean(-1).reshape(-1, self.channels, *self.out)


LOWERED = {
    torch.nn.Conv1d: GatherConv,
    torch.nn.Conv2d: GatherConv,
    torch.nn.AvgPool1d: GatherAvgPool,
    torch.nn.AvgPool2d: GatherAvgPool,
}


def lower_for_float64(twin: torch.nn.Module, x: torch.Tensor) -> torch.nn.Module:
    """`twin` with its convolutions and average pools replaced for an input like `x` (their sizes are read by a run)."""
    shapes: dict[str, tuple[int, ...]] = {}
    hooks = []
    for name, module in twin.named_modules():
        if type(module) in LOWERED:
            def record(module: Any, args: tuple[torch.Tensor, ...], name: str = name) -> None:
                shapes[name] = tuple(args[0].shape[1:])

            hooks.append(module.register_forward_pre_hook(record))
    with torch.no_grad():
        twin(x)
    for hook in hooks:
        hook.remove()
    for name, shape in shapes.items():
        module = twin.get_submodule(name)
        lowered = LOWERED[type(module)](module, shape)
        if not name:
            return lowered
        parent, _, last = name.rpartition(".")
        setattr(twin.get_submodule(parent), last, lowered)
    return twin
