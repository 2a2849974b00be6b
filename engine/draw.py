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

from graphviz import nohtml

from engine.ops import OPS
from engine.render import Drawing
from engine.value import Value

DEFAULT_MAX_NODES = 2000
RANKDIRS = ("LR", "TB", "RL", "BT")
# Friendly names for `cluster=`: how many module levels above a parameter its group is.
# "layers.0.neurons.3.w.1" is owned by the neuron "layers.0.neurons.3", which sits in the layer "layers.0".
CLUSTER_PRESETS = {"neuron": 1, "layer": 2}
# Ops that count as a neuron's activation: applied to a weighted sum, they are drawn inside its cluster.
ACTIVATION_OPS = frozenset(o.name for o in OPS.values() if o.activation)
# Binary ops where operand order matters: their edges are labelled so `a - b` is not read as `b - a`.
_ORDERED_OPERANDS = ("a", "b")
_NON_COMMUTATIVE = frozenset(o.name for o in OPS.values() if o.ordered)

ClusterSpec = str | int | Callable[[str], str | None] | None


class GraphTooLargeError(ValueError):
    """Raised by `draw_dot` when a graph has more nodes than `max_nodes`, before Graphviz is asked to lay it out."""


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


Look = Callable[[Value], NodeLook | None]
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


def _resolve_names(names: object) -> dict[Value, str]:
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


def _roots(root: Value | Sequence[Value]) -> list[Value]:
    roots = [root] if isinstance(root, Value) else list(root) if isinstance(root, Sequence) else None
    if not roots or not all(isinstance(r, Value) for r in roots):
        raise TypeError(f"draw_dot(root): expected a Value or a non-empty sequence of Values, got {root!r:.60}")
    return roots


def _hidden(v: Value, collapse: bool) -> frozenset[int]:
    """Operand positions not drawn: with `collapse`, the leaf weights and bias of a weighted-sum (`dot`) node."""
    if not collapse or v.op != "dot":
        return frozenset()
    n = v.arg
    params = [*range(n), *range(2 * n, len(v.parents))]
    return frozenset(i for i in params if not v.parents[i].parents)


def _walk(roots: list[Value], collapse: bool, max_nodes: int) -> list[Value]:
    """The Values to draw, operands before results (iteratively, parents in operand order).

    Raises GraphTooLargeError as soon as more than `max_nodes` are found, so a huge graph costs little.
    """
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[tuple[Value, Iterable[Value]]] = []

    def visit(v: Value) -> None:
        seen.add(v)
        if len(seen) > max_nodes:
            raise GraphTooLargeError(
                f"draw_dot: the graph has more than {max_nodes} Values to draw (stopped counting at {len(seen)}), "
                f"too many for Graphviz to lay out readably. Pass collapse=True (one box per neuron) and/or "
                f"cluster='layer', draw a smaller example (fewer inputs or a single sample), or raise max_nodes="
            )
        hidden = _hidden(v, collapse)
        stack.append((v, iter([p for i, p in enumerate(v.parents) if i not in hidden])))

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


def _groups(order: list[Value], param_group: Callable[[Value], str | None]) -> dict[Value, str]:
    """The cluster of each Value: parameters by name; a node joins the group of the parameters it combines.

    A node combines a group G when its parameter operands (at least one) and its weighted-sum operands are
    all in G, or when all of its two or more operands are weighted sums in G (micrograd's chains of `+`).
    An activation (tanh, relu, ...) of such a node joins G too, but nothing downstream of it does.
    """
    group: dict[Value, str] = {}
    combining: set[Value] = set()
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


