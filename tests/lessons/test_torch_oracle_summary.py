"""Without PyTorch the oracle tests skip, and pytest's summary says so in one loud line rather than only a quiet `s`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Two quick tests that take the `torch` fixture.
ORACLE_TESTS = ["tests/interop/test_torch_convert.py::test_the_documented_names",
                "tests/interop/test_torch_convert.py::test_the_twin_is_made_of_ordinary_torch_modules"]
# A None in sys.modules makes `import torch` raise ImportError, as on a machine without it.
HIDE_TORCH = "import sys; sys.modules.update(torch=None, onnx=None, onnxruntime=None); "


def run_pytest(prelude: str) -> str:
    code = prelude + f"import pytest; sys.exit(pytest.main(['-p', 'no:cacheprovider', '-q', *{ORACLE_TESTS!r}]))"
    done = subprocess.run([sys.executable, "-c", "import sys; " + code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def test_a_missing_oracle_is_one_loud_line_in_the_summary() -> None:
    out = run_pytest(HIDE_TORCH)
    loud = [line for line in out.splitlines() if "PyTorch/ONNX comparison tests SKIPPED" in line]
    assert loud == ["WARNING: 2 PyTorch/ONNX comparison tests SKIPPED: PyTorch oracle not installed. "
                    "`python3 tasks.py test` installs the CPU build."], out[-2000:]
    assert "2 skipped" in out


def test_no_such_line_when_the_oracle_ran() -> None:
    import pytest

    pytest.importorskip("torch", reason="PyTorch oracle not installed: this half needs it")
    out = run_pytest("")
    assert "SKIPPED" not in out and "2 passed" in out, out[-2000:]
