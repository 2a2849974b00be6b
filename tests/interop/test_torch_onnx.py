"""nn.export_onnx: onnxruntime on the written file gives scalargrad's outputs, and the file is valid, readable ONNX."""

from __future__ import annotations

import random
from typing import Any

import pytest
from torch_oracle import random_nested

import nn
from nn.nested import flatten

onnx = pytest.importorskip("onnx", reason="onnx (the torch extra) is not installed")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime (the torch extra) is not installed")


def run_onnx(path: Any, batch: list[Any]) -> list[Any]:
    import numpy as np

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    dtype = np.float32 if session.get_inputs()[0].type == "tensor(float)" else np.float64
    return session.run(None, {"input": np.array(batch, dtype=dtype)})


def check_batch(model: nn.Module, path: Any, shape: tuple[int, ...], tol: float, rel: float = 0.0) -> None:
    """Three samples in one batch: each row of onnxruntime's output(s) is the model's output for that sample."""
    rng = random.Random(0)
    batch = [random_nested(shape, rng) for _ in range(3)]
    results = run_onnx(path, batch)
    for i, x in enumerate(batch):
        ours = model(x)
        ours_flat = [v.data for v in flatten(list(ours) if isinstance(ours, tuple) else ours)]
        theirs = [float(v) for r in results for v in r[i].flatten()]
        assert len(ours_flat) == len(theirs)
        for a, b in zip(ours_flat, theirs):
            assert abs(a - b) <= tol + rel * abs(a), f"sample {i}: ours {a!r}, onnxruntime {b!r}"


def graph_of(path: Any) -> Any:
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    return model.graph


def test_mlp_runs_in_onnxruntime_in_float64(torch, tmp_path):
    model = nn.MLP(4, [8, 8, 3], activation="leaky_relu", seed=1)
    path = tmp_path / "mlp.onnx"
    nn.export_onnx(model, path, [0.0] * 4)
    check_batch(model, path, (4,), 1e-9)
    graph = graph_of(path)
    assert [i.name for i in graph.input] == ["input"] and [o.name for o in graph.output] == ["output"]
    assert [(n.name, n.op_type) for n in graph.node][:2] == [("/0/Gemm", "Gemm"), ("/1/LeakyRelu", "LeakyRelu")]
    assert graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_lstm_classifier_runs_in_onnxruntime_in_float64(torch, tmp_path):
    model = nn.RNNClassifier(2, [4, 3], 3, cell="lstm", seed=2)
    path = tmp_path / "lstm.onnx"
    nn.export_onnx(model, path, [[0.0, 0.0]] * 5)
    check_batch(model, path, (5, 2), 1e-9)
    assert any(n.name.startswith("/layers.1/cell/") for n in graph_of(path).node)


def test_rnn_exports_its_outputs_and_state(torch, tmp_path):
    model = nn.RNN(2, 3, cell="lstm", seed=3)
    path = tmp_path / "rnn.onnx"
    nn.export_onnx(model, path, [[0.0, 0.0]] * 4)
    assert [o.name for o in graph_of(path).output] == ["outputs", "h", "c"]
    check_batch(model, path, (4, 2), 1e-9)


CNNS = {
    "conv2d-pools": lambda: nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, seed=3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 2, 2, seed=4),
        nn.AvgPool2d(1), nn.Flatten(), nn.Layer(8, 3, None, seed=5)),
    "conv2d-strided": lambda: nn.Sequential(
        nn.Conv2d(2, 3, (2, 3), stride=(2, 1), padding=(1, 2), dilation=(1, 2), bias=False, seed=1),
        nn.AvgPool2d((2, 1), stride=(1, 2)), nn.Tanh()),
    "conv1d": lambda: nn.Sequential(
        nn.Conv1d(2, 3, 3, stride=2, padding=1, seed=2), nn.AvgPool1d(2), nn.Sigmoid()),
    "conv-alone": lambda: nn.Conv2d(1, 2, 2, padding=1, seed=6),
}
CNN_SHAPES = {"conv2d-pools": (1, 6, 6), "conv2d-strided": (2, 5, 4), "conv1d": (2, 9), "conv-alone": (1, 3, 3)}


