"""The playground's Python side, run natively: what it prints, what it draws, how an error comes back."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

pytest.importorskip("graphviz")
from web import run as runner  # noqa: E402 - after the skip

EXAMPLES = Path(runner.__file__).parent / "examples"


def test_run_prints_what_the_script_prints(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / "1_neuron.py"), run_name="__main__")
    assert runner.run((EXAMPLES / "1_neuron.py").read_text())["stdout"] == capsys.readouterr().out


def test_the_last_value_computed_is_drawn_and_stepped() -> None:
    result = runner.run("from engine import Value\nx = Value(3.0, 'x')\ny = x * x\nprint(y.data)\n")
    assert result["stdout"] == "9.0\n" and result["error"] is None
    assert result["svg"] is not None and "x" in result["svg"]
    assert result["step_page"] is not None and "<html" in result["step_page"].lower()
    expression = runner.run("from engine import Value\ny = Value(2.0, 'y')\ny * 5")
    assert "data 10" in expression["svg"]


def test_an_error_comes_back_as_its_tracebacks_last_lines() -> None:
    result = runner.run("print('before')\ndef f(x):\n    return 1 / x\n\nf(0)\n")
    assert result["stdout"] == "before\n"
    lines = result["error"].splitlines()
    assert lines[0] == "Traceback (most recent call last):" and lines[-1] == "ZeroDivisionError: division by zero"
    assert "run.py" not in result["error"] and 'File "<playground>", line 3, in f' in result["error"]
    assert runner.run("1 +")["error"].splitlines()[-1].startswith("SyntaxError")


def test_no_value_no_drawing() -> None:
    assert runner.run("x = 2 + 2")["svg"] is None
