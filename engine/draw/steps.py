"""The backward pass one node at a time, for teaching: what each node receives, multiplies and passes on.

`backward_steps(root)` replays `backward()` in exactly its order, on private copies of the gradients: no
`.grad` of the user's graph is read or written, and the gradients it reports are those that one
`backward()` call produces starting from zero (leaves included). Each `BackwardFrame` draws the graph at that
moment; `step_through(root)` turns the steps into a slider in Jupyter.
"""

from __future__ import annotations

import base64
import itertools
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from engine.autograd import backward_order
from engine.draw.dot import NodeLook, draw_dot, format_number, formula, op_record, op_text
from engine.draw.dot_text import dot_label
from engine.draw.foreign import not_a_value
from engine.draw.render import Drawing, GraphTooLargeError, RenderError, render_bytes, render_svg, source_with_hint
from engine.draw.webpage import html_text
from engine.op_record import attach
from engine.value import Value, as_float

# How a Value looks in a step's drawing, by the state of its gradient at that step.
STATE_STYLES: Mapping[str, Mapping[str, str]] = {
    "final": {"style": "filled", "fillcolor": "#c7e9c0", "color": "#238b45"},
    "current": {"style": "filled,bold", "fillcolor": "#fdae6b", "color": "#d94801", "penwidth": "2.5"},
    "partial": {"style": "filled", "fillcolor": "#fff7bc", "color": "#b8860b"},
    "unreached": {"style": "dashed", "color": "grey60", "fontcolor": "grey45"},
}
# The most a slider view's picture takes, in px: a notebook's output width and a laptop screen's height.
WIDGET_PX = (940, 800)
LR_SHRINK = 0.75  # left to right is kept while its text is shrunk to no less than 3/4 (11 pt -> 8 pt)
PX_PER_INCH = 96  # Graphviz sizes are in inches; a browser shows 96 px per inch (4/3 px per point)
CAPTION_WIDTH = 100  # characters in one frame's caption; longer operand lists end in "… k more"
STATE_NAMES: Mapping[str, str] = {
    "final": "gradient final",
    "current": "being processed",
    "partial": "gradient so far (more to come)",
    "unreached": "not reached yet",
}


class _Replay:
    """What the frames of one `backward_steps` share: the order, when each gradient becomes final, and a log of
    every gradient change. A frame keeps only its position in the log, so memory grows with the graph, not its square.
    """

    def __init__(self, root: Value, seed: float, total: int) -> None:
        self.root = root
        self.total = total
        self.final_at: dict[Value, int] = {root: -1}
        self.log: list[tuple[Value, float]] = [(root, seed)]
        self.ends: list[int] = []  # log length after each frame
        self._last: tuple[int, Mapping[Value, float]] | None = None  # the latest `grads_at`, as loops ask repeatedly

    def grads_at(self, index: int) -> Mapping[Value, float]:
        if self._last is None or self._last[0] != index:
            grads: dict[Value, float] = {}
            for v, g in itertools.islice(self.log, self.ends[index]):
                grads[v] = g
            self._last = (index, MappingProxyType(grads))
        return self._last[1]


