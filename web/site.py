"""`python3 tasks.py site`: the lessons as a JupyterLite site in `site/`, with Pyodide served from the same folder.

Nothing is fetched when the site runs: Pyodide comes from npm (cached), every package the kernel and the lessons
import is a pure-Python wheel from PyPI (cached) listed in a rewritten `pyodide-lock.json` beside it, and drawings
are laid out by viz-js, shipped as the small `scalargrad_viz` package. `matplotlib`, scikit-learn and torch have no
wheels for the browser here: see STUBS below for what the lessons do without them.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

from web import downloads

HERE = Path(__file__).resolve().parent
OUT = downloads.ROOT / "site"
NOTEBOOKS = downloads.ROOT / "notebooks"
PORT = 8000
# Pure-Python wheels the kernel, the widgets and the lessons import, beyond those pyodide-lock.json names (their
# versions there are used); pinned so that a build is the same everywhere.
EXTRA_WHEELS = {
    "comm": "0.2.3",
    "ipywidgets": "8.1.9",
    "graphviz": "0.21",
    "hypothesis": "6.151.9",
    "sortedcontainers": "2.4.0",
    "attrs": "26.1.0",
}
# What the kernel loads at start (as JupyterLite's Pyodide kernel does) and what the lessons import.
ROOTS = ("micropip", "ipython", "jedi", "traitlets", "tqdm", *EXTRA_WHEELS)
# What a lesson's first cell says in the site, for the first of these it needs (found in its code), most severe first.
RUN_LOCALLY = "read it here, and run it locally with `python3 tasks.py lessons`."
BROWSER_NOTES = (
    ("import torch", "this lesson needs PyTorch and ONNX Runtime, which do not run here: " + RUN_LOCALLY),
    ("load_digits", "this lesson needs scikit-learn's bundled data, which does not run here: " + RUN_LOCALLY),
)
FIGURE_CALL = re.compile(r"^(\w+(?:\.\w+)?)\(", re.MULTILINE)  # a top-level call: `plt.show(` or `show_images(`
PYODIDE_SKIP = (".map", ".d.ts", ".html", "README.md", "package.json", "pyodide.js")
VIZ_INIT = '''"""viz-js (Graphviz compiled to WebAssembly), evaluated in this JavaScript realm on import."""

from importlib import resources

from pyodide.code import run_js

run_js(resources.files(__name__).joinpath("viz-global.js").read_text(encoding="utf-8"))
'''


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_wheel(folder: Path, name: str, version: str, files: dict[str, bytes]) -> Path:
    """A pure-Python wheel of `files` (path in the wheel -> bytes), for Pyodide's lock only (no RECORD checks)."""
    dist_info = f"{name.replace('-', '_')}-{version}.dist-info"
    files = {
        **files,
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist_info}/RECORD": b"",
    }
    target = folder / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in files.items():
            wheel.writestr(zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return target


def viz_wheel(folder: Path) -> Path:
    """The `scalargrad_viz` wheel: viz-js's script, its licence, and an __init__ that evaluates the script."""
    viz = downloads.npm_package("@viz-js/viz", downloads.VIZ_JS)
    files = {
        "scalargrad_viz/__init__.py": VIZ_INIT.encode(),
        "scalargrad_viz/viz-global.js": (viz / "dist" / "viz-global.js").read_bytes(),
        "scalargrad_viz/LICENSE": downloads.VIZ_JS_LICENSE.format(version=downloads.VIZ_JS).encode(),
    }
    return _write_wheel(folder, "scalargrad-viz", downloads.VIZ_JS, files)


def matplotlib_stub_wheel(folder: Path) -> Path:
    """The site's stand-in `matplotlib` (web/stubs/matplotlib), which skips figures with a one-line note."""
    stub = HERE / "stubs" / "matplotlib"
    files = {f"matplotlib/{path.name}": path.read_bytes() for path in sorted(stub.glob("*.py"))}
    return _write_wheel(folder, "matplotlib", "0.0.0", files)


def _heading(cell: dict[str, object]) -> str | None:
    """A markdown cell's last heading, without its #s."""
    headings = [line.lstrip("#").strip() for line in _source(cell).splitlines() if line.startswith("#")]
    return headings[-1] if cell["cell_type"] == "markdown" and headings else None


def _source(cell: dict[str, object]) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)  # type: ignore[arg-type]


