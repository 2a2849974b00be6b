"""A wide drawing fits a notebook's output area as JupyterLab shows it (an <img> of the SVG), not cut off, and a
narrow tall one fits a screen's height."""

from __future__ import annotations

import base64
import re
import struct
import urllib.parse
from pathlib import Path

import pytest
from browser import Browser

import nn
from engine import Value, draw_dot
from engine.draw.render import FIT_HEIGHT_PX, FIT_WIDTH_PX, fit_width


def drawing_svg(out: Value, model: nn.Module | None = None) -> str:
    """What a notebook gets for `out`'s drawing after backward."""
    out.backward()
    bundle = draw_dot(out, names=model)._repr_mimebundle_()
    if "image/svg+xml" not in bundle:
        pytest.skip("no Graphviz renderer (dot or pygraphviz) to lay the drawing out")
    return bundle["image/svg+xml"]


def test_only_a_root_svg_wider_than_the_limit_changes() -> None:
    wide = '<?xml version="1.0"?>\n<svg width="900pt" height="10pt"\n viewBox="0 0 900 10"><g/></svg>'
    assert fit_width(wide) == '<?xml version="1.0"?>\n<svg width="100%"\n viewBox="0 0 900 10"><g/></svg>'
    narrow = '<svg width="300pt" height="10pt"\n viewBox="0 0 300 10"></svg>'
    assert fit_width(narrow) == narrow
    tall = '<svg width="300pt" height="800pt"\n viewBox="0 0 300 800"></svg>'  # 1,067 px tall
    assert fit_width(tall) == '<svg width="225.00pt" height="600.00pt"\n viewBox="0 0 300 800"></svg>'
    assert FIT_HEIGHT_PX == 800  # 600 pt
    taller = '<svg width="300pt" height="1200pt"\n viewBox="0 0 300 1200"></svg>'  # its text would halve
    assert fit_width(taller) == taller
    # 600 x 880 px: a little wider than the narrowest area, and fitting it once scaled to the screen's height
    wide_and_tall = '<svg width="450pt" height="660pt"\n viewBox="0 0 450 660"></svg>'
    assert fit_width(wide_and_tall) == '<svg width="409.09pt" height="600.00pt"\n viewBox="0 0 450 660"></svg>'
    # 900 x 880 px: scaled to the height it is still too wide, so it takes the area's width
    wider = '<svg width="675pt" height="660pt"\n viewBox="0 0 675 660"></svg>'
    assert fit_width(wider) == '<svg width="100%"\n viewBox="0 0 675 660"></svg>'


def test_in_a_narrow_cell_a_wide_drawing_is_scaled_and_a_small_one_keeps_its_size(
    chromium: Browser, tmp_path: Path
) -> None:
    model = nn.MLP(2, [4, 4, 1], seed=0)
    wide = drawing_svg(model([Value(1.0, "x1"), Value(-1.0, "x2")]), model)  # type: ignore[arg-type]
    small = drawing_svg(Value(2.0, "a") * Value(3.0, "b"))
    cells = "".join(  # as JupyterLab's renderSVG does: an <img> of the SVG in the output area
        f'<div id="{name}" style="width:568px; overflow-x:auto">'
        f'<img src="data:image/svg+xml,{urllib.parse.quote(svg)}"></div>'
        for name, svg in (("wide", wide), ("small", small))
    )
    page = tmp_path / "cells.html"
    page.write_text(f'<!doctype html><body style="margin:0">{cells}</body>')
    chromium.open(page)
    size = "(id => { const r = document.querySelector('#' + id + ' img').getBoundingClientRect();" \
        " return [r.width, r.height]; })"
    width, height = chromium.evaluate(f"{size}('wide')")
    viewbox = [float(v) for v in re.search(r'viewBox="([^"]+)"', wide).group(1).split()]  # type: ignore[union-attr]
    assert width == pytest.approx(568, abs=1) and viewbox[2] * 4 / 3 > 568
    assert height / width == pytest.approx(viewbox[3] / viewbox[2], rel=0.02)
    natural = float(re.search(r'<svg width="([\d.]+)pt"', small).group(1)) * 4 / 3  # type: ignore[union-attr]
    assert natural <= FIT_WIDTH_PX
    assert chromium.evaluate(f"{size}('small')")[0] == pytest.approx(natural, abs=1)


def test_a_narrow_tall_drawing_is_shown_one_screen_tall(chromium: Browser, tmp_path: Path) -> None:
    x = Value(0.5, "x")
    for _ in range(5):  # a chain: one column of 11 nodes, taller than a screen
        x = x.tanh()
    tall = drawing_svg(x)
    natural = [float(v) * 4 / 3 for v in re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+) ([\d.]+)"', tall).groups()]  # type: ignore[union-attr]
    assert natural[0] <= FIT_WIDTH_PX and FIT_HEIGHT_PX < natural[1] < FIT_HEIGHT_PX / 0.6
    png = base64.b64decode(draw_dot(x)._repr_mimebundle_()["image/png"])
    assert struct.unpack(">II", png[16:24])[1] == pytest.approx(FIT_HEIGHT_PX, abs=2)  # the PNG fits as well
    page = tmp_path / "cell.html"
    page.write_text('<!doctype html><body style="margin:0"><div style="width:568px">'
                    f'<img src="data:image/svg+xml,{urllib.parse.quote(tall)}"></div></body>')
    chromium.open(page)
    box = "document.querySelector('img').getBoundingClientRect()"
    width, height = chromium.evaluate(f"(r => [r.width, r.height])({box})")
    assert height == pytest.approx(FIT_HEIGHT_PX, abs=1)
    assert width / height == pytest.approx(natural[0] / natural[1], rel=0.02)
