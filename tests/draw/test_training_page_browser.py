"""The training page in headless Chromium: what it shows at each step equals what the recorder kept."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from browser import Browser, pixel_spread  # the `chromium` fixture comes from conftest's plugin

import nn
from nn.cli.choices import DATASETS, build_model
from nn.data import make_moons
from nn.training import fit
from nn.watch.recorder import MAX_DRAWN_NEURONS, Recorder


def _close(shown: str, recorded: float) -> bool:
    """Whether a number printed to 4 significant digits (or 3 in exponent form) is the recorded one."""
    return float(shown) == pytest.approx(recorded, rel=1e-3, abs=1e-12)


def _text(chromium: Browser, selector: str) -> str:
    text: str = chromium.evaluate(f"document.querySelector({json.dumps(selector)}).textContent")
    return text


def _set_slider(chromium: Browser, index: int) -> None:
    chromium.evaluate(f"(function(){{var s=document.getElementById('slider'); s.value='{index}';"
                      "s.dispatchEvent(new Event('input'));})()")


@pytest.fixture
def moons_page(tmp_path: Path) -> tuple[Path, Recorder]:
    X, y = make_moons(40, noise=0.1, seed=5)
    rec = Recorder(X, y, every=1, sample=3)
    fit(nn.MLP(2, [4, 3, 1], seed=5), X, y, steps=8, progress=False, recorder=rec)
    path = tmp_path / "training.html"
    rec.save_html(path)
    return path, rec


def test_the_page_shows_the_recorded_numbers_at_each_step(chromium: Browser, moons_page: tuple[Path, Recorder],
                                                          tmp_path: Path) -> None:
    path, rec = moons_page
    chromium.open(path)
    assert chromium.console_errors == [] and chromium.external_requests() == []
    assert _text(chromium, "#step-value") == "0"

    chromium.press("ArrowRight", 39)  # arrow keys step from anywhere on the page
    chromium.press("ArrowRight", 39)
    chromium.press("ArrowLeft", 37)
    assert _text(chromium, "#step-value") == "1"
    chromium.click("#slider")  # the slider itself, focused, also steps with the keys
    _set_slider(chromium, 5)
    chromium.press("ArrowLeft", 37)
    assert _text(chromium, "#step-value") == "4"

    for index in (0, 4, 7):
        _set_slider(chromium, index)
        frame = rec.frames[index]
        assert _text(chromium, "#step-value") == str(frame.step)
        assert frame.loss is not None and frame.accuracy is not None
        assert _close(_text(chromium, "#loss-value"), frame.loss)
        assert _text(chromium, "#accuracy-value") == f"{100 * frame.accuracy:.1f}%"
        layer = frame.layers[1]
        assert layer.weight is not None and layer.weight_grad is not None and layer.output is not None
        edge = re.search(r"w = (\S+), ∂L/∂w = (\S+)$", _text(chromium, "#e-2-1-0 title"))
        assert edge is not None
        assert _close(edge.group(1), layer.weight[1][0]) and _close(edge.group(2), layer.weight_grad[1][0])
        neuron = re.search(r"output (\S+), bias (\S+), ∂L/∂b = (\S+)$", _text(chromium, "#n-2-2 title"))
        assert neuron is not None
        assert _close(neuron.group(1), layer.output[2]) and _close(neuron.group(3), (layer.bias_grad or [])[2])
        # The decision regions: as many cells of class 1's shade as the recorded grid has class-1 cells.
        assert frame.regions is not None
        shades = chromium.evaluate("Array.from(document.querySelectorAll('#regions rect'))"
                                   ".slice(0, 400).map(function(r){return r.getAttribute('fill');})")
        classes = [c for row in frame.regions for c in row]
        assert len(shades) == len(classes) == 400
        assert len({(shade, c) for shade, c in zip(shades, classes)}) == len(set(classes))

    screenshot = chromium.screenshot(tmp_path / "training.png")
    assert pixel_spread(screenshot) > 20.0


def test_the_switch_shows_gradients_instead_of_activations(chromium: Browser,
                                                           moons_page: tuple[Path, Recorder]) -> None:
    path, rec = moons_page
    chromium.open(path)
    _set_slider(chromium, 2)
    fills = "Array.from(document.querySelectorAll('circle.neuron')).map(function(c){return c.getAttribute('fill');})"
    widths = ("Array.from(document.querySelectorAll('line.edge'))"
              ".map(function(e){return e.getAttribute('stroke-width');})")
    activation_fills, weight_widths = chromium.evaluate(fills), chromium.evaluate(widths)
    # Each edge: red for a positive weight, blue for a negative one, as thick as |w| (the run's largest is 5 px).
    largest = max(abs(w) for f in rec.frames for layer in f.layers for row in layer.weight or [] for w in row)
    drawn = chromium.evaluate("Array.from(document.querySelectorAll('line.edge')).map(function(e){"
                              "return [e.id, e.getAttribute('stroke'), e.getAttribute('stroke-width')];})")
    edges = {edge_id: (stroke, width) for edge_id, stroke, width in drawn}
    for k, layer in enumerate(rec.frames[2].layers, start=1):
        for i, row in enumerate(layer.weight or []):
            for j, w in enumerate(row):
                stroke, width = edges[f"e-{k}-{i}-{j}"]
                red, _, blue = (int(v) for v in re.findall(r"\d+", stroke))
                assert (red > blue) == (w >= 0)
                assert float(width) == pytest.approx(0.3 + 4.7 * abs(w) / largest, abs=0.006)
    score_label = chromium.evaluate("document.querySelectorAll('#network text.value-label')[2].textContent")
    assert _close(score_label.split(" = ")[1], (rec.frames[2].layers[-1].output or [])[0])

    chromium.click("#mode-gradient")
    assert chromium.evaluate("document.getElementById('mode-gradient').checked") is True
    assert chromium.evaluate(fills) != activation_fills
    assert chromium.evaluate(widths) != weight_widths
    assert "∂L/∂b" in _text(chromium, "#legend")
    grad_label = chromium.evaluate("document.querySelectorAll('#network text.value-label')[2].textContent")
    assert _close(grad_label.split(" = ")[1], (rec.frames[2].layers[-1].bias_grad or [])[0])
    # A neuron's shade in gradient mode is red for a positive ∂L/∂b and blue for a negative one.
    bias_grads = rec.frames[2].layers[0].bias_grad or []
    for i, g in enumerate(bias_grads):
        rgb = [int(v) for v in re.findall(r"\d+", chromium.evaluate(
            f"document.getElementById('n-1-{i}').getAttribute('fill')"))]
        assert (rgb[0] > rgb[2]) == (g > 0) or g == 0 or rgb[0] == rgb[2] == 255
    assert chromium.console_errors == []


def test_play_runs_to_the_last_step(chromium: Browser, moons_page: tuple[Path, Recorder]) -> None:
    path, rec = moons_page
    chromium.open(path)
    chromium.click("#play")
    chromium.evaluate("new Promise(function(done){var t=setInterval(function(){if(document.getElementById('play')"
                      ".textContent.indexOf('play')>=0){clearInterval(t);done();}},50);setTimeout(done,8000);})")
    assert _text(chromium, "#step-value") == str(rec.frames[-1].step)
    assert "play" in _text(chromium, "#play")
    assert chromium.console_errors == []


def test_a_network_too_wide_to_draw_shows_groups_and_histograms(chromium: Browser, tmp_path: Path) -> None:
    X, y = make_moons(30, noise=0.1, seed=1)
    wide = Recorder(X, y)
    fit(nn.MLP(2, [2 * MAX_DRAWN_NEURONS, 1], seed=1), X, y, steps=2, progress=False, recorder=wide)
    wide.save_html(tmp_path / "wide.html")
    chromium.open(tmp_path / "wide.html")
    assert chromium.console_errors == [] and chromium.external_requests() == []
    assert "Too large to draw one edge per weight" in _text(chromium, "#note")
    assert chromium.evaluate("document.getElementById('note').hidden") is False
    assert chromium.evaluate("document.querySelectorAll('line.edge').length") == 0
    assert chromium.evaluate("document.querySelectorAll('circle[id^=\"n-1-\"]').length") == MAX_DRAWN_NEURONS
    assert "mean |w|" in _text(chromium, "#h-1")


def test_a_cnn_shows_a_summary_per_layer(chromium: Browser, tmp_path: Path) -> None:
    spec = DATASETS["bars"]
    Xi, yi = spec.make(20, spec.noise, 0)
    cnn = Recorder(Xi, yi)
    fit(build_model("cnn", "bars", spec.n_classes, [4], 0), Xi, yi, loss="cross_entropy", optimizer="adam", lr=0.05,
        steps=3, n_classes=spec.n_classes, progress=False, recorder=cnn)
    cnn.save_html(tmp_path / "cnn.html")
    chromium.open(tmp_path / "cnn.html")
    assert chromium.console_errors == [] and chromium.external_requests() == []
    _set_slider(chromium, 2)
    layers = cnn.frames[2].layers
    assert chromium.evaluate("document.querySelectorAll('table.summary tbody tr').length") == len(layers)
    assert _text(chromium, "#layer-0 td") == layers[0].name
    assert _close(_text(chromium, "#layer-0 td.w"), layers[0].mean_abs)
    assert _close(_text(chromium, "#layer-0 td.g"), layers[0].mean_abs_grad)
    assert _text(chromium, "#layer-0 svg title").startswith("weights from ")
    chromium.click("#mode-gradient")
    shown = re.match(r"∂L/∂w from (\S+) to (\S+) \(counts ([\d, ]+)\)$", _text(chromium, "#layer-0 svg title"))
    assert shown is not None and _close(shown.group(2), layers[0].grad_histogram.high)
    assert [int(c) for c in shown.group(3).split(", ")] == layers[0].grad_histogram.counts
    assert chromium.console_errors == []
    assert chromium.evaluate("document.getElementById('regions-panel').hidden") is True


def test_a_single_frame_without_data_or_loss_still_draws(chromium: Browser, tmp_path: Path) -> None:
    rec = Recorder()
    rec.record(0, nn.Layer(3, 2, seed=0))
    rec.save_html(tmp_path / "bare.html")
    chromium.open(tmp_path / "bare.html")
    assert chromium.console_errors == [] and chromium.external_requests() == []
    assert _text(chromium, "#loss-value") == "–" and _text(chromium, "#accuracy-value") == "–"
    assert chromium.evaluate("document.querySelectorAll('line.edge').length") == 6
    weight = (rec.frames[0].layers[0].weight or [])[1][2]
    assert _close(re.search(r"w = (\S+),", _text(chromium, "#e-1-1-2 title")).group(1), weight)  # type: ignore[union-attr]
    chromium.click("#play")
    chromium.click("#mode-gradient")
    assert chromium.console_errors == []


def test_firefox_draws_the_page_from_a_file_address(moons_page: tuple[Path, Recorder], tmp_path: Path) -> None:
    firefox = shutil.which("firefox-esr") or shutil.which("firefox")
    if firefox is None:
        pytest.skip("no Firefox: install Debian's `firefox-esr` to check the page in Firefox too")
    image_module = pytest.importorskip("PIL.Image", reason="Pillow is needed to read screenshots")
    path, _ = moons_page
    shot, profile = tmp_path / "firefox.png", tmp_path / "profile"
    profile.mkdir()
    subprocess.run([firefox, "--headless", "--no-remote", "--profile", str(profile), "--window-size=1000,800",
                    "--screenshot", str(shot), path.resolve().as_uri()], capture_output=True, timeout=120, check=True)
    colors = image_module.open(shot).convert("RGB").getcolors(maxcolors=1 << 24)
    # Only the page's script paints these: class 1's light region shade and the red of a positive weight's edge.
    region = (246, 217, 184)
    assert sum(n for n, p in colors if all(abs(a - b) <= 3 for a, b in zip(p, region))) > 2000
    assert sum(n for n, p in colors if p[0] > 150 and p[1] < 120 and p[2] < 110) > 100


def test_in_a_notebook_the_page_fits_its_output_area(chromium: Browser, moons_page: tuple[Path, Recorder],
                                                     tmp_path: Path) -> None:
    """The recorder's notebook display (an iframe) takes the output area's width, its border included."""
    _, rec = moons_page
    html = rec._repr_html_()
    assert html is not None
    cell = tmp_path / "cell.html"
    cell.write_text(f'<!doctype html><body style="margin:0"><div id="area" style="width:548px">{html}</div>')
    chromium.open(cell)
    width = chromium.evaluate("document.querySelector('#area iframe').getBoundingClientRect().width")
    assert width == pytest.approx(548, abs=0.5)
