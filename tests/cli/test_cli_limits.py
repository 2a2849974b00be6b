"""The command line's limits and messages: sizes refused before allocating, the flag at fault named, every output
path checked before training, held-out scores, and files written under ./scalargrad-out/."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_runner import error_lines, run_here

import nn.cli.main
import nn.cli.runs
from nn.limits import (
    MAX_MODEL_FILE_BYTES,
    MAX_PARAMETERS,
    MAX_SAMPLE_DIMENSIONS,
    MAX_SAMPLE_NUMBERS,
    MAX_SAMPLES,
)

# Enough address space for Python and the imports, far too little for what an unbounded size would allocate.
MEMORY_LIMIT = 700 * 2**20
LIMITED = """
import resource, runpy, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
sys.argv = ["scalargrad", *sys.argv[1:]]
runpy.run_module("nn.cli.main", run_name="__main__")
"""


def run_limited(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    """`scalargrad *args` in a child process whose memory is capped at MEMORY_LIMIT; also returns its seconds."""
    if sys.platform != "linux":
        pytest.skip("RLIMIT_AS caps memory as this test needs only on Linux")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", LIMITED.format(limit=MEMORY_LIMIT), *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    return result, time.perf_counter() - start


def one_error_line(stderr: str) -> str:
    lines = error_lines(stderr)
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


# ------------------------------------------------------------------ sizes: one line, exit 2, nothing allocated


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--samples", "10000000000"], f"argument --samples: must be at most {MAX_SAMPLES:,}"),
        (["train", "--hidden", "100000,100000"], f"--hidden: MLP(2, [100000, 100000, 1]) would have 10,000,500,001 "
                                                 f"parameters, more than the limit of {MAX_PARAMETERS:,}"),
        (["train", "--data", "parity", "--model", "lstm", "--hidden", "50000"], "--hidden: "),
        (["train", "--steps", "10000000000"], "argument --steps: must be at most 1,000,000"),
        (["train", "--batch-size", "10000000000"], f"argument --batch-size: must be at most {MAX_SAMPLES:,}"),
        (["eval", "--samples", "10000000000", "m.json"], f"argument --samples: must be at most {MAX_SAMPLES:,}"),
        (["eval", "zero.json"], "zero.json: not a regular file, so not a saved model"),
        (["export", "m.json", "--onnx", "o.onnx", "--input-shape", "1000000000"],
         f"argument --input-shape: input shape: 1000000000 holds more than {MAX_SAMPLE_NUMBERS:,} numbers"),
        (["export", "m.json", "--onnx", "o.onnx", "--input-shape", ",".join(["1"] * 50_000)],
         f"input shape: 50000 sizes, more than the limit of {MAX_SAMPLE_DIMENSIONS}"),
    ],
)
def test_huge_sizes_are_one_line_without_allocating(args: list[str], message: str, tmp_path: Path) -> None:
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    result, seconds = run_limited([*args, "--no-progress"] if args[0] == "train" else args, tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    line = one_error_line(result.stderr)
    assert line.startswith(f"scalargrad {args[0]}: error: ")
    assert message in line
    assert seconds < 30


def test_a_model_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(MAX_MODEL_FILE_BYTES + 1)  # sparse: no disk used, and nothing to read before refusing
    code, _, err = run_here(["eval", str(big)], capsys)
    assert code == 2
    assert f"{big}: {MAX_MODEL_FILE_BYTES + 1:,} bytes, larger than the limit of {MAX_MODEL_FILE_BYTES:,}" in err


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this system")
    os.mkfifo(tmp_path / "pipe.json")
    start = time.perf_counter()
    code, _, err = run_here(["eval", str(tmp_path / "pipe.json")], capsys)
    assert code == 2 and "pipe.json: not a regular file" in err
    assert time.perf_counter() - start < 10


# ------------------------------------------------------------------ the flag at fault


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--l2", "1e300"], "--l2: training diverged at step 2: a score became infinite or NaN; l2 = 1e+300 is too "
                            "large: SGD multiplies the weights by 1 - 2*lr*l2"),
        (["--l2", "1e308", "--optimizer", "adam"], "--l2: the L2 penalty l2 * Σp² is inf at step 1: l2 = 1e+308 is "
                                                   "too large"),
        (["--noise", "1e308"], "argument --noise: must be a finite number in [0, 100], got 1e+308"),
        (["--lr", "1e300"], "--lr: training diverged at step"),
        (["--data", "parity", "--model", "rnn", "--noise", "0.5"], "--noise: the parity data set has no noise"),
        (["--samples", "2"], "--holdout: holding out 0.2 of 2 samples leaves 0 to score and 2 to train on"),
    ],
)
def test_messages_name_the_flag_that_is_wrong(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_here(["train", *args, "--steps", "3", "--no-progress"], capsys)
    assert code == 2
    line = one_error_line(err)
    assert message in line
    if "--lr" not in args:
        assert "learning rate" not in line and "sample" not in line.split(":")[2]


def test_samples_holds_enough_for_the_default_holdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_here(["train", "--samples", "5", "--steps", "1", "--no-progress"], capsys)
    assert code == 0, err
    assert "training accuracy: " in out and out.count("/4)") == 1 and out.count("/1)") == 1


# ------------------------------------------------------------------ output paths, checked before training


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--plot", "p.xyz"], "--plot p.xyz: use a .png, .svg or .pdf file name"),
        (["train", "--plot", ""], "--plot '': an empty file name"),
        (["train", "--save", ""], "--save '': an empty file name"),
        (["train", "--save", "m.json", "--plot", "p.png", "--data", "bars", "--model", "cnn"],
         "--plot draws decision regions of 2-D points"),
        (["demo", "--out", ""], "--out '': an empty folder name"),
        (["demo", "--out", "  "], "an empty folder name; give a folder such as ./scalargrad-out"),
        (["graph", "x", "x=1", "--out", ""], "--out '': an empty file name"),
        (["graph", "x", "x=1", "--out", "a-file/g.svg"], "--out a-file/g.svg: a-file is a file, not a folder"),
        (["train", "--save", "a-file/m.json"], "--save a-file/m.json: a-file is a file, not a folder"),
        (["train", "--save", "none/m.json"], "--save none/m.json: the folder none does not exist"),
    ],
)
def test_output_paths_are_checked_before_any_work(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("not a folder")
    trained = []
    monkeypatch.setattr(nn.cli.main, "train", lambda *a, **k: trained.append(1))
    extra = ["--steps", "1", "--no-progress"] if args[0] in ("train", "demo") else []
    code, out, err = run_here([*args, *extra], capsys)
    assert code == 2
    assert message in one_error_line(err)
    assert trained == [] and out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # no scalargrad-out/ made for nothing


# Every output path of every command, with a folder (or a read-only file) where the file would go.
IN_THE_WAY = [
    (["train", "--save", "./d.json"], "d.json", "--save ./d.json: d.json is a folder, not a file"),
    (["train", "--save", "d.json"], "scalargrad-out/d.json", "--save d.json: scalargrad-out/d.json is a folder"),
    (["train", "--save", "m.json"], "scalargrad-out=file", "--save m.json: scalargrad-out is a file, not a folder"),
    (["train", "--plot", "p.png"], "scalargrad-out/p.png", "--plot p.png: scalargrad-out/p.png is a folder"),
    (["train", "--save", "./ro.json"], "ro.json=read-only", "--save ./ro.json: ro.json exists and is not writable"),
    (["graph", "x", "x=1", "--out", "g.svg"], "scalargrad-out/g.svg", "--out g.svg: scalargrad-out/g.svg is a folder"),
    (["graph", "x", "x=1", "--html", "./h.html"], "h.html", "--html ./h.html: h.html is a folder, not a file"),
    (["graph", "x", "x=1", "--out", "./g.png"], "g.dot+no-renderer", "--out ./g.png: g.dot is a folder, not a file"),
    (["demo", "--out", "o"], "o/moons.png", "--out o: o/moons.png is a folder, not a file"),
    (["demo", "--out", "o"], "o/neuron.svg", "--out o: o/neuron.svg is a folder, not a file"),
    (["demo", "--out", "o"], "o/neuron.dot+no-renderer", "--out o: o/neuron.dot is a folder, not a file"),
    (["demo", "--out", "o"], "o/backprop.html", "--out o: o/backprop.html is a folder, not a file"),
    (["demo", "--out", "o"], "o/training.html", "--out o: o/training.html is a folder, not a file"),
    (["export", "m.json", "--onnx", "./o.onnx"], "o.onnx", "--onnx ./o.onnx: o.onnx is a folder, not a file"),
    (["export", "m.json", "--torch", "t.pt2"], "scalargrad-out/t.pt2", "--torch t.pt2: scalargrad-out/t.pt2 is a"),
]


@pytest.mark.parametrize(("args", "obstacle", "message"), IN_THE_WAY, ids=[case[1] for case in IN_THE_WAY])
def test_a_folder_in_the_way_is_refused_before_any_work(
    args: list[str], obstacle: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17 §5: `mkdir d.json; train --save ./d.json` trained to the end, then failed naming no flag."""
    monkeypatch.chdir(tmp_path)
    target, _, kind = obstacle.partition("=")
    target = target.removesuffix("+no-renderer")
    if obstacle.endswith("+no-renderer"):
        monkeypatch.setattr(nn.cli.main, "available_renderer", lambda: None)
    if kind == "file":
        (tmp_path / target).write_text("")
    elif kind == "read-only":
        (tmp_path / target).write_text("{}")
        (tmp_path / target).chmod(0o444)
        if os.access(tmp_path / target, os.W_OK):
            pytest.skip("running as root: a read-only file is writable")
    else:
        (tmp_path / target).mkdir(parents=True)
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    work = []
    for name in ("train", "export_model_file", "parse"):  # the work of train/demo, export and graph
        monkeypatch.setattr(nn.cli.main, name, lambda *a, name=name, **k: work.append(name))
    extra = ["--steps", "1", "--no-progress"] if args[0] in ("train", "demo") else []
    code, out, err = run_here([*args, *extra], capsys)
    assert (code, out) == (2, "") and work == []
    assert one_error_line(err).startswith(f"scalargrad {args[0]}: error: {message}")
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before


