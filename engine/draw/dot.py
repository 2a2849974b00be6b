"""`draw_dot`: a picture of the graph behind a Value, as micrograd draws it, with names, clusters and collapsed neurons.

Each Value is one record box (name, data, grad) and each op one small node between its operands and its
result. For whole networks, `names=` labels parameters by their module path, `cluster=` boxes the nodes
of one neuron or layer together, and `collapse=True` draws each neuron's weighted sum as a single box.
Node ids are numbered in traversal order, so the same program gives byte-identical DOT source every run.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from engine.draw.dot_text import dot_attributes, dot_label, record_label
from engine.draw.foreign import Foreign, adopt, is_foreign
from engine.draw.render import Drawing, GraphTooLargeError
from engine.op_record import Op
from engine.ops import OPS
from engine.value import Value

DEFAULT_MAX_NODES = 2000
# Graphviz's layout time, measured here (pygraphviz 2.0.4, 2 cores shared with other jobs; README "Drawing
# graphs"), is about 1.3 ms per unit of `_layout_cost`: 3,100 units (a 7-sample moons loss, collapsed) take
# 2-3.5 s, 4,500 (10 samples) 6 s, 5,000 (x*x*...*x with 200 factors) 7 s. The budget keeps a layout near 5 s.
LAYOUT_BUDGET = 3500
BUDGET_SECONDS = 5
SLOW_LAYOUT = 150  # above this many nodes + edges: capped network simplex and straight edges
# Layout sizes in points, as Graphviz measures them (a browser shows 4/3 px per point): a notebook's 1,000 px
# are 750 pt; a label character at 11 pt Helvetica is about 6.2 pt; a record field adds 16 pt of margins.
NOTEBOOK_PT = 750
CHAR_PT = 6.2
FIELD_PT = 16
RANKDIRS = ("LR", "TB", "RL", "BT")  # or "auto"
# Friendly names for `cluster=`: how many module levels above a parameter its group is.
# "layers.0.neurons.3.w.1" is owned by the neuron "layers.0.neurons.3", which sits in the layer "layers.0".
CLUSTER_PRESETS = {"neuron": 1, "layer": 2}
# Ops that count as a neuron's activation: applied to a weighted sum, they are drawn inside its cluster.
ACTIVATION_OPS = frozenset(o.name for o in OPS.values() if o.activation)
# Binary ops where operand order matters: their edges are labelled so `a - b` is not read as `b - a`.
_ORDERED_OPERANDS = ("a", "b")
_NON_COMMUTATIVE = frozenset(o.name for o in OPS.values() if o.ordered)

_SMALL_OP = {"width": "0.3", "height": "0.3", "margin": "0.04,0.02"}  # op ellipses just around their symbol
PALEST_GREEN = 222  # the smallest non-zero |grad| is #ffdede: pale, but never the white of a zero gradient
ClusterSpec = str | int | Callable[[str], str | None] | None
Node = Value | Foreign  # what is drawn: an engine Value, or a stand-in for another library's (engine.draw.foreign)
N = TypeVar("N", bound=Node)


def op_record(v: Node) -> tuple[Op, Any]:
    """The op record of an interior node and its constant argument (the one place drawing and stepping read them)."""
    op = v.op_record
    assert op is not None, "op_record: a leaf has no op"
    return op, v.arg


def dot_length(v: Node) -> int:
    """How many weight-input pairs a fused `dot` node sums (its operands are w..., x..., then maybe b)."""
    return int(op_record(v)[1])


def op_text(v: Node, precision: int = 4) -> str:
    """The op as drawings and captions show it: `*`, `+ 1`, `a - b`, `Σ w·x + b`, `tanh`."""
    if isinstance(v, Foreign):
        return v.symbol
    op, arg = op_record(v)
    if op.name == "dot":
        return op.symbol + (" + b" if len(v.parents) > 2 * arg else "")
    if op.name in _NON_COMMUTATIVE:
        return f"a {op.symbol} b"
    if op.negated and arg < 0:  # `x - 1` is recorded as x + (-1); draw it as written
        return op.negated.replace("{c}", format_number(-arg, precision))
    return op.symbol.replace("{c}", format_number(arg, precision)) if arg is not None else op.symbol


def formula(v: Value, who: Callable[[Value], str], precision: int = 4, terms: int = 4) -> str:
    """How the forward pass computes `v` from its operands, in the drawing's symbols: "a * b", "tanh(z)", "x + 1"."""
    text, ps = op_text(v, precision), [who(p) for p in v.parents]
    if v.op == "dot":
        n = len(ps) // 2
        products = [f"{ps[j]}·{ps[n + j]}" for j in range(n)]
        parts = ps[2 * n :] + products
    elif v.op in ("sum", "max"):
        parts = ps
    elif len(ps) == 2:
        return f"{ps[0]} {text.removeprefix('a ').removesuffix(' b')} {ps[1]}"
    elif text == "-":
        return f"-{ps[0]}"
    elif text[0] in "+-*/":
        return f"{ps[0]} {text}"
    elif text[-1] in "-/*":
        return f"{text} {ps[0]}"
    elif "(" in text:
        name, _, extra = text.partition("(")
        return f"{name}({ps[0]}, {extra}"
    else:
        return f"{text}({ps[0]})"
    shown = parts[:terms] + ([f"… {len(parts) - terms} more"] if len(parts) > terms else [])
    return f"max({', '.join(shown)})" if v.op == "max" else " + ".join(shown)


