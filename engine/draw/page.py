"""`save_html`: one self-contained HTML page that steps through the forward and backward pass of a graph.

The page holds the graph as inline SVG (laid out by Graphviz when it is written, through the same renderers
as `draw_dot`), every number as text formatted here from the engine's own floats, and a small script
(page.js, plain ES5) that restyles the picture frame by frame. It fetches nothing, so it opens from a file,
an e-mail or a course site, in any browser, with no Python.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.draw.dot import NodeLook, draw_dot, format_number, formula, module_path, op_text, resolve_names, walk
from engine.draw.foreign import not_a_value
from engine.draw.render import RenderError, render_svg
from engine.draw.steps import backward_steps
from engine.draw.webpage import build_page, fill_slots, read_asset
from engine.value import Value, as_float


def _page_names(order: list[Value], given: Mapping[Value, str], collapsed: bool) -> dict[Value, str]:
    """A name for every Value the captions mention: the user's (label or names=), else t1, t2, ... in forward
    order for results, or the owning neuron's path for a collapsed weighted sum. Unnamed inputs stay unnamed.
    """
    names: dict[Value, str] = {}
    taken = {name for name in (*given.values(), *(v.label for v in order)) if name}
    k = 0
    for v in order:
        name = given.get(v) or v.label
        if not name and v.parents:
            owner = module_path(given.get(v.parents[0], "")) if collapsed and v.op == "dot" else None
            while not owner:
                k += 1
                owner = f"t{k}" if f"t{k}" not in taken else None
            name = owner
        if name:
            names[v] = name
    return names


def _edge_title(ids: Mapping[Value, str], operand: Value, v: Value, collapsed: bool) -> str:
    """The <title> Graphviz gives the edge from `operand` into `v` ("n0->n2_op"), or "" when it is not drawn."""
    if operand not in ids or v not in ids:
        return ""
    return f"{ids[operand]}->{ids[v]}" + ("" if collapsed and v.op == "dot" else "_op")


def _svg(source: str) -> str | None:
    """The SVG of DOT `source` ready to sit inside HTML: no XML prologue, doctype, comments or namespace URIs."""
    svg = render_svg(source)
    if svg is None:
        return None
    svg = svg[svg.find("<svg") :]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    return re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)


def page_data(
    root: Value, gradient: float = 1.0, *, names: object = None, precision: int = 4, **drawing_options: Any
) -> tuple[dict[str, Any], str | None, str]:
    """What the page shows: (the frames as JSON-ready data, the SVG or None, a note about the picture).

    Every number is formatted here, with `precision` significant digits, from the engine's own floats.
    """
    given = resolve_names(names)
    # Drawn first: a graph too big to draw is refused before anything else is done; and it tells if it collapses.
    drawing = draw_dot(root, names=given, precision=precision, **drawing_options)
    frames = list(backward_steps(root, gradient))
    order = walk([root], collapse=False, max_nodes=sys.maxsize)  # every Value, weights inside boxes too
    index = {v: i for i, v in enumerate(order)}
    label = _page_names(order, given, drawing.collapsed)

    def num(x: float) -> str:
        return format_number(x, precision)

    def who(v: Value) -> str:
        return label.get(v) or (f"[{op_text(v, precision)}]" if v.parents else num(v.data))

    # Each box is laid out with its widest gradient text, so the texts the script swaps in always fit.
    widest = {v: num(v.grad) for v in order}
    final_at = {root: -1}
    for frame in frames:
        for v, g in frame.changes:
            widest[v] = max(widest[v], num(g), key=len)
        for p in frame.node.parents:
            final_at[p] = frame.index

    def look(v: Value) -> NodeLook:
        return NodeLook({}, grad_text=f"grad so far {widest[v]}")

    drawing = draw_dot(root, names=label, precision=precision, look=look, **drawing_options)
    ids = drawing.node_ids
    nodes = [
        {
            "id": ids.get(v, ""),
            "name": label.get(v, ""),
            "who": who(v),
            "formula": formula(v, who, precision) if v.parents else "",
            "data": num(v.data),
            "parents": [index[p] for p in v.parents],
            "edges": [_edge_title(ids, p, v, drawing.collapsed) for p in v.parents],
            "finalAt": final_at.get(v, len(frames)),
        }
        for v in order
    ]
    backward = [
        {
            "node": index[frame.node],
            "grad": num(frame.grad),
            "local": [num(d) for d in frame.local],
            "pushed": [num(p) for p in frame.pushed],
            "changes": [[index[v], num(g)] for v, g in frame.changes],
            "caption": frame.describe(names=label),
        }
        for frame in frames
    ]
    data = {
        "title": who(root),
        "seed": num(as_float(gradient, "save_html(gradient)")),
        "root": index[root],
        "nodes": nodes,
        "forward": [index[v] for v in order if v.parents],
        "backward": backward,
    }
    notes = [drawing.note] if drawing.note else []
    try:
        svg = _svg(drawing.source)
    except RenderError as failed:
        svg = None
        notes.append(f"no picture: {failed}; the table of Values below steps all the same")
    else:
        if svg is None:
            notes.append(
                "no picture: no Graphviz renderer was found when this page was made (install Graphviz or "
                "`pip install pygraphviz`); the table of Values below steps all the same"
            )
    return data, svg, "; ".join(notes)


def render_page(data: Mapping[str, Any], svg: str | None, note: str) -> str:
    """The HTML text of the page from `page_data`'s output: template, style, script and data inline."""
    title = f"backpropagation through {data['title'] or 'a graph'}"
    body = fill_slots(
        read_asset("engine.draw", "page.html"), text={"TITLE": title, "NOTE": note}, markup={"FIGURE": svg or ""}
    )
    return build_page(
        title=title,
        style=read_asset("engine.draw", "page.css"),
        body=body,
        data_id="page-data",
        data=data,
        script=read_asset("engine.draw", "page.js"),
    )


def save_html(root: Value, path: str | os.PathLike[str], gradient: float = 1.0, **drawing_options: Any) -> Path:
    """Write one self-contained HTML page that steps through `root`'s forward pass and then `backward()`.

    Keywords are `draw_dot`'s (names=, cluster=, collapse=, precision= ...). Touches no `.grad`: the
    gradients shown are those of one backward(gradient) from zero. Without a Graphviz renderer the page has
    no picture and says so; its table of Values still steps. Returns the path written. Raises TypeError for a
    root that is not a Value, ValueError for a path not ending in .html/.htm, GraphTooLargeError as draw_dot.
    """
    if not isinstance(root, Value):
        raise not_a_value("save_html(root)", root)
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"save_html({os.fspath(path)!r}): the file name must end in .html or .htm")
    page = render_page(*page_data(root, gradient, **drawing_options)).encode("utf-8")
    target.write_bytes(page)
    return target
