"""Fuzz: random argument lists for demo/train/eval/graph/export, run in-process through `nn.cli.main(argv)`.

Each run either succeeds (exit 0) or exits with status 2 after exactly one line on stderr, never a traceback
or a hang; a refused run changes no file, and once training has started only training itself may fail (a
diverging --lr or --l2): every output path and size is checked before. The paths include folders, a read-only
file and a file where a folder should be, at every output flag. FUZZ_EXAMPLES sets how many argument lists.
Huge --steps/--samples/--hidden/--batch-size/--input-shape are fuzzed only where `nn.limits` (issue 14.3's
size limits) exists: before it they mean a run of hours or a MemoryError.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
from pathlib import Path

import pytest
from fuzzing import time_limit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
import nn.cli.runs
from nn.cli.main import main

# Past nn.limits' bounds, refused at once with one line; without the limits these would run for hours.
HUGE = ["10000000000", str(10**400), "1000001"] if importlib.util.find_spec("nn.limits") else []
COUNTS = ["0", "-1", "1", "2", "3", "abc", "", "1e3", "1.5", "nan", " 2", "0x10", "--", "٣", *HUGE]
NUMBERS = ["0", "-0.1", "0.1", "0.5", "nan", "inf", "-inf", "1e400", "1e-400", "1e308", "abc", "", "1_0", "-"]
SEEDS = ["0", "1", "-1", "abc", "", "1.5", str(2**64), str(10**400)]
# Folders named like the files each output flag writes, made in the fuzz's working folder and its scalargrad-out/.
IN_THE_WAY = ["in-the-way.json", "in-the-way.png", "in-the-way.svg", "in-the-way.html", "in-the-way.onnx",
              "in-the-way.pt2"]
PATHS = ["", ".", "/", "model.json", "sub/none/x.json", "x.xyz", "plot.png", "p.svg", "existing", "a" * 300,
         "ro/model.json", "link.json", "models.json/x", "\x00", "🙂.json", "existing/", "model.json/x.png",
         *IN_THE_WAY, *(f"./{name}" for name in IN_THE_WAY), "ro-file.json", "./ro-file.json", "page.html",
         "g.onnx", "g.pt2", "a" * 300 + ".json"]
SHAPES = ["2", "1,2", "0", "-1", "x", "", "2,", "1,8,8", ",".join(["1"] * 9), *(["1000000000", str(10**400)]
                                                                              if HUGE else [])]
HIDDEN = ["", "2", "2,2", "0", "-1", "2,,2", "a", "1e1", "3, 3", ",", "2,2,2,2", *(["100000,100000"] if HUGE else [])]
CHOICES = {
    "--data": ["moons", "circles", "spirals", "blobs", "bars", "shapes", "parity", "counting", "chars", "iris",
               "digits", "nope", ""],
    "--model": ["mlp", "cnn", "rnn", "lstm", "gru", "transformer", ""],
    "--loss": ["hinge", "bce", "cross_entropy", "mse", "l1", ""],
    "--optimizer": ["sgd", "adam", "rmsprop", ""],
}
FLAGS = {
    "demo": {"--steps": COUNTS, "--seed": SEEDS, "--lr": NUMBERS, "--hidden": HIDDEN, "--out": PATHS,
             "--no-progress": None},
    "train": {"--steps": COUNTS, "--batch-size": COUNTS, "--samples": COUNTS, "--hidden": HIDDEN, "--lr": NUMBERS,
              "--noise": NUMBERS, "--l2": NUMBERS, "--seed": SEEDS, "--save": PATHS, "--plot": PATHS,
              "--no-progress": None, **CHOICES},
    "eval": {"--samples": COUNTS, "--noise": NUMBERS, "--seed": SEEDS},
    "graph": {"--out": PATHS, "--html": PATHS},
    "export": {"--onnx": PATHS, "--torch": PATHS, "--input-shape": SHAPES},
}
# What every run starts with, so that a valid run is short; the fuzzed arguments come after and override it.
QUICK = {"demo": ["--steps", "1", "--hidden", "2", "--no-progress"],
         "train": ["--steps", "1", "--samples", "8", "--hidden", "2", "--no-progress"],
         "eval": [], "graph": [], "export": []}
MODEL_FILES = ["model.json", "hostile.json", "missing.json", "existing", "", "link.json", "ro/model.json", "-x"]
EXPRESSIONS = ["x", "tanh(x*w + b)", "x**2", "log(x)", "x/y", "exp(x)", " -x", "x +", "import os", "x*x*x*x",
               "leaky_relu(x, 0.1)", "relu(x, y)", "", "1e400", "(((x)))", "sigmoid(x) * 1e308 * 1e308"]
ASSIGNMENTS = ["x=2", "x=0", "x=-1", "y=0", "w=1", "b=6.88", "x=nan", "x=inf", "x=", "=2", "x", "zz=1", "x=1e400",
               "x=2=3", "x==2", "w=abc"]


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(sorted(FLAGS)))
    argv = [command, *QUICK[command]]
    if command in ("eval", "export"):
        argv.append(draw(st.sampled_from(MODEL_FILES)))
    if command == "graph":
        argv.append(draw(st.sampled_from(EXPRESSIONS)))
        argv += draw(st.lists(st.sampled_from(ASSIGNMENTS), max_size=4))
    flags = FLAGS[command]
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        flag = draw(st.sampled_from([*sorted(flags), "--bogus", "-h", "--steps=1", "--lr=-1"]))
        argv.append(flag)
        values = flags.get(flag)
        if values is not None:
            argv.append(draw(st.sampled_from(values)))
    if draw(st.booleans()):
        argv.insert(draw(st.integers(min_value=0, max_value=len(argv))), draw(st.sampled_from(["--", "-", "x", "-v"])))
    return argv


def files(folder: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for p in sorted(folder.rglob("*")):
        key = str(p.relative_to(folder))
        out[key] = os.readlink(p) if p.is_symlink() else (p.read_bytes() if p.is_file() else "dir")
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a real model, a hostile one, a folder, a read-only folder and a link, to run the CLI in."""
    root = tmp_path_factory.mktemp("cli_fuzz")
    model = nn.MLP(2, [2, 1], seed=0)
    model.save(root / "model.json", meta={"trained_with": {"data": "moons", "samples": 8, "noise": 0.1, "seed": 0}})
    (root / "hostile.json").write_text('{"format": "scalargrad-model", "version": 1, "class": "Module", '
                                       '"config": {}, "state_dict": {}, "meta": {}}')
    (root / "existing").mkdir()
    (root / "ro").mkdir()
    model.save(root / "ro" / "model.json")
    (root / "ro").chmod(0o555)
    (root / "link.json").symlink_to("model.json")
    (root / "ro-file.json").write_text("{}")
    (root / "ro-file.json").chmod(0o444)
    for name in IN_THE_WAY:
        (root / name).mkdir()
        (root / "scalargrad-out" / name).mkdir(parents=True)
    (root / "existing" / "moons.png").mkdir()  # where `demo --out existing` writes its plot
    return root


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """The exit status and stderr of `scalargrad argv`, run in this process."""
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own errors and --help
        status = exc.code if isinstance(exc.code, int) else 2
    return status, capsys.readouterr().err


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="the hang guard needs signal.alarm (POSIX)")
@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(argv=argvs())
def test_any_argument_list_succeeds_or_exits_2_with_one_line(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    before = files(workdir)
    trained = []

    def fit(*args: object, **kwargs: object) -> object:
        trained.append(1)
        return real_fit(*args, **kwargs)

    real_fit = nn.cli.runs.fit
    monkeypatch.setattr(nn.cli.runs, "fit", fit)
    with time_limit(60):
        status, err = run(argv, capsys)
    assert "Traceback" not in err
    assert status in (0, 2), f"exit status {status}: {err}"
    if status == 2:
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("scalargrad"), f"stderr is not one line: {err!r}"
        assert files(workdir) == before, "a refused run changed a file"
        if trained:
            assert re.search(r"error: --(lr|l2): ", lines[0]), f"refused after training started: {err!r}"
    for leftover in workdir.rglob(".*.tmp"):
        pytest.fail(f"temporary file left behind: {leftover}")