def _escape(text: str) -> str:
    """Text safe inside a quoted DOT string (`\\n` is added by the caller for line breaks)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _field(text: str) -> str:
    """Text safe inside one field of a record label, where braces, bars and angle brackets are syntax."""
    out = _escape(text)
    for ch in "{}|<>":
        out = out.replace(ch, "\\" + ch)
    return out


def _grad_colour(magnitudes: list[float]) -> tuple[Callable[[float], str], str]:
    """A fill colour for |grad|, white (0) to red (largest) on a log scale, and a legend line describing it."""
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
        g = round(255 - t * (255 - 39))
        return f"#{255 - round(t * 41):02x}{g:02x}{g:02x}"

    legend = f"fill: |grad| on a log scale, white = 0 or {10**lo:.2g} to red = {10**hi:.2g} (grey: NaN)"
    return colour, legend


@dataclass
class _Style:
    """The options of one `draw_dot` call that every label needs."""

    names: dict[Value, str]
    show_grad: bool
    collapse: bool
    precision: int
    record_braces: bool
    look: Look | None

    def num(self, x: object) -> str:
        return format_number(x, self.precision)

    def name(self, v: Value) -> str:
        return self.names.get(v) or v.label

    @staticmethod
    def title(name: str, group: str | None) -> str:
        """The name shown in a box: inside cluster "layers.0.neurons.3", "layers.0.neurons.3.w.1" reads "w.1"."""
        if group is not None and name.startswith(group + "."):
            return name[len(group) + 1 :]
        return name

    def record(self, fields: list[str]) -> str:
        body = " | ".join(_field(f) for f in fields if f)
        return "{ " + body + " }" if self.record_braces else body

    def value_label(self, v: Value, group: str | None, collapsed: bool, look: NodeLook | None) -> str:
        grad = look.grad_text if look is not None and look.grad_text is not None else f"grad {self.num(v.grad)}"
        if collapsed:
            title = self.title(self.name(v) or self._owner(v), group)
            head = f"{self.op_text(v)} = {self.num(v.data)}"
            fields = [f"{title}: {head}" if title else head]
        else:
            fields = [self.title(self.name(v), group), f"data {self.num(v.data)}"]
        if self.show_grad:
            fields.append(grad)
        if look is not None:
            fields.append(look.note)
        return self.record(fields)

    def _owner(self, v: Value) -> str:
        """The module path owning a weighted sum's first weight ('' when the weight has no name)."""
        if not v.arg:
            return ""
        name = self.name(v.parents[0])
        return (module_path(name) or "") if name else ""

    def op_text(self, v: Value) -> str:
        op = v.op_record
        assert op is not None
        if op.name == "dot":
            return op.symbol + (" + b" if len(v.parents) > 2 * v.arg else "")
        if op.name in _NON_COMMUTATIVE:
            return f"a {op.symbol} b"
        if op.name == "add_const" and v.arg < 0:
            return f"- {self.num(-v.arg)}"  # `x - 1` is recorded as x + (-1); draw it as written
        return op.symbol.replace("{c}", self.num(v.arg)) if v.arg is not None else op.symbol

    def edge_label(self, v: Value, i: int, look: NodeLook | None) -> str:
        lines = []
        if v.op == "dot":
            n = v.arg
            if i < n:
                lines.append(f"w{i}")
            elif i < 2 * n:
                j = i - n
                lines.append(f"x{j}")
                if not self.collapse:
                    lines.append(f"w{j}·x{j} = {self.num(v.parents[j].data * v.parents[i].data)}")
            else:
                lines.append("b")
        elif v.op in _NON_COMMUTATIVE:
            lines.append(_ORDERED_OPERANDS[i])
        if look is not None and i < len(look.operand_notes):
            lines.extend(look.operand_notes[i].split("\n"))
        return "\\n".join(_escape(line) for line in lines if line)


