"""`engine.compile`: record a training step once as a Value graph, then replay it many times over plain floats.

A trace is the graph one call of `f` built, turned into straight-line Python source (one line per node
forward, a few per node backward, in exactly the order `backward()` would run them), compiled once with the
built-in `compile()`. The source is generated here from the graph's op records; no user text is ever compiled.
"""

from __future__ import annotations

import builtins
import math
import numbers
import operator
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from engine.autograd import backward_order
from engine.grad_mode import is_grad_enabled, no_grad
from engine.op_record import OPS, SOURCE_NAMESPACE, Op, as_float
from engine.value import Value, _one_pass_at_a_time

MAX_TRACES = 8  # traces kept per compiled function (one per argument structure), oldest dropped first
_SUM_CHUNK = 32  # terms per generated `+` chain: Python's compiler recurses on long left-nested expressions


class TraceChangedError(RuntimeError):
    """A re-trace (`check_every`) built a different graph from the same argument structure: `f` branches on data."""


class _NotFinite(ArithmeticError):
    """Raised by a replay whose result is NaN or infinite, before any .grad changes: the graph runs that call."""


class TraceEvictionWarning(RuntimeWarning):
    """More argument structures than MAX_TRACES keep coming back, so traces are dropped and made again."""


# ---------------------------------------------------------------- per-op replay rules
# The replay of a node of op X is derived from X's record (engine/op_record.py): for the hot ops, the
# record's `source` (its forward and float backward as text, which backward()'s rule is generated from too),
# so the replay spends no call on them; for the others, a call of `X.forward(a, b)` (or `(a, c)` with the
# op's constant c), and `+= g * d_i` for each operand i that receives gradient, with d_i from
# `X.partials((a, b), c, out)` (None: no path), as the generic float rule does. dot, sum and max (n-ary) are
# written by functions below, mirroring their records' hand-tuned backward. {t} is the operand's gradient
# accumulator, {g} the node's gradient.

_INLINE: dict[str, tuple[str, tuple[str, ...]]] = {name: op.source for name, op in OPS.items() if op.source}
_NAMESPACE: dict[str, Any] = {**SOURCE_NAMESPACE, "_inf": math.inf, "_nan": math.nan, "_NotFinite": _NotFinite}


def _record_names() -> dict[str, Any]:
    """Every op's float forward and partials by name, for the generic replay (ops defined after import too)."""
    return {k: v for op in OPS.values() for k, v in ((f"_F_{op.name}", op.forward), (f"_P_{op.name}", op.partials))}


def _literal(x: float) -> str:
    """Source text for the float x that evaluates to exactly x (repr round-trips every finite float)."""
    if math.isnan(x):
        return "_nan"
    if math.isinf(x):
        return "_inf" if x > 0 else "(-_inf)"
    return f"({x!r})"


def _chained_sum(target: str, start: str, terms: Sequence[str]) -> list[str]:
    """Statements setting `target` to ((start + t0) + t1) + ..., the graph's left-to-right order, in chunks."""
    lines, acc = [], start
    for i in range(0, len(terms), _SUM_CHUNK):
        lines.append(f"{target} = {' + '.join([acc, *terms[i : i + _SUM_CHUNK]])}")
        acc = target
    return lines or [f"{target} = {start}"]


# ---------------------------------------------------------------- code generation


class _Names:
    """Source names of the trace's nodes: arguments x<k>, parameters p<j> (gradient q<j>), other leaves as
    literals (constants, no gradient), interior nodes v<n> (gradient g<n>)."""

    def __init__(self, args: dict[int, int], params: dict[int, int], custom: dict[Op, int]) -> None:
        self.args, self.params = args, params
        self.data: dict[int, str] = {}
        self.grad: dict[int, str | None] = {}
        self.used_params: dict[int, None] = {}  # ordered set of parameter indices the trace reads
        self.custom = custom  # the custom ops (engine.op) the trace calls, numbered in order of use
        self.local_args: list[int] | None = None  # in a block: the arguments it reads, named x0, x1, ... in turn
        self.used_args: dict[int, None] = {}  # ordered set of the argument indices read outside blocks

    def leaf(self, v: Value) -> None:
        key = id(v)
        if key in self.data:
            return
        if key in self.args:
            k = self.args[key]
            if self.local_args is not None:
                self.local_args.append(k)
                k = len(self.local_args) - 1
            else:
                self.used_args[k] = None
            self.data[key], self.grad[key] = f"x{k}", None
        elif key in self.params:
            j = self.params[key]
            self.data[key], self.grad[key] = f"p{j}", f"q{j}"
            self.used_params[j] = None
        else:
            self.data[key], self.grad[key] = _literal(v.data), None

    def node(self, v: Value, n: int) -> None:
        self.data[id(v)], self.grad[id(v)] = f"v{n}", f"g{n}"


