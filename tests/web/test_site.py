"""The JupyterLite site: built as `python3 tasks.py site` builds it (once for this file), served on 127.0.0.1, and
lessons run in headless Chromium through JupyterLab's application object: lesson 01's every cell without error,
drawings as SVG, nothing fetched from anywhere but the site itself; lesson 03's training page drawn in its output."""

from __future__ import annotations

import functools
import http.server
import json
import math
import re
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from browser import Browser, BrowserError, find_chromium

LESSON = "01_values_and_backprop.ipynb"
TRAINING_LESSON = "03_neuron_to_mlp.ipynb"
START_SECONDS = 240.0  # a cold kernel on a loaded 2-core machine; about 15 s on an idle one
WIDGET = "application/vnd.jupyter.widget-view+json"


def panel(lesson: str) -> str:
    """JavaScript for the lesson's notebook panel."""
    return f"[...window.jupyterapp.shell.widgets('main')].find(w => w.context && w.context.path === {lesson!r})"


def kernel(lesson: str) -> str:
    """JavaScript for the status of the lesson's kernel ('idle', 'busy', ...)."""
    return f"(() => {{ const p = {panel(lesson)}; return p && p.sessionContext.session?.kernel?.status; }})()"


def cells(lesson: str) -> str:
    """JavaScript for the lesson's code cells as {count, outputs, source}."""
    return f"""(() => {{
  const panel = {panel(lesson)};
  return panel.context.model.toJSON().cells.filter(c => c.cell_type === 'code')
    .map(c => ({{count: c.execution_count, outputs: c.outputs, source: [].concat(c.source).join('')}}));
}})()"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def served_site(browser_build: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site, built into a temporary folder and served on 127.0.0.1; yields its address."""
    pytest.importorskip("jupyterlite_core", reason="jupyterlite-core is not installed (pip install '.[site]')")
    pytest.importorskip("jupyterlite_pyodide_kernel", reason="jupyterlite-pyodide-kernel is not installed")
    from web import site

    folder = site.build(sys.executable, tmp_path_factory.mktemp("site") / "site")
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


def open_lesson(page: Browser, site: str, lesson: str) -> None:
    """Open a lesson in the site and wait until its kernel is ready."""
    page.call("Page.navigate", session=True, url=f"{site}/lab/index.html?path={lesson}")
    assert wait_until(page, f"{kernel(lesson)} === 'idle'", START_SECONDS)
    page.evaluate(f"(() => {{ window.jupyterapp.shell.activateById({panel(lesson)}.id); }})()")


def saved_player(lesson: str) -> str:
    """JavaScript for what the step-through player's cell shows before it runs: "img" per picture, else its text."""
    return f"""(() => {{
  const cell = {panel(lesson)}.content.widgets
    .find(w => w.model.type === 'code' && w.model.sharedModel.source.includes('engine.step_through('));
  return cell && [...cell.outputArea.node.querySelectorAll('.jp-OutputArea-output')]
    .map(e => e.querySelector('img') ? 'img' : e.textContent.slice(0, 80));
}})()"""


def test_lesson_01_runs_every_cell_in_the_site(served_site: str) -> None:
    page = Browser(find_chromium() or "chromium")
    try:
        open_lesson(page, served_site, LESSON)
        # As opened (the site's notebooks are not trusted), the player shows its saved first frame as a picture.
        assert wait_until(page, saved_player(LESSON), START_SECONDS) == ["img"]
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        done = f"{cells(LESSON)}.every(c => c.count !== null) && {kernel(LESSON)} === 'idle'"
        assert wait_until(page, done, START_SECONDS)
        code = page.evaluate(cells(LESSON))
        errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
        assert errors == []
        data = [o.get("data", {}) for c in code for o in c["outputs"]]
        svgs = [d["image/svg+xml"] for d in data if "image/svg+xml" in d]
        assert len(svgs) >= 3 and all("<svg" in svg and 'class="node"' in svg for svg in svgs)
        widgets = [d for d in data if WIDGET in d]
        assert widgets, "the step-through player (ipywidgets) did not appear"
        elsewhere = [u for u in page.requests if not u.startswith((served_site, "blob:", "data:"))]
        assert elsewhere == []
    finally:
        page.close()


def test_lesson_03s_training_page_is_drawn_in_the_site(served_site: str) -> None:
    """Only the cells the recorded run needs: the imports, the data, and the run with its Recorder."""
    page = Browser(find_chromium() or "chromium")
    try:
        open_lesson(page, served_site, TRAINING_LESSON)
        sources = [c["source"] for c in page.evaluate(cells(TRAINING_LESSON))]
        needed = [next(i for i, s in enumerate(sources) if mark in s)
                  for mark in ("import matplotlib", "X, y = make_moons(", "Recorder(X, y")]
        # Cell indices in the notebook, whose markdown cells are counted too.
        kinds = page.evaluate(f"{panel(TRAINING_LESSON)}.context.model.toJSON().cells.map(c => c.cell_type)")
        positions = [i for i, kind in enumerate(kinds) if kind == "code"]
        for index in needed:
            page.evaluate(f"(() => {{ {panel(TRAINING_LESSON)}.content.activeCellIndex = {positions[index]}; }})()")
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-cell')")
            ran = f"{cells(TRAINING_LESSON)}[{index}].count !== null && {kernel(TRAINING_LESSON)} === 'idle'"
            assert wait_until(page, ran, START_SECONDS)
        outputs = page.evaluate(cells(TRAINING_LESSON))[needed[-1]]["outputs"]
        assert [o for o in outputs if o["output_type"] == "error"] == []
        printed = "".join(o["text"] if isinstance(o["text"], str) else "".join(o["text"]) for o in outputs
                          if o["output_type"] == "stream")
        loss, accuracy = re.search(r"final loss (\d+\.\d+), accuracy (\d+)%", printed).groups()  # type: ignore[union-attr]

        # The training page, in its iframe in the cell's output area: the curves, then its last frame's numbers.
        frame = (f"{panel(TRAINING_LESSON)}.content.widgets[{positions[needed[-1]]}].node"
                 ".querySelector('.jp-OutputArea iframe').contentDocument")
        assert wait_until(page, f"{frame}.querySelectorAll('#curves polyline').length === 2", 60)
        recording = json.loads(page.evaluate(f"{frame}.getElementById('recording').textContent"))
        points = page.evaluate(f"{frame}.querySelector('#curves polyline').getAttribute('points')").split()
        assert len(points) == len(recording["frames"]) == 21  # steps 0, 5, ..., 95 and the last, 99
        page.evaluate(f"""(() => {{ const slider = {frame}.getElementById('slider');
          slider.value = slider.max; slider.dispatchEvent(new Event('input')); }})()""")
        shown = page.evaluate(f"""['step-value', 'loss-value', 'accuracy-value']
          .map(id => {frame}.getElementById(id).textContent)""")
        assert shown[0] == "99" and recording["frames"][-1]["step"] == 99
        assert math.isclose(float(shown[1]), float(loss), abs_tol=5e-5)  # the page shows 4 digits, the cell 4 places
        assert math.isclose(recording["frames"][-1]["loss"], float(loss), abs_tol=5e-5)
        assert shown[2] == f"{float(accuracy):.1f}%"
        assert page.evaluate(f"{frame}.querySelectorAll('#regions rect').length") > 100  # the decision regions
    finally:
        page.close()
