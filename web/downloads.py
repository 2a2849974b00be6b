"""The pinned pieces a browser build needs, fetched once into `.cache/`: npm packages, PyPI wheels, our own wheel."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import io
import shutil
import subprocess
import tarfile
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"
PYODIDE = "314.0.7"  # CPython 3.14 compiled to WebAssembly: the runtime both builds ship
PYODIDE_PYTHON = "3.14"
VIZ_JS = "3.31.0"  # @viz-js/viz: Graphviz compiled to WebAssembly, for drawings in the page
# viz-js's npm package states its licence in package.json and its script's header only, so the build writes it out.
VIZ_JS_LICENSE = """viz-js {version}: MIT License, Copyright (c) Michael Daines (https://github.com/mdaines/viz-js).

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the Software without restriction, including without limitation
the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and
to permit persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of
the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO
THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF
CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
DEALINGS IN THE SOFTWARE.

It contains, in object code form, Graphviz (https://www.graphviz.org, Eclipse Public License 1.0) and
Expat (https://libexpat.github.io, MIT License).
"""
PYODIDE_LICENSE = "Pyodide {version} (https://pyodide.org): Mozilla Public License 2.0; CPython: PSF License."


class BuildError(RuntimeError):
    """A download or build step failed; the message says which and what to install or check."""


@contextlib.contextmanager
def cache_lock() -> Iterator[None]:
    """Hold `.cache/` for one build at a time, so that parallel test workers never unpack into the same folder."""
    CACHE.mkdir(exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def npm_package(name: str, version: str) -> Path:
    """The unpacked `package/` folder of npm package `name@version`, fetched with `npm pack` on first use only."""
    folder = CACHE / "npm" / f"{name.replace('/', '+')}@{version}"
    if (folder / "package" / "package.json").exists():
        return folder / "package"
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("npm is needed to fetch Pyodide and viz-js once: install Node.js (e.g. apt install npm)")
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [npm, "pack", f"{name}@{version}", "--prefer-offline", "--silent", "--pack-destination", str(folder)],
        capture_output=True,
        text=True,
    )
    tarballs = list(folder.glob("*.tgz"))
    if done.returncode != 0 or len(tarballs) != 1:
        raise BuildError(f"npm pack {name}@{version} failed: {done.stderr.strip()[-500:]}")
    with tarfile.open(tarballs[0]) as tar:
        tar.extractall(folder, filter="data")
    tarballs[0].unlink()
    return folder / "package"


def pure_wheel(python: str | Path, name: str, version: str) -> Path:
    """The pure-Python wheel of `name==version` for Pyodide's Python, fetched with `python -m pip` on first use."""
    folder = CACHE / "wheels"
    prefix = f"{name.replace('-', '_').lower()}-{version}-"
    found = [p for p in folder.glob("*.whl") if p.name.lower().startswith(prefix)]
    if found:
        return found[0]
    folder.mkdir(parents=True, exist_ok=True)
    command = [str(python), "-m", "pip", "download", "--disable-pip-version-check", "-q", "--no-deps"]
    command += ["--only-binary=:all:", "--python-version", PYODIDE_PYTHON, "-d", str(folder), f"{name}=={version}"]
    done = subprocess.run(command, capture_output=True, text=True)
    found = [p for p in folder.glob("*.whl") if p.name.lower().startswith(prefix)]
    if done.returncode != 0 or not found:
        raise BuildError(f"pip download {name}=={version} (a pure-Python wheel) failed: {done.stderr.strip()[-500:]}")
    return found[0]


def own_wheel(folder: Path) -> Path:
    """scalargrad's wheel (engine and nn with their page files), written straight from the tree into `folder`.

    Written here rather than by `pip wheel`, which would need setuptools from the network for its build step.
    """
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    name, version = project["name"], project["version"]
    dist_info = f"{name}-{version}.dist-info"
    files: dict[str, bytes] = {}
    for package in ("engine", "nn"):
        for path in sorted((ROOT / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files[path.relative_to(ROOT).as_posix()] = path.read_bytes()
    requires = "".join(f"Requires-Dist: {r}\n" for r in project["dependencies"])
    files[f"{dist_info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{requires}".encode()
    wheel_file = "Wheel-Version: 1.0\nGenerator: web.downloads\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{dist_info}/WHEEL"] = wheel_file.encode()
    record = [f"{path},sha256={_digest(data)},{len(data)}" for path, data in files.items()]
    files[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}-{version}-py3-none-any.whl"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name_in_wheel, data in files.items():
            stamp = zipfile.ZipInfo(name_in_wheel, date_time=(2020, 1, 1, 0, 0, 0))
            wheel.writestr(stamp, data, zipfile.ZIP_DEFLATED)
    target.write_bytes(buffer.getvalue())
    return target


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

