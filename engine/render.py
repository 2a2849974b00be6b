"""Turning DOT source into pictures with whatever is installed: the `dot` program, else pygraphviz, else nothing.

pygraphviz's wheels bundle Graphviz itself, so `pip install pygraphviz` is enough where no system Graphviz
can be installed. When neither is present, drawings still display (as DOT source with a hint) and files
are still written (as `.dot`), so a notebook never fails just because Graphviz is missing.
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import graphviz

INSTALL_HINT = (
    "No Graphviz renderer found, showing the DOT source instead. To see pictures install Graphviz "
    "(`apt install graphviz` / `brew install graphviz`) or `pip install pygraphviz` (its wheel bundles Graphviz)."
)

# File extensions `write_image` renders, and the ones that only need the DOT source.
IMAGE_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
SOURCE_SUFFIXES = (".dot", ".gv")


def _with_dot_program(source: str, fmt: str) -> bytes | None:
    if shutil.which("dot") is None:
        return None
    try:
        return graphviz.pipe("dot", fmt, source.encode("utf-8"))
    # A `dot` on PATH that is missing its plugins or crashes is no reason to fail: pygraphviz may still work.
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, OSError):
        return None


def _with_pygraphviz(source: str, fmt: str) -> bytes | None:
    try:
        import pygraphviz
    except ImportError:
        return None
    try:
        return pygraphviz.AGraph(string=source).draw(format=fmt, prog="dot")  # type: ignore[no-any-return]
    # The C bindings report a missing or broken Graphviz with several exception types; any of them
    # means "this renderer is unavailable", and the caller then falls back to the DOT source.
    except Exception:
        return None


def available_renderer() -> str | None:
    """Which renderer `render_bytes` would use: "dot", "pygraphviz", or None when nothing can render."""
    if shutil.which("dot") is not None:
        return "dot"
    try:
        import pygraphviz  # noqa: F401
    except ImportError:
        return None
    return "pygraphviz"


def render_bytes(source: str, fmt: str = "svg") -> bytes | None:
    """Render DOT `source` to `fmt` ("svg", "png", "pdf") with the first renderer that works; None if none does."""
    for renderer in (_with_dot_program, _with_pygraphviz):
        out = renderer(source, fmt)
        if out is not None:
            return out
    return None


def render_svg(source: str) -> str | None:
    """The SVG text of DOT `source`, or None when no renderer is available."""
    out = render_bytes(source, "svg")
    return None if out is None else out.decode("utf-8")


def source_with_hint(source: str) -> str:
    """What is shown in place of a picture: the one-line install hint, then the DOT source."""
    return f"{INSTALL_HINT}\n{source}"


def write_image(graph: graphviz.Digraph | str, path: str | os.PathLike[str]) -> Path:
    """Write a drawing (a graphviz graph or DOT source) to `path`, in the format its extension names.

    .svg/.png/.pdf are rendered; .dot/.gv get the DOT source. When nothing can render, the DOT source is
    written next to `path` with the suffix .dot instead, with a warning saying so. Returns the path written.
    Raises ValueError for any other extension, TypeError when `graph` is neither a graph nor a str.
    """
    source = graph if isinstance(graph, str) else getattr(graph, "source", None)
    if not isinstance(source, str):
        raise TypeError(f"write_image(graph): expected a graphviz graph or DOT source, got {type(graph).__name__}")
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in IMAGE_FORMATS and suffix not in SOURCE_SUFFIXES:
        known = ", ".join([*IMAGE_FORMATS, *SOURCE_SUFFIXES])
        raise ValueError(f"write_image({os.fspath(path)!r}): unknown extension {suffix!r}; use one of {known}")
    if suffix in SOURCE_SUFFIXES:
        target.write_text(source, encoding="utf-8")
        return target
    image = render_bytes(source, IMAGE_FORMATS[suffix])
    if image is None:
        fallback = target.with_suffix(".dot")
        fallback.write_text(source, encoding="utf-8")
        warnings.warn(f"wrote the DOT source to {fallback} instead of {target}. {INSTALL_HINT}", stacklevel=2)
        return fallback
    target.write_bytes(image)
    return target


class Drawing(graphviz.Digraph):  # type: ignore[misc]
    """A `graphviz.Digraph` that shows itself in Jupyter and writes files even where the `dot` program is missing.

    It renders through `render_svg` (system `dot`, else pygraphviz), and without either it shows the DOT
    source and how to install Graphviz instead of raising.
    """

    def _repr_svg_(self) -> str | None:
        return render_svg(self.source)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, str]:
        svg = render_svg(self.source)
        if svg is None:
            return {"text/plain": source_with_hint(self.source)}
        return {"image/svg+xml": svg, "text/plain": f"<Drawing: {len(self.body)} DOT statements>"}

    def write_image(self, path: str | os.PathLike[str]) -> Path:
        """Write this drawing to `path` (.svg, .png, .pdf, .dot); see `engine.render.write_image`."""
        return write_image(self.source, path)
