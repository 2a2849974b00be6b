"""User text (labels, names, captions) inside DOT source, shown by Graphviz exactly as written.

Every piece of text a drawing shows goes through `quote_dot`, so nothing a user writes can become DOT syntax,
an HTML-like label (Graphviz reads `<...>` as markup, links included), an entity (`&amp;` would show as `&`)
or a byte that stops Graphviz (NUL). `dot_label` and `record_label` build the two kinds of label from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from engine.draw.render import graphviz  # imported in one place, which names the package when it is missing

# C0 controls and DEL are shown as their Unicode "control pictures" (NUL as ␀): Graphviz's C strings end
# at a NUL, and the rest would vanish or break a line. Lone surrogates cannot be written as UTF-8 at all.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_RECORD_SYNTAX = re.compile(r"([{}|<>])")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    return "\u2421" if code == 0x7F else chr(0x2400 + code)


def quote_dot(text: str) -> str:
    """One line of text, escaped to sit inside a quoted DOT string and be drawn literally.

    Backslashes and quotes are escaped, `&` becomes `&amp;` (Graphviz decodes entities), control characters
    become visible pictures (NUL -> ␀) and lone surrogates U+FFFD.
    """
    text = _CONTROL.sub(_picture, _SURROGATE.sub("\ufffd", text))
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")


def dot_label(*lines: str) -> str:
    """A plain label (or attribute value) showing `lines` one under another, never read as HTML."""
    return graphviz.nohtml("\\n".join(quote_dot(line) for line in lines))  # type: ignore[no-any-return]


def record_label(fields: Iterable[str], across: bool = True) -> str:
    """A record label with one field per non-empty text: `{ a | b }` (side by side left to right, stacked top to
    bottom) or, with `across=False`, `a | b` (stacked left to right, side by side top to bottom).
    """
    body = " | ".join(_RECORD_SYNTAX.sub(r"\\\1", quote_dot(f)) for f in fields if f)
    return graphviz.nohtml("{ " + body + " }" if across else body)  # type: ignore[no-any-return]


def dot_attributes(attrs: dict[str, str]) -> dict[str, str]:
    """Attribute values quoted like labels, so a value from a hook cannot turn into markup either."""
    return {key: dot_label(value) for key, value in attrs.items()}