@dataclass(frozen=True, eq=False)  # frames compare by identity: their Values have no useful ==
class BackwardFrame:
    """One node's turn in backward: `node` passes its gradient `grad` on to its operands (`node.parents`).

    `local[i]` is d(node)/d(operand i), `pushed[i]` what is added into operand i's gradient (grad * local[i],
    exactly as `backward()` computes it), `index` the position in `engine.backward_order(root)` of `total`;
    `grads` (computed on demand) is the gradient accumulated so far by every Value reached after this frame.
    """

    index: int
    node: Value
    grad: float
    local: tuple[float, ...]
    pushed: tuple[float, ...]
    _replay: _Replay = field(repr=False)

    @property
    def total(self) -> int:
        return self._replay.total

    @property
    def root(self) -> Value:
        return self._replay.root

    @property
    def grads(self) -> Mapping[Value, float]:
        return self._replay.grads_at(self.index)

    @property
    def changes(self) -> list[tuple[Value, float]]:
        """What this frame did to the gradients: (operand, its gradient so far) for each operand, in order."""
        replay = self._replay
        return replay.log[replay.ends[self.index - 1] if self.index else 1 : replay.ends[self.index]]

    def state(self, v: Value) -> str:
        """The state of `v` here: current, final (its grad will not change), partial (more to come) or unreached."""
        if v is self.node:
            return "current"
        if v not in self.grads:
            return "unreached"
        return "final" if self._replay.final_at[v] <= self.index else "partial"

    def describe(self, names: Mapping[Value, str] | None = None, width: int = CAPTION_WIDTH) -> str:
        """One line (at most about `width` characters) saying what this frame does, in the drawing's symbols.

        `names` (Value -> name) overrides labels, as `draw_dot(names=)` does.
        """

        def who(v: Value) -> str:
            name = (names or {}).get(v) or v.label
            if name:
                return name
            return f"[{op_text(v)}]" if v.parents else format_number(v.data)

        g = format_number(self.grad)
        node = self.node
        head = f"step {self.index + 1} of {self.total}: {who(node)}"
        if node.label or (names and node in names):
            computed = formula(node, who, terms=2)
            head += f" = {computed if len(computed) <= width // 3 else op_text(node)}"
        head += f", grad {g}:"
        if not self.grad and not any(self.pushed):
            return f"{head} 0, passes nothing on"
        pushes = [
            f"{who(p)} += {g}×{format_number(d)} = {format_number(q)}"
            for p, d, q in zip(self.node.parents, self.local, self.pushed)
        ]
        line = f"{head} {'; '.join(pushes)}"
        for shown in range(len(pushes) - 1, 0, -1):
            if len(line) <= width:
                break
            line = f"{head} {'; '.join(pushes[:shown])}; … {len(pushes) - shown} more"
        return line

    def __repr__(self) -> str:
        return f"<BackwardFrame {self.describe()}>"

    def look(self, v: Value) -> NodeLook:
        """How `v` is drawn in this frame (the `look` hook of `draw_dot`)."""
        state = self.state(v)
        attrs = STATE_STYLES[state]
        if state == "unreached":
            return NodeLook(attrs, grad_text="grad ?")
        grad = format_number(self.grads[v])
        if state == "partial":
            return NodeLook(attrs, grad_text=f"grad so far {grad}")
        if state == "final":
            return NodeLook(attrs, grad_text=f"grad {grad}")
        notes = tuple(
            f"local ∂ {format_number(d)}\n{grad} × {format_number(d)} = {format_number(p)}"
            for d, p in zip(self.local, self.pushed)
        )
        return NodeLook(attrs, grad_text=f"grad {grad}", note="now passing it on", operand_notes=notes)

    def draw(self, caption: bool = True, legend: bool = True, **draw_kwargs: Any) -> Drawing:
        """The graph in this frame, each node styled by its state, with its caption on top and a legend (each can
        be left out, as the slider view shows them beside the picture); keywords go to `draw_dot`.
        """
        graph = draw_dot(self.root, look=self.look, **draw_kwargs)
        if legend:
            with graph.subgraph(name="cluster_legend") as box:
                box.attr(label="legend", style="rounded", color="grey70", fontname="Helvetica", fontsize="9")
                for state, text in STATE_NAMES.items():
                    style = STATE_STYLES[state]
                    box.node(f"legend_{state}", label=dot_label(text), shape="box", fontsize="9", height="0.2", **style)
                if graph.graph_attr.get("rankdir") in ("LR", "RL"):  # one row, not a column as tall as the graph
                    keys = [f"legend_{state}" for state in STATE_NAMES]
                    box.attr("edge", style="invis")
                    box.edges(zip(keys, keys[1:]))
        if caption:
            graph.attr(label=dot_label(self.describe()), labelloc="t", fontname="Helvetica", fontsize="11")
        return graph

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, str]:
        return self.draw()._repr_mimebundle_(include, exclude)  # type: ignore[no-any-return]


Step = BackwardFrame  # the former name, kept as an alias; "step" now means an optimiser or time step only


class BackwardFrames(list[BackwardFrame]):
    """The frames of one backward pass, as `step_through` returns them outside Jupyter.

    `print()` shows one line per frame; `[k].draw()` draws frame k; `engine.save_html(root, path)` writes the
    same walk as a page that opens in any browser.
    """

    def __repr__(self) -> str:
        if not self:
            return "<BackwardFrames: none (a leaf has no backward steps)>"
        root = self[0].root.label or f"[{op_text(self[0].root)}]"
        return (
            f"<BackwardFrames: {len(self)} backward steps from {root}; print() lists them, [k].draw() draws "
            f"frame k, engine.save_html(root, 'backprop.html') writes a page to step through in a browser>"
        )

    def __str__(self) -> str:
        return "\n".join(frame.describe() for frame in self)


def _probe(node: Value, grad: float) -> tuple[float, ...]:
    """What `node`'s backward rule adds into each operand position when its gradient is `grad`.

    The rule runs on stand-in Values (one per position, starting at 0), so the real graph is untouched.
    """
    op, arg = op_record(node)
    out = Value(node.data)
    operands = [Value(p.data) for p in node.parents]
    attach(out, op, operands, arg)
    out.grad = grad
    op.backward(out)
    return tuple(p.grad for p in operands)


