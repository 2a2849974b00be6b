"""Set up a local .venv and run the demo or the tests, with nothing but python3 on the machine.

    python3 tasks.py demo   # install scalargrad with plotting extras, train on two moons, write ./scalargrad-out
    python3 tasks.py test   # install the test tools (and the PyTorch oracle when it is cheap), run every check
    python3 tasks.py lessons [--no-browser]   # install JupyterLab and what the lessons need, open notebooks/
    python3 tasks.py playground   # write scalargrad-out/playground.html: Python and scalargrad in one offline page
    python3 tasks.py site [--serve]   # build site/: every lesson as a JupyterLite site (and serve it on localhost)
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
# The CPU build only: a plain `torch` requirement would pull several GB of CUDA packages.
TORCH = "torch==2.13.0+cpu"
TORCH_NOTEBOOK = "notebooks/08_moving_to_pytorch.ipynb"


def run(*args: str | Path, check: bool = True) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], cwd=ROOT, check=check).returncode


def pip(*args: str, check: bool = True) -> int:
    return run(PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", *args, check=check)


def make_venv() -> None:
    """Create .venv with pip; where python3 lacks ensurepip (Debian without python3-venv), use the system pip."""
    try:
        venv.create(VENV, with_pip=True)
        return
    except subprocess.CalledProcessError:
        pass
    venv.create(VENV, with_pip=False, clear=True)
    system_pip = [sys.executable, "-m", "pip", "--python", str(PY), "install", "-q", "pip"]
    if subprocess.run(system_pip, cwd=ROOT).returncode != 0:
        sys.exit(
            "error: this python3 can make neither a venv with pip (no ensurepip) nor use a system pip (>= 22.3).\n"
            "On Debian/Ubuntu install python3-venv (or python3-pip), or use a python.org / pyenv / uv Python."
        )


def setup(extra: str) -> None:
    if not (BIN / "pip").exists():
        make_venv()
    pip("-e", f".[{extra}]")
    # Optional: a Graphviz renderer from a wheel, for machines without `dot`; never built from source.
    if pip("--only-binary=:all:", "pygraphviz>=2.0.4", check=False) != 0:
        print("note: no pygraphviz wheel here; drawings use `dot` if installed, else show DOT source")


def demo() -> int:
    setup("notebooks")
    return run(BIN / "scalargrad", "demo", check=False)


def setup_lessons() -> None:
    """What the notebooks need, plus JupyterLab to open them and scikit-learn for the real data sets."""
    setup("lessons")


def lessons(*jupyter_args: str) -> int:
    setup_lessons()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Containers often run as root, which JupyterLab refuses unless told; it still listens on localhost only.
        jupyter_args += ("--allow-root",)
    print("starting JupyterLab on notebooks/: open the address it prints below (Ctrl-C twice to stop)", flush=True)
    return run(BIN / "jupyter", "lab", f"--notebook-dir={ROOT / 'notebooks'}", *jupyter_args, check=False)


def test() -> int:
    setup("test,bench")
    if os.environ.get("SCALARGRAD_NO_TORCH"):
        print("note: SCALARGRAD_NO_TORCH is set; the PyTorch comparisons will be skipped")
    elif pip("--only-binary=:all:", TORCH, check=False) != 0:
        print(f"note: {TORCH} is not available here; the PyTorch comparisons will be skipped")
    # The rest of the torch extra (onnx, onnxruntime); naming TORCH again keeps pip from swapping the CPU build.
    elif pip("--prefer-binary", "-e", ".[torch]", TORCH, check=False) != 0:
        print("note: the torch extra (onnx, onnxruntime) is not available here; the ONNX tests will be skipped")
    # The PyTorch lesson needs the torch extra: where it is missing nbmake leaves that notebook out, saying so.
    find = "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in ('torch', 'onnxruntime')))"
    skip = [] if run(PY, "-c", find, check=False) == 0 else [f"--ignore={TORCH_NOTEBOOK}"]
    if skip:
        print(f"note: the torch extra is not installed; {TORCH_NOTEBOOK} will not be run")
    steps = [
        (PY, "-m", "ruff", "check", "engine", "nn", "tests", "benchmarks", "tasks.py"),
        (PY, "-m", "mypy"),
        (PY, "-m", "pytest", "-n", "auto", "tests", "--nbmake", "--nbmake-timeout=90", "notebooks", *skip),
    ]
    failed = [" ".join(map(str, s[1:4])) for s in steps if run(*s, check=False) != 0]
    if failed:
        print("FAILED:", ", ".join(failed))
        return 1
    return 0


def playground() -> int:
    """Build the one-file browser playground (needs npm once, to fetch Pyodide and viz-js into .cache/)."""
    if not PY.exists():
        make_venv()
    from web import playground as page

    print(f"wrote {page.build(PY)}")
    return 0


def site(*options: str) -> int:
    """Build the lessons as a JupyterLite site in site/ (JupyterLite goes into .venv); `--serve` then serves it."""
    setup("site")
    from web import site as lite

    folder = lite.build(PY)
    print(f"wrote {folder}: publish the folder as it is on any static web host")
    if "--serve" in options:
        return lite.serve(folder)
    return 0


def main() -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script is what an older python3 runs first
        version = ".".join(map(str, sys.version_info[:2]))
        sys.exit(f"scalargrad needs Python 3.11+, this python3 is {version}: get one from python.org, pyenv or uv")
    commands = {"demo": demo, "test": test}
    if sys.argv[1:2] == ["lessons"] and set(sys.argv[2:]) <= {"--no-browser"}:
        return lessons(*sys.argv[2:])
    if sys.argv[1:2] == ["site"] and set(sys.argv[2:]) <= {"--serve"}:
        return site(*sys.argv[2:])
    if sys.argv[1:] == ["playground"]:
        return playground()
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    return commands[sys.argv[1]]()


if __name__ == "__main__":
    sys.exit(main())