def _unary_binary(node: Value, names: _Names, n: int) -> tuple[list[str], list[str]]:
    op = node._record
    assert op is not None
    operands = node.parents
    c = node._arg
    fields = {
        "a": names.data[id(operands[0])],
        "b": names.data[id(operands[1])] if len(operands) > 1 else "",
        "c": _literal(float(c)) if isinstance(c, float | int) else "None",
        "out": names.data[id(node)],
    }
    grads = [names.grad[id(x)] for x in operands]
    g = names.grad[id(node)]
    assert g is not None
    second = fields["b"] if op.arity == 2 else fields["c"]
    if op.source is not None:
        forward, rules = op.source
        value = forward.format(**fields)
        back = [rule.format(t=t, g=g, **fields) for t, rule in zip(grads, rules) if t is not None]
    else:  # the record's own functions, called on floats
        value = f"_F_{op.name}({fields['a']}, {second})"
        wanted = [(i, t) for i, t in enumerate(grads) if t is not None]
        operand_floats = ", ".join(names.data[id(x)] for x in operands)
        back = [f"_d = _P_{op.name}(({operand_floats},), {fields['c']}, {fields['out']})"] if wanted else []
        back += [f"if _d[{i}] is not None: {t} += {g} * _d[{i}]" for i, t in wanted]
    return [f"{fields['out']} = {value}"], back


_ONE = _literal(1.0)


def _times(a: str, b: str) -> str:
    """Source for a * b; a factor that is the constant 1.0 is left out (x * 1.0 is x, bit for bit, NaN too):
    recurrent cells feed their second bias to `dot` as a weight times 1.0."""
    return a if b == _ONE else b if a == _ONE else f"{a} * {b}"


def _grad(v: Value, names: _Names) -> str | None:
    return names.grad[id(v)]


def _dot(node: Value, names: _Names, n: int) -> tuple[list[str], list[str]]:
    """dot's record: out = bias + w0*x0 + ...; its backward adds g*x_i to w_i, then g*w_i to x_i, pair by pair,
    then g to the bias."""
    ops, k = node._a, node._arg
    out, g = names.data[id(node)], names.grad[id(node)]
    assert g is not None
    ws, xs = ops[:k], ops[k : 2 * k]
    start = names.data[id(ops[2 * k])] if len(ops) > 2 * k else "0.0"
    terms = [_times(names.data[id(w)], names.data[id(x)]) for w, x in zip(ws, xs)]
    back = []
    for w, x in zip(ws, xs):
        for target, other in ((w, x), (x, w)):
            if _grad(target, names) is not None:
                back.append(f"{_grad(target, names)} += {_times(g, names.data[id(other)])}")
    if len(ops) > 2 * k and _grad(ops[-1], names) is not None:
        back.append(f"{_grad(ops[-1], names)} += {g}")
    return _chained_sum(out, start, terms), back


def _sum(node: Value, names: _Names, n: int) -> tuple[list[str], list[str]]:
    """sum's record: out = v0 + v1 + ...; each operand's partial is 1."""
    out, g = names.data[id(node)], names.grad[id(node)]
    back = [f"{_grad(v, names)} += {g}" for v in node._a if _grad(v, names) is not None]
    return _chained_sum(out, "0.0", [names.data[id(v)] for v in node._a]), back


