"""Text stays text: hostile labels, names, titles and cluster captions in both pages and in DOT.

Every payload goes into the step-through page (as labels, `names=` and so cluster captions) and the training
page (as its title and a model's class name). Each page is then checked as a file (no markup beyond ours, the
data round-trips) and, for the browser corpus, opened in headless Chromium: no script of the payload runs,
on load or on a click of every link, nothing is fetched, and the page still steps with numbers shown.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from browser import Browser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
from engine import Value, draw_dot, save_html
from engine.draw.render import RenderError, available_renderer, render_bytes
from engine.draw.webpage import script_json
from nn.watch.recorder import Recorder

# Each payload, if it ever ran as script, sets window.PWNED (no alert(): a dialog would hang the browser).
RUN = "window.PWNED=1"
FRAGMENTS = [
    f"<script>{RUN}</script>",
    f"<img src=x onerror={RUN}>",
    f"<svg onload={RUN}>",
    f"<<TABLE HREF='javascript:{RUN}'><TR><TD>click me</TD></TR></TABLE>>",
    f'<a href="javascript:{RUN}">link</a>',
    f'"><script>{RUN}</script>',
    f"'><svg/onload={RUN}>",
    "<!--<script>",
    "<!--",
    "-->",
    "</script>",
    "</style>",
    "<![CDATA[",
    "]]>",
    "}}{{DATA}}",
    "{{SCRIPT}}",
    '"',
    "'",
    "`",
    "\\",
    "\\n\\l\\N\\G",
    "&amp;",
    "&lt;b&gt;",
    "&#60;script&#62;",
    "{ a | <p> b }",
    "|",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "\n\r\t",
    "\ud800",
    "\udfff",
    "\u2028\u2029",
    "\ufeff",
    "; } digraph x { y -> z",
    "]; n9 [label=<<b>x</b>>",
    "x -> y",
    "ünïcødé ∂L/∂w",
]
LONG = "<!--<script>" * 8334  # 100,008 characters


def browser_corpus() -> list[str]:
    """The payloads opened in Chromium: each fragment, a 100k-character one, and seeded random mixes."""
    rng = random.Random(17)
    mixes = ["".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(2, 6))) for _ in range(12)]
    return [*FRAGMENTS, LONG, *mixes]


def step_page(text: str, path: Path) -> Path:
    """A neuron whose parameters are named by `text` (so the cluster caption is `text` too), inputs labelled."""
    w, x, b = Value(2.0, text + ".w"), Value(-3.0, text), Value(1.0, text + ".b")
    out = (w * x + b).tanh()
    out.label = text[:50]
    return save_html(out, path, cluster=1, names={w: text + ".w", b: text + ".b"})


def _class_name(text: str) -> str:
    """`text` as a class name, as far as Python allows one (no NUL, no lone surrogate, not empty)."""
    return re.sub(r"[\x00\ud800-\udfff]", "?", text) or "M"


def training_page(text: str, path: Path) -> Path:
    """A recorded run titled `text`, of a model whose class is named `text`."""
    X, y = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1]
    model: nn.Module = type(_class_name(text), (nn.Sequential,), {})(nn.MLP(2, [3, 1], seed=0))
    rec = Recorder(X, y, title=text, live=False)
    for step in range(3):
        rec.record(step, model, loss=1.0 / (step + 1), accuracy=0.5)
    rec.save_html(path)
    return path


class Markup(HTMLParser):
    """Every element and attribute of a page, as an HTML parser sees them (script and style bodies skipped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(name, value or "") for name, value in attrs]

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def check_file(path: Path) -> None:
    """The page's markup is ours alone: two scripts, no handler, link or comment, and data that parses."""
    text = path.read_text(encoding="utf-8")
    markup = Markup()
    markup.feed(text)
    assert markup.tags.count("script") == 2 and markup.tags.count("style") == 1
    assert not {"a", "img", "iframe", "object", "embed", "foreignobject", "link"} & set(markup.tags)
    assert [name for name, _ in markup.attrs if name.startswith("on") or "href" in name] == []
    assert not any("javascript:" in value.lower() for _, value in markup.attrs)
    assert markup.comments == []
    found = re.search(r'<script type="application/json" id="[\w-]+">(.*?)</script>', text, re.S)
    assert found is not None and "<" not in found.group(1)
    json.loads(found.group(1))


needs_renderer = pytest.mark.skipif(available_renderer() is None, reason="no Graphviz renderer: the SVG is the point")


# ---------------------------------------------------------------- the reproducers


@needs_renderer
def test_a_cluster_caption_is_never_an_html_label(tmp_path: Path) -> None:
    evil = "<<TABLE HREF='javascript:alert(1)'><TR><TD>click me</TD></TR></TABLE>>"
    w, x, b = Value(2.0, evil + ".w"), Value(-3.0, "x"), Value(1.0, evil + ".b")
    page = save_html((w * x + b).tanh(), tmp_path / "r1.html", cluster=1)
    check_file(page)  # no link, no handler
    assert "&lt;&lt;TABLE HREF=&#39;javascript:alert(1)&#39;&gt;" in page.read_text(encoding="utf-8")  # shown as text
    source = draw_dot((w * x + b).tanh(), cluster=1).source
    assert "label=<<TABLE" not in source and 'label="<<TABLE' in source


