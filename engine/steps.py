"""The backward pass one node at a time, for teaching: what each node receives, multiplies and passes on.

`backward_steps(root)` replays `backward()` in exactly its order, on private copies of the gradients: no
`.grad` of the user's graph is read or written, and the gradients it reports are those that one
`backward()` call produces starting from zero (leaves included). Each `Step` can draw the graph at that
moment; `step_through(root)` turns the steps into a slider in Jupyter.
"""

from __future__ import annotations

import html
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.autograd import backward_order
from engine.draw import NodeLook, draw_dot, format_number
from engine.ops import attach
from engine.render import Drawing, render_svg, source_with_hint
from engine.value import Value, as_float

# How a Value looks in a step's drawing, by the state of its gradient at that step.
STATE_STYLES: Mapping[str, Mapping[str, str]] = {
    "final": {"style": "filled", "fillcolor": "#c7e9c0", "color": "#238b45"},
    "current": {"style": "filled,bold", "fillcolor": "#fdae6b", "color": "#d94801", "penwidth": "2.5"},
    "partial": {"style": "filled", "fillcolor": "#fff7bc", "color": "#b8860b"},
    "unreached": {"style": "dashed", "color": "grey60", "fontcolor": "grey45"},
}
STATE_NAMES: Mapping[str, str] = {
    "final": "gradient final",
    "current": "being processed",
    "partial": "gradient so far (more to come)",
    "unreached": "not reached yet",
}


@dataclass(frozen=True, eq=False)  # steps compare by identity: their Values and dicts have no useful ==
class Step:
    """One step of backward: `node` passes its gradient `grad` on to its operands (`node.parents`).

    `local[i]` is d(node)/d(operand i), `pushed[i]` what is added into operand i's gradient (grad * local[i],
    exactly as `backward()` computes it), `grads` the gradient accumulated so far by every Value reached
    after this step, `index` the position in `engine.backward_order(root)` and `total` its length.
    """

    index: int
    total: int
    node: Value
    grad: float
    local: tuple[float, ...]
    pushed: tuple[float, ...]
    grads: Mapping[Value, float] = field(repr=False)
    root: Value = field(repr=False)
    final_at: Mapping[Value, int] = field(repr=False)

    def state(self, v: Value) -> str:
        """The state of `v` here: current, final (its grad will not change), partial (more to come) or unreached."""
        if v is self.node:
            return "current"
        if v not in self.grads:
            return "unreached"
        return "final" if self.final_at[v] <= self.index else "partial"

    def describe(self) -> str:
        """One line saying what this step does, for a caption."""
        n = self.node
        name = n.label or n.op
        g = format_number(self.grad)
        pushes = "; ".join(
            f"operand {i}: local derivative {format_number(d)}, pushes {g} × {format_number(d)} = {format_number(p)}"
            for i, (d, p) in enumerate(zip(self.local, self.pushed))
        )
        return f"step {self.index + 1} of {self.total}: {name} (data {format_number(n.data)}, grad {g}). {pushes}"

    def look(self, v: Value) -> NodeLook:
        """How `v` is drawn at this step (the `look` hook of `draw_dot`)."""
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

    def draw(self, **draw_kwargs: Any) -> Drawing:
        """The graph at this step, each node styled by its state, with a legend; keywords go to `draw_dot`."""
        graph = draw_dot(self.root, look=self.look, **draw_kwargs)
        with graph.subgraph(name="cluster_legend") as legend:
            legend.attr(label="legend", style="rounded", color="grey70", fontname="Helvetica")
            for state, text in STATE_NAMES.items():
                legend.node(f"legend_{state}", label=text, shape="box", **STATE_STYLES[state])
        graph.attr(label=self.describe(), labelloc="t", fontname="Helvetica", fontsize="11")
        return graph

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, str]:
        return self.draw()._repr_mimebundle_(include, exclude)  # type: ignore[no-any-return]


