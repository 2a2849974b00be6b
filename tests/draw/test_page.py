"""engine.save_html, checked as a file (self-contained, small, honest numbers) and driven in headless Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from browser import Browser, pixel_spread

import engine
import engine.draw.page as page_module
import nn
from engine import GraphTooLargeError, Value, backward_steps, save_html
from engine.draw.dot import format_number
from engine.draw.render import available_renderer

needs_renderer = pytest.mark.skipif(
    available_renderer() is None, reason="no Graphviz renderer: `apt install graphviz` or `pip install pygraphviz`"
)

# Anything a browser could fetch: an absolute or protocol-relative address, a CSS import or url(), a <link>.
EXTERNAL = re.compile(
    r"""(https?:|ftp:|wss?:)//|["'(=\s]//[\w.-]+|@import|url\(\s*(?!["']?#)|<link\b|<iframe\b|<object\b|<embed\b"""
    r"""|\bsrc\s*=|\bfetch\(|XMLHttpRequest|importScripts|new\s+Worker|\bimport\(""",
    re.IGNORECASE,
)


def shared_graph() -> tuple[Value, dict[str, Value]]:
    """a is used three times, so its gradient builds up over several steps; every Value has a label."""
    a, b = Value(3.0, "a"), Value(-2.0, "b")
    c = a * b
    c.label = "c"
    d = c + a
    d.label = "d"
    e = d.tanh()
    e.label = "e"
    L = e * a
    L.label = "L"
    return L, {v.label: v for v in (a, b, c, d, e, L)}


def moons_neuron_model() -> tuple[Value, nn.MLP]:
    model = nn.MLP(2, [4, 4, 1], seed=0)
    return model([0.5, -1.0]), model


def embedded(text: str) -> dict:
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', text, re.S)
    assert found is not None
    return json.loads(found.group(1).replace("<\\/", "</"))


# ---------------------------------------------------------------- the file


def test_pages_reference_no_external_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    L, _ = shared_graph()
    out, model = moons_neuron_model()
    pages = [
        save_html(L, tmp_path / "shared.html"),
        save_html(out, tmp_path / "mlp.html", names=model, cluster="layer", collapse=True, color_grad=True),
        save_html(Value(2.0, "x").exp(), tmp_path / "tiny.html"),
    ]
    monkeypatch.setattr(page_module, "render_svg", lambda source: None)
    pages.append(save_html(L, tmp_path / "no-picture.html"))
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("<!doctype html>")
        hits = [text[max(m.start() - 40, 0) : m.end() + 40] for m in EXTERNAL.finditer(text)]
        assert hits == [], f"{path.name} references something outside itself: {hits}"
    assert "<svg" not in pages[-1].read_text() and "no Graphviz renderer" in pages[-1].read_text()


def test_the_check_for_external_addresses_can_fail() -> None:
    for bad in (
        '<img src="x.png">',
        "<script src='a.js'>",
        "@import 'x.css';",
        "url(font.woff)",
        '<a href="https://example.org">',
        "<link rel=stylesheet href=a.css>",
        "'//cdn.example.org/x.js'",
    ):
        assert EXTERNAL.search(bad), bad
    assert not EXTERNAL.search('fill="url(#grad)" a // comment 1 // 2')


@needs_renderer
def test_a_200_node_page_is_under_1_mb(tmp_path: Path) -> None:
    model = nn.MLP(3, [5, 5, 1], seed=1)
    out = model([0.5, -1.0, 2.0])
    size = len(engine.backward_order(out)) + len(model.parameters()) + 3
    path = save_html(out, tmp_path / "big.html", names=model, budget=None)
    data = embedded(path.read_text(encoding="utf-8"))
    assert len(data["nodes"]) == size >= 50
    # scale: a 200-node page is about 200/size of this one, plus the fixed script and style
    fixed = len((Path(page_module.__file__).parent / "page.js").read_bytes()) + 4000
    per_node = (path.stat().st_size - fixed) / size
    assert fixed + 200 * per_node < 1_000_000, f"{per_node:.0f} bytes per node"
    chain = Value(0.5, "x")
    for k in range(100):  # 200 Values: x, then (* 1.01, tanh) pairs
        chain = (chain * 1.01).tanh() if k % 2 else chain * 1.01
    path = save_html(chain, tmp_path / "chain.html")
    assert len(embedded(path.read_text(encoding="utf-8"))["nodes"]) >= 150
    assert path.stat().st_size < 1_000_000