def _replay(root: Value, seed: float, order: list[Value]) -> Iterator[BackwardFrame]:
    replay = _Replay(root, seed, len(order))
    for k, node in enumerate(order):
        for p in node.parents:
            replay.final_at[p] = k
    # Each Value gets a stand-in that holds its gradient; a node's stand-in has its operands' stand-ins as
    # parents (an operand used twice maps to one stand-in), so running the op's own backward rule on it
    # accumulates exactly as backward() does, in the same order and with the same rounding.
    mirrors: dict[Value, Value] = {}

    def mirror(v: Value) -> Value:
        m = mirrors.get(v)
        if m is None:
            m = mirrors[v] = Value(v.data)
        return m

    mirror(root).grad = seed
    for k, node in enumerate(order):
        op, arg = op_record(node)
        m = mirror(node)
        attach(m, op, [mirror(p) for p in node.parents], arg)
        g = m.grad
        local = _probe(node, 1.0)
        # As in backward(), a node whose gradient is 0 is skipped where running it would add only zeros.
        runs = bool(g) or not op.passes_nothing(node.data)
        pushed = _probe(node, g) if runs else (0.0,) * len(node.parents)
        if runs:
            op.backward(m)
        replay.log += [(p, mirrors[p].grad) for p in node.parents]
        replay.ends.append(len(replay.log))
        yield BackwardFrame(k, node, g, local, pushed, replay)


def backward_steps(root: Value, gradient: float = 1.0) -> Iterator[BackwardFrame]:
    """The frames of `root.backward(gradient)`, one per node in `engine.backward_order(root)`.

    Touches no `.grad`: the gradients shown are those of one backward() from zero. A leaf `root` has no
    frames. Raises TypeError when `root` is not a Value or `gradient` not a number.
    """
    if not isinstance(root, Value):
        raise not_a_value("backward_steps(root)", root)
    seed = as_float(gradient, "backward_steps(gradient)")
    return _replay(root, seed, backward_order(root))


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython is never imported here just to find out)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def _fitted(step: BackwardFrame, rankdir: str, draw_kwargs: Mapping[str, Any], **parts: bool) -> Drawing:
    """Frame `step` drawn compactly and scaled down (never up) by Graphviz to fit WIDGET_PX."""
    graph = step.draw(compact=True, rankdir=rankdir, **parts, **draw_kwargs)
    graph.attr(size=f"{WIDGET_PX[0] / PX_PER_INCH:.2f},{WIDGET_PX[1] / PX_PER_INCH:.2f}")
    return graph


def _scale(step: BackwardFrame, rankdir: str, draw_kwargs: Mapping[str, Any]) -> float:
    """How much frame `step` laid out in `rankdir` must shrink to fit WIDGET_PX (1: not at all; 0: no renderer)."""
    svg = render_svg(step.draw(caption=False, legend=False, compact=True, rankdir=rankdir, **draw_kwargs).source)
    size = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg or "")
    if size is None:
        return 0.0
    width, height = (float(pt) * PX_PER_INCH / 72 for pt in size.groups())
    return min(WIDGET_PX[0] / width, WIDGET_PX[1] / height, 1.0)


def _widget_rankdir(step: BackwardFrame, draw_kwargs: dict[str, Any]) -> str:
    """The direction the slider view draws in: the one asked for, else left to right (as micrograd draws) unless
    that shrinks the first frame below LR_SHRINK and top to bottom shows it larger, as laid out by Graphviz."""
    asked = draw_kwargs.pop("rankdir", "auto")
    if asked != "auto":
        return str(asked)
    across = _scale(step, "LR", draw_kwargs)
    return "LR" if across >= LR_SHRINK or across >= _scale(step, "TB", draw_kwargs) else "TB"


def _legend_html() -> str:
    """The states' colours as one line of HTML that wraps at the notebook's width."""
    items = []
    for state, text in STATE_NAMES.items():
        style = STATE_STYLES[state]
        border = "dashed" if "dashed" in style["style"] else "solid"
        swatch = (f"display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:middle;"
                  f"background:{style.get('fillcolor', '#ffffff')};border:1px {border} {_css_colour(style['color'])}")
        items.append(f'<span><span style="{swatch}"></span>{html_text(text)}</span>')
    row = "display:flex;flex-wrap:wrap;gap:2px 14px;font-size:12px;margin:2px 0 6px"
    return f'<div style="{row}">{"".join(items)}</div>'


def _css_colour(colour: str) -> str:
    """A Graphviz colour as CSS: "grey60" (60% white) -> rgb(153,153,153); "#238b45" as it is."""
    if colour.startswith("grey"):
        level = round(int(colour[4:]) * 2.55)
        return f"rgb({level},{level},{level})"
    return colour


