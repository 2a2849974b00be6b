"""Drawing inside a browser (Pyodide), where no `dot` program can run: DOT laid out by viz-js, Graphviz compiled
to WebAssembly, running in the same JavaScript realm as Python.

`engine.draw.render` uses this module only when `sys.platform == "emscripten"`. viz-js is found in one of three
ways, cheapest first: an instance the page already made (`globalThis.scalargradViz`, as the playground does), the
`Viz` global of a page that loaded viz-js's script, or the `scalargrad_viz` module that the JupyterLite site ships
(importing it evaluates viz-js's script in this realm). The instance is made once and kept on `globalThis`.
"""

from __future__ import annotations

from typing import Any

HINT = (
    "viz-js (Graphviz for the browser) is not loaded in this page, showing the DOT source instead. The playground "
    "and the JupyterLite site built by `python3 tasks.py playground` / `site` load it."
)
INSTANCE = "scalargradViz"  # the name of the viz-js instance on globalThis, shared with the pages that make it


def instance() -> Any | None:
    """The page's viz-js instance, made on first use; None when viz-js is not available in this page."""
    import js  # type: ignore[import-not-found]  # Pyodide's view of the page's globals

    made = getattr(js.globalThis, INSTANCE, None)
    if made is not None:
        return made
    if getattr(js.globalThis, "Viz", None) is None:
        try:
            import scalargrad_viz  # type: ignore[import-not-found]  # noqa: F401 - defines Viz as it is imported
        except ImportError:
            return None
    from pyodide.ffi import run_sync  # type: ignore[import-not-found]

    try:
        # Viz.instance() compiles Graphviz's WebAssembly, which only a Promise gives; run_sync waits for it
        # where the browser can switch stacks (JSPI), and fails where it cannot.
        made = run_sync(js.globalThis.Viz.instance())
    except Exception:  # noqa: BLE001 - any failure here means "no pictures", and the caller shows DOT instead
        return None
    setattr(js.globalThis, INSTANCE, made)
    return made


def render_bytes(source: str, fmt: str = "svg") -> bytes | None:
    """DOT `source` drawn as SVG by viz-js (the only format it gives here); None for other formats or without viz-js.

    Raises ValueError with Graphviz's own message when the DOT source is malformed.
    """
    viz = instance() if fmt == "svg" else None
    if viz is None:
        return None
    import js
    from pyodide.ffi import to_js

    # viz-js reads its options from a plain object; a dict would arrive as a Map.
    result = viz.render(source, to_js({"format": "svg"}, dict_converter=js.Object.fromEntries))
    if result.status != "success":
        messages = "; ".join(str(error.message) for error in result.errors)
        raise ValueError(f"viz-js could not lay this DOT source out: {messages}")
    return str(result.output).encode("utf-8")