def _sections(cells: list[dict[str, object]], shows: Callable[[str], bool]) -> list[str]:
    """The headings of the sections holding a code cell whose source `shows` something, in order."""
    sections: list[str] = []
    heading = ""
    for cell in cells:
        heading = _heading(cell) or heading
        if cell["cell_type"] == "code" and shows(_source(cell)) and heading not in sections:
            sections.append(heading)
    return sections


def skipped_figures(cells: list[dict[str, object]]) -> list[str]:
    """The sections (their headings) of the code cells that show a matplotlib figure, which the site skips.

    A cell shows one when it calls `plt.show()` at top level, or a function of the lesson's that calls it.
    """
    code = [_source(cell) for cell in cells if cell["cell_type"] == "code"]
    helpers = {name for text in code for name in re.findall(r"^def (\w+)\((?:.|\n)*?^    plt\.show\(\)", text, re.M)}
    return _sections(cells, lambda text: bool(set(FIGURE_CALL.findall(text)) & (helpers | {"plt.show"})))


def browser_note(cells: list[dict[str, object]]) -> str | None:
    """The one line a lesson's first cell says in the site about what the browser version skips; None: nothing."""
    code = "\n".join(_source(cell) for cell in cells if cell["cell_type"] == "code")
    notes = [note for needs, note in BROWSER_NOTES if needs in code]
    if notes:
        return notes[0]
    figures = skipped_figures(cells)
    if not figures:
        return None
    quoted = ", ".join(f"“{section}”" for section in figures)
    many = len(figures) > 1
    what = f"the matplotlib figure{'s' if many else ''} under {quoted} {'are' if many else 'is'}"
    pages = ", ".join(f"“{section}”" for section in _sections(cells, lambda text: "Recorder(" in text))
    shown = f"; the training page under {pages} (`nn.Recorder`) shows as it does locally" if pages else ""
    note = "each with a one-line note" if many else "with a one-line note"
    return f"{what} skipped, {note} (matplotlib does not run here); every other cell runs{shown}."


def lesson_copies(folder: Path) -> None:
    """Copy the lessons into `folder`, each that needs what the browser lacks opening with a one-line note."""
    folder.mkdir(parents=True)
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        lesson = json.loads(notebook.read_text(encoding="utf-8"))
        note = browser_note(lesson["cells"])
        if note:
            text = "**In the browser:** " + note
            lesson["cells"].insert(0, {"cell_type": "markdown", "id": "in-the-browser", "metadata": {}, "source": text})
        (folder / notebook.name).write_text(json.dumps(lesson, indent=1, ensure_ascii=False), encoding="utf-8")


def _lock_entry(wheel: Path, name: str, version: str, depends: list[str], imports: list[str]) -> dict[str, object]:
    return {
        "name": name,
        "version": version,
        "file_name": wheel.name,
        "install_dir": "site",
        "sha256": _sha256(wheel),
        "package_type": "package",
        "imports": imports,
        "depends": depends,
    }


def _top_level(wheel: Path) -> list[str]:
    """The importable top-level names a wheel installs."""
    with zipfile.ZipFile(wheel) as archive:
        names = {n.split("/")[0].removesuffix(".py") for n in archive.namelist() if not n.split("/")[0].endswith(
            (".dist-info", ".data"))}
    return sorted(names)