def test_a_comment_opener_in_a_label_leaves_the_page_script_alone(chromium: Browser, tmp_path: Path) -> None:
    page = save_html(Value(1.0, "<!--<script>").tanh(), tmp_path / "r2.html")
    chromium.open(page)
    counter = "document.getElementById('counter').textContent"
    assert chromium.evaluate(counter).startswith("1 / ")
    chromium.click("#next")
    assert chromium.evaluate(counter).startswith("2 / ")
    assert chromium.console_errors == []


@needs_renderer
def test_a_nul_in_a_label_is_drawn_not_blamed_on_a_missing_renderer(tmp_path: Path) -> None:
    page = save_html(Value(1.0, "a\x00b").tanh(), tmp_path / "r3.html").read_text(encoding="utf-8")
    assert "no Graphviz renderer" not in page and "<svg" in page and "a\u2400b" in page


@needs_renderer
def test_source_graphviz_refuses_is_named_as_such_not_as_a_missing_renderer() -> None:
    with pytest.raises(RenderError, match="syntax error"):
        render_bytes("digraph { a -> ", "svg")


def test_a_failing_save_leaves_the_old_training_page_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "training.html"
    path.write_text("the old page", encoding="utf-8")
    rec = Recorder(live=False)
    with pytest.raises(ValueError, match="no frames"):
        rec.save_html(path)
    rec.record(0, nn.MLP(2, [2, 1], seed=0))
    monkeypatch.setattr(Recorder, "to_html", lambda self: "half a page \ud800")  # an encoding failure mid-write
    with pytest.raises(UnicodeEncodeError):
        rec.save_html(path)
    assert path.read_text(encoding="utf-8") == "the old page" and [p.name for p in tmp_path.iterdir()] == [path.name]
    monkeypatch.undo()
    rec.title = "a lone surrogate \ud800 in the title"
    rec.save_html(path)
    assert "a lone surrogate \ufffd in the title" in path.read_text(encoding="utf-8")


def test_embedded_data_is_inert_and_reads_back_unchanged() -> None:
    data = {"label": "</script><!--<script>&\u2028\u2029\ud800 \x00 ü"}
    text = script_json(data)
    assert not set("<>&\u2028\u2029") & set(text) and text.isascii()
    assert json.loads(text) == data


# ---------------------------------------------------------------- the fuzz


@needs_renderer
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), min_size=1, max_size=5).map("".join))
def test_fuzz_both_pages_hold_no_markup_but_ours(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    check_file(step_page(text, folder / "steps.html"))
    check_file(training_page(text, folder / "training.html"))


def _links(chromium: Browser) -> int:
    return int(chromium.evaluate("document.querySelectorAll('a, [href], [*|href]').length"))


def _click_every_link(chromium: Browser) -> None:
    chromium.evaluate(
        "Array.from(document.querySelectorAll('a, [href]')).forEach(function (a) {"
        " a.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true})); })"
    )


def _fetched(chromium: Browser, since: int) -> list[str]:
    """What the open page requested since `since`, other than its own file."""
    return [url for url in chromium.requests[since:] if url != chromium.page_url]


def _payload_pages(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    for k, text in enumerate(browser_corpus()):
        yield text, step_page(text, tmp_path / f"steps{k}.html"), training_page(text, tmp_path / f"training{k}.html")


@needs_renderer
def test_fuzz_no_payload_runs_or_fetches_and_both_pages_still_step(chromium: Browser, tmp_path: Path) -> None:
    opened: list[Any] = []
    for text, steps, training in _payload_pages(tmp_path):
        check_file(steps)
        check_file(training)
        since = len(chromium.requests)
        chromium.open(steps)
        assert _links(chromium) == 0, f"a link in the step page of {text!r:.80}"
        _click_every_link(chromium)
        chromium.click("#next")
        chromium.click("#next")
        counter = chromium.evaluate("document.getElementById('counter').textContent")
        assert counter.startswith("3 / "), f"the step page of {text!r:.80} does not step"
        assert re.search(r"\d", chromium.evaluate("document.getElementById('caption').textContent"))
        assert chromium.evaluate("document.querySelectorAll('#values tbody tr').length") == 6
        assert chromium.evaluate("window.PWNED === undefined"), f"{text!r:.80} ran in the step page"
        assert _fetched(chromium, since) == []

        since = len(chromium.requests)
        chromium.open(training)
        assert _links(chromium) == 0, f"a link in the training page of {text!r:.80}"
        _click_every_link(chromium)
        chromium.press("ArrowRight", 39)
        assert chromium.evaluate("document.getElementById('step-value').textContent") == "1"
        assert re.fullmatch(r"[\d.]+", chromium.evaluate("document.getElementById('loss-value').textContent"))
        assert chromium.evaluate("document.getElementById('title').textContent.length") == len(text)
        assert chromium.evaluate("window.PWNED === undefined"), f"{text!r:.80} ran in the training page"
        assert _fetched(chromium, since) == []
        opened.append(text)
    assert chromium.console_errors == []
    assert len(opened) == len(browser_corpus())
