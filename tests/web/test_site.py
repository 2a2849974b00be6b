"""The JupyterLite site: built as `python3 tasks.py site` builds it, served on 127.0.0.1, lesson 01 run in headless
Chromium through JupyterLab's application object, every cell without error and drawings as SVG, nothing fetched
from anywhere but the site itself."""

from __future__ import annotations

import functools
import http.server
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import Browser, BrowserError, find_chromium

LESSON = "01_values_and_backprop.ipynb"
START_SECONDS = 240.0  # a cold kernel on a loaded 2-core machine; about 15 s on an idle one
PANEL = f"[...window.jupyterapp.shell.widgets('main')].find(w => w.context && w.context.path === {LESSON!r})"
KERNEL = f"(() => {{ const p = {PANEL}; return p && p.sessionContext.session?.kernel?.status; }})()"
WIDGET = "application/vnd.jupyter.widget-view+json"
CELLS = f"""(() => {{
  const panel = {PANEL};
  return panel.context.model.toJSON().cells.filter(c => c.cell_type === 'code')
    .map(c => ({{count: c.execution_count, outputs: c.outputs}}));
}})()"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture
def served_site(browser_build: None, tmp_path: Path) -> Iterator[str]:
    """The site, built into a temporary folder and served on 127.0.0.1; yields its address."""
    pytest.importorskip("jupyterlite_core", reason="jupyterlite-core is not installed (pip install '.[site]')")
    pytest.importorskip("jupyterlite_pyodide_kernel", reason="jupyterlite-pyodide-kernel is not installed")
    from web import site

    folder = site.build(sys.executable, tmp_path / "site")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def wait_until(page: Browser, expression: str, seconds: float) -> Any:
    """Poll a JavaScript expression until it gives a truthy value; fails the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = page.evaluate(expression)
        except BrowserError:
            value = None
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"still false after {seconds:g} s: {expression}")


def test_lesson_01_runs_every_cell_in_the_site(served_site: str) -> None:
    page = Browser(find_chromium() or "chromium")
    try:
        page.call("Page.navigate", session=True, url=f"{served_site}/lab/index.html?path={LESSON}")
        assert wait_until(page, f"{KERNEL} === 'idle'", START_SECONDS)
        page.evaluate(f"(() => {{ window.jupyterapp.shell.activateById({PANEL}.id); }})()")
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        done = f"{CELLS}.every(c => c.count !== null) && {KERNEL} === 'idle'"
        assert wait_until(page, done, START_SECONDS)
        cells = page.evaluate(CELLS)
        errors = [o for c in cells for o in c["outputs"] if o["output_type"] == "error"]
        assert errors == []
        data = [o.get("data", {}) for c in cells for o in c["outputs"]]
        svgs = [d["image/svg+xml"] for d in data if "image/svg+xml" in d]
        assert len(svgs) >= 3 and all("<svg" in svg and 'class="node"' in svg for svg in svgs)
        widgets = [d for d in data if WIDGET in d]
        assert widgets, "the step-through player (ipywidgets) did not appear"
        elsewhere = [u for u in page.requests if not u.startswith((served_site, "blob:", "data:"))]
        assert elsewhere == []
    finally:
        page.close()
