"""`export_onnx`: a scalargrad model as an ONNX file (for onnxruntime, or to look at in Netron), through `to_torch`.

The file takes a batch `input` of shape `[N, *sample shape]` (N free) and names its outputs `output`,
or `outputs`, `h` (and `c`) for an RNN or a cell. Nodes are named after the layers (`/0/Gemm`,
`/layers.0/...`). A recurrent model is unrolled over the example's sequence length, which the file then
expects. It is written in float64, except where onnxruntime's CPU kernels exist only in float32 (Conv
and AveragePool): a model with those layers is written in float32.
"""

from __future__ import annotations

import os
import warnings

from engine import no_grad
from nn.containers import Sequential
from nn.conv import Conv1d, Conv2d
from nn.module import Module
from nn.nested import Nested, map_nested, shape_of
from nn.pooling import AvgPool1d, AvgPool2d
from nn.recurrent import RNN, GRUCell, LSTMCell, RNNCell
from nn.torch_export import to_torch
from nn.torch_layouts import require

OPSET = 17  # onnxruntime runs every op this writes in float64 at this opset (LeakyRelu in double only up to 16-18)
FLOAT32_ONLY = (Conv1d, Conv2d, AvgPool1d, AvgPool2d)


def export_onnx(model: Module, path: str | os.PathLike[str], example_input: Nested) -> str:
    """Write `model` to `path` as ONNX, traced on `example_input` (one sample); return the dtype written.

    Raises ValueError when the model cannot run on the example, TypeError for a layer with no torch
    counterpart, ImportError naming the `torch` extra when torch or onnx is missing.
    """
    torch = require("torch", "nn.export_onnx")
    onnx = require("onnx", "nn.export_onnx")
    dtype = torch.float32 if _has(model, FLOAT32_ONLY) else torch.float64
    check_example(model, example_input, "export_onnx")
    twin = to_torch(model, dtype=dtype).eval()
    x = torch.tensor([map_nested(float, example_input)], dtype=dtype)
    outputs = _output_names(model)
    with warnings.catch_warnings():
        # torch deprecates this TorchScript exporter (its internals warn too) for the torch.export one, which
        # needs onnxscript and takes 5-16 s a model; this one takes under a second, is exact and names nodes
        # after the layers (/0/Gemm). Only its deprecation notices are silenced, only here.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(twin, (x,), os.fspath(path), input_names=["input"], output_names=outputs,
                          dynamic_axes={name: {0: "batch"} for name in ["input", *outputs]},
                          opset_version=OPSET, dynamo=False)
    onnx.checker.check_model(os.fspath(path), full_check=True)
    return "float32" if dtype is torch.float32 else "float64"


def check_example(model: Module, example_input: Nested, where: str) -> None:
    """Run the model once on the example, so a wrong shape gets the model's own message, as a ValueError."""
    with no_grad():
        try:
            model(example_input)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: the model cannot run on example_input: {exc}") from None
    shape_of(example_input, "example_input")


def _has(model: Module, classes: tuple[type, ...]) -> bool:
    if isinstance(model, classes):
        return True
    return any(_has(child, classes) for _, child in model.named_children())


def _output_names(model: Module) -> list[str]:
    last = model
    while isinstance(last, Sequential) and len(last):
        last = last[-1]
    state = ["h", "c"] if isinstance(getattr(last, "cell", last), LSTMCell) else ["h"]
    if isinstance(last, RNN):
        return ["outputs", *state]
    if isinstance(last, RNNCell | LSTMCell | GRUCell):
        return state
    return ["output"]