def _max(node: Value, names: _Names, n: int) -> tuple[list[str], list[str]]:
    """max's record: the first arg-max wins (a NaN wins, so it is not hidden), decided at every call; its
    backward adds g to the winner only."""
    out, g, winner = names.data[id(node)], names.grad[id(node)], f"w{n}"
    assert g is not None
    items = [names.data[id(v)] for v in node._a]
    forward = [f"{winner} = 0", f"{out} = {items[0]}"]
    for i, x in enumerate(items[1:], 1):
        forward.append(f"if {out} == {out} and ({x} > {out} or {x} != {x}): {winner}, {out} = {i}, {x}")
    wanted = [(i, t) for i, v in enumerate(node._a) if (t := _grad(v, names)) is not None]
    back = [f"{'if' if k == 0 else 'elif'} {winner} == {i}: {t} += {g}" for k, (i, t) in enumerate(wanted)]
    return forward, back


_NARY = {"dot": _dot, "sum": _sum, "max": _max}
_MAX = OPS["max"]


def _custom(node: Value, names: _Names, n: int) -> tuple[list[str], list[str]]:
    """A custom op (engine.op): its own forward, then its own derivative, called per node as backward() calls it."""
    op = node.op_record
    assert op is not None
    k = names.custom.setdefault(op, len(names.custom))
    operands = ", ".join(names.data[id(x)] for x in node.parents)
    out, g = names.data[id(node)], names.grad[id(node)]
    # Called even when no operand needs its gradient: backward() calls it too, and it may raise.
    back = [f"_d = _D{k}(({operands},), {out})"]
    back += [f"if _d[{i}] is not None: {t} += {g} * _d[{i}]"  # None: no path, as backward() skips it
             for i, x in enumerate(node.parents) if (t := _grad(x, names)) is not None]
    return [f"{out} = _C{k}({operands})"], back


def _custom_partials(op: Op) -> Callable[[tuple[float, ...], float], list[float | None]]:
    """The float partials of custom op `op` as its backward() rule takes them: its derivative run under
    no_grad() on Values holding the operands' and the result's data, each partial then as a float."""

    def partials(operands: tuple[float, ...], out: float) -> list[float | None]:
        with no_grad():
            parts = op.partials(tuple(Value(x) for x in operands), None, Value(out))
        return [p.data if isinstance(p, Value) else None if p is None else as_float(p, f"op {op.name!r}: partial {i}")
                for i, p in enumerate(parts)]

    return partials


def _runs_when(node: Value, n: int) -> str:
    """When node n's rule runs, as in backward(): skipped at gradient 0 only where it would add zeros."""
    return f"g{n} or not v{n} - v{n} == 0.0" if node._record.skip_zero else "True"  # type: ignore[union-attr]


def _node_source(node: Value, names: _Names, n: int) -> tuple[list[str], list[str]]:
    """The forward statements and the backward statements (gradient of `node` known nonzero) of one node."""
    op = node.op_record
    assert op is not None
    if op.name in _NARY and OPS.get(op.name) is op:
        return _NARY[op.name](node, names, n)
    if op.may_raise and op.forward is not None:
        return _custom(node, names, n)
    if op.forward is None or OPS.get(op.name) is not op:
        raise TypeError(f"compile: op {op.name!r} has no replay rule; call f uncompiled")
    return _unary_binary(node, names, n)


# A batch's loss is one n-ary node (the sum of the per-sample losses) over subgraphs of one shape. One line of
# source per node makes a 16-image CNN batch 100,000 lines, slow to compile(); so each per-sample part (a
# "block") is written once as a pair of functions, its forward and its backward, called once per sample.
_MIN_BLOCK = 32  # nodes per block, below which the parts are written out in line
_BLOCK_SEARCH = 8  # how many nodes nearest the root may be the batch's sum


def _blocks(order: list[Value], pos: dict[int, int]) -> tuple[int, list[range]]:
    """(s, ranges): the operands of node order[s] are roots of disjoint parts of `order`, each a contiguous
    range starting at its root, whose nodes read only leaves and each other and are read from outside only by
    order[s]; (-1, []) when no node near the root has such operands. `pos` maps id() of a node to its place."""
    for s, node in enumerate(order[:_BLOCK_SEARCH]):
        parents = node.parents
        if len(parents) < 2 or any(p.is_leaf for p in parents):
            continue
        ranges = [range(pos[id(p)], pos[id(p)] + len(backward_order(p))) for p in parents]
        if min(len(r) for r in ranges) >= _MIN_BLOCK and _separate(order, pos, s, ranges):
            return s, ranges
    return -1, []