def pyodide_folder(python: str | Path, folder: Path) -> list[str]:
    """Fill `folder` with Pyodide's runtime, every wheel the site needs and a lock listing them; returns their names.

    Raises downloads.BuildError when a package the kernel needs is compiled (no pure-Python wheel to fetch).
    """
    pyodide = downloads.npm_package("pyodide", downloads.PYODIDE)
    folder.mkdir(parents=True)
    for path in pyodide.iterdir():
        if path.is_file() and not path.name.endswith(PYODIDE_SKIP):
            shutil.copy2(path, folder / path.name)
    lock = json.loads((pyodide / "pyodide-lock.json").read_text(encoding="utf-8"))
    known = lock["packages"]
    wanted: list[str] = []
    todo = [name for name in ROOTS if name in known]
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.append(name)
            todo += [dependency.replace("_", "-").lower() for dependency in known[name]["depends"]]
    packages: dict[str, object] = {}
    for name in wanted:
        entry = known[name]
        if not entry["file_name"].endswith("py3-none-any.whl"):
            raise downloads.BuildError(f"{name} is compiled for Pyodide ({entry['file_name']}): no PyPI wheel to ship")
        wheel = shutil.copy2(downloads.pure_wheel(python, name, entry["version"]), folder)
        packages[name] = {**entry, "file_name": Path(wheel).name, "sha256": _sha256(Path(wheel))}
    own = [downloads.own_wheel(folder), viz_wheel(folder), matplotlib_stub_wheel(folder)]
    for name, version in EXTRA_WHEELS.items():
        if name not in known:
            own.append(Path(shutil.copy2(downloads.pure_wheel(python, name, version), folder)))
    for wheel in own:
        name, version = wheel.name.split("-")[:2]
        name = name.replace("_", "-").lower()
        depends = ["graphviz"] if name == "scalargrad" else []
        packages[name] = _lock_entry(wheel, name, version, depends, _top_level(wheel))
    lock["packages"] = packages
    licences = [downloads.PYODIDE_LICENSE.format(version=downloads.PYODIDE), downloads.VIZ_JS_LICENSE.format(
        version=downloads.VIZ_JS)]
    (folder / "LICENSES.txt").write_text("\n\n".join(licences), encoding="utf-8")
    (folder / "pyodide-lock.json").write_text(json.dumps(lock), encoding="utf-8")
    return sorted(packages)


def build(python: str | Path, out: Path = OUT) -> Path:
    """Build the site into `out` (default site/) with `python -m jupyter lite build`; returns `out`.

    `python` must have jupyterlite-core and jupyterlite-pyodide-kernel (tasks.py installs them). Raises
    downloads.BuildError when a download or the JupyterLite build fails.
    """
    with downloads.cache_lock():
        return _build(python, out, downloads.CACHE / "site-src")


def _build(python: str | Path, out: Path, lite_dir: Path) -> Path:
    shutil.rmtree(lite_dir, ignore_errors=True)
    packages = pyodide_folder(python, lite_dir / "static" / "pyodide")
    # Loaded as Python starts (an `import` in a cell installs nothing by itself), in one go with the runtime.
    preload = ["micropip", "ipython", "jedi", *EXTRA_WHEELS, "tqdm", "scalargrad", "scalargrad-viz", "matplotlib"]
    kernel = {
        "pyodideUrl": "./static/pyodide/pyodide.mjs",
        "disablePyPIFallback": True,
        "loadPyodideOptions": {"packages": [p for p in preload if p in packages]},
    }
    config = {
        "jupyter-config-data": {
            "appName": "scalargrad lessons",
            "exposeAppInBrowser": True,
            "litePluginSettings": {"@jupyterlite/pyodide-kernel-extension:kernel": kernel},
        }
    }
    (lite_dir / "jupyter-lite.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    command = [str(python), "-m", "jupyter", "lite", "build", "--lite-dir", str(lite_dir), "--output-dir", str(out)]
    lesson_copies(lite_dir / "lessons")
    command += ["--contents", str(lite_dir / "lessons"), "--no-sourcemaps"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=lite_dir)
    if done.returncode != 0:
        raise downloads.BuildError(f"jupyter lite build failed:\n{(done.stdout + done.stderr)[-2000:]}")
    return out


def serve(folder: Path = OUT, port: int = PORT) -> int:
    """Serve `folder` on http://127.0.0.1:`port`/ until Ctrl-C (a site needs HTTP: browsers block it on file://)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"serving the lessons on http://127.0.0.1:{port}/lab/index.html (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0