@dataclass(frozen=True)
class NodeLook:
    """How one Value is drawn beyond the defaults (the hook `draw_dot(look=...)` returns these).

    `attrs`: extra Graphviz attributes for its box and op node; `grad_text`: shown instead of "grad <.grad>";
    `note`: an extra line in its box; `operand_notes`: one extra line per operand, on the edge into its op.
    """

    attrs: Mapping[str, str] = field(default_factory=dict)
    grad_text: str | None = None
    note: str = ""
    operand_notes: tuple[str, ...] = ()


Look = Callable[[Any], NodeLook | None]
NodeStatement = tuple[str, str, dict[str, str]]  # DOT id, label, attributes


def module_path(name: str, levels: int = 1) -> str | None:
    """The module `levels` above a parameter or module name, or None when there is none.

    One level drops the trailing list indexes and then one attribute: "layers.0.neurons.3.w.1" ->
    "layers.0.neurons.3" -> "layers.0" -> None.
    """
    parts = name.split(".")
    for _ in range(levels):
        while parts and parts[-1].isdigit():
            parts.pop()
        if len(parts) < 2:
            return None
        parts.pop()
    return ".".join(parts)


def _grouper(cluster: ClusterSpec) -> Callable[[str], str | None] | None:
    """The function name -> group that `cluster=` asks for. Raises ValueError/TypeError on a bad spec."""
    if cluster is None:
        return None
    if isinstance(cluster, str):
        if cluster not in CLUSTER_PRESETS:
            presets = ", ".join(repr(k) for k in CLUSTER_PRESETS)
            raise ValueError(f"draw_dot(cluster={cluster!r}): use {presets}, an int or a callable")
        cluster = CLUSTER_PRESETS[cluster]
    if isinstance(cluster, bool) or not (isinstance(cluster, int) or callable(cluster)):
        raise TypeError(f"draw_dot(cluster=): expected 'neuron', 'layer', an int or a callable, got {cluster!r:.60}")
    if isinstance(cluster, int):
        if cluster < 1:
            raise ValueError(f"draw_dot(cluster={cluster}): the number of module levels must be >= 1")
        levels = cluster
        return lambda name: module_path(name, levels)
    return cluster


def resolve_names(names: object) -> dict[Value, str]:
    """Value -> name from a module (anything with `named_parameters()`) or a mapping. Raises TypeError otherwise."""
    if names is None:
        return {}
    if isinstance(names, Mapping):
        pairs: Iterable[tuple[object, object]] = ((name, value) for value, name in names.items())
    elif callable(getattr(names, "named_parameters", None)):
        pairs = names.named_parameters()  # type: ignore[attr-defined]
    else:
        raise TypeError(
            f"draw_dot(names=): expected a module with named_parameters() or a mapping Value -> name, "
            f"got {type(names).__name__}"
        )
    resolved: dict[Value, str] = {}
    for i, pair in enumerate(pairs):
        name, value = pair if isinstance(pair, tuple) and len(pair) == 2 else (None, None)
        if not isinstance(value, Value) or not isinstance(name, str):
            raise TypeError(f"draw_dot(names=): item {i} must pair a str name with a Value, got {pair!r:.60}")
        resolved.setdefault(value, name)
    return resolved


