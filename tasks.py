"""Set up a local .venv and run the demo or the tests, with nothing but python3 on the machine.

    python3 tasks.py demo   # install scalargrad with plotting extras, train on two moons, write ./scalargrad-out
    python3 tasks.py test   # install the test tools and the PyTorch oracle (CPU build), run every check
    python3 tasks.py lessons [--no-browser]   # install JupyterLab and the lessons' packages, serve notebooks/
    python3 tasks.py playground   # write scalargrad-out/playground.html: Python and scalargrad in one offline page
    python3 tasks.py site [--serve]   # build site/: every lesson as a JupyterLite site (and serve it on localhost)
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
import venv
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
# The CPU build of PyTorch: on Linux a plain `torch` from PyPI is the CUDA build, several GB. PyTorch's own index
# serves the CPU build as `2.13.0+cpu`; `torch==2.13.0` then keeps whichever build is installed.
TORCH = "torch==2.13.0"
TORCH_CPU = "torch==2.13.0+cpu"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
TORCH_NOTEBOOK = "notebooks/08_moving_to_pytorch.ipynb"
# JupyterLab asks each new user whether to fetch its news unless this setting answers; in this venv it says no.
NEWS_OFF = VENV / "share" / "jupyter" / "lab" / "settings" / "overrides.d" / "scalargrad.json"
# The one line of JupyterLab's startup banner that matters: the address with its token.
ADDRESS = re.compile(r"^\s+(https?://\S+/lab\S*)\s*$")


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


def install_torch() -> bool:
    """The `torch` extra (PyTorch, onnx, onnxruntime), PyTorch's CPU build from its CPU index where that is reachable,
    else the same version from the default index. Returns False, after a note saying what to run, when neither works."""
    if installed("torch", "onnx", "onnxruntime"):
        return True
    if not reachable(TORCH_CPU_INDEX + "/torch/"):
        print(f"note: PyTorch's CPU index ({TORCH_CPU_INDEX}) is unreachable; using the default index", flush=True)
    elif pip("--only-binary=:all:", "--extra-index-url", TORCH_CPU_INDEX, TORCH_CPU, check=False) == 0:
        return install_torch_extra()
    if pip("--only-binary=:all:", TORCH, check=False) != 0:
        print(f"note: no {TORCH} wheel for this platform; for another PyTorch run: "
              f"{PY} -m pip install torch onnx onnxruntime")
        return False
    return install_torch_extra()


def install_torch_extra() -> bool:
    """onnx and onnxruntime; naming TORCH again keeps pip from swapping the build just installed."""
    if pip("--prefer-binary", "-e", ".[torch]", TORCH, check=False) != 0:
        print(f"note: onnx or onnxruntime is not available here: {PY} -m pip install onnx onnxruntime")
        return False
    return True


def installed(*modules: str) -> bool:
    """Whether the venv's Python finds these modules (without importing them: torch takes seconds to import)."""
    find = f"import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in {modules!r}))"
    return subprocess.run([str(PY), "-c", find], cwd=ROOT).returncode == 0


def reachable(url: str) -> bool:
    """Whether `url` answers within seconds: pip would otherwise retry an unreachable index for every package."""
    try:
        with urllib.request.urlopen(url, timeout=10):
            return True
    except OSError:
        return False


def demo() -> int:
    setup("notebooks")
    return run(BIN / "scalargrad", "demo", check=False)


def setup_lessons() -> None:
    """What the notebooks need, JupyterLab to open them, scikit-learn for the real data sets, and for lesson 08 the
    CPU build of PyTorch with onnx and onnxruntime (where this platform has them)."""
    print("installing into .venv/: scalargrad, JupyterLab, matplotlib, scikit-learn, and for lesson 08 PyTorch (CPU),\n"
          "onnx and onnxruntime. The first time this takes a minute or two (more on a slow connection), mostly quiet.",
          flush=True)
    setup("lessons")
    if not install_torch():
        print(f"note: without PyTorch, {TORCH_NOTEBOOK} stops at its second cell (its first says what to install)")


def lessons(*jupyter_args: str) -> int:
    try:
        setup_lessons()
    except KeyboardInterrupt:  # one line, not a traceback from deep inside subprocess
        print("\ninterrupted.")
        return 130
    return serve_lessons(*jupyter_args)


