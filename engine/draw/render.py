"""Turning DOT source into pictures with whatever is installed: the `dot` program, else pygraphviz, else nothing.

pygraphviz's wheels bundle Graphviz itself, so `pip install pygraphviz` is enough where no system Graphviz
can be installed. When neither is present, drawings still display (as DOT source with a hint) and files
are still written (as `.dot`), so a notebook never fails just because Graphviz is missing.
"""

from __future__ import annotations

import base64
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

try:
    import graphviz
except ImportError as missing:
    raise ImportError(
        f"drawing graphs needs the graphviz Python package, one of scalargrad's dependencies: pip install graphviz "
        f"({missing})"
    ) from None

INSTALL_HINT = (
    "No Graphviz renderer found, showing the DOT source instead. To see pictures install Graphviz "
    "(`apt install graphviz` / `brew install graphviz`) or `pip install pygraphviz` (its wheel bundles Graphviz)."
)

# File extensions `write_image` renders, and the ones that only need the DOT source.
IMAGE_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
SOURCE_SUFFIXES = (".dot", ".gv")


LAYOUT_SECONDS = 20.0  # the longest one Graphviz layout may run before it is stopped
# pygraphviz runs in a child process too, so that the time limit and Ctrl-C can stop its layout (a C call
# in this process could be stopped by neither). The child's stderr is kept from the user: the wheel's own
# Fontconfig (2.13) parses the system's newer config templates and warns about them on every first render.
_PYGRAPHVIZ_CHILD = (
    "import sys, pygraphviz; sys.stdout.buffer.write("
    "pygraphviz.AGraph(string=sys.stdin.buffer.read().decode('utf-8')).draw(format=sys.argv[1], prog='dot'))"
)


class GraphTooLargeError(ValueError):
    """A graph too big to draw quickly: raised before Graphviz is asked to lay it out, or when its layout overruns."""


class RenderError(RuntimeError):
    """Graphviz refused this DOT source; the message quotes what each renderer said."""


def _complaint(name: str, stderr: bytes) -> str | None:
    """What Graphviz said against this graph, in one line; None when the renderer itself is broken (no "Error:").

    A broken install (a library not found) counts as no renderer, so drawings still fall back to DOT source.
    """
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    errors = [line for line in lines if line.startswith("Error")]
    return f"{name}: {' '.join(errors)[:300]}" if errors else None


def _renderers(fmt: str) -> list[tuple[str, list[str]]]:
    """(name, command reading DOT on stdin and writing `fmt` to stdout) for each installed renderer, best first."""
    found: list[tuple[str, list[str]]] = []
    dot = shutil.which("dot")
    if dot is not None:
        found.append(("dot", [dot, f"-T{fmt}"]))
    if importlib.util.find_spec("pygraphviz") is not None:
        found.append(("pygraphviz", [sys.executable, "-c", _PYGRAPHVIZ_CHILD, fmt]))
    return found


def available_renderer() -> str | None:
    """Which renderer `render_bytes` would try first: "dot", "pygraphviz", "viz-js", or None when nothing can render."""
    if sys.platform == "emscripten":
        from engine.draw import viz

        return "viz-js" if viz.instance() is not None else None
    found = _renderers("svg")
    return found[0][0] if found else None