def _roots(root: object) -> list[Node]:
    """The roots to draw: engine Values as they are, micrograd-style Values adopted (see engine.draw.foreign)."""
    single = isinstance(root, Value) or is_foreign(root)
    roots = [root] if single else list(root) if isinstance(root, Sequence) else None
    if not roots or not all(isinstance(r, Value) or is_foreign(r) for r in roots):
        raise TypeError(
            f"draw_dot(root): expected a Value (or any object with data, grad, _prev and _op, as micrograd's) "
            f"or a non-empty sequence of them, got {root!r:.60}"
        )
    if all(isinstance(r, Value) for r in roots):
        return roots  # type: ignore[return-value]
    if any(isinstance(r, Value) for r in roots):
        raise TypeError("draw_dot(root): draw engine Values and another library's Values separately")
    return list(adopt(roots))


def _hidden(v: Node, collapse: bool) -> frozenset[int]:
    """Operand positions not drawn: with `collapse`, the leaf weights and bias of a weighted-sum (`dot`) node."""
    if not collapse or v.op != "dot":
        return frozenset()
    n = dot_length(v)
    params = [*range(n), *range(2 * n, len(v.parents))]
    return frozenset(i for i in params if not v.parents[i].parents)


def walk(roots: Sequence[N], collapse: bool, max_nodes: int) -> list[N]:
    """The Values to draw, operands before results (iteratively, parents in operand order).

    Raises GraphTooLargeError as soon as more than `max_nodes` are found, so a huge graph costs little.
    """
    order: list[N] = []
    seen: set[N] = set()
    stack: list[tuple[N, Iterable[N]]] = []

    def visit(v: N) -> None:
        seen.add(v)
        if len(seen) > max_nodes:
            raise GraphTooLargeError(
                f"draw_dot: the graph has more than {max_nodes} Values to draw (stopped counting at {len(seen)}), "
                f"too many for Graphviz to lay out readably. Pass collapse=True (one box per neuron) and/or "
                f"cluster='layer', draw a smaller example (fewer inputs or a single sample), or raise max_nodes="
            )
        hidden = _hidden(v, collapse)
        drawn = [p for i, p in enumerate(v.parents) if i not in hidden]
        stack.append((v, iter(cast(list[N], drawn))))  # a Value's operands are Values, a Foreign's Foreigns

    for root in roots:
        if root in seen:
            continue
        visit(root)
        while stack:
            node, parents = stack[-1]
            for p in parents:
                if p not in seen:
                    visit(p)
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def _groups(order: Sequence[Node], param_group: Callable[[Node], str | None]) -> dict[Node, str]:
    """The cluster of each Value: parameters by name; a node joins the group of the parameters it combines.

    A node combines a group G when its parameter operands (at least one) and its weighted-sum operands are
    all in G, or when all of its two or more operands are weighted sums in G (micrograd's chains of `+`).
    An activation (tanh, relu, ...) of such a node joins G too, but nothing downstream of it does.
    """
    group: dict[Node, str] = {}
    combining: set[Node] = set()
    for v in order:
        if not v.parents:
            g = param_group(v)
            if g is not None:
                group[v] = g
            continue
        params = {g for p in v.parents if p.is_leaf and (g := param_group(p)) is not None}
        joined = params | {group[p] for p in v.parents if p in combining}
        if len(joined) == 1 and (params or (len(v.parents) >= 2 and all(p in combining for p in v.parents))):
            group[v] = joined.pop()
            combining.add(v)
        elif len(v.parents) == 1 and v.op in ACTIVATION_OPS and v.parents[0] in combining:
            group[v] = group[v.parents[0]]
    return group