def serve_lessons(*jupyter_args: str) -> int:
    """Run JupyterLab on notebooks/ until Ctrl-C, the lessons signed as trusted: its address printed once, its
    routine log hidden, no news popup."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Containers often run as root, which JupyterLab refuses unless told; it still listens on localhost only.
        jupyter_args += ("--allow-root",)
    NEWS_OFF.parent.mkdir(parents=True, exist_ok=True)
    NEWS_OFF.write_text('{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false"}}\n')
    # No routine log lines, no news fetched, and one Ctrl-C stops it without asking to confirm. No websocket
    # keep-alive pings, which a server on this machine does not need: with them, jupyter_server's default timeout
    # (3 x the interval) makes tornado >= 6.5 print a warning as soon as a lesson opens.
    quiet = ("--ServerApp.log_level=WARN", "--LabApp.log_level=WARN", "--LabApp.news_url=None",
             "--ServerApp.answer_yes=True", '--ServerApp.tornado_settings={"ws_ping_interval": 0}')
    # Signed, the lessons open trusted: JupyterLab shows nothing for an untrusted notebook's saved SVG drawings and
    # HTML (lesson 03's training page) until the cell runs again. The signature is kept by Jupyter for this user.
    lessons = sorted(str(path) for path in (ROOT / "notebooks").glob("*.ipynb"))
    subprocess.run([str(BIN / "jupyter"), "trust", *lessons], capture_output=True, check=False)
    # A job started in the background by a shell ignores Ctrl-C, and Python then leaves it ignored: ask for it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if os.name == "posix":  # the server's own session (below) hears no hang-up: a closed terminal stops it here
        signal.signal(signal.SIGHUP, _stop_requested)
        signal.signal(signal.SIGTERM, _stop_requested)
    print("starting JupyterLab on notebooks/ ...", flush=True)
    # In a session of its own, the terminal's Ctrl-C reaches only this script, which then stops the server as
    # `stop` does: a server that gets SIGINT itself exits before its kernels, and each kernel prints a warning.
    server = subprocess.Popen(
        [str(BIN / "jupyter"), "lab", f"--ServerApp.root_dir={ROOT / 'notebooks'}", *quiet, *jupyter_args],
        cwd=ROOT, stderr=subprocess.PIPE, text=True, errors="replace", start_new_session=os.name == "posix",
    )
    log = threading.Thread(target=show_server_log, args=(server.stderr,), daemon=True)
    try:
        log.start()
        code = server.wait()
    except KeyboardInterrupt:
        stop(server)
        log.join(timeout=5)
        with contextlib.suppress(OSError):  # after a hang-up there is no terminal to print to
            print("\nJupyterLab stopped.", flush=True)  # on its own line after the terminal's "^C"
        return 0
    finally:
        if server.poll() is None:  # any other error: in its own session, nothing else would stop the server
            stop(server)
    log.join(timeout=5)
    return code


def _stop_requested(signum: int, frame: object) -> None:
    """A hang-up or SIGTERM stops JupyterLab as Ctrl-C does."""
    raise KeyboardInterrupt


# ipykernel >= 7 prints this for every kernel on loopback TCP, which is how a local server talks to its kernels
# (IPC would not print it, but its socket paths under Jupyter's runtime folder can pass the OS's ~104 characters).
KERNEL_TCP_NOTICE = "[IPKernelApp] WARNING | Kernel is running over TCP without encryption"


def show_server_log(stream: IO[str]) -> None:
    """Echo the server's and kernels' warnings and errors (but KERNEL_TCP_NOTICE); of the server's banners (logged
    as critical) print only the address, once."""
    in_banner = shown = False
    for line in stream:
        if line.startswith("["):
            in_banner = line.startswith("[C ")
        if not in_banner and not line.startswith(KERNEL_TCP_NOTICE):
            print(line, end="", file=sys.stderr, flush=True)
        elif (found := ADDRESS.match(line)) and not shown:
            shown = True
            print(f"\nJupyterLab is running. Open this address in your browser (Ctrl-C stops it):\n\n"
                  f"    {found.group(1)}\n", flush=True)


def stop(server: subprocess.Popen[str]) -> None:
    """Stop the server after Ctrl-C: SIGTERM, on which it shuts its kernels down first; killed if it hangs. Where it
    shares the console (Windows), Ctrl-C reached it too, so it first gets a few seconds to stop by itself."""
    for wait, ask in ((5, os.name == "posix"), (20, True), (5, True)):
        if ask and server.poll() is None:
            server.terminate()
        try:
            server.wait(timeout=wait)
            return
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            continue
    server.kill()
    server.wait()


def test() -> int:
    setup("test,bench")
    if os.environ.get("SCALARGRAD_NO_TORCH"):
        print("note: SCALARGRAD_NO_TORCH is set; the PyTorch comparisons will be skipped")
    elif not install_torch():
        print("note: the PyTorch and ONNX comparisons will be skipped")
    # The PyTorch lesson needs the torch extra: where it is missing nbmake leaves that notebook out, saying so.
    skip = [] if installed("torch", "onnxruntime") else [f"--ignore={TORCH_NOTEBOOK}"]
    if skip:
        print(f"note: the torch extra is not installed; {TORCH_NOTEBOOK} will not be run")
    # Every test means README's Start here in a fresh clone too (tests/lessons/test_start_here.py, minutes).
    os.environ.setdefault("SCALARGRAD_START_HERE", "1")
    steps = [
        (PY, "-m", "ruff", "check", "engine", "nn", "web", "tests", "benchmarks", "tasks.py"),
        (PY, "-m", "mypy"),
        (PY, "-m", "pytest", "-n", "auto", "tests", "--nbmake", "--nbmake-timeout=90",
         "notebooks", *skip),
    ]
    failed = [" ".join(map(str, s[1:4])) for s in steps if run(*s, check=False) != 0]
    if failed:
        print("FAILED:", ", ".join(failed))
        return 1
    return 0


def playground() -> int:
    """Build the one-file browser playground (needs Node.js: npm fetches Pyodide and viz-js into .cache/ once, and node
    compiles its Python to bytecode)."""
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
