"""The shared Chromium harness sees what page tests rely on it to see: console errors, requests, pixels."""

from __future__ import annotations

from pathlib import Path

from browser import Browser, pixel_spread


def test_the_harness_records_console_errors_requests_and_pixels(chromium: Browser, tmp_path: Path) -> None:
    quiet = tmp_path / "quiet.html"
    quiet.write_text("<!doctype html><title>quiet</title><body style='background:#fff'></body>", encoding="utf-8")
    chromium.open(quiet)
    assert chromium.evaluate("document.title") == "quiet"
    assert chromium.console_errors == [] and chromium.external_requests() == []
    assert pixel_spread(chromium.screenshot()) < 1.0  # an empty white page

    noisy = tmp_path / "noisy.html"
    noisy.write_text(
        "<!doctype html><body style='background:#000'><h1 style='color:#fff'>noisy</h1>"
        "<img src='http://127.0.0.1:9/missing.png'>"
        "<script>console.error('told you'); undefinedFunction();</script>",
        encoding="utf-8",
    )
    chromium.open(noisy)
    assert "http://127.0.0.1:9/missing.png" in chromium.external_requests()
    assert any("told you" in e for e in chromium.console_errors)
    assert any("undefinedFunction" in e for e in chromium.console_errors)
    assert pixel_spread(chromium.screenshot()) > 5.0
    chromium.press("ArrowRight", 39)  # a key press reaches the page without error