def format_number(x: object, precision: int = 4) -> str:
    """A number as drawings show it: `precision` significant digits, so tiny gradients do not read as 0."""
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return f"{float(x) + 0.0:.{precision}g}"  # + 0.0 turns -0.0 into 0: "-0" only confuses
    return str(x)


def _grad_colour(magnitudes: list[float]) -> tuple[Callable[[float], str], str]:
    """A fill colour for |grad|: white for 0 only, then pale pink (smallest non-zero) to red (largest) on a log scale.

    Also returns the legend line describing the scale.
    """
    finite = [m for m in magnitudes if m > 0.0 and math.isfinite(m)]
    lo = math.log10(min(finite)) if finite else 0.0
    hi = math.log10(max(finite)) if finite else 0.0

    def colour(grad: float) -> str:
        m = abs(grad)
        if math.isnan(m):
            return "#bbbbbb"
        if m == 0.0:
            return "#ffffff"
        t = 1.0 if hi == lo or math.isinf(m) else (math.log10(m) - lo) / (hi - lo)
        g = round(PALEST_GREEN - t * (PALEST_GREEN - 39))
        return f"#{255 - round(t * 41):02x}{g:02x}{g:02x}"

    legend = f"fill: |grad|, log scale: white = 0, palest = {10**lo:.2g}, red = {10**hi:.2g} (grey: NaN)"
    return colour, legend


