"""Builds for the browser tests, made once per test process: the playground file (and the site, in its test).

A build needs Node.js (the playground's bytecode is compiled by Pyodide run in Node) and npm on a first run
(Pyodide and viz-js are fetched into .cache/), and a Chromium to be tested in; without them the tests skip and
say why.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from browser import find_chromium

from web import downloads


@pytest.fixture(scope="session")
def browser_build() -> None:
    """Skips the test unless Chromium is installed and the downloads are cached or npm can fetch them."""
    if find_chromium() is None:
        pytest.skip("no Chromium: install Debian's `chromium` to run the browser-build tests")
    cached = (downloads.CACHE / "npm" / f"pyodide@{downloads.PYODIDE}" / "package" / "package.json").exists()
    if shutil.which("node") is None or (not cached and shutil.which("npm") is None):
        pytest.skip("no Node.js (npm): install it to build the playground and the site")


@pytest.fixture(scope="session")
def playground_file(browser_build: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The playground, built as `python3 tasks.py playground` builds it, into a temporary folder."""
    from web import playground

    return playground.build(sys.executable, tmp_path_factory.mktemp("playground") / "playground.html")
