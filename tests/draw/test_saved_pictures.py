"""Drawings and the step-through widget show as pictures where no script runs (an untrusted notebook, GitHub),
and the widget's picture fits a notebook: at most WIDGET_PX, left to right for small graphs, caption once."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine import Value, draw_dot, step_through
from engine.draw import steps as steps_module
from engine.draw.render import available_renderer, render_svg
from engine.draw.steps import WIDGET_PX

pytestmark = pytest.mark.skipif(available_renderer() is None, reason="no Graphviz renderer: nothing to draw with")
ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n"


def lecture_neuron() -> Value:
    """The 10-Value neuron of the lessons and the micrograd lecture."""
    x1, x2, w1, w2, b = Value(2.0, "x1"), Value(0.0, "x2"), Value(-3.0, "w1"), Value(1.0, "w2"), Value(6.8814, "b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1*w1", "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def svg_px(svg: str) -> tuple[float, float]:
    found = re.search(r'<svg[^>]*? width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    assert found is not None
    return float(found.group(1)) * 4 / 3, float(found.group(2)) * 4 / 3


def test_a_drawing_carries_a_png_beside_its_svg() -> None:
    bundle = draw_dot(lecture_neuron())._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "image/png", "text/plain"}
    assert base64.b64decode(bundle["image/png"]).startswith(PNG)
    assert "image/png" not in draw_dot(lecture_neuron())._repr_mimebundle_(exclude=["image/png"])


def test_the_widget_fits_a_notebook_left_to_right_with_its_caption_once(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ipywidgets", reason="ipywidgets is not installed")
    monkeypatch.setattr(steps_module, "_in_notebook", lambda: True)
    view = step_through(lecture_neuron())
    saved, controls, caption, frame = view.children
    slider = controls.children[1]
    assert (slider.min, slider.max) == (1, 5)
    for k in range(1, 6):
        slider.value = k
        assert f"step {k} of 5" in caption.value
        width, height = svg_px(frame.value)
        assert width <= WIDGET_PX[0] + 1 and height <= WIDGET_PX[1] + 1, (k, width, height)
        assert width > 2 * height  # left to right: the 10-Value neuron is wide and low
        assert "step " not in frame.value  # the caption is shown once, above the picture, not in it
        assert frame.value.count("gradient final") == 1  # the legend, as one wrapping HTML row
    bundle = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]).startswith(PNG)
    assert bundle["text/plain"].startswith("Backward step by step: 5 steps") and "VBox" not in bundle["text/plain"]


NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": source}
        for source in (
            "from engine import Value, draw_dot, step_through\na, b = Value(2.0, 'a'), Value(-3.0, 'b')\n"
            "L = (a * b + 1).tanh()\nL.label = 'L'\nL.backward()\ndraw_dot(L)",
            "step_through(L)",
        )
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def test_an_executed_notebook_saves_pictures_that_need_no_trust(tmp_path: Path) -> None:
    pytest.importorskip("nbconvert", reason="nbconvert is not installed")
    pytest.importorskip("ipywidgets", reason="ipywidgets is not installed")
    path = tmp_path / "saved.ipynb"
    path.write_text(json.dumps(NOTEBOOK), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute", "--inplace", str(path)],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    drawing, widget = (cell["outputs"][-1]["data"] for cell in cells)
    assert {"image/svg+xml", "image/png"} <= set(drawing)
    assert {"application/vnd.jupyter.widget-view+json", "image/png"} <= set(widget)
    assert "VBox(children=" not in "".join(widget["text/plain"])
    for bundle in (drawing, widget):
        assert base64.b64decode("".join(bundle["image/png"])).startswith(PNG)


def test_compact_drawings_of_small_graphs_run_left_to_right_with_stacked_fields() -> None:
    wide = draw_dot(lecture_neuron())
    compact = draw_dot(lecture_neuron(), compact=True)
    assert compact.graph_attr["rankdir"] == "LR" and '"o | data 0.7071 | grad 0"' in compact.source
    width, height = svg_px(render_svg(compact.source))  # as laid out, before a notebook's fit to its width
    assert width <= 1000 and height <= 800 and width > 2 * height
    wide_width, wide_height = svg_px(render_svg(wide.source))
    assert max(wide_width, wide_height) > max(width, height)  # smaller than the default drawing, and not as tall
    assert '"{ o | data 0.7071 | grad 0 }"' in draw_dot(lecture_neuron(), compact=True, rankdir="TB").source
