"""`python3 tasks.py playground`: one HTML file holding Pyodide, viz-js and scalargrad, that runs from `file://`.

Each embedded file sits in a `<script type="application/octet-stream" data-asset=NAME>` block as base64 (gzipped
first where that pays: the WebAssembly and the JavaScript); the page's script hands them to Pyodide itself. The
standard library and the wheels carry bytecode for the modules the page imports (see precompile.py).
"""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

from web import downloads, precompile

HERE = Path(__file__).resolve().parent
OUT = downloads.ROOT / "scalargrad-out" / "playground.html"
MAX_BYTES = 12 * 1024 * 1024  # what a teacher can e-mail or put on a course page
GRAPHVIZ_PY = "0.21"  # the `graphviz` package (pure Python) that engine.draw imports
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "pyodide-lock.json")


def _asset(name: str, data: bytes, wheel: bool = False) -> str:
    """One embedded file as a script block; compressed unless it is a zip already."""
    packed = name.endswith((".zip", ".whl"))
    body = base64.b64encode(data if packed else gzip.compress(data, 9, mtime=0)).decode("ascii")
    flags = ("" if packed else " data-gzip") + (" data-wheel" if wheel else "")
    return f'<script type="application/octet-stream" data-asset="{name}"{flags}>{body}</script>'


def _json_for_script(value: object) -> str:
    """JSON that can sit inside a <script> element: no `</` can close it early."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


def build(python: str | Path, out: Path = OUT) -> Path:
    """Write the playground to `out` (default scalargrad-out/playground.html); returns its path.

    `python` runs `pip download` for the pure-Python wheels on a first build. Raises downloads.BuildError when a
    download or the bytecode step (Node) fails, ValueError when the file would exceed MAX_BYTES.
    """
    with downloads.cache_lock():
        pyodide = downloads.npm_package("pyodide", downloads.PYODIDE)
        viz = downloads.npm_package("@viz-js/viz", downloads.VIZ_JS)
        wheels = [
            downloads.pure_wheel(python, "graphviz", GRAPHVIZ_PY),
            downloads.own_wheel(downloads.CACHE / "own-wheel"),
        ]
        stdlib, compiled_wheels = precompile.compiled(pyodide, wheels)
        assets = [_asset(name, (pyodide / name).read_bytes()) for name in PYODIDE_FILES]
        assets.append(_asset("python_stdlib.zip", stdlib))
        assets.append(_asset("viz-global.js", (viz / "dist" / "viz-global.js").read_bytes()))
        assets += [_asset(wheel.name, data, wheel=True) for wheel, data in zip(wheels, compiled_wheels)]
    texts = {
        "examples": {
            path.stem.split("_", 1)[1].replace("_", " "): path.read_text(encoding="utf-8")
            for path in sorted((HERE / "examples").glob("*.py"))
        },
        "runner": (HERE / "run.py").read_text(encoding="utf-8"),
        "licenses": "\n\n".join(
            [
                downloads.PYODIDE_LICENSE.format(version=downloads.PYODIDE),
                downloads.VIZ_JS_LICENSE.format(version=downloads.VIZ_JS),
                "graphviz (Python package) " + GRAPHVIZ_PY + ": MIT License. scalargrad: MIT License.",
            ]
        ),
    }
    page = (HERE / "playground.html").read_text(encoding="utf-8")
    for marker, text in (
        ("/*CSS*/", (HERE / "playground.css").read_text(encoding="utf-8")),
        ("/*TEXTS*/", _json_for_script(texts)),
        ("<!--ASSETS-->", "\n".join(assets)),
        ("/*JS*/", (HERE / "playground.js").read_text(encoding="utf-8")),
    ):
        page = page.replace(marker, text, 1)
    data = page.encode("utf-8")
    if len(data) > MAX_BYTES:
        size, limit = len(data) / 2**20, MAX_BYTES / 2**20
        raise ValueError(f"the playground came to {size:.1f} MB, over the {limit:.0f} MB limit")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out
