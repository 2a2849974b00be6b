"""`export_onnx`: a scalargrad model as an ONNX file (for onnxruntime, or to look at in Netron), through `to_torch`.

The file takes a batch `input` of shape `[N, *sample shape]` (N free) and names its outputs `output`,
or `outputs`, `h` (and `c`) for an RNN or a cell. Nodes are named after the layers (`/0/Gemm`,
`/layers.0/...`). A recurrent model is unrolled over the example's sequence length, which the file then
expects. It is written in float64, so onnxruntime matches scalargrad to 1e-9. onnxruntime's CPU Conv and
AveragePool run only in float32, so in float64 those layers are written as Gather + MatMul / ReduceMean
(nn.interop.onnx_float64); `dtype="float32"` keeps them as Conv and AveragePool nodes, as most runtimes expect.
"""

from __future__ import annotations

import os
import warnings

from engine import no_grad
from nn.containers import Sequential
from nn.interop.torch_export import to_torch
from nn.interop.torch_layouts import require
from nn.module import Module
from nn.nested import Nested, map_nested, shape_of
from nn.recurrent import RNN, GRUCell, LSTMCell, RNNCell

OPSET = 17  # onnxruntime runs every op this writes in float64 at this opset (LeakyRelu in double only up to 16-18)
DTYPES = ("float64", "float32")


def export_onnx(
    model: Module, path: str | os.PathLike[str], example_input: Nested, dtype: str = "float64"
) -> None:
    """Write `model` to `path` as ONNX in `dtype` ("float64" or "float32"), traced on `example_input` (one sample).

    Raises ValueError when the model cannot run on the example or for another dtype, TypeError for a
    layer with no torch counterpart, ImportError naming the `torch` extra when torch or onnx is missing.
    """
    if dtype not in DTYPES:
        raise ValueError(f"export_onnx: dtype must be 'float64' or 'float32', got {dtype!r}")
    torch = require("torch", "nn.export_onnx")
    onnx = require("onnx", "nn.export_onnx")
    check_example(model, example_input, "export_onnx")
    twin = to_torch(model, dtype=getattr(torch, dtype)).eval()
    x = torch.tensor([map_nested(float, example_input)], dtype=getattr(torch, dtype))
    if dtype == "float64":
        from nn.interop.onnx_float64 import lower_for_float64

        twin = lower_for_float64(twin, x)
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


def check_example(model: Module, example_input: Nested, where: str) -> None:
    """Run the model once on the example, so a wrong shape gets the model's own message, as a ValueError."""
    with no_grad():
        try:
            model(example_input)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: the model cannot run on example_input: {exc}") from None
    shape_of(example_input, "example_input")


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