def test_page_numbers_are_the_engines_and_nothing_is_touched(tmp_path: Path) -> None:
    L, v = shared_graph()
    data = embedded(save_html(L, tmp_path / "p.html").read_text(encoding="utf-8"))
    assert all(x.grad == 0.0 for x in v.values())  # save_html never writes .grad
    L.backward()
    rows = {n["who"]: n for n in data["nodes"]}
    assert set(rows) == set(v)  # the user's labels, every one
    for name, x in v.items():
        assert rows[name]["data"] == format_number(x.data)
    finals: dict[int, str] = {data["root"]: data["seed"]}
    for frame in data["backward"]:
        finals.update(dict(frame["changes"]))
    for i, n in enumerate(data["nodes"]):
        assert finals[i] == format_number(v[n["who"]].grad), n["who"]


def test_bad_arguments_raise_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="save_html"):
        save_html(3.0, tmp_path / "p.html")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\.html"):
        save_html(Value(1.0), tmp_path / "p.svg")
    x = Value(1.0, "x")
    big = x
    for _ in range(700):
        big = big * x
    with pytest.raises(GraphTooLargeError, match="collapse=True.*cluster="):
        save_html(big, tmp_path / "big.html")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- in Chromium


def cells(browser: Browser, column: str) -> dict[str, str]:
    """The values table as the page shows it: Value name -> the text in `column` (data, grad or state)."""
    return browser.evaluate(  # type: ignore[no-any-return]
        "(function(){var out={};var rows=document.querySelectorAll('#values tbody tr');"
        "for(var i=0;i<rows.length;i++){"
        f"out[rows[i].cells[0].textContent]=rows[i].querySelector('.{column}').textContent;}}"
        "return out;})()"
    )


def shown_grad_texts(browser: Browser) -> list[str]:
    return browser.evaluate(  # type: ignore[no-any-return]
        "Array.prototype.map.call(document.querySelectorAll('#figure g.node text'), function(t){return t.textContent;})"
        ".filter(function(s){return s.indexOf('grad') === 0;})"
    )


@needs_renderer
def test_the_page_steps_forward_then_backward_with_the_engines_numbers(chromium: Browser, tmp_path: Path) -> None:
    L, v = shared_graph()
    frames = list(backward_steps(L))
    path = save_html(L, tmp_path / "backprop.html")
    chromium.open(path)
    assert chromium.console_errors == [] and chromium.external_requests() == []
    n_forward = 4  # c, d, e, L
    total = 1 + n_forward + len(frames) + 1
    assert chromium.evaluate("document.getElementById('counter').textContent") == f"1 / {total}"
    # forward: inputs first, each result appears in topological order
    assert cells(chromium, "data") == {"a": "3", "b": "-2", "c": "?", "d": "?", "e": "?", "L": "?"}
    for k, name in enumerate(["c", "d", "e", "L"], start=1):
        chromium.press("ArrowRight", 39)
        shown = cells(chromium, "data")
        assert shown[name] == format_number(v[name].data)
        assert all(shown[later] == "?" for later in ["c", "d", "e", "L"][k:])
    assert "L = e * a" in chromium.evaluate("document.getElementById('caption').textContent")
    # backward: one frame per node, gradients so far as the replay of backward() has them
    saw_partial = False
    for frame in frames:
        chromium.press("ArrowRight", 39)
        grads = cells(chromium, "grad")
        for name, x in v.items():
            expected = format_number(frame.grads[x]) if x in frame.grads else "?"
            assert grads[name] == expected, (frame.index, name)
        detail = chromium.evaluate(
            "Array.prototype.map.call(document.querySelectorAll('#detail tr[data-operand]'),"
            "function(r){return Array.prototype.map.call(r.cells, function(c){return c.textContent;});})"
        )
        g = format_number(frame.grad)
        for row, p, d, q in zip(detail, frame.node.parents, frame.local, frame.pushed, strict=True):
            assert row[0] == p.label and row[2] == format_number(d)
            assert row[3] == f"{g} × {format_number(d)} = {format_number(q)}"
        saw_partial |= any(t.startswith("grad so far") for t in shown_grad_texts(chromium))
        assert chromium.evaluate("document.querySelectorAll('#figure g.node.st-current').length") == 2  # box + op
    assert saw_partial  # a, used three times, showed its gradient so far
    chromium.press("ArrowRight", 39)  # done: every gradient final, equal to backward()'s
    L.backward()
    assert cells(chromium, "grad") == {name: format_number(x.grad) for name, x in v.items()}
    assert set(cells(chromium, "state").values()) == {"gradient final"}
    chromium.press("ArrowRight", 39)  # past the end stays at the end
    assert chromium.evaluate("document.getElementById('counter').textContent") == f"{total} / {total}"
    png = chromium.screenshot(tmp_path / "backprop.png")
    assert pixel_spread(png) > 20.0  # not blank: boxes, text and colours
    assert chromium.console_errors == [] and chromium.external_requests() == []


