"""The playground's Python as bytecode: Pyodide run once in Node at build time (precompile.mjs, bytecode.py).

The page then starts from the standard library and wheels that `compiled` returns, in which every module it and
its examples import is already compiled: about 1 s less of a cold start on a 2-core machine.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from web import downloads

HERE = Path(__file__).resolve().parent


def compiled(pyodide: Path, wheels: list[Path]) -> tuple[bytes, list[bytes]]:
    """The standard library's zip and each of `wheels`, with bytecode for what the playground and examples import.

    `pyodide` is the npm package's folder. Raises downloads.BuildError when Node is missing or the run fails.
    """
    node = shutil.which("node")
    if node is None:
        raise downloads.BuildError("Node.js is needed to build the playground (it comes with npm): install it")
    with tempfile.TemporaryDirectory(prefix="scalargrad-bytecode-") as folder:
        command = [node, str(HERE / "precompile.mjs"), str(pyodide), folder, str(HERE / "run.py")]
        command += [str(HERE / "bytecode.py"), *map(str, wheels)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise downloads.BuildError(f"compiling the playground's Python failed: {done.stderr.strip()[-1500:]}")
        out = Path(folder)
        return (out / "python_stdlib.zip").read_bytes(), [(out / wheel.name).read_bytes() for wheel in wheels]