def draw_dot(
    root: Value | Sequence[Value],
    rankdir: str = "LR",
    show_grad: bool = True,
    *,
    names: object = None,
    cluster: ClusterSpec = None,
    collapse: bool = False,
    color_grad: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
    precision: int = 4,
    look: Look | None = None,
) -> Drawing:
    """Draw the graph that `root` (a Value, or several) was computed from; returns a `graphviz.Digraph` subclass.

    names: a module (anything with `named_parameters()`) or a mapping Value -> name, used as box titles.
    cluster: box nodes by group: "neuron", "layer", an int (module levels above each parameter name) or a
      callable name -> group (or None); a node joins the group of the parameters it combines.
    collapse: draw each weighted sum (`dot` node with its leaf weights and bias) as one box.
    color_grad: fill each box by |grad|, white to red on a log scale, so vanishing gradients show.
    max_nodes: more Values than this raises GraphTooLargeError before any DOT is built.
    look: a hook Value -> NodeLook (or None) restyling single nodes, as the step-through view does.
    Raises TypeError/ValueError on bad arguments.
    """
    roots = _roots(root)
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_dot(rankdir={rankdir!r}): use one of {', '.join(RANKDIRS)}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_dot(max_nodes={max_nodes!r}): must be an int >= 1")
    if isinstance(precision, bool) or not isinstance(precision, int) or not 1 <= precision <= 17:
        raise ValueError(f"draw_dot(precision={precision!r}): must be an int from 1 to 17")
    grouper = _grouper(cluster)
    style = _Style(_resolve_names(names), show_grad, collapse, precision, rankdir in ("LR", "RL"), look)
    order = _walk(roots, collapse, max_nodes)

    def param_group(v: Value) -> str | None:
        name = style.name(v)
        g = grouper(name) if grouper is not None and name else None
        if g is not None and not isinstance(g, str):
            raise TypeError(f"draw_dot(cluster=): the callable returned {g!r:.40} for {name!r}; expected a str or None")
        return g or None

    groups = _groups(order, param_group) if grouper is not None else {}
    colour, legend = _grad_colour([abs(v.grad) for v in order]) if color_grad else (None, "")
    statements, edges = _statements(order, style, groups, colour)

    graph = Drawing(name="scalargrad", graph_attr={"rankdir": rankdir})
    graph.attr("node", fontname="Helvetica", fontsize="11")
    graph.attr("edge", fontname="Helvetica", fontsize="9", fontcolor="grey30")
    _emit(graph, statements.pop(None, []))
    for k, (group, nodes) in enumerate(statements.items()):
        with graph.subgraph(name=f"cluster_{k}") as sub:
            sub.attr(label=_escape(str(group)), style="rounded,dashed", color="grey50", fontname="Helvetica")
            _emit(sub, nodes)
    for tail, head, label in edges:
        if label:
            graph.edge(tail, head, label=nohtml(label))
        else:
            graph.edge(tail, head)
    if legend:
        graph.attr(label=_escape(legend), labelloc="b", fontname="Helvetica", fontsize="10")
    return graph


def _statements(
    order: list[Value], style: _Style, groups: dict[Value, str], colour: Callable[[float], str] | None
) -> tuple[dict[str | None, list[NodeStatement]], list[tuple[str, str, str]]]:
    """The node statements of each cluster (None: outside any) and the edges (tail, head, label) to draw."""
    ids = {v: f"n{i}" for i, v in enumerate(order)}
    statements: dict[str | None, list[NodeStatement]] = {}
    edges: list[tuple[str, str, str]] = []
    for v in order:
        look = style.look(v) if style.look is not None else None
        collapsed = style.collapse and v.op == "dot"
        attrs = {"shape": "record"}
        if collapsed:
            attrs.update(style="rounded,filled", fillcolor="#deebf7")
        if colour is not None:
            attrs.update(style="rounded,filled" if collapsed else "filled", fillcolor=colour(v.grad))
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
                    _escape(style.op_text(v)),
                    {"shape": "ellipse", "fontsize": "10", **(look.attrs if look else {})},
                )
            )
            edges.append((target, ids[v], ""))
        hidden = _hidden(v, style.collapse)
        edges += [(ids[p], target, style.edge_label(v, i, look)) for i, p in enumerate(v.parents) if i not in hidden]
    return statements, edges


def _emit(graph: Drawing, nodes: list[NodeStatement]) -> None:
    for node_id, label, attrs in nodes:
        graph.node(node_id, label=nohtml(label), **attrs)