def _probe(node: Value, grad: float) -> tuple[float, ...]:
    """What `node`'s backward rule adds into each operand position when its gradient is `grad`.

    The rule runs on stand-in Values (one per position, starting at 0), so the real graph is untouched.
    """
    op = node.op_record
    assert op is not None
    out = Value(node.data)
    operands = [Value(p.data) for p in node.parents]
    attach(out, op, operands, node.arg)
    out.grad = grad
    op.backward(out)
    return tuple(p.grad for p in operands)


def _final_at(root: Value, order: list[Value]) -> dict[Value, int]:
    """For each Value, the step after which its gradient is final: that of the last node that uses it."""
    final = {root: -1}
    for k, node in enumerate(order):
        for p in node.parents:
            final[p] = k
    return final


def _replay(root: Value, seed: float, order: list[Value]) -> Iterator[Step]:
    final_at = _final_at(root, order)
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
    reached: dict[Value, None] = {root: None}
    for k, node in enumerate(order):
        m = mirror(node)
        attach(m, node.op_record, [mirror(p) for p in node.parents], node.arg)  # type: ignore[arg-type]
        g = m.grad
        local = _probe(node, 1.0)
        # As in backward(), a node whose gradient is exactly 0 passes nothing on.
        pushed = _probe(node, g) if g else (0.0,) * len(node.parents)
        if g:
            node.op_record.backward(m)  # type: ignore[union-attr]
        reached.update(dict.fromkeys(node.parents))
        grads = {v: mirrors[v].grad for v in reached}
        yield Step(k, len(order), node, g, local, pushed, grads, root, final_at)


def backward_steps(root: Value, gradient: float = 1.0) -> Iterator[Step]:
    """The steps of `root.backward(gradient)`, one per node in `engine.backward_order(root)`.

    Touches no `.grad`: the gradients shown are those of one backward() from zero. A leaf `root` has no
    steps. Raises TypeError when `root` is not a Value or `gradient` not a number.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps(root): expected a Value, got {type(root).__name__}")
    seed = as_float(gradient, "backward_steps(gradient)")
    return _replay(root, seed, backward_order(root))


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython is never imported here just to find out)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def _frame_html(step: Step, draw_kwargs: Mapping[str, Any]) -> str:
    source = step.draw(**draw_kwargs).source
    svg = render_svg(source)
    if svg is None:
        return f"<pre>{html.escape(source_with_hint(source))}</pre>"
    return svg[svg.find("<svg") :]


def _widget(steps: list[Step], draw_kwargs: Mapping[str, Any]) -> Any:
    """A play button and slider over the steps, showing frame k and what it does."""
    import ipywidgets as widgets

    last = len(steps) - 1
    play = widgets.Play(value=0, min=0, max=last, interval=1500, description="play")
    slider = widgets.IntSlider(value=0, min=0, max=last, description="step")
    widgets.jslink((play, "value"), (slider, "value"))
    caption = widgets.HTML()
    frame = widgets.HTML()

    def show(k: int) -> None:
        caption.value = f"<b>{html.escape(steps[k].describe())}</b>"
        frame.value = _frame_html(steps[k], draw_kwargs)

    slider.observe(lambda change: show(change["new"]), names="value")
    show(0)
    return widgets.VBox([widgets.HBox([play, slider]), caption, frame])


def step_through(root: Value, gradient: float = 1.0, **draw_kwargs: Any) -> Any:
    """Show backward one step at a time; keywords (names=, collapse=, ...) go to `draw_dot`.

    In Jupyter with ipywidgets: returns a play button and slider showing frame k. In Jupyter without
    ipywidgets: displays every frame and returns None. Elsewhere: returns the list of Steps (each has
    `.draw()` and `.describe()`). Never modifies `.grad`. Raises TypeError as `backward_steps` does.
    """
    steps = list(backward_steps(root, gradient))
    if not steps or not _in_notebook():
        return steps
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        from IPython.display import display

        for step in steps:
            display(step.draw(**draw_kwargs))
        return None
    return _widget(steps, draw_kwargs)
