"""How both pages (the step-through page and the training page) are made: one template, text escaped, data inert.

`build_page` writes the document around a page's own body template (whose `{{NAME}}` slots `fill_slots`
fills). User text goes in through `html_text`, the data through `script_json` (read by the page's script with
JSON.parse, never evaluated), and our own style, script and Graphviz's SVG in as they are. Nothing is
fetched, so a page works from a file, an e-mail or a course site.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

# Lone surrogates cannot be written as UTF-8 and NUL is dropped by HTML parsers: both show as U+FFFD.
_UNWRITABLE = re.compile(r"[\ud800-\udfff\x00]")
_SLOT = re.compile(r"\{\{(\w+)\}\}")


def html_text(text: str) -> str:
    """`text` as HTML character data or a quoted attribute value: `&`, `<`, `>`, quotes escaped."""
    return html.escape(_UNWRITABLE.sub("\ufffd", text), quote=True)


def script_json(data: Any) -> str:
    """`data` as JSON that is inert inside a <script> element and can be written as UTF-8.

    `<`, `>` and `&` (which could end the element or open a comment) and every non-ASCII character
    (U+2028, U+2029 and lone surrogates among them) are written as \\u escapes, which JSON.parse reads back
    unchanged. Raises ValueError for NaN or infinity, which JSON cannot hold.
    """
    text = json.dumps(data, separators=(",", ":"), allow_nan=False, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def fill_slots(template: str, *, text: Mapping[str, str], markup: Mapping[str, str]) -> str:
    """`template` with each `{{NAME}}` filled in one pass (so no filled-in text is read as a slot): `text` values
    escaped with `html_text`, `markup` values (our SVG) as they are. Raises KeyError for a slot with no value.
    """
    parts = {name: html_text(value) for name, value in text.items()}
    parts.update(markup)
    return _SLOT.sub(lambda m: parts[m.group(1)], template)


def build_page(*, title: str, style: str, body: str, data_id: str, data: Any, script: str) -> str:
    """A whole page: `title` (escaped) and our `style` in its head, then `body`, the data as inert JSON in a
    <script type="application/json" id=data_id> for the page's script to JSON.parse, and our `script` last.
    """
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html_text(title)}</title>\n<style>\n{style}</style>\n</head>\n<body>\n{body}"
        f'<script type="application/json" id="{data_id}">{script_json(data)}</script>\n'
        f"<script>\n{script}</script>\n</body>\n</html>\n"
    )


def read_asset(package: str, name: str) -> str:
    """The text of a template, style or script file shipped in `package` (e.g. "engine.draw", "page.js")."""
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")
