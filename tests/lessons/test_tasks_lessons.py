"""`python3 tasks.py lessons` installs a Jupyter front end and what lesson 08 needs, says so before pip's quiet part,
signs the lessons as trusted, prints JupyterLab's address once, shows lesson 01's saved step-through player on
opening (looked at in headless Chromium, a kernel running), and stops it cleanly, kernels too, on one Ctrl-C.

It installs into the repository's .venv, so it runs where the tests run in that venv (`python3 tasks.py test`,
CI) and skips elsewhere."""

from __future__ import annotations

import json
import os
import queue
import re
import select
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import nbformat
import nbformat.sign
import pytest
from browser import Browser, BrowserError, find_chromium

from engine.draw.steps import SAVED_VIEW_CLASS

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = re.compile(r"^\s+(http://\S+/lab\?token=\S+)$")


@pytest.fixture(scope="module")
def tasks() -> ModuleType:
    sys.path.insert(0, str(ROOT))
    try:
        import tasks
    finally:
        sys.path.remove(str(ROOT))
    if Path(sys.prefix).resolve() != tasks.VENV.resolve():
        pytest.skip(f"tests run outside the repository's .venv ({sys.prefix}); the setup step installs into .venv")
    return tasks


@pytest.fixture
def one_at_a_time(tasks: ModuleType) -> Iterator[None]:
    """These tests install into and serve from the one .venv, so a lock on a file in it runs them one at a time on
    whichever workers pytest-xdist picks (under pytest 9 its `--dist loadgroup` no longer keeps a group together)."""
    if os.name != "posix":  # only the first test runs there
        yield
        return
    import fcntl

    with open(tasks.VENV / "tasks-lessons-tests.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield  # closing the file releases the lock


@pytest.fixture
def jupyterlab(tasks: ModuleType, one_at_a_time: None) -> None:
    """JupyterLab in .venv, as `tasks.py lessons` installs it, whether or not the install test has run yet."""
    if not tasks.installed("jupyterlab"):
        tasks.setup_lessons()


def fetch(url: str) -> bytes:
    """The body of a 200 answer; a busy machine gets a second try (the first page can take long to render)."""
    try:
        answer = urllib.request.urlopen(url, timeout=120)
    except urllib.error.URLError:
        time.sleep(5)
        answer = urllib.request.urlopen(url, timeout=120)
    assert answer.status == 200, answer.status
    return answer.read()


def read_lines(stream: object, into: queue.Queue[str | None]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line.rstrip("\n"))
    into.put(None)


PLAYER_LESSON = "01_values_and_backprop.ipynb"
# How the step-through player shows in JupyterLab: whether it is its saved state (ipywidgets marks a view whose
# kernel side is gone "disconnected"), whether the line saying to run the cell shows, and how many of
# ipywidgets' broken-link icons show.
PLAYER_VIEW = f"""(() => {{
  const view = document.querySelector('.{SAVED_VIEW_CLASS}');
  if (!view) return null;
  const line = view.querySelector('.{SAVED_VIEW_CLASS}-saved');
  const icons = [view, ...view.querySelectorAll('.jupyter-widgets-disconnected')].filter(e => {{
    const mark = getComputedStyle(e, '::before');
    return mark.display !== 'none' && !['none', 'normal'].includes(mark.content);
  }});
  return {{saved: view.classList.contains('jupyter-widgets-disconnected'), line: getComputedStyle(line).display,
           says: line.textContent, icons: icons.length}};
}})()"""


def kernel_processes(kernels: list[str]) -> list[int]:
    """The live processes (Linux: read from /proc) whose command line names one of these kernels' files."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            command = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:  # it ended while we looked
            continue
        if any(f"kernel-{k}.json" in command for k in kernels):
            found.append(int(proc.name))
    return found


def look_at_the_saved_player(url: str) -> None:
    """Lesson 01 opened in JupyterLab in headless Chromium: its step-through player shows its saved first frame
    with one line saying to run the cell, and none of ipywidgets' broken-link icons."""
    chromium = find_chromium()
    if chromium is None:
        warnings.warn("no Chromium: the saved step-through player was not looked at (install Debian's `chromium`)",
                      stacklevel=2)
        return
    page = Browser(chromium)
    try:
        page.call("Page.navigate", session=True, url=url)
        deadline = time.monotonic() + 240  # JupyterLab's first page load on a loaded 2-core machine
        view = None
        while view is None and time.monotonic() < deadline:
            time.sleep(1)
            try:
                view = page.evaluate(PLAYER_VIEW)
            except BrowserError:  # the page is still loading
                pass
        assert view is not None, "the step-through player did not show in JupyterLab"
        assert (view["saved"], view["line"], view["icons"]) == (True, "block", 0), view
        assert view["says"] == "A saved view: run this cell to use the play button and the slider.", view
    finally:
        page.close()


def test_lessons_installs_then_prints_one_address_that_serves_and_one_ctrl_c_stops_it(
    tasks: ModuleType, one_at_a_time: None
) -> None:
    """One run, so that no two pip installs into .venv overlap when the tests run in parallel."""
    server = subprocess.Popen(
        [sys.executable, "tasks.py", "lessons", "--no-browser"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=read_lines, args=(server.stdout, lines), daemon=True).start()
    before: list[str] = []
    try:
        while not any(ADDRESS.match(line) for line in before):
            line = lines.get(timeout=300)
            assert line is not None, "tasks.py ended before printing an address:\n" + "\n".join(before[-30:])
            before.append(line)
        assert before[0].startswith("installing into .venv/: scalargrad, JupyterLab"), before[:3]
        assert "a minute or two" in before[1], before[:3]
        address = next(m.group(1) for m in map(ADDRESS.match, before) if m)
        page = fetch(address.replace("localhost", "127.0.0.1", 1))
        assert b"JupyterLab" in page
        # No "Would you like to get notified about official Jupyter news?" toast: the setting it asks about is set.
        base, token = address.replace("localhost", "127.0.0.1", 1).split("/lab?token=")
        setting = f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification?token={token}"
        schema = json.loads(fetch(setting))["schema"]
        assert schema["properties"]["fetchNews"]["default"] == "false"
        # The lessons are signed, so their saved drawings and pages show on first open.
        notary = nbformat.sign.NotebookNotary()
        for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
            assert notary.check_signature(nbformat.read(path, as_version=4)), f"{path.name} is not trusted"
        look_at_the_saved_player(f"{base}/lab/tree/{PLAYER_LESSON}?token={token}")
        kernels = [k["id"] for k in json.loads(fetch(f"{base}/api/kernels?token={token}"))]
    finally:
        server.send_signal(signal.SIGINT)
        code = server.wait(timeout=60)
    if find_chromium() is not None:  # lesson 01 was opened, so its kernel ran; it must be gone too
        assert kernels, "opening lesson 01 started no kernel"
        deadline = time.monotonic() + 30  # a kernel told to shut down may take a while to exit on a busy machine
        while kernel_processes(kernels) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert kernel_processes(kernels) == [], "a kernel outlived JupyterLab"
    after = []
    while (line := lines.get(timeout=10)) is not None:
        after.append(line)
    everything = before + after
    assert code == 0, everything[-30:]
    assert [line for line in after if line.strip()] == ["JupyterLab stopped."], after
    assert sum("token=" in line for line in everything) == 1, everything
    assert not [line for line in everything if line.startswith("[I ") or "Traceback" in line], everything

    version = subprocess.run([str(tasks.BIN / "jupyter"), "lab", "--version"], capture_output=True, text=True)
    assert int(version.stdout.strip().split(".")[0]) >= 4, version.stdout + version.stderr
    import sklearn  # noqa: F401 - the extra also brings scikit-learn for nn.data.load_digits

    if not any("wheel for this platform" in line for line in everything):  # lesson 08's packages, where they exist
        for name in ("torch", "onnx", "onnxruntime"):
            __import__(name)


@pytest.mark.skipif(os.name != "posix", reason="a pseudo-terminal needs POSIX")
def test_one_ctrl_c_in_a_terminal_stops_jupyter_lab_with_one_line(jupyterlab: None) -> None:
    """In a terminal Ctrl-C reaches JupyterLab too, which would ask "Shut down this Jupyter server (y/[n])?"."""
    import pty

    pid, terminal = pty.fork()
    if pid == 0:  # the child: the student's shell running the lessons' server
        os.chdir(ROOT)
        serve = "import sys, tasks; sys.exit(tasks.serve_lessons('--no-browser'))"
        os.execv(sys.executable, [sys.executable, "-c", serve])
    shown = b""

    def read_for(seconds: float) -> bool:
        nonlocal shown
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if select.select([terminal], [], [], 0.2)[0]:
                try:
                    data = os.read(terminal, 4096)
                except OSError:  # the child closed the terminal
                    return False
                if not data:
                    return False
                shown += data
        return True

    started = time.monotonic()
    while b"token=" not in shown and time.monotonic() - started < 120 and read_for(1):
        pass
    assert b"token=" in shown, shown.decode(errors="replace")
    read_for(1)
    os.write(terminal, b"\x03")  # Ctrl-C: the terminal sends SIGINT to the whole foreground group
    read_for(30)
    _, status = os.waitpid(pid, 0)
    text = shown.decode(errors="replace").replace("\r", "")
    assert os.waitstatus_to_exitcode(status) == 0, text
    after = text.split("token=", 1)[1].splitlines()[1:]
    assert [line for line in after if line.strip() and line != "^C"] == ["JupyterLab stopped."], text
    assert "Shut down this Jupyter server" not in text and "Traceback" not in text, text


@pytest.mark.skipif(os.name != "posix", reason="a pseudo-terminal needs POSIX")
def test_closing_the_terminal_stops_jupyter_lab_too(jupyterlab: None) -> None:
    """JupyterLab runs in a session of its own (so that Ctrl-C reaches only tasks.py): a hang-up must still stop it."""
    import pty

    pid, terminal = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        serve = "import sys, tasks; sys.exit(tasks.serve_lessons('--no-browser'))"
        os.execv(sys.executable, [sys.executable, "-c", serve])
    shown = b""
    try:
        started = time.monotonic()
        while b"token=" not in shown and time.monotonic() - started < 120:
            if select.select([terminal], [], [], 1)[0]:
                shown += os.read(terminal, 4096)
        lines = shown.decode(errors="replace").splitlines()
        address = next((m.group(1) for m in map(ADDRESS.match, lines) if m), None)
        assert address is not None, shown.decode(errors="replace")
    finally:
        os.close(terminal)  # the terminal window closes: its session gets SIGHUP
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    with pytest.raises(urllib.error.URLError) as refused:
        urllib.request.urlopen(address.replace("localhost", "127.0.0.1", 1), timeout=10)
    assert not isinstance(refused.value, urllib.error.HTTPError), "the server still answers"