def _separate(order: list[Value], pos: dict[int, int], s: int, ranges: list[range]) -> bool:
    """Whether `ranges` are disjoint, and no edge of the graph enters or leaves one but order[s]'s to its root."""
    owner = [-1] * len(order)
    for k, r in enumerate(ranges):
        if r.stop > len(order) or any(owner[i] != -1 for i in r):
            return False
        owner[r.start : r.stop] = [k] * len(r)
    for i, node in enumerate(order):
        for parent in node.parents:
            j = pos.get(id(parent), -1)
            if j != -1 and owner[j] != owner[i] and not (i == s and j == ranges[owner[j]].start):
                return False
    return True


def _shape(nodes: list[Value], start: int, pos: dict[int, int], args: dict[int, int], params: dict[int, int]
           ) -> tuple[tuple[object, ...], list[int]]:
    """What a block's source depends on, cheaper to get than the source: per node its op, its constant and its
    operands (a node by its place in the block, a parameter by index, an argument by the order the block first
    reads it in, a constant by its literal); and the global indices of the arguments, in that order."""
    shape: list[object] = []
    local: dict[int, int] = {}
    for node in nodes:
        op = node.op_record
        arg = node.arg
        refs: list[object] = [op, None if op is _MAX else repr(arg) if type(arg) is float else arg]
        for parent in node.parents:
            key = id(parent)
            if key in pos:
                refs.append(pos[key] - start)
            elif key in params:
                refs.append(("p", params[key]))
            elif key in args:
                refs.append(("x", local.setdefault(args[key], len(local))))
            else:
                refs.append(_literal(parent.data))
        shape.append(tuple(refs))
    return tuple(shape), list(local)


def _unpack(names: Sequence[str], source: str) -> list[str]:
    return [f"{', '.join(names)}, = {source}"] if names else []


def _block_source(order: list[Value], r: range, args: dict[int, int], params: dict[int, int], custom: dict[Op, int]
                  ) -> tuple[str, list[int], list[int]]:
    """The source of one block's `_F(PD, XS)` (its forward: all its values, the root's first) and `_B(PD, XS, V,
    Q, g)` (its backward from gradient g at its root, returning its parameters' new gradients); the global
    indices of the arguments XS holds, and of the parameters PD and Q hold."""
    names = _Names(args, params, custom)
    names.local_args = []
    nodes = order[r.start : r.stop]
    for n, node in enumerate(nodes):
        names.node(node, n)
    for node in nodes:
        for parent in node.parents:
            if parent.is_leaf:
                names.leaf(parent)
    sources = [_node_source(node, names, n) for n, node in enumerate(nodes)]
    values = [f"v{n}" for n in range(len(nodes))]
    values += [f"w{n}" for n, node in enumerate(nodes) if node.op_record is OPS["max"]]
    ps = [f"p{j}" for j in sorted(names.used_params)]
    qs = [f"q{j}" for j in sorted(names.used_params)]
    xs = [f"x{k}" for k in range(len(names.local_args))]
    forward = [*_unpack(ps, "PD"), *_unpack(xs, "XS"), *(line for lines, _ in reversed(sources) for line in lines),
               f"return ({', '.join(values)},)"]
    backward = [*_unpack(ps, "PD"), *_unpack(xs, "XS"), *_unpack(values, "V"), *_unpack(qs, "Q"),
                *(f"g{n} = 0.0" for n in range(1, len(nodes))), "g0 = g", *_backward_lines(nodes, sources),
                f"return ({''.join(q + ', ' for q in qs)})"]
    source = _function("_F", "PD, XS", forward) + _function("_B", "PD, XS, V, Q, g", backward)
    return source, names.local_args, sorted(names.used_params)


def _function(name: str, parameters: str, body: list[str]) -> str:
    return f"def {name}({parameters}):\n" + "".join(f"    {line}\n" for line in body)


