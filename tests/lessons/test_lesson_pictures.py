"""Every drawing a lesson saves fits JupyterLab at 1000 px and stays readable, as JupyterLab shows it.

The output area is 568 px wide with the file browser open and 820 px with it closed (measured in JupyterLab 4
in headless Chromium at 1000 x 800). JupyterLab shows a drawing's SVG as an <img> at the SVG's own width (a
width of 100% takes the area's width, see engine.draw.render.fit_width) and a PNG (an untrusted notebook, the
step-through widget's saved picture) at most as wide as the area. At either width a drawing must be no wider
than the area, at most MAX_HEIGHT_PX tall, and shrunk to no less than MIN_SCALE of its size.
"""

from __future__ import annotations

import base64
import json
import re
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
OUTPUT_AREAS_PX = (568, 820)
MAX_HEIGHT_PX = 800
MIN_SCALE = 0.58  # Graphviz's 11 pt labels (14.7 px) shown at 8.5 px or more
PX_PER_PT = 4 / 3
WIDGET = "application/vnd.jupyter.widget-view+json"


def shown(natural: tuple[float, float], width: float) -> tuple[float, float]:
    """(width, height) in px of a picture of `natural` size drawn `width` px wide."""
    return width, width * natural[1] / natural[0]


def svg_pictures(svg: str, area: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """The natural size and the size shown of an SVG in JupyterLab's output area."""
    box = re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+) ([\d.]+)"', svg)
    width = re.search(r'<svg width="([\d.]+)(pt|%)"', svg)
    assert box is not None and width is not None, svg[:200]
    natural = (float(box.group(1)) * PX_PER_PT, float(box.group(2)) * PX_PER_PT)
    drawn = area * float(width.group(1)) / 100 if width.group(2) == "%" else float(width.group(1)) * PX_PER_PT
    return natural, shown(natural, drawn)


def png_pictures(png: bytes, area: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """The natural size and the size shown of a PNG, which JupyterLab shrinks (never enlarges) to the area."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    natural = tuple(float(n) for n in struct.unpack(">II", png[16:24]))
    return natural, shown(natural, min(natural[0], area))  # type: ignore[arg-type]


def drawings(folder: Path) -> Iterator[tuple[str, str, dict]]:
    """(lesson, source of the cell, output data) for each drawing and step-through widget the lessons saved."""
    for path in sorted(folder.glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if "image/svg+xml" in data or WIDGET in data:
                    yield path.name, "".join(cell["source"]), data


def misfits(data: dict) -> list[str]:
    """What is wrong with one saved drawing as shown in each output area: too wide, too tall or too small."""
    found = []
    for area in OUTPUT_AREAS_PX:
        pictures = []
        if "image/svg+xml" in data:
            pictures.append(("SVG", svg_pictures("".join(data["image/svg+xml"]), area)))
        if "image/png" in data:
            pictures.append(("PNG", png_pictures(base64.b64decode("".join(data["image/png"])), area)))
        for kind, ((natural_width, _), (width, height)) in pictures:
            if width > area + 1:
                found.append(f"{kind} {width:.0f} px wide in a {area} px area (cut off)")
            if height > MAX_HEIGHT_PX + 1:
                found.append(f"{kind} {height:.0f} px tall in a {area} px area")
            if width / natural_width < MIN_SCALE:
                found.append(f"{kind} shrunk to {width / natural_width:.2f} of its size in a {area} px area")
    return found


def test_the_lessons_save_drawings_of_both_kinds() -> None:
    found = list(drawings(NOTEBOOKS))
    assert sum("image/svg+xml" in data for _, _, data in found) >= 12
    assert any(WIDGET in data and "image/png" in data for _, _, data in found)
    # The two drawings issue 18 named: 03's small MLP, 05's unrolled RNN.
    assert any(name.startswith("03") and "cluster=\"neuron\"" in source for name, source, _ in found)
    assert any(name.startswith("05") and "color_grad=True" in source for name, source, _ in found)


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_every_saved_drawing_fits_a_notebook_and_is_readable(name: str) -> None:
    for lesson, source, data in drawings(NOTEBOOKS):
        if lesson != name:
            continue
        problems = misfits(data)
        assert problems == [], f"{lesson}, the cell ending {source.strip().splitlines()[-1]!r}: {problems}"


def test_lesson_07s_digit_titles_are_shown_at_a_readable_size() -> None:
    """Lesson 07 titles each digit ("label 3", "8 → 1"). A grid wider than the 568 px area is shrunk, and so are
    its titles: they must come out at 11 px or more (12 pt at the lessons' 100 dpi, shrunk at most to 0.66)."""
    cells = json.loads((NOTEBOOKS / "07_handwritten_digits.ipynb").read_text(encoding="utf-8"))["cells"]
    helper = next("".join(c["source"]) for c in cells if "def show_digits" in "".join(c["source"]))
    points = re.search(r"set_title\(title, fontsize=(\d+)\)", helper)
    assert points is not None, "show_digits no longer sets its titles' font size"
    grids = [
        base64.b64decode("".join(output["data"]["image/png"]))
        for cell in cells
        if cell["cell_type"] == "code" and "show_digits(" in "".join(cell["source"]).replace("def show_digits(", "")
        for output in cell["outputs"]
        if "image/png" in output.get("data", {})
    ]
    assert len(grids) >= 2
    for png in grids:
        (natural_width, _), (width, _) = png_pictures(png, min(OUTPUT_AREAS_PX))
        title_px = int(points.group(1)) * PX_PER_PT * width / natural_width
        assert title_px >= 11, f"a digit grid {natural_width:.0f} px wide shows its titles at {title_px:.1f} px"
