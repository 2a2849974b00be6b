"""`python3 tasks.py lessons` installs a Jupyter front end: after its setup step, `jupyter lab --version` works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_lessons_setup_gives_the_venv_a_working_jupyter_lab() -> None:
    sys.path.insert(0, str(ROOT))
    try:
        import tasks
    finally:
        sys.path.remove(str(ROOT))
    if Path(sys.prefix).resolve() != tasks.VENV.resolve():
        pytest.skip(f"tests run outside the repository's .venv ({sys.prefix}); the setup step installs into .venv")
    try:
        tasks.setup_lessons()
    except subprocess.CalledProcessError as err:
        pytest.skip(f"could not install the lessons extra here (offline or no index?): {err}")
    version = subprocess.run([str(tasks.BIN / "jupyter"), "lab", "--version"], capture_output=True, text=True)
    assert version.returncode == 0, version.stderr
    major = int(version.stdout.strip().split(".")[0])
    assert major >= 4, version.stdout
    import sklearn  # noqa: F401 - the extra also brings scikit-learn for nn.data.load_digits