def _text_colour(fill: str) -> str:
    """"white" on a fill dark enough that black text reads worse (WCAG contrast), else "black"."""
    channels = [int(fill[k : k + 2], 16) / 255 for k in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "white" if 1.05 / (luminance + 0.05) > (luminance + 0.05) / 0.05 else "black"


@dataclass
class _Style:
    """The options of one `draw_dot` call that every label needs."""

    names: Mapping[Any, str]  # Value -> name (a mapping is invariant in its key type, so not Mapping[Node, str])
    show_grad: bool
    collapse: bool
    precision: int
    look: Look | None
    compact: bool = False
    rankdir: str = "LR"  # set once the direction is chosen

    def num(self, x: object) -> str:
        return format_number(x, self.precision)

    def name(self, v: Node) -> str:
        return self.names.get(v) or v.label

    @staticmethod
    def title(name: str, group: str | None) -> str:
        """The name shown in a box: inside cluster "layers.0.neurons.3", "layers.0.neurons.3.w.1" reads "w.1"."""
        if group is not None and name.startswith(group + "."):
            return name[len(group) + 1 :]
        return name

    def value_label(self, v: Node, group: str | None, collapsed: bool, look: NodeLook | None) -> str:
        """The record label of a box. Fields sit side by side left to right (as micrograd draws them) and are
        stacked top to bottom, so a layer of neurons fits a notebook's width; `compact` stacks them both ways.
        """
        return record_label(self.value_fields(v, group, collapsed, look), across=self.across())

    def across(self) -> bool:
        """Whether a record's fields are laid out across the rank direction (record_label's braces)."""
        return not (self.compact and self.rankdir in ("LR", "RL"))

    def value_fields(self, v: Node, group: str | None, collapsed: bool, look: NodeLook | None) -> list[str]:
        grad = look.grad_text if look is not None and look.grad_text is not None else f"grad {self.num(v.grad)}"
        if collapsed:
            title = self.title(self.name(v) or self._owner(v), group)
            head = f"{self.op_text(v)} = {self.num(v.data)}"
            fields = [title, head]  # stacked top to bottom, so a layer of neurons stays narrow
        else:
            fields = [self.title(self.name(v), group), f"data {self.num(v.data)}"]
        if self.show_grad:
            fields.append(grad)
        if look is not None:
            fields.append(look.note)
        return fields

    def _owner(self, v: Node) -> str:
        """The module path owning a weighted sum's first weight ('' when the weight has no name)."""
        if not dot_length(v):
            return ""
        name = self.name(v.parents[0])
        return (module_path(name) or "") if name else ""

    def op_text(self, v: Node) -> str:
        return op_text(v, self.precision)

    def edge_label(self, v: Node, i: int, look: NodeLook | None) -> str:
        """The label of the edge from operand i into v's op: its name for a weighted sum, a/b where order matters."""
        lines = []
        operand = v.parents[i]
        if v.op == "dot":
            n = dot_length(v)
            if i < n:
                lines.append(self.short_name(operand) or f"w[{i}]")
            elif i < 2 * n:
                j = i - n
                w_name = self.short_name(v.parents[j]) or f"w[{j}]"
                x_name = self.short_name(operand) or f"x[{j}]"
                if not self.collapse:
                    lines += [x_name, f"{w_name}·{x_name} = {self.num(v.parents[j].data * operand.data)}"]
                elif operand.is_leaf:
                    lines.append(self.short_name(operand))  # an inner operand's box, at the edge's tail, names it
            else:
                lines.append(self.short_name(operand) or "b")
        elif v.op in _NON_COMMUTATIVE:
            lines.append(_ORDERED_OPERANDS[i])
        if look is not None and i < len(look.operand_notes):
            lines.extend(look.operand_notes[i].split("\n"))
        return dot_label(*(line for line in lines if line))

    def short_name(self, v: Node) -> str:
        """A name short enough for an edge: "layers.0.neurons.3.w.1" reads "w.1" (its box says whose)."""
        name = self.name(v)
        owner = module_path(name) if name else None
        return name[len(owner) + 1 :] if owner else name


def draw_dot(
    root: object,
    rankdir: str = "auto",
    show_grad: bool = True,
    *,
    names: object = None,
    cluster: ClusterSpec = None,
    collapse: bool = False,
    color_grad: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
    budget: int | None = LAYOUT_BUDGET,
    precision: int = 4,
    look: Look | None = None,
    compact: bool = False,
) -> Drawing:
    """Draw the graph that `root` (a Value, or several) was computed from; returns a `graphviz.Digraph` subclass.

    Another library's Values are drawn too: any object with `data`, `grad`, `_prev` and `_op`, as micrograd's
    Value and the one written in its lecture (their `label`, if any, is shown).

    rankdir: "LR" (left to right, as micrograd), "TB" (top to bottom), "RL", "BT", or "auto": left to right
      when that fits a notebook's width, else whichever of the two is narrower.
    names: a module (anything with `named_parameters()`) or a mapping Value -> name, used as box titles.
    cluster: box nodes by group: "neuron", "layer", an int (module levels above each parameter name) or a
      callable name -> group (or None); a node joins the group of the parameters it combines.
    collapse: draw each weighted sum (`dot` node with its leaf weights and bias) as one box.
    color_grad: fill each box by |grad|, white for 0, then pale to red on a log scale, so vanishing gradients show.
    max_nodes: more Values than this raises GraphTooLargeError before any DOT is built.
    budget: the most nodes + edges handed to Graphviz (about 5 s of layout). A graph over it is collapsed
      automatically when that brings it under (the drawing says so), else GraphTooLargeError is raised, all
      before Graphviz runs; None lifts the budget (the layout is still stopped after LAYOUT_SECONDS).
    look: a hook Value -> NodeLook (or None) restyling single nodes, as the step-through view does.
    compact: narrow boxes (fields stacked in either direction), small op nodes and tight spacing, so a small
      graph fits a notebook left to right (the step-through widget draws this way).
    Raises TypeError/ValueError on bad arguments.
    """
    roots = _roots(root)
    if rankdir not in RANKDIRS and rankdir != "auto":
        raise ValueError(f"draw_dot(rankdir={rankdir!r}): use 'auto' or one of {', '.join(RANKDIRS)}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_dot(max_nodes={max_nodes!r}): must be an int >= 1")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 1):
        raise ValueError(f"draw_dot(budget={budget!r}): must be an int >= 1 or None")
    if isinstance(precision, bool) or not isinstance(precision, int) or not 1 <= precision <= 17:
        raise ValueError(f"draw_dot(precision={precision!r}): must be an int from 1 to 17")
    grouper = _grouper(cluster)
    names_found = resolve_names(names)
    order: Sequence[Node] = walk(roots, collapse, max_nodes)
    order, collapse, note = _fit_budget(roots, order, collapse, max_nodes, budget)
    style = _Style(names_found, show_grad, collapse, precision, look, compact)
    style.rankdir = _auto_rankdir(order, style) if rankdir == "auto" else rankdir
    rankdir = style.rankdir

    def param_group(v: Node) -> str | None:
        name = style.name(v)
        g = grouper(name) if grouper is not None and name else None
        if g is not None and not isinstance(g, str):
            raise TypeError(f"draw_dot(cluster=): the callable returned {g!r:.40} for {name!r}; expected a str or None")
        return g or None

    groups = _groups(order, param_group) if grouper is not None else {}
    colour, legend = _grad_colour([abs(v.grad) for v in order]) if color_grad else (None, "")
    statements, edges = _statements(order, style, groups, colour)

    graph = Drawing(name="scalargrad", graph_attr={"rankdir": rankdir})
    graph.node_ids, graph.note, graph.collapsed = {v: f"n{i}" for i, v in enumerate(order)}, note, collapse
    if grouper is not None or collapse:
        graph.attr(ordering="in")  # inputs in operand order: a layer's neurons line up in index order
    if _layout_cost(order, collapse) > SLOW_LAYOUT:
        # A capped network-simplex pass and straight edges: x*x*...*x (100 factors) takes 1 s, not minutes
        graph.attr(nslimit="1", splines="line")
    if compact:
        graph.attr(ranksep="0.25", nodesep="0.12")
    graph.attr("node", fontname="Helvetica", fontsize="11")
    graph.attr("edge", fontname="Helvetica", fontsize="9", fontcolor="grey30")
    _emit(graph, statements.pop(None, []))
    for k, (group, nodes) in enumerate(statements.items()):
        with graph.subgraph(name=f"cluster_{k}") as sub:
            sub.attr(label=dot_label(str(group)), style="rounded,dashed", color="grey50", fontname="Helvetica")
            _emit(sub, nodes)
    for tail, head, label in edges:
        if label:
            graph.edge(tail, head, label=label)
        else:
            graph.edge(tail, head)
    caption = [line for line in (note, legend) if line]
    if caption:
        graph.attr(label=dot_label(*caption), labelloc="b", fontname="Helvetica", fontsize="9")
    return graph