def _frame_html(step: BackwardFrame, rankdir: str, draw_kwargs: Mapping[str, Any]) -> str:
    source = _fitted(step, rankdir, draw_kwargs, caption=False, legend=False).source
    try:
        svg = render_svg(source)
    except RenderError as failed:
        return f"<pre>{html_text(str(failed))}</pre>"
    if svg is None:
        return f"<pre>{html_text(source_with_hint(source))}</pre>"
    # At most WIDGET_PX already; narrower output areas (a side panel open) shrink it rather than cut it off.
    picture = svg[svg.find("<svg") :].replace("<svg", '<svg style="max-width:100%;height:auto"', 1)
    return _legend_html() + picture


def _still(steps: list[BackwardFrame], rankdir: str, draw_kwargs: Mapping[str, Any]) -> dict[str, str]:
    """What a saved notebook shows where the slider cannot run (not trusted, no widget state, GitHub): the first
    frame as a PNG, with its caption and legend, and a line saying what the slider does."""
    text = (f"Backward step by step: {len(steps)} steps behind a play button and a slider (run the cell to use them); "
            f"the picture shows {steps[0].describe()}")
    try:
        png = render_bytes(_fitted(steps[0], rankdir, draw_kwargs).source, "png")
    except (RenderError, GraphTooLargeError):
        png = None
    return {"text/plain": text, **({"image/png": base64.b64encode(png).decode("ascii")} if png else {})}


# A notebook saved with its widgets' state shows them on opening, but they cannot run until the cell does, and
# ipywidgets marks each one with a red broken-link icon. This says so once, in words, instead; only JupyterLab's
# "jupyter-widgets-disconnected" class on the view shows it, so a running view never does.
SAVED_VIEW_CLASS = "scalargrad-step-through"
SAVED_VIEW_HTML = (
    f"<style>.{SAVED_VIEW_CLASS}.jupyter-widgets-disconnected::before,"
    f".{SAVED_VIEW_CLASS} .jupyter-widgets-disconnected::before{{display:none}}"
    f".{SAVED_VIEW_CLASS}-saved{{display:none;font-size:12px;color:#555}}"
    f".{SAVED_VIEW_CLASS}.jupyter-widgets-disconnected .{SAVED_VIEW_CLASS}-saved{{display:block}}</style>"
    f'<div class="{SAVED_VIEW_CLASS}-saved">A saved view: run this cell to use the play button and the slider.</div>'
)


def _widget(steps: list[BackwardFrame], draw_kwargs: dict[str, Any]) -> Any:
    """A play button and slider over the steps (numbered 1..N, as the caption counts), showing frame k and what it
    does; saved, it shows the first frame as a picture until the slider can run."""
    import ipywidgets as widgets

    rankdir = _widget_rankdir(steps[0], draw_kwargs)
    still = _still(steps, rankdir, draw_kwargs)

    class StepThrough(widgets.VBox):  # type: ignore[misc]
        def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
            bundle: dict[str, Any] = super()._repr_mimebundle_(**kwargs) or {}
            return {**bundle, **still}

    total = len(steps)
    play = widgets.Play(value=1, min=1, max=total, interval=1500, description="play")
    slider = widgets.IntSlider(value=1, min=1, max=total, description="step")
    widgets.jslink((play, "value"), (slider, "value"))
    caption = widgets.HTML()
    frame = widgets.HTML()

    def show(k: int) -> None:
        caption.value = f"<b>{html_text(steps[k - 1].describe())}</b>"
        frame.value = _frame_html(steps[k - 1], rankdir, draw_kwargs)

    slider.observe(lambda change: show(change["new"]), names="value")
    show(1)
    view = StepThrough([widgets.HTML(SAVED_VIEW_HTML), widgets.HBox([play, slider]), caption, frame])
    view.add_class(SAVED_VIEW_CLASS)
    return view


def step_through(root: Value, gradient: float = 1.0, **draw_kwargs: Any) -> Any:
    """Show backward one step at a time; keywords (names=, collapse=, ...) go to `draw_dot`.

    In Jupyter with ipywidgets: returns a play button and slider (1..N) showing frame k, drawn to fit
    WIDGET_PX; saved, it shows its first frame as a PNG until it can run. In Jupyter without ipywidgets:
    displays every frame and returns None. Elsewhere: returns the list of Steps (each has
    `.draw()` and `.describe()`). Never modifies `.grad`. Raises TypeError as `backward_steps` does.
    """
    steps = BackwardFrames(backward_steps(root, gradient))
    if not steps or not _in_notebook():
        return steps
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        from IPython.display import display

        for step in steps:
            display(step.draw(**draw_kwargs))
        return None
    return _widget(steps, dict(draw_kwargs))