def render_bytes(source: str, fmt: str = "svg", timeout: float = LAYOUT_SECONDS) -> bytes | None:
    """Render DOT `source` to `fmt` ("svg", "png", "pdf") with the first renderer that works; None if none does.

    Layout runs in a child process, stopped after `timeout` seconds or by Ctrl-C. Raises GraphTooLargeError
    (naming collapse=/cluster=) when it overruns, RenderError when Graphviz refuses the source. In a browser
    (Pyodide) viz-js draws SVG instead.
    """
    if sys.platform == "emscripten":  # no process can be started there; Graphviz compiled to WebAssembly can
        from engine.draw import viz

        return viz.render_bytes(source, fmt)
    complaints = []
    for name, command in _renderers(fmt):
        try:
            done = subprocess.run(command, input=source.encode("utf-8"), capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise GraphTooLargeError(
                f"Graphviz took more than {timeout:g} s to lay this graph out and was stopped. Draw it with "
                f"collapse=True (one box per neuron) and/or cluster='layer', or draw a smaller example."
            ) from None
        # A renderer that is missing its plugins or crashes is no reason to fail: the next one may still work.
        except OSError:
            continue
        if done.returncode == 0 and done.stdout:
            return done.stdout
        complaint = _complaint(name, done.stderr)
        if complaint is not None:
            complaints.append(complaint)
    if complaints:
        raise RenderError(f"Graphviz could not render this graph ({'; '.join(complaints)})")
    return None


def render_svg(source: str) -> str | None:
    """The SVG text of DOT `source`, or None when no renderer is available."""
    out = render_bytes(source, "svg")
    return None if out is None else out.decode("utf-8")


def source_with_hint(source: str) -> str:
    """What is shown in place of a picture: the one-line install hint, then the DOT source."""
    if sys.platform == "emscripten":
        from engine.draw import viz

        return f"{viz.HINT}\n{source}"
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


def fit_width(svg: str) -> str:
    """`svg` for a notebook: a drawing taller than FIT_HEIGHT_PX is scaled down to that height when that also
    brings it within FIT_WIDTH_PX (`_tall_scale`); any other wider than FIT_WIDTH_PX takes the output area's width
    (scaled, its shape kept) instead of its fixed width in pt, which JupyterLab would cut off on the right; the
    rest keep their size, since a width of 100% would also enlarge them."""
    size = _SVG_SIZE.search(svg)
    if size is None:
        return svg
    width, height = (float(size.group(k)) for k in (1, 2))
    scale = _tall_scale(svg)
    if scale < 1.0:
        fitted = f'<svg width="{width * scale:.2f}pt" height="{height * scale:.2f}pt"'
    elif width * 4 / 3 > FIT_WIDTH_PX:  # Graphviz sizes in pt; 96 px per 72 pt
        fitted = '<svg width="100%"'
    else:
        return svg
    return svg[: size.start()] + fitted + svg[size.end() :]


def _tall_scale(svg: str) -> float:
    """How much a drawing taller than FIT_HEIGHT_PX shrinks to fit a screen's height, if it then fits FIT_WIDTH_PX
    too: 1 for any other, and for one so tall that its text would shrink below FIT_MIN_SCALE (scrolling reads
    better)."""
    size = _SVG_SIZE.search(svg)
    if size is None:
        return 1.0
    width, height = (float(size.group(k)) * 4 / 3 for k in (1, 2))
    scale = FIT_HEIGHT_PX / height
    return scale if FIT_MIN_SCALE <= scale < 1.0 and width * scale <= FIT_WIDTH_PX else 1.0


FIT_WIDTH_PX = 560  # about the narrowest output area: JupyterLab at 1000 px with its file browser open
FIT_HEIGHT_PX = 800  # about a laptop screen's height for the output area
FIT_MIN_SCALE = 0.6  # 11 pt labels (14.7 px) stay above 8.5 px
_SVG_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


class Drawing(graphviz.Digraph):  # type: ignore[misc]
    """A `graphviz.Digraph` that shows itself in Jupyter and writes files even where the `dot` program is missing.

    It renders through `render_svg` (system `dot`, else pygraphviz), and without either it shows the DOT
    source and how to install Graphviz instead of raising. `note` is a line saying what was left out, if anything.
    """

    node_ids: Mapping[Any, str] = MappingProxyType({})  # set by draw_dot: Value -> DOT node id ("n3"; its op "n3_op")
    collapsed = False  # whether weighted sums are drawn as one box each
    note = ""  # what draw_dot left out or changed to fit, shown on the picture too

    def __repr__(self) -> str:
        note = f" ({self.note})" if self.note else ""
        return (
            f"<Drawing of a graph of {len(self.node_ids)} Values{note}: shown as a picture in Jupyter; "
            f".write_image('graph.svg') writes .svg/.png/.pdf/.dot; .source is the DOT text>"
        )

    def _repr_svg_(self) -> str | None:
        svg = render_svg(self.source)
        return None if svg is None else fit_width(svg)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, str]:
        """SVG, plus a PNG beside it: an untrusted notebook (as saved lessons open) shows no SVG, but shows a PNG."""
        try:
            svg = render_svg(self.source)
            png = None if svg is None or "image/png" in (exclude or ()) else self._png(svg)
        except (GraphTooLargeError, RenderError) as exc:
            return {"text/plain": str(exc)}
        if svg is None:
            return {"text/plain": source_with_hint(self.source)}
        bundle = {"image/svg+xml": fit_width(svg), "text/plain": repr(self)}
        if png is not None:
            bundle["image/png"] = base64.b64encode(png).decode("ascii")
        return bundle

    def _png(self, svg: str) -> bytes | None:
        """The PNG beside `svg`, as tall as fit_width shows the SVG (a PNG is shrunk to the width, never enlarged)."""
        scale = _tall_scale(svg)
        if scale == 1.0:
            return render_bytes(self.source, "png")
        fitted = self.copy()
        fitted.attr(size=f"100,{FIT_HEIGHT_PX / 96:.3f}")  # in inches, of 96 px each in a PNG; only shrinks
        return render_bytes(fitted.source, "png")

    def write_image(self, path: str | os.PathLike[str]) -> Path:
        """Write this drawing to `path` (.svg, .png, .pdf, .dot); see `engine.draw.render.write_image`."""
        return write_image(self.source, path)