def _levels(order: Sequence[Node]) -> dict[Node, int]:
    """Each drawn Value's depth: 0 for inputs, else one more than its deepest drawn operand (operands come first)."""
    level: dict[Node, int] = {}
    for v in order:
        drawn = [level[p] for p in v.parents if p in level]
        level[v] = 1 + max(drawn) if drawn else 0
    return level


def _layout_cost(order: Sequence[Node], collapse: bool) -> int:
    """What Graphviz's layout time grows with: nodes and edges, plus a tenth of the ranks long edges cross.

    An edge from depth 0 to depth 50 (x in x*x*...*x) crosses about 100 ranks (a value and an op per depth),
    and Graphviz places and routes a virtual node on each; per rank that costs about a tenth of a real node.
    """
    level = _levels(order)
    nodes_and_edges = crossed = 0
    for v in order:
        nodes_and_edges += 1 if not v.parents or (collapse and v.op == "dot") else 2
        for p in v.parents:
            if p in level:
                nodes_and_edges += 1
                crossed += max(0, 2 * (level[v] - level[p]) - 2)
    return nodes_and_edges + crossed // 10


def _fit_budget(
    roots: list[Node], order: Sequence[Node], collapse: bool, max_nodes: int, budget: int | None
) -> tuple[Sequence[Node], bool, str]:
    """The Values to draw within `budget`: collapsed when that is needed and enough, with a note saying so.

    Raises GraphTooLargeError (naming collapse= and cluster=) when even that does not fit.
    """
    cost = _layout_cost(order, collapse)
    if budget is None or cost <= budget:
        return order, collapse, ""
    if not collapse and any(v.op == "dot" for v in order):
        collapsed = walk(roots, True, max_nodes)
        if _layout_cost(collapsed, True) <= budget:
            note = (
                f"collapsed automatically: each neuron's weighted sum is one box ({len(order)} Values are too "
                f"many to lay out quickly; collapse=False, budget=None draws them all)"
            )
            return collapsed, True, note
    raise GraphTooLargeError(
        f"draw_dot: this graph needs {cost} nodes and edges, over the layout budget of {budget} (about "
        f"{BUDGET_SECONDS} s of Graphviz). Pass collapse=True (one box per neuron) and/or cluster='layer', draw a "
        f"smaller example (fewer inputs or a single sample), or pass budget=None to try anyway"
    )