def _backward_lines(nodes: list[Value], sources: list[tuple[list[str], list[str]]]) -> list[str]:
    lines = []
    for n, (_, back) in enumerate(sources):
        if back:
            lines.append(f"if {_runs_when(nodes[n], n)}:")
            lines += ["    " + line for line in back]
    return lines


def generate(
    root: Value, args: dict[int, int], params: dict[int, int], outputs: Sequence[Value] = ()
) -> tuple[str, dict[str, Any]]:
    """Python source of `_replay(X, P)`: the forward and backward of the graph under `root`, reading argument k
    from X[k] and parameter j's data and grad from P[j], adding the gradients into P[j].grad, returning the
    root's data and a tuple of the `outputs`' data; and the functions of custom ops the source calls by name.
    `args` and `params` map id() of leaves to those indices. Repeated per-sample parts are written once each
    (see _blocks), as functions called per sample in the order backward() takes them.
    Raises TypeError for an op without rule, ValueError for an output that is not in the root's graph.
    """
    order = backward_order(root)
    custom: dict[Op, int] = {}
    names = _Names(args, params, custom)
    pos = {id(node): n for n, node in enumerate(order)}
    s, ranges = _blocks(order, pos)
    kinds: dict[tuple[object, ...], int] = {}  # a block's shape -> its number t
    block_of: dict[int, tuple[int, int, list[int], range]] = {}  # a block root's position -> (k, t, arguments, range)
    inside: set[int] = set()
    defs: list[str] = []
    shared: list[int] | None = None  # the parameters of every block: the same for all, or no blocks
    for k, r in enumerate(ranges):
        shape, xs = _shape(order[r.start : r.stop], r.start, pos, args, params)
        t = kinds.setdefault(shape, len(kinds))
        if t == len(defs):
            text, _, used = _block_source(order, r, args, params, custom)
            if shared is not None and used != shared:
                block_of, inside, defs, shared = {}, set(), [], None  # parts reading different parameters: in line
                break
            shared = used
            defs.append(text.replace("def _F(", f"def _F{t}(").replace("def _B(", f"def _B{t}("))
        block_of[r.start] = (k, t, xs, r)
        inside.update(range(r.start + 1, r.stop))
    kept = [n for n in range(len(order)) if n not in inside]
    for n in kept:
        names.node(order[n], n)
        if n not in block_of:
            for child in order[n].parents:
                if child.is_leaf:
                    names.leaf(child)
    if not order:
        names.leaf(root)
    for v in outputs:  # an output inside a block is read from the block's values into its own name
        if pos.get(id(v), -1) in inside:
            names.node(v, pos[id(v)])
    ps = [f"p{j}" for j in shared or ()]
    qs = [f"q{j}" for j in shared or ()]
    names.used_params.update(dict.fromkeys(shared or ()))
    sources: dict[int, tuple[list[str], list[str]]] = {}
    for n in kept:
        if n not in block_of:
            sources[n] = _node_source(order[n], names, n)
            continue
        k, t, xs, r = block_of[n]
        picked = f"_I{k}(X)" if len(xs) > 1 else f"(X[{xs[0]}],)" if xs else "()"
        wanted = [f"v{pos[id(v)]} = V{k}[{pos[id(v)] - r.start}]" for v in outputs
                  if r.start < pos.get(id(v), -1) < r.stop]
        sources[n] = ([f"X{k} = {picked}", f"V{k} = _F{t}(_PD, X{k})", f"v{n} = V{k}[0]", *wanted],
                      [f"_Q = _B{t}(_PD, X{k}, V{k}, _Q, g{n})"])
    forward = [line for n in reversed(kept) for line in sources[n][0]]
    zero = [f"g{n} = 0.0" for n in kept[1:]]
    backward: list[str] = []
    if order:
        backward.append("g0 = 1.0")
        for i, n in enumerate(kept):
            if n in block_of and kept[i - 1] not in block_of:  # the blocks come in one run: Q is packed once
                backward.append(f"_Q = ({''.join(q + ', ' for q in qs)})")
            if sources[n][1]:
                backward.append(f"if {_runs_when(order[n], n)}:")
                backward += ["    " + line for line in sources[n][1]]
            if n in block_of and (i + 1 == len(kept) or kept[i + 1] not in block_of):
                backward += _unpack(qs, "_Q")
    elif names.grad[id(root)] is not None:
        backward.append(f"{names.grad[id(root)]} += 1.0")  # backward() on a leaf adds the seed to it
    results = [names.data[id(root)], *(_output_name(v, i, names) for i, v in enumerate(outputs))]
    body = [
        *(f"x{k} = X[{k}]" for k in names.used_args),
        *(f"p{j} = P[{j}].data; q{j} = P[{j}].grad" for j in names.used_params),
        *([f"_PD = ({''.join(p + ', ' for p in ps)})"] if block_of else []),
        *forward,
        # A NaN or inf result may be one the graph refuses (a layer's input check, say): the graph decides.
        *_chained_sum("_s", "0.0", results),
        "if _s - _s != 0.0: raise _NotFinite",
        *zero,
        *backward,
        *(f"P[{j}].grad = q{j}" for j in names.used_params),
        f"return {results[0]}, ({''.join(name + ', ' for name in results[1:])})",
    ]
    functions: dict[str, Any] = {}
    for op, c in custom.items():
        functions[f"_C{c}"], functions[f"_D{c}"] = op.forward, _custom_partials(op)
    for k, _, xs, _ in block_of.values():
        if len(xs) > 1:
            functions[f"_I{k}"] = operator.itemgetter(*xs)
    return "".join(defs) + _function("_replay", "X, P", body), functions