def test_a_plot_has_no_dot_fallback_to_check(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Only drawings fall back to DOT source without a renderer; a plot's name is checked as it is."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(nn.cli.main, "available_renderer", lambda: None)
    (tmp_path / "p.dot").mkdir()
    pytest.importorskip("matplotlib", reason="--plot needs matplotlib")

    def train(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # reached training: every check passed; stop here

    monkeypatch.setattr(nn.cli.main, "train", train)
    code, _, err = run_here(["train", "--plot", "./p.png", "--steps", "1", "--no-progress"], capsys)
    assert code == 130 and err == "scalargrad train: interrupted\n"


# ------------------------------------------------------------------ held-out scores, files under ./scalargrad-out/


def test_train_scores_held_out_samples_and_eval_scores_the_same_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_here(["train", "--data", "spirals", "--optimizer", "adam", "--hidden", "8", "--steps", "30",
                               "--holdout", "0.3", "--save", "s.json", "--plot", "s.png", "--no-progress"], capsys)
    assert code == 0, err
    assert "spirals (150 samples, 45 held out, noise 0.05, seed 0)" in out
    trained = re.search(r"^training accuracy: [\d.]+% \(\d+/105\)$", out, re.M)
    held = re.search(r"^held-out accuracy: ([\d.]+% \(\d+/45\))$", out, re.M)
    assert trained and held, out
    assert (tmp_path / "scalargrad-out" / "s.json").is_file() and (tmp_path / "scalargrad-out" / "s.png").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scalargrad-out"]

    # eval re-derives the split from the file alone, and scores the model on the 45 samples it never saw.
    run = nn.cli.runs.load_run(tmp_path / "scalargrad-out" / "s.json")
    assert len(run.train[0]) == 105 and len(run.held_out[0]) == 45
    X, y = nn.cli.runs.make_data("spirals", 150, 0.05, 0)
    assert run.held_out == (X[105:], y[105:])
    code, out, err = run_here(["eval", "s.json"], capsys)
    assert code == 0, err
    assert f"held-out accuracy: {held.group(1)}" in out


def test_eval_of_a_file_saved_without_a_split_scores_the_training_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.json"
    code, _, err = run_here(["train", "--steps", "2", "--save", str(path), "--no-progress"], capsys)
    assert code == 0, err
    doc = json.loads(path.read_text(encoding="utf-8"))
    del doc["meta"]["trained_with"]["holdout"]  # as files written before held-out splits
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = run_here(["eval", str(path)], capsys)
    assert code == 0, err
    assert "training accuracy (trained with no held-out samples): " in out and "/100)" in out


def test_a_path_with_a_folder_is_used_as_given(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_here(["graph", "x*x", "x=3", "--out", "./here.dot"], capsys)
    assert code == 0, err
    assert (tmp_path / "here.dot").is_file() and not (tmp_path / "scalargrad-out").exists()


def test_demo_seed_has_its_home_in_the_library() -> None:
    assert nn.cli.main.DEMO_SEED is nn.cli.runs.DEMO_SEED == nn.cli.runs.DEMO.seed