@needs_renderer
def test_buttons_slider_and_play_move_through_the_frames(chromium: Browser, tmp_path: Path) -> None:
    out, model = moons_neuron_model()
    chromium.open(save_html(out, tmp_path / "mlp.html", names=model, cluster="layer", collapse=True))
    counter = "document.getElementById('counter').textContent"
    total = int(chromium.evaluate(counter).split(" / ")[1])
    chromium.click("#next")
    chromium.click("#next")
    assert chromium.evaluate(counter).startswith("3 / ")
    chromium.click("#prev")
    assert chromium.evaluate(counter).startswith("2 / ")
    chromium.click("#last")
    out.backward()
    grads = cells(chromium, "grad")
    for name, p in model.named_parameters():
        assert grads[name] == format_number(p.grad), name
    chromium.evaluate("var s = document.getElementById('slider'); s.value = 5; s.dispatchEvent(new Event('input'))")
    assert chromium.evaluate(counter) == f"6 / {total}"
    chromium.click("#play")
    chromium.evaluate("new Promise(function(done){setTimeout(done, 2300);})")
    chromium.click("#play")  # pause
    moved = int(chromium.evaluate(counter).split(" / ")[0])
    assert 7 <= moved <= 9
    chromium.evaluate("new Promise(function(done){setTimeout(done, 1200);})")
    assert int(chromium.evaluate(counter).split(" / ")[0]) == moved  # paused
    assert pixel_spread(chromium.screenshot(tmp_path / "mlp.png")) > 20.0
    assert chromium.console_errors == [] and chromium.external_requests() == []


def test_a_page_without_a_picture_still_steps(
    chromium: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(page_module, "render_svg", lambda source: None)
    L, v = shared_graph()
    chromium.open(save_html(L, tmp_path / "table.html"))
    assert "no Graphviz renderer" in chromium.evaluate("document.getElementById('note').textContent")
    assert chromium.evaluate("document.getElementById('values-box').open") is True
    chromium.press("End", 35)
    L.backward()
    assert cells(chromium, "grad") == {name: format_number(x.grad) for name, x in v.items()}
    assert chromium.console_errors == []


# ---------------------------------------------------------------- the command line


def test_the_graph_command_writes_a_page_with_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nn.cli.main import main

    page = tmp_path / "neuron.html"
    args = ["graph", "tanh(x1*w1 + x2*w2 + b)", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]
    assert main([*args, "--out", str(tmp_path / "g.dot"), "--html", str(page)]) == 0
    assert f"wrote {page}" in capsys.readouterr().out
    data = embedded(page.read_text(encoding="utf-8"))
    assert {n["who"] for n in data["nodes"]} >= {"x1", "x2", "w1", "w2", "b", "out"}  # the user's names
    assert not EXTERNAL.search(page.read_text(encoding="utf-8"))
    assert main([*args, "--html", str(tmp_path / "neuron.txt")]) == 2
    assert "--html" in capsys.readouterr().err and not (tmp_path / "neuron.txt").exists()


def test_the_demo_neuron_is_also_written_as_a_page(tmp_path: Path) -> None:
    from nn.cli.main import draw_neuron

    model = nn.MLP(2, [4, 1], seed=4)
    line = draw_neuron(model, [0.5, -1.0], tmp_path / "neuron.dot", page=tmp_path / "backprop.html")
    assert f"wrote {tmp_path / 'backprop.html'}" in line
    data = embedded((tmp_path / "backprop.html").read_text(encoding="utf-8"))
    neuron = model.layers[0].neurons[0]
    grads = {n["who"]: n for n in data["nodes"]}
    assert "layers.0.neurons.0.w.0" in grads and "x0" in grads
    assert len(data["backward"]) == 2  # the relu, then the weighted sum
    final = dict(data["backward"][-1]["changes"])
    names = [n["who"] for n in data["nodes"]]
    assert final[names.index("layers.0.neurons.0.b")] == format_number(neuron.b.grad)


def test_the_script_is_plain_es5_so_older_browsers_run_it() -> None:
    script = (Path(page_module.__file__).parent / "page.js").read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/|//[^\n]*|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'", '""', script, flags=re.S)
    for modern in (r"=>", r"\blet\b", r"\bconst\b", r"`", r"\bclass\b", r"\bimport\b", r"\bexport\b", r"\.\.\."):
        assert not re.search(modern, code), f"page.js uses {modern!r}, which is not ES5"
