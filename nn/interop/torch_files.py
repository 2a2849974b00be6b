"""`scalargrad export`: a saved model file written as ONNX and/or as a PyTorch program (`torch.export`).

The PyTorch file loads in one line with torch alone, no scalargrad needed:
`model = torch.export.load("OUT.pt2").module()`; it takes a batch `[N, *sample shape]` in float64.
Tracing needs the shape of one sample: `input_shape`, else the data set the file was trained on
(`train --save` records it), else the model's own input size (dense layers and cells).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

from nn.containers import Sequential
from nn.interop.onnx_export import check_example, export_onnx
from nn.interop.torch_export import to_torch
from nn.interop.torch_layouts import require
from nn.layers import MLP, Layer, Neuron
from nn.limits import MAX_SAMPLE_DIMENSIONS, MAX_SAMPLE_NUMBERS
from nn.loading import load
from nn.model_file import read_model_file
from nn.module import Module
from nn.nested import Nested
from nn.recurrent import GRUCell, LSTMCell, RNNCell


def parse_shape(text: str) -> tuple[int, ...]:
    """A sample shape such as "1,8,8", checked against nn.limits before anything is allocated.

    Raises ValueError unless it is comma-separated whole numbers >= 1, at most MAX_SAMPLE_DIMENSIONS of them,
    holding at most MAX_SAMPLE_NUMBERS numbers in all.
    """
    parts = text.split(",")
    if len(parts) > MAX_SAMPLE_DIMENSIONS:
        raise ValueError(f"input shape: {len(parts)} sizes, more than the limit of {MAX_SAMPLE_DIMENSIONS}")
    try:
        shape = tuple(int(part) for part in parts)
    except ValueError:
        raise ValueError(f"input shape: expected comma-separated sizes like 1,8,8, got {text!r:.60}") from None
    if any(size < 1 for size in shape):
        raise ValueError(f"input shape: sizes must be at least 1, got {text!r:.60}")
    if math.prod(shape) > MAX_SAMPLE_NUMBERS:
        raise ValueError(f"input shape: {text:.60} holds more than {MAX_SAMPLE_NUMBERS:,} numbers, the limit for "
                         "one sample")
    return shape


def sample_shape(model: Module, meta: dict[str, Any]) -> tuple[int, ...] | None:
    """The shape of one sample from the file's training record, else from the model's first layer; None if unknown."""
    from nn.cli.choices import DATASETS

    trained = meta.get("trained_with")
    data = trained.get("data") if isinstance(trained, dict) else None
    if isinstance(data, str) and data in DATASETS:
        return DATASETS[data].shape
    first = model[0] if isinstance(model, Sequential) and len(model) else model
    if isinstance(first, Neuron | Layer | MLP):
        return (first.nin,)
    if isinstance(first, RNNCell | LSTMCell | GRUCell):
        return (first.input_size,)
    return None


def save_torch_program(model: Module, path: str | os.PathLike[str], example_input: Nested) -> None:
    """Write `to_torch(model)` as a `torch.export` program traced on `example_input`, batch size left free.

    Raises ImportError naming the `torch` extra when torch is missing.
    """
    torch = require("torch", "saving a PyTorch program")
    check_example(model, example_input, "save_torch_program")
    twin = to_torch(model).eval()
    # A batch of two: torch.export treats a size of 1 as a constant, and the batch size must stay free.
    x = torch.tensor([example_input, example_input], dtype=torch.float64)
    program = torch.export.export(twin, (x,), dynamic_shapes=({0: torch.export.Dim("batch")},))
    torch.export.save(program, os.fspath(path))


def export_model_file(
    model_path: str, onnx_path: str | None, torch_path: str | None, input_shape: Sequence[int] | None = None
) -> list[str]:
    """Load a model file and write it as ONNX (`onnx_path`) and/or a PyTorch program (`torch_path`).

    `input_shape` is the shape of one sample (from `parse_shape`), else read from the file. Returns the
    lines to print. Raises ValueError for a bad file or shape, or when neither output is given.
    """
    if onnx_path is None and torch_path is None:
        raise ValueError("nothing to write: give --onnx OUT.onnx and/or --torch OUT.pt2")
    if torch_path is not None and not torch_path.endswith(".pt2"):
        # torch.export.load warns about any other name, so the file is named right from the start.
        raise ValueError(f"--torch {torch_path}: a torch.export program is a .pt2 file, e.g. model.pt2")
    model = load(model_path)
    meta = read_model_file(model_path)["meta"]
    shape = tuple(input_shape) if input_shape is not None else sample_shape(model, meta)
    if shape is None:
        raise ValueError(f"{model_path}: the shape of one input sample is not recorded in the file; "
                         "give it with --input-shape (e.g. 1,8,8 for a one-channel 8x8 image, 12,1 for 12 steps)")
    example = _zeros(shape)
    lines = []
    if onnx_path is not None:
        export_onnx(model, onnx_path, example)
        lines.append(f"wrote {onnx_path} (ONNX, float64, input [batch, {', '.join(map(str, shape))}]; "
                     "open it in Netron or run it with onnxruntime)")
    if torch_path is not None:
        save_torch_program(model, torch_path, example)
        lines.append(f"wrote {torch_path} (PyTorch; load it with "
                     f"model = torch.export.load({torch_path!r}).module())")
    return lines


def _zeros(shape: Sequence[int]) -> Nested:
    if not shape:
        return 0.0
    return [_zeros(shape[1:]) for _ in range(shape[0])]
