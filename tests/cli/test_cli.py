"""The `scalargrad` command line: the demo's files and accuracy, train/save/eval round trip, graph, one-line errors."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import error_lines, run_here

import engine.draw.render
from nn import MLP
from nn.cli.main import DEMO_SEED

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nn.cli.main", *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def drawing(folder: Path, stem: str) -> Path:
    """The drawing written for `stem`: SVG when a renderer exists, else the DOT source next to it."""
    svg, dot = folder / f"{stem}.svg", folder / f"{stem}.dot"
    if svg.exists():
        assert svg.read_text(encoding="utf-8").lstrip().startswith(("<?xml", "<svg"))
        return svg
    assert dot.read_text(encoding="utf-8").startswith("digraph")
    return dot


def accuracy_of(stdout: str, kind: str = "") -> str:
    """The accuracy printed on the line `<kind> accuracy: ...` (the first accuracy line if no kind is given)."""
    match = re.search(rf"{kind}accuracy: ([\d.]+% \(\d+/\d+\))", stdout)
    assert match, stdout
    return match.group(1)


def test_demo_reaches_full_accuracy_and_writes_its_files(tmp_path: Path) -> None:
    result = run_cli("demo", "--no-progress", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"seed {DEMO_SEED}" in result.stdout
    assert "final accuracy: 100.0% (100/100)" in result.stdout
    out = tmp_path / "scalargrad-out"
    assert (out / "moons.png").read_bytes().startswith(PNG_MAGIC)
    graph = drawing(out, "neuron")
    assert f"wrote {out.name}/moons.png" in result.stdout.replace("\\", "/")
    assert f"wrote {out.name}/{graph.name}" in result.stdout.replace("\\", "/")


def test_train_save_and_eval_round_trip(tmp_path: Path) -> None:
    trained = run_cli("train", "--data", "blobs", "--steps", "8", "--optimizer", "adam", "--hidden", "8",
                      "--save", "model.json", "--no-progress", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    doc = json.loads((tmp_path / "scalargrad-out" / "model.json").read_text(encoding="utf-8"))
    assert doc["class"] == "MLP" and doc["config"]["nouts"] == [8, 3]
    meta = doc["meta"]["trained_with"]
    assert (meta["data"], meta["loss"], meta["n_samples"], meta["seed"]) == ("blobs", "cross_entropy", 100, 0)

    assert meta["holdout"] == 0.2 and accuracy_of(trained.stdout, "held-out ").endswith("/20)")
    # A bare name is found in ./scalargrad-out/, where train wrote it; eval regenerates the same held-out part.
    evaluated = run_cli("eval", "model.json", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert "blobs (100 samples, 20 held out, noise 0.6, seed 0)" in evaluated.stdout
    assert accuracy_of(evaluated.stdout, "held-out ") == accuracy_of(trained.stdout, "held-out ")


def test_eval_can_draw_a_fresh_data_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_here(["train", "--steps", "3", "--save", str(tmp_path / "m.json"), "--no-progress"], capsys)
    assert code == 0, err
    code, out, err = run_here(["eval", str(tmp_path / "m.json"), "--seed", "7", "--samples", "40"], capsys)
    assert code == 0, err
    assert "moons (40 samples, noise 0.1, seed 7)" in out
    assert accuracy_of(out, "fresh-set ").endswith("/40)")


def test_graph_prints_values_and_gradients(tmp_path: Path) -> None:
    result = run_cli("graph", "tanh(x*w + b)", "x=2", "w=-3", "b=6.8813735870195432", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"tanh(x*w + b) = {math.sqrt(0.5):.6g}"
    grads = {m.group(1): float(m.group(2)) for m in re.finditer(r"^\s+(\w+) = \S+\s+grad (\S+)$", result.stdout, re.M)}
    # d tanh(n)/dn = 1 - tanh(n)^2 = 0.5 at n = atanh(1/sqrt(2)).
    assert grads == pytest.approx({"x": 0.5 * -3, "w": 0.5 * 2, "b": 0.5}, rel=1e-5)
    graph = drawing(tmp_path / "scalargrad-out", "graph")
    assert f"wrote scalargrad-out/{graph.name}" in result.stdout.replace("\\", "/")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scalargrad-out"]


def test_graph_without_a_renderer_writes_dot_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine.draw.render, "render_bytes", lambda source, fmt="svg": None)
    code, out, err = run_here(["graph", "x*x + 1", "x=3", "--out", str(tmp_path / "g.svg")], capsys)
    assert code == 0, err
    assert not (tmp_path / "g.svg").exists()
    source = (tmp_path / "g.dot").read_text(encoding="utf-8")
    assert source.startswith("digraph") and "x" in source
    assert "DOT source: no Graphviz renderer" in out and "x*x + 1 = 10" in out


def test_graph_to_a_dot_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_here(["graph", "relu(a) - a", "a=-2", "--out", str(tmp_path / "g.dot")], capsys)
    assert code == 0, err
    assert "relu(a) - a = 2" in out and "as DOT source)" in out
    assert (tmp_path / "g.dot").read_text(encoding="utf-8").startswith("digraph")


def test_hostile_expression_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run_cli("graph", "__import__('os').system('touch pwned')", cwd=tmp_path)
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        "scalargrad graph: error: unexpected character \"'\": only numbers, names, + - * / ** ( ) and commas "
        "are allowed (column 12)"
    ]
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def _saved_without_meta(tmp_path: Path) -> str:
    path = tmp_path / "plain.json"
    MLP(2, [3, 1], seed=0).save(path)
    return str(path)


def _saved_with_bad_data(tmp_path: Path) -> str:
    path = tmp_path / "bad.json"
    MLP(2, [3, 1], seed=0).save(path, meta={"trained_with": {"data": "mnist"}})
    return str(path)


def _truncated(tmp_path: Path) -> str:
    path = tmp_path / "cut.json"
    MLP(2, [3, 1], seed=0).save(path, meta={"trained_with": {"data": "moons"}})
    path.write_text(path.read_text(encoding="utf-8")[:50], encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "required: COMMAND"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["demo", "--steps", "0"], "--steps: must be >= 1, got 0"),
        (["demo", "--lr", "-1"], "--lr: must be a finite number > 0"),
        (["demo", "--lr", "nan"], "--lr: must be a finite number > 0"),
        (["demo", "--hidden", "16,x"], "--hidden: expected comma-separated sizes"),
        (["train", "--data", "mnist"], "invalid choice: 'mnist'"),
        (["train", "--loss", "hinge", "--data", "spirals", "--steps", "1", "--no-progress"], "hinge loss is for 2"),
        (["train", "--noise", "-0.1"], "--noise: must be a finite number in [0, 100], got -0.1"),
        (["train", "--batch-size", "0"], "--batch-size: must be >= 1, got 0"),
        (["train", "--save", "model.pkl", "--steps", "1"], "use a .json file name"),
        (["train", "--lr", "1e300", "--steps", "3", "--no-progress"], "training diverged at step"),
        (["eval", "missing.json"], "No such file or directory"),
        (["eval", _saved_without_meta], "no 'trained_with' record"),
        (["eval", _saved_with_bad_data], "unknown data set 'mnist'"),
        (["eval", _truncated], "not valid JSON"),
        (["graph", "x.data", "x=1"], "unexpected character '.'"),
        (["graph", "tanh(x", "x=1"], "expected ')' but found the end of the expression (column 7)"),
        (["graph", "x*y", "x=1"], "no value given for 'y'"),
        (["graph", "x", "x=1", "y=2"], "value given for 'y', which the expression does not use"),
        (["graph", "x", "x=abc"], "'abc' is not a number"),
        (["graph", "x", "x=inf"], "must be finite"),
        (["graph", "x", "x=1", "x=2"], "x is given twice"),
        (["graph", "x", "1=x"], "expected name=number"),
        (["graph", "log(x)", "x=0"], "log: operand must be > 0"),
        (["graph", "x ** 1e6", "x=10"], "overflows"),
        (["graph", "x", "x=1", "--out", "g.txt"], "use a .svg, .png, .pdf, .dot or .gv file name"),
        (["graph", "True + x", "x=1"], "'True' is not allowed"),
        (["graph", "+".join(["x"] * 2100), "x=1", "--out", "g.dot"], "too big to draw quickly"),
    ],
)
def test_user_errors_exit_2_with_one_line(
    args: list[object], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = [a(tmp_path) if callable(a) else str(a) for a in args]
    code, out, err = run_here(argv, capsys)
    assert code == 2
    lines = error_lines(err)
    assert len(lines) == 1, err
    assert lines[0].startswith("scalargrad") and "error: " in lines[0]
    assert message in lines[0]
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["demo", "train", "eval", "graph"])
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_here([command, "--help"], capsys)
    assert code == 0
    assert out.startswith(f"usage: scalargrad {command}")


def test_train_writes_a_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plot = tmp_path / "circles.png"
    code, out, err = run_here(["train", "--data", "circles", "--steps", "2", "--hidden", "4", "--plot", str(plot),
                               "--no-progress"], capsys)
    assert code == 0, err
    assert plot.read_bytes().startswith(PNG_MAGIC)
    assert "circles (100 samples, 20 held out, noise 0.05, seed 0)" in out


def test_demo_neuron_drawing_shows_one_backward_pass_not_training_grads(tmp_path: Path) -> None:
    from nn.training import fit
    from nn.watch.plots import draw_neuron

    model = MLP(2, [4, 1], seed=4)  # its first neuron is alive on X[0], so every gradient is nonzero
    X, y = [[0.5, -1.0], [-0.3, 0.8], [1.0, 1.0]], [0, 1, 1]
    fit(model, X, y, steps=2, progress=False)  # leaves the last step's gradients in every parameter
    assert any(p.grad != 0.0 for p in model.parameters())
    draw_neuron(model, X[0], tmp_path / "neuron.dot")
    neuron = model.layers[0].neurons[0]
    z = neuron.w[0].data * X[0][0] + neuron.w[1].data * X[0][1] + neuron.b.data
    alive = 1.0 if z > 0 else 0.0  # relu's derivative
    assert neuron.b.grad == alive
    assert [w.grad for w in neuron.w] == [alive * X[0][0], alive * X[0][1]]
    assert alive == 1.0
    assert re.search(r"layers\.0\.neurons\.0\.b \| data [-\d.e]+ \| grad 1 }", (tmp_path / "neuron.dot").read_text())


def test_mse_gets_its_own_default_lr_documented_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    from nn.cli.runs import TrainSettings

    assert TrainSettings(loss="mse").resolved().lr == 0.1
    assert TrainSettings(loss="mse", optimizer="adam").resolved().lr == 0.05
    assert TrainSettings().resolved().lr == 1.0
    code, out, _ = run_here(["train", "--help"], capsys)
    assert code == 0
    assert "sgd with the mse loss 0.1" in " ".join(out.split())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"data": "blobs"}, "does not fit the blobs data set its meta names: the hinge loss is for 2 classes"),
        ({"data": "blobs", "loss": "cross_entropy"}, "gives 1 outputs, 3 classes with the cross_entropy loss need 3"),
        ({"data": "bars"}, "the mlp model reads points, but the bars data set holds images"),
        ({"model": "cnn"}, "the cnn model reads images, but the moons data set holds points"),
        ({"hidden": "abc"}, "does not describe a data set: hidden must be a list of layer sizes, got str"),
        ({"n_samples": -5}, "does not describe a data set: n_samples must be >= 1"),
        ({"data": "parity", "model": "rnn", "noise": 0.3}, "does not describe a data set: the parity data set has no "
                                                            "noise, so noise 0.3 does not apply to it"),
        ({"holdout": 0.95}, "does not describe a data set: holdout must be a finite number in [0, 0.9], got 0.95"),
    ],
)
def test_eval_checks_the_model_fits_the_data_set_its_file_names(
    change: dict[str, object], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m.json"
    code, _, err = run_here(["train", "--steps", "1", "--hidden", "3", "--save", str(path), "--no-progress"], capsys)
    assert code == 0, err
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["meta"]["trained_with"].update(change)
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = run_here(["eval", str(path)], capsys)
    assert code == 2
    assert "evaluated on" not in out
    lines = error_lines(err)
    assert len(lines) == 1, err
    assert lines[0].startswith(f"scalargrad eval: error: {path}: ")
    assert message in lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--save", "{tmp}/missing/m.json"], "--save {tmp}/missing/m.json: the folder {tmp}/missing does not"),
        (["train", "--plot", "{tmp}/missing/p.png"], "the folder {tmp}/missing does not exist"),
        (["demo", "--out", "{tmp}/a-file/out"], "--out {tmp}/a-file/out: cannot create the folder"),
    ],
)
def test_unusable_destinations_fail_before_training(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    code, out, err = run_here([a.format(tmp=tmp_path) for a in args], capsys)
    assert code == 2
    assert "training" not in out  # refused before the (slow) run, not after it
    lines = error_lines(err)
    assert len(lines) == 1, err
    assert message.format(tmp=tmp_path) in lines[0]


@pytest.mark.parametrize("name", ["_", "match", "case", "type"])
def test_soft_keywords_are_plain_names(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_here(["graph", f"{name} * 2", f"{name}=3", "--out", str(tmp_path / "g.dot")], capsys)
    assert code == 0, err
    assert f"{name} * 2 = 6" in out
    assert re.search(rf"^  {re.escape(name)} += 3 +grad 2$", out, re.MULTILINE), out


def test_too_large_graph_message_is_worded_for_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_here(["graph", "+".join(["x"] * 2100), "x=1", "--out", str(tmp_path / "g.dot")], capsys)
    assert code == 2
    assert "collapse=True" not in err and "max_nodes" not in err