def _auto_rankdir(order: Sequence[Node], style: _Style) -> str:
    """ "LR" when the graph fits a notebook's width left to right, else the narrower of "LR" and "TB".

    Widths are estimated from label lengths and the depth (longest path) of each Value, before any layout:
    left to right a box's fields sit side by side, top to bottom they are stacked.
    """
    level = _levels(order)
    across: dict[int, list[float]] = {}  # box widths left to right, by level
    stacked: dict[int, list[float]] = {}  # box widths top to bottom
    for v in order:
        look = style.look(v) if style.look is not None else None
        fields = [f for f in style.value_fields(v, None, style.collapse and v.op == "dot", look) if f]
        edge_labels = [style.edge_label(v, i, look) for i in range(len(v.parents)) if v.op == "dot"]
        label_px = max((CHAR_PT * max(map(len, e.split("\\n"))) for e in edge_labels), default=0.0)
        side_by_side = style.across()
        widths = [CHAR_PT * len(f) + FIELD_PT for f in fields]
        across.setdefault(level[v], []).append((sum(widths) if side_by_side else max(widths)) + label_px)
        stacked.setdefault(level[v], []).append(max(CHAR_PT * len(f) + FIELD_PT for f in fields))
    # Graphviz's default ranksep is 36 pt (0.5 in) and an op ellipse about 54 pt wide; compact: 18 pt and 22 pt.
    gap, op = (18, 22) if style.compact else (36, 54)
    left_to_right = sum(max(w) + gap + (op + gap if k else 0) for k, w in across.items())
    top_to_bottom = max(sum(w) + 18 * len(w) for w in stacked.values())
    if left_to_right <= NOTEBOOK_PT or left_to_right <= top_to_bottom:
        return "LR"
    return "TB"


def _statements(
    order: Sequence[Node], style: _Style, groups: Mapping[Node, str], colour: Callable[[float], str] | None
) -> tuple[dict[str | None, list[NodeStatement]], list[tuple[str, str, str]]]:
    """The node statements of each cluster (None: outside any) and the edges (tail, head, label) to draw."""
    ids = {v: f"n{i}" for i, v in enumerate(order)}
    statements: dict[str | None, list[NodeStatement]] = {}
    edges: list[tuple[str, str, str]] = []
    op_size = _SMALL_OP if style.compact else {}
    for v in order:
        look = style.look(v) if style.look is not None else None
        collapsed = style.collapse and v.op == "dot"
        attrs = {"shape": "record"}
        if collapsed:
            attrs.update(style="rounded,filled", fillcolor="#deebf7")
        if colour is not None:
            fill = colour(v.grad)
            attrs.update(style="rounded,filled" if collapsed else "filled", fillcolor=fill)
            if _text_colour(fill) == "white":
                attrs["fontcolor"] = "white"
        if look is not None:
            attrs.update(look.attrs)
        group = groups.get(v)
        box = statements.setdefault(group, [])
        box.append((ids[v], style.value_label(v, group, collapsed, look), attrs))
        if not v.parents:
            continue
        target = ids[v]
        if not collapsed:
            target = ids[v] + "_op"
            box.append(
                (
                    target,
                    dot_label(style.op_text(v)),
                    {"shape": "ellipse", "fontsize": "10", **op_size, **(look.attrs if look else {})},
                )
            )
            edges.append((target, ids[v], ""))
        hidden = _hidden(v, style.collapse)
        operands: tuple[Node, ...] = v.parents
        edges += [(ids[p], target, style.edge_label(v, i, look)) for i, p in enumerate(operands) if i not in hidden]
    return statements, edges


def _emit(graph: Drawing, nodes: list[NodeStatement]) -> None:
    for node_id, label, attrs in nodes:
        graph.node(node_id, label=label, **dot_attributes(attrs))
