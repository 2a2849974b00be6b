"""The one-file playground in headless Chromium, from file:// with nothing fetched: it runs the seed's neuron and
a short moons training to the numbers native CPython prints, draws the last Value and reports errors.

One test drives one page load (starting Python takes seconds), so that parallel workers never start it twice.
"""

from __future__ import annotations

import base64
import json
import math
import re
from pathlib import Path

from browser import Browser, find_chromium

from web import playground
from web import run as runner

EXAMPLES = Path(runner.__file__).parent / "examples"
MOONS = """
import nn
from nn.data import make_moons
from nn.training import fit

X, y = make_moons(40, noise=0.1, seed=3)
model = nn.MLP(2, [6, 1], seed=1)
rec = nn.Recorder(X, y, every=4)
history = fit(model, X, y, steps=8, progress=False, recorder=rec)
for loss, accuracy in zip(history.loss, history.accuracy):
    print(repr(loss), accuracy)
"""
NUMBER = re.compile(r"-?\d+\.\d+(?:e-?\d+)?")


def numbers(text: str) -> list[float]:
    return [float(x) for x in NUMBER.findall(text)]


def same_numbers(browser_text: str, native_text: str) -> bool:
    """The same printout, number for number: within 4 ulps, since Pyodide's libm (tanh, exp) may round the last
    bit differently from the native C library's."""
    ours, theirs = numbers(browser_text), numbers(native_text)
    close = all(math.isclose(a, b, rel_tol=1e-15 * 4, abs_tol=1e-300) for a, b in zip(ours, theirs))
    return len(ours) == len(theirs) > 0 and close and NUMBER.sub("#", browser_text) == NUMBER.sub("#", native_text)


def run(page: Browser, source: str) -> dict[str, str | None]:
    return page.evaluate(f"window.scalargrad.run({json.dumps(source)})")  # type: ignore[no-any-return]


def test_playground_runs_offline_as_native_python(playground_file: Path) -> None:
    assert playground_file.stat().st_size <= playground.MAX_BYTES
    page = Browser(find_chromium() or "chromium")
    try:
        page.open(playground_file)
        assert page.evaluate("window.scalargrad.ready") is True

        neuron = (EXAMPLES / "1_neuron.py").read_text()
        result = run(page, neuron)
        assert result["error"] is None
        assert same_numbers(result["stdout"] or "", runner.run(neuron)["stdout"]), result["stdout"]
        # The drawing: an SVG whose nodes are the native DOT source's nodes, one for one.
        svg_nodes = page.evaluate("[...document.querySelectorAll('#graph svg g.node > title')].map(t => t.textContent)")
        from engine import Value, draw_dot

        x, w, b = Value(2.0, "x"), Value(-3.0, "w"), Value(6.88, "b")
        a = (x * w + b).tanh()
        a.backward()
        statements = re.findall(r"^\s*(\w+) \[", draw_dot(a).source, re.MULTILINE)
        dot_nodes = [name for name in statements if name not in ("graph", "node", "edge")]
        assert sorted(svg_nodes) == sorted(dot_nodes) and len(dot_nodes) >= 6
        assert page.evaluate("document.getElementById('step').disabled") is False

        moons = run(page, MOONS)
        assert moons["error"] is None
        assert same_numbers(moons["stdout"] or "", runner.run(MOONS)["stdout"]), moons["stdout"]
        training = "(() => { const f = document.getElementById('training'); return !f.hidden && f.srcdoc.length; })()"
        assert page.evaluate(training) > 1000  # the Recorder's training page is shown

        error = run(page, "def f(x):\n    return 1 / x\n\nf(0)\n")
        assert error["stdout"] == ""
        assert (error["error"] or "").splitlines()[-1] == "ZeroDivisionError: division by zero"
        assert page.evaluate("document.querySelector('#output .error').textContent") == error["error"]

        # Nothing fetched but the file itself and the blob: URLs its script makes from its own bytes.
        assert [url for url in page.external_requests() if not url.startswith("blob:")] == []
        assert page.console_errors == []
    finally:
        page.close()


def test_a_code_link_restores_the_code_and_no_webassembly_is_said(playground_file: Path, chromium: Browser) -> None:
    source = "from engine import Value\nprint(Value(2.0) * 3)  # ünïcode survives\n"
    encoded = base64.urlsafe_b64encode(source.encode()).decode().rstrip("=")
    mark = len(chromium.events)
    chromium.call("Page.navigate", session=True, url=f"{playground_file.resolve().as_uri()}#code={encoded}")
    chromium.wait_for("Page.loadEventFired", since=mark)
    assert chromium.evaluate("document.getElementById('code').value") == source
    chromium.click("#share")  # the link made from the box is the one it was restored from
    assert chromium.evaluate("location.hash") == f"#code={encoded}"

    chromium.call("Page.addScriptToEvaluateOnNewDocument", session=True, source="delete globalThis.WebAssembly;")
    chromium.open(playground_file)
    status = chromium.evaluate("document.getElementById('status').textContent")
    assert "lacks WebAssembly" in status