@pytest.mark.parametrize("name", CNNS)
def test_cnn_runs_in_onnxruntime_in_float64(torch, tmp_path, name):
    """onnxruntime's CPU Conv and AveragePool are float32 only, so in float64 they are written as Gather + MatMul."""
    model, shape = CNNS[name](), CNN_SHAPES[name]
    path = tmp_path / "cnn.onnx"
    nn.export_onnx(model, path, random_nested(shape, random.Random(1)))
    check_batch(model, path, shape, 1e-9)
    ops = {n.op_type for n in graph_of(path).node}
    assert {"Gather", "MatMul"} <= ops and not ops & {"Conv", "AveragePool"}


def test_cnn_in_float32_keeps_conv_nodes(torch, tmp_path):
    model = CNNS["conv2d-pools"]()
    path = tmp_path / "cnn32.onnx"
    nn.export_onnx(model, path, [[[0.0] * 6] * 6], dtype="float32")
    check_batch(model, path, (1, 6, 6), 1e-6, rel=1e-6)
    assert [n.op_type for n in graph_of(path).node][:3] == ["Conv", "Relu", "MaxPool"]
    assert graph_of(path).input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT


def test_export_refuses_an_example_the_model_cannot_read(torch, tmp_path):
    path = tmp_path / "m.onnx"
    with pytest.raises(ValueError, match="example_input.*expected 3 inputs, got 2"):
        nn.export_onnx(nn.MLP(3, [2], seed=0), path, [1.0, 2.0])
    with pytest.raises(ValueError, match="dtype must be 'float64' or 'float32', got 'float16'"):
        nn.export_onnx(nn.MLP(2, [2], seed=0), path, [1.0, 2.0], dtype="float16")
    assert not path.exists()


def test_cli_export_writes_onnx_and_a_torch_program_that_load_in_one_line(torch, tmp_path, capsys):
    from nn.cli.main import main

    model_path, onnx_path, torch_path = tmp_path / "m.json", tmp_path / "m.onnx", tmp_path / "m.pt2"
    assert main(["train", "--data", "moons", "--steps", "3", "--save", str(model_path), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["export", str(model_path), "--onnx", str(onnx_path), "--torch", str(torch_path)]) == 0
    out = capsys.readouterr().out
    assert f"model = torch.export.load('{torch_path}').module()" in out
    model = nn.load(model_path)
    check_batch(model, onnx_path, (2,), 1e-9)  # the shape came from the moons data set the file records
    program = torch.export.load(str(torch_path)).module()
    X = [[0.5, -0.25], [1.5, 0.75], [-1.0, 0.0]]
    for x, row in zip(X, program(torch.tensor(X)).tolist()):
        assert abs(row[0] - model(x).data) <= 1e-12


def test_cli_export_needs_the_input_shape_when_the_file_does_not_record_it(torch, tmp_path, capsys):
    from nn.cli.main import main

    model = nn.Sequential(nn.Conv1d(1, 2, 3, seed=0), nn.MaxPool1d(2), nn.Flatten(), nn.Layer(8, 2, None, seed=1))
    model_path, onnx_path = tmp_path / "cnn.json", tmp_path / "cnn.onnx"
    model.save(model_path)
    assert main(["export", str(model_path), "--onnx", str(onnx_path)]) == 2
    assert "give it with --input-shape" in capsys.readouterr().err and not onnx_path.exists()
    assert main(["export", str(model_path), "--onnx", str(onnx_path), "--input-shape", "1,10"]) == 0
    check_batch(model, onnx_path, (1, 10), 1e-9)


@pytest.mark.parametrize("args, message", [
    ([], "nothing to write: give --onnx OUT.onnx and/or --torch OUT.pt2"),
    (["--torch", "m.pt"], "--torch m.pt: use a .pt2 file name"),
    (["--onnx", "m.onnx", "--input-shape", "2,x"], "expected comma-separated sizes like 1,8,8, got '2,x'"),
    (["--onnx", "m.onnx", "--input-shape", "3"], "the model cannot run on example_input: MLP: expected 2 inputs"),
])
def test_cli_export_refuses_bad_requests_in_one_line(torch, tmp_path, capsys, args, message):
    from cli_runner import run_here

    model_path = tmp_path / "m.json"
    nn.MLP(2, [3, 1], seed=0).save(model_path)
    code, _, err = run_here(["export", str(model_path), *args], capsys)
    assert code == 2
    assert err.startswith("scalargrad export: error: ") and message in err and err.count("\n") == 1
