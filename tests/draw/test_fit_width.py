"""A drawing's SVG in a notebook is scaled down to a narrow output area instead of being cut off on the right."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import Browser

import nn
from engine import Value, draw_dot
from engine.draw.render import fit_width


def wide_drawing_svg() -> str:
    """The SVG a notebook gets for a small MLP's output (as lesson 03 draws it): well over 1,000 px wide."""
    model = nn.MLP(2, [4, 4, 1], seed=0)
    out = model([Value(1.0, "x1"), Value(-1.0, "x2")])
    out.backward()
    bundle = draw_dot(out, names=model)._repr_mimebundle_()
    if "image/svg+xml" not in bundle:
        pytest.skip("no Graphviz renderer (dot or pygraphviz) to lay the drawing out")
    return bundle["image/svg+xml"]


def test_only_the_root_svg_element_gets_the_fit() -> None:
    svg = '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "x">\n<svg width="900pt" viewBox="0 0 900 10"><svg></svg></svg>'
    fitted = fit_width(svg)
    assert fitted.count("max-width: 100%") == 1
    assert fitted.startswith('<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "x">\n<svg style="max-width: 100%')


def test_a_wide_drawing_fits_a_narrow_cell_and_keeps_its_shape(chromium: Browser, tmp_path: Path) -> None:
    svg = wide_drawing_svg()
    natural = float(re.search(r'<svg[^>]*\bwidth="([\d.]+)pt"', svg).group(1)) * 4 / 3  # type: ignore[union-attr]
    assert natural > 1000
    page = tmp_path / "cell.html"
    page.write_text(f'<!doctype html><body style="margin:0"><div id="cell" style="width:568px">{svg}</div></body>')
    chromium.open(page)
    width, height, cell = chromium.evaluate(
        "(() => { const r = document.querySelector('#cell svg').getBoundingClientRect();"
        " return [r.width, r.height, document.getElementById('cell').scrollWidth]; })()"
    )
    assert width == pytest.approx(568, abs=1) and cell <= 568
    viewbox = [float(v) for v in re.search(r'viewBox="([^"]+)"', svg).group(1).split()]  # type: ignore[union-attr]
    assert height / width == pytest.approx(viewbox[3] / viewbox[2], rel=0.02)