def _output_name(v: Value, i: int, names: _Names) -> str:
    if id(v) not in names.data:
        raise ValueError(
            f"compile: output {i} of f ({v!r}) is not part of the loss's graph, so a replay cannot give it"
        )
    return names.data[id(v)]


# ---------------------------------------------------------------- arguments and outputs


def _structure(x: object, where: str, floats: list[float]) -> object:
    """The hashable structure of argument `x`, appending its floats to `floats` in order.

    A float's slot is None (its data may change between calls); an int stays itself with its type (labels
    pick terms of a loss, so they are part of the trace); a list or tuple is its kind and its items' structures.
    Raises TypeError for anything else.
    """
    if type(x) is float:
        floats.append(x)  # type: ignore[arg-type]
        return None
    if type(x) is list or type(x) is tuple:
        return (type(x), tuple([_structure(item, where, floats) for item in x]))  # type: ignore[attr-defined]
    if isinstance(x, numbers.Integral):
        return (type(x), x)
    if isinstance(x, numbers.Real):
        floats.append(float(x))
        return None
    raise TypeError(
        f"compile: {where} must be a number or a nested list of numbers, got {type(x).__name__} ({x!r:.40})"
    )


def _rebuild(structure: object, leaves: Iterator[Value]) -> Any:
    """The argument of `structure` with its float slots filled by the next `leaves`."""
    if structure is None:
        return next(leaves)
    kind: Any
    content: Any
    kind, content = structure  # type: ignore[misc]
    if kind is list or kind is tuple:
        return kind(_rebuild(item, leaves) for item in content)
    return content


def _output_structure(x: object, where: str, values: list[Value]) -> object:
    """The structure of f's extra output `x` (a Value or nested lists of them), appending its Values to `values`."""
    if isinstance(x, Value):
        values.append(x)
        return None
    if type(x) is list or type(x) is tuple:
        return (type(x), tuple([_output_structure(item, where, values) for item in x]))  # type: ignore[attr-defined]
    raise TypeError(f"compile: {where} must be a Value or a nested list of Values, got {type(x).__name__}")


_NO_OUTPUTS = object()  # the structure of "f returned only the loss"


class _Trace:
    """One argument structure's replay: the generated source, the function compiled from it, and the structure
    of f's extra outputs (_NO_OUTPUTS when f returns only the loss)."""

    __slots__ = ("source", "run", "outputs")

    def __init__(self, source: str, functions: dict[str, Any], outputs: object) -> None:
        namespace = {**_NAMESPACE, **_record_names(), **functions}
        exec(builtins.compile(source, "<engine.compile trace>", "exec"), namespace)  # our own generated source
        self.source = source
        self.run: Callable[[list[float], list[Value]], tuple[float, tuple[float, ...]]] = namespace["_replay"]
        self.outputs = outputs


