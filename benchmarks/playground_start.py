"""The playground's cold start in headless Chromium, beside a bare Pyodide page measured in the same rounds.

    python benchmarks/playground_start.py               # build the playground, 5 cold rounds of each page
    python benchmarks/playground_start.py --rounds 9 --file old.html --file new.html --moons

Each round opens the playground (from file://; each --file in turn, to compare builds) and the anchor (the
same npm Pyodide's `loadPyodide()` and nothing else, served on 127.0.0.1) in fresh Chromium profiles,
alternating, so that machine load hits all alike; on a shared machine compare the rows of one run.
Printed: page load to Python ready, the start-up stages (the progress lines' performance measures), the first
run of the neuron example (drawn, so it waits for viz-js), and the load average before and after. `--moons`
also times 100 steps of two-moons training in the page and natively. Needs Chromium, Node.js and the cached
(or npm-fetchable) Pyodide.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser import Browser, find_chromium  # noqa: E402 - tests/browser.py, the harness the page tests use

from web import downloads, playground  # noqa: E402
from web import run as runner  # noqa: E402

ANCHOR = """<!doctype html><meta charset="utf-8"><title>bare Pyodide</title>
<script type="module">
import { loadPyodide } from "./pyodide.mjs";
window.ready = loadPyodide().then(() => performance.now());
</script>"""
NEURON = (ROOT / "web" / "examples" / "1_neuron.py").read_text(encoding="utf-8")
MOONS = """
import time
import nn
from nn.data import make_moons
from nn.training import fit

X, y = make_moons(100, noise=0.1, seed=0)
started = time.perf_counter()
fit(nn.MLP(2, [16, 16, 1], seed=0), X, y, steps=100, progress=False, recorder=nn.Recorder(X, y, every=10))
print(time.perf_counter() - started)
"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


def playground_round(chromium: str, page: Path, moons: bool) -> dict[str, float]:
    """One cold start of the playground: milliseconds to ready, per stage, to the neuron's first run."""
    browser = Browser(chromium)
    try:
        browser.open(page)
        browser.evaluate("window.scalargrad.ready")
        result = browser.evaluate(
            "({ready: performance.now(), stages: Object.fromEntries(performance.getEntriesByType('measure')"
            ".map(m => [m.name, m.duration]))})"
        )
        started = browser.evaluate("performance.now()")
        browser.evaluate(f"window.scalargrad.run({json.dumps(NEURON)})")
        times = {"ready": result["ready"], "first run": browser.evaluate("performance.now()") - started}
        times |= {name: ms for name, ms in result["stages"].items() if not name.startswith("Ready")}
        if moons:
            printed = browser.evaluate(f"window.scalargrad.run({json.dumps(MOONS)})")["stdout"]
            times["moons (page)"] = 1000 * float(printed)
        return times
    finally:
        browser.close()


def anchor_round(chromium: str, url: str) -> float:
    """One cold start of the bare Pyodide page: milliseconds from page load to `loadPyodide()` done."""
    browser = Browser(chromium)
    try:
        mark = len(browser.events)
        browser.call("Page.navigate", session=True, url=url)
        browser.wait_for("Page.loadEventFired", since=mark)
        return float(browser.evaluate("window.ready"))
    finally:
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--file", type=Path, action="append", help="a built playground (default: build one)")
    parser.add_argument("--moons", action="store_true", help="also time 100 steps of two-moons training")
    options = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        sys.exit("no Chromium: install Debian's `chromium`")
    with tempfile.TemporaryDirectory(prefix="scalargrad-start-") as folder:
        pages = options.file or [playground.build(sys.executable, Path(folder) / "playground.html")]
        pyodide = downloads.npm_package("pyodide", downloads.PYODIDE)
        served = Path(folder) / "anchor"
        served.mkdir()
        for name in ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"):
            shutil.copy2(pyodide / name, served / name)
        (served / "index.html").write_text(ANCHOR, encoding="utf-8")
        handler = functools.partial(QuietHandler, directory=str(served))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
        load_before = os.getloadavg()
        rows: dict[str, list[float]] = {}
        try:
            for _ in range(options.rounds):
                for page in pages:
                    for name, ms in playground_round(chromium, page, options.moons).items():
                        rows.setdefault(f"{page.name}: {name}", []).append(ms)
                rows.setdefault("anchor: bare loadPyodide()", []).append(anchor_round(chromium, url))
        finally:
            server.shutdown()
            server.server_close()
        load_after = os.getloadavg()
        sizes = ", ".join(f"{page.name} {page.stat().st_size / 2**20:.2f} MB" for page in pages)
    if options.moons:
        rows["moons (native)"] = [1000 * float(runner.run(MOONS)["stdout"])]
    print(f"{sizes}; {options.rounds} cold rounds; Chromium, {os.cpu_count()} cores")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)")
    print(f"{'ms':<48}{'median':>8}{'min':>8}{'max':>8}")
    for name, values in rows.items():
        print(f"{name:<48}{statistics.median(values):8.0f}{min(values):8.0f}{max(values):8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
