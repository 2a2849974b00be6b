"""One headless Chromium for every page test, driven over the DevTools protocol through a pipe.

The `chromium` fixture starts Debian's `chromium` with a fresh profile and `--remote-debugging-pipe`, so no
driver program, port or extra Python package is needed. It records every console error, uncaught exception
and network request of the page, and skips the test (saying why) where no Chromium is installed.

    (tests/conftest.py loads this module as a plugin, so every test file can ask for the fixture)

    def test_page(chromium, tmp_path):
        page = chromium.open(tmp_path / "page.html")   # waits for the load event
        assert chromium.evaluate("document.title") == "..."
        assert chromium.console_errors == [] and chromium.external_requests() == []
"""

from __future__ import annotations

import base64
import fcntl
import io
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")
# The flags CI needs: no sandbox as root, no GPU, and nothing that phones home on its own (so that every
# request seen is one the page made).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)
TIMEOUT = 30.0  # seconds for one protocol call or a page load; a healthy one takes well under a second


def find_chromium() -> str | None:
    """The path of an installed Chromium (or Chrome), or None."""
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path is not None:
            return path
    return None


class BrowserError(RuntimeError):
    """The browser died, timed out or answered a protocol call with an error."""


class Browser:
    """A headless Chromium with one page, a record of its console errors and of its network requests."""

    def __init__(self, executable: str, width: int = 1000, height: int = 800) -> None:
        self.profile = tempfile.mkdtemp(prefix="scalargrad-chromium-")
        self.log_path = Path(self.profile) / "chromium.log"
        # The protocol runs over fds 3 (commands to the browser) and 4 (its replies): --remote-debugging-pipe.
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_fds() -> None:
            # Copy both ends above fd 9 first, so that neither is overwritten (or left close-on-exec) when
            # the pipes themselves happen to be fds 3 and 4.
            reader, writer = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser_r, from_browser_w))
            os.dup2(reader, 3)
            os.dup2(writer, 4)

        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [
                    executable,
                    *FLAGS,
                    f"--user-data-dir={self.profile}",
                    f"--window-size={width},{height}",
                    "about:blank",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                preexec_fn=wire_fds,
                close_fds=False,
            )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.console_errors: list[str] = []
        self.requests: list[str] = []
        self.page_url = ""
        target = next(t for t in self.call("Target.getTargets")["targetInfos"] if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=target["targetId"], flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(f"{domain}.enable", session=True)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            session=True,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    # -- the protocol ---------------------------------------------------------------------------------------
    def _send(self, method: str, params: dict[str, Any], session: bool) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(left, 0.0))
            if not ready:
                raise BrowserError(f"no answer from chromium within {TIMEOUT} s (log: {self.log_path})")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise BrowserError(f"chromium exited (status {self.process.poll()}); see {self.log_path}")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        if "method" in message:
            self._record(message)
        return message

    def _record(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        method, params = event["method"], event.get("params", {})
        if method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.console_errors.append(details.get("exception", {}).get("description") or details.get("text", ""))
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            self.console_errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.console_errors.append(params["entry"]["text"])

    def call(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        """Send one DevTools command (to the page when `session`) and return its result, recording events meanwhile."""
        call_id = self._send(method, params, session)
        deadline = time.monotonic() + TIMEOUT
        while True:
            message = self._receive(deadline)
            if message.get("id") == call_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})  # type: ignore[no-any-return]

    def wait_for(self, method: str, since: int = 0) -> dict[str, Any]:
        """The first event named `method` recorded at or after position `since`, waiting for it if need be."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            for event in self.events[since:]:
                if event["method"] == method:
                    return event
            since = len(self.events)
            self._receive(deadline)

    # -- what tests use -------------------------------------------------------------------------------------
    def open(self, path: str | os.PathLike[str]) -> str:
        """Load a local file from its file:// address and wait for its load event; returns the address."""
        self.page_url = Path(path).resolve().as_uri()
        mark = len(self.events)
        self.call("Page.navigate", session=True, url=self.page_url)
        self.wait_for("Page.loadEventFired", since=mark)
        return self.page_url

    def external_requests(self) -> list[str]:
        """Every request the page made other than for its own file: a self-contained page makes none."""
        return [url for url in self.requests if url != self.page_url]

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-like values). Raises BrowserError if it throws."""
        result = self.call(
            "Runtime.evaluate", session=True, expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r:.80} threw: {result['exceptionDetails'].get('exception', {})}")
        return result["result"].get("value")

    def press(self, key: str, code: int) -> None:
        """Press and release one key, as a user would (e.g. press("ArrowRight", 39))."""
        for kind in ("keyDown", "keyUp"):
            self.call(
                "Input.dispatchKeyEvent",
                session=True,
                type=kind,
                key=key,
                code=key,
                windowsVirtualKeyCode=code,
                nativeVirtualKeyCode=code,
            )

    def click(self, selector: str) -> None:
        """Click the centre of the first element matching a CSS selector with the mouse."""
        box = self.evaluate(
            f"(function(){{var r=document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
            "return [r.left + r.width / 2, r.top + r.height / 2];})()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent", session=True, type=kind, x=box[0], y=box[1], button="left", clickCount=1
            )

    def screenshot(self, path: str | os.PathLike[str] | None = None) -> bytes:
        """A PNG of the viewport (also written to `path` when given)."""
        png = base64.b64decode(self.call("Page.captureScreenshot", session=True, format="png")["data"])
        if path is not None:
            Path(path).write_bytes(png)
        return png

    def close(self) -> None:
        try:
            self.call("Browser.close")
            self.process.wait(timeout=10)
        except (BrowserError, OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            os.close(self._to_browser)
            os.close(self._from_browser)
            shutil.rmtree(self.profile, ignore_errors=True)


def pixel_spread(png: bytes) -> float:
    """The standard deviation of a PNG's grey levels (0 for a blank picture); needs Pillow (matplotlib brings it)."""
    image_module = pytest.importorskip("PIL.Image", reason="Pillow is needed to read screenshots")
    counts = image_module.open(io.BytesIO(png)).convert("L").histogram()
    total = sum(counts)
    mean = sum(level * n for level, n in enumerate(counts)) / total
    return float((sum(n * (level - mean) ** 2 for level, n in enumerate(counts)) / total) ** 0.5)


@pytest.fixture
def chromium() -> Iterator[Browser]:
    """A fresh headless Chromium (new profile each test); skips with the reason when none is installed."""
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium: install Debian's `chromium` (apt-get install chromium) to run the browser tests")
    browser = Browser(executable)
    try:
        yield browser
    finally:
        browser.close()