def _result(loss: float, structure: object, outputs: Iterable[float]) -> Any:
    """What g returns: the loss, or (loss, the extra outputs' data in their structure)."""
    if structure is _NO_OUTPUTS:
        return loss
    return loss, _rebuild(structure, iter(outputs))  # type: ignore[arg-type]


class Compiled:
    """A training step `f` compiled by `engine.compile`: call it as `f`, it returns the loss (see compile)."""

    def __init__(self, f: Callable[..., Any], params: list[Value], check_every: int | None) -> None:
        self.f = f
        self.params = params
        self.check_every = check_every
        self.calls = 0
        self.traces_made = 0
        self.thrashing = False  # set when a dropped trace had to be made again (see MAX_TRACES)
        self._traces: dict[object, _Trace] = {}
        self._dropped: set[int] = set()  # hashes of the argument structures whose traces were dropped
        self._index = {id(p): j for j, p in reversed(list(enumerate(params)))}  # a repeated Value: its first index

    @property
    def source(self) -> str:
        """The generated Python of the latest trace (what a replay runs), or "" before the first call."""
        return next(reversed(self._traces.values())).source if self._traces else ""

    def __call__(self, *args: Any) -> Any:
        floats: list[float] = []
        key = tuple([_structure(x, f"argument {i}", floats) for i, x in enumerate(args)])
        # One call at a time, as backward() runs: a replay reads every parameter's .grad and writes it back.
        with _one_pass_at_a_time:
            self.calls += 1
            if not is_grad_enabled():  # f's result has no graph, so its backward() raises: the graph says how
                return self._graph_call(key, floats)
            total = builtins.sum(floats, 0.0)
            if total - total != 0.0:  # a NaN or inf argument, which f may refuse (a layer does): the graph decides
                return self._graph_call(key, floats)
            trace = self._traces.get(key)
            if trace is None or (self.check_every is not None and self.calls % self.check_every == 0):
                return self._record(key, floats, trace)
            try:
                loss, outputs = trace.run(floats, self.params)
            except Exception:
                # An error met in the replay (a domain error: division by zero, log of <= 0, overflow; one a
                # custom op raised; a NaN or inf result): the graph run raises the very error the uncompiled
                # step would, from the op that caused it, with no .grad changed; or gives the result.
                return self._graph_call(key, floats)
            return _result(loss, trace.outputs, outputs)

    def _graph_call(self, key: tuple[object, ...], floats: list[float]) -> Any:
        """The uncompiled step: f on the Value graph, then backward(); what a replay stands for."""
        out, _, structure, values = self._graph_step(key, floats)
        out.backward()
        return _result(out.data, structure, (v.data for v in values))

    def _graph_step(
        self, key: tuple[object, ...], floats: list[float]
    ) -> tuple[Value, list[Value], object, list[Value]]:
        """Run f on the ordinary Value graph (forward only); returns the loss node, the argument leaves, and the
        structure and Values of f's extra outputs."""
        leaves = [Value(x) for x in floats]
        out = self.f(*_rebuild((tuple, key), iter(leaves)))
        structure: object = _NO_OUTPUTS
        values: list[Value] = []
        if type(out) is tuple and len(out) == 2 and isinstance(out[0], Value):
            out, extra = out
            structure = _output_structure(extra, "the second item f returned", values)
        if not isinstance(out, Value):
            kind = type(out).__name__
            raise TypeError(f"compile: f must return a Value (the loss) or (loss, outputs), got {kind}")
        return out, leaves, structure, values

    def _record(self, key: tuple[object, ...], floats: list[float], old: _Trace | None) -> Any:
        out, leaves, structure, values = self._graph_step(key, floats)
        source, functions = generate(out, {id(v): k for k, v in enumerate(leaves)}, self._index, values)
        if old is not None and source != old.source:
            raise TraceChangedError(
                f"compile: call {self.calls} of f built a different graph from the same argument structure than "
                "its trace did: f branches on a Value's data (an `if`, a loop bound, a comparison), which a trace "
                "cannot see; keep data-dependent choices inside ops (relu, max) or call f uncompiled"
            )
        if old is None:
            self._keep(key, _Trace(source, functions, structure))
        out.backward()
        return _result(out.data, structure, (v.data for v in values))

    def _keep(self, key: tuple[object, ...], trace: _Trace) -> None:
        """Keep a new trace, dropping the oldest past MAX_TRACES; warn once when a dropped one is needed again."""
        self._traces[key] = trace
        self.traces_made += 1
        if hash(key) in self._dropped and not self.thrashing:
            self.thrashing = True
            warnings.warn(
                f"compile: f is called with more than MAX_TRACES = {MAX_TRACES} argument structures (lengths, "
                "labels or shapes) in turn, so traces are dropped and made again; every re-trace costs more than "
                "an uncompiled step",
                TraceEvictionWarning,
                stacklevel=4,
            )
        if len(self._traces) > MAX_TRACES:
            dropped = next(iter(self._traces))
            del self._traces[dropped]
            self._dropped.add(hash(dropped))


def compile(f: Callable[..., Any], params: Iterable[Value], *, check_every: int | None = None) -> Compiled:  # noqa: A001
    """Compile a training step: `g = compile(f, params)` makes `g(*args)` do exactly what
    `out = f(*args); out.backward(); return out.data` does, bit for bit, only faster.

    `args` are numbers or nested lists/tuples of numbers (the data, which may change between calls). The first
    call traces `f` on the ordinary Value graph, with a leaf Value in place of each float argument; later calls
    with arguments of the same structure replay that graph's forward and backward over plain floats, with no
    Value made per node, reading each parameter's current `.data` (an optimiser may update them between calls)
    and adding the gradients into each parameter's `.grad`, as backward() does. Data-dependent ops (relu,
    leaky_relu, max's winner, pow) are decided anew at every call, and a domain error (division by zero, log of
    0, a negative base's real power, overflow) raises the same error the graph raises. Ops made with `engine.op`
    replay through their own forward and derivative, per node. Calls from several threads run one after another,
    as backward() does; under `no_grad()` a call runs `f(*args).backward()` itself, so it raises as that does.
    Arguments of another structure (another length, say) make a new trace; int arguments are part of the
    structure, so each new int makes one: pass labels as floats (one-hot rows, ±1 signs) to share a trace. The
    last MAX_TRACES traces are kept, with a TraceEvictionWarning, once, when dropped ones keep coming back.
    Values `f` uses that are neither arguments nor in `params` are
    constants of the trace: their data at tracing time, and they receive no gradient. `f` may also return
    `(loss, outputs)`, outputs being Values of the loss's graph in nested lists (a model's scores, say); then g
    returns `(loss, the outputs' data in the same nesting)`.

    The limit: a trace records the ops one call ran, not the Python that chose them. If `f` branches on a
    Value's data (`if loss.data > 1: ...`, a loop until a value is small), a replay repeats the branch the trace
    took, silently. `check_every=N` re-traces every Nth call and raises TraceChangedError if the graph changed.
    And a replay computes only what the loss (and the outputs) depend on: a Value f computes and then leaves
    unused is not recomputed, so an error it would raise (a log of a negative number, say) is not raised.

    Raises TypeError for a non-callable f, params that are not Values, or a bad check_every (ValueError if < 1);
    at call time, TypeError for arguments that are not numbers or lists of them, and what f or its graph raise.
    """
    if not callable(f):
        raise TypeError(f"compile: f must be callable, got {type(f).__name__}")
    if isinstance(params, Value) or not isinstance(params, Iterable):
        raise TypeError(f"compile: params must be a list of Values, got {type(params).__name__}")
    params = list(params)
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"compile: params item {i} must be a Value, got {type(p).__name__}")
    if check_every is not None:
        if isinstance(check_every, bool) or not isinstance(check_every, int):
            raise TypeError(f"compile: check_every must be an int or None, got {type(check_every).__name__}")
        if check_every < 1:
            raise ValueError(f"compile: check_every must be >= 1, got {check_every}")
    return Compiled(f, params, check_every)
