"""Lesson 0 exercises: your own micrograd-style `Value` class, run side by side with `engine.Value`.

The student's class is micrograd's: `Value(data, _children=(), _op="")` keeps `data`, `grad`, the children in
`_prev`, the op in `_op` and a `_backward` closure; `+`, `*` (a number on either side) and `tanh()` make new
nodes; `backward()` orders the graph topologically and runs every `_backward` in reverse. The checkers build the
same expression graphs (reused nodes, constants on either side, a deep chain) with that class and with
engine.Value, and name the first node whose data or gradient differs, and why.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import engine
from nn.checks import is_real
from nn.lessons.feedback import (
    CORRECT,
    INCORRECT,
    Feedback,
    NotANumber,
    call,
    fmt,
    is_blank,
    is_stub,
    not_attempted,
    number,
    show,
)

TOL = {"rel_tol": 1e-9, "abs_tol": 1e-12}
SENTINEL = 0.25  # what each operand's grad holds before one _backward runs: `+=` keeps it, `=` loses it
UPSTREAM = 1.5  # out.grad when one _backward runs alone: a rule that forgets the chain rule's factor shows


@dataclass(frozen=True)
class Const:
    """A plain number in an expression, on either side of an op."""

    value: float


Operand = int | Const  # a node's index, or a number


@dataclass(frozen=True)
class Step:
    """One line of an expression program: `leaf` (a number), `+`, `*` (two operands) or `tanh` (one node)."""

    op: str
    args: tuple[Any, ...]

    def run(self, make: Callable[[float], Any], nodes: Mapping[int, Any] | list[Any]) -> Any:
        def operand(a: Operand) -> Any:
            return a.value if isinstance(a, Const) else nodes[a]

        if self.op == "leaf":
            return make(self.args[0])
        if self.op == "tanh":
            return operand(self.args[0]).tanh()
        left, right = (operand(a) for a in self.args)
        return left + right if self.op == "+" else left * right

    def describe(self, k: int) -> str:
        def name(a: Operand) -> str:
            return f"{a.value:g}" if isinstance(a, Const) else f"n{a}"

        if self.op == "leaf":
            return f"n{k} = Value({self.args[0]:g})"
        if self.op == "tanh":
            return f"n{k} = n{self.args[0]}.tanh()"
        return f"n{k} = {name(self.args[0])} {self.op} {name(self.args[1])}"

    def nodes(self) -> list[int]:
        """The indices of the nodes this step uses (each use counts)."""
        return [a for a in self.args if isinstance(a, int)] if self.op != "leaf" else []


Program = list[Step]


def leaf(x: float) -> Step:
    """The program line that makes a leaf Value holding `x`."""
    return Step("leaf", (x,))


def _random_program(rng: random.Random, n_leaves: int, n_ops: int, ops: tuple[str, ...]) -> Program:
    """Leaves in [-1.5, 1.5], then ops on nodes drawn from all made so far (so nodes get reused), a number on
    the left or right of one operand in three."""
    program = [leaf(round(rng.uniform(-1.5, 1.5), 2)) for _ in range(n_leaves)]
    for _ in range(n_ops):
        op = rng.choice(ops)
        a = rng.randrange(len(program))
        if op == "tanh":
            program.append(Step("tanh", (a,)))
            continue
        b: Operand = rng.randrange(len(program))
        if rng.random() < 1 / 3:
            b = Const(float(rng.choice([-2, -1, 0.5, 2, 3])))
            program.append(Step(op, (b, a) if rng.random() < 0.5 else (a, b)))
        else:
            program.append(Step(op, (a, b)))
    return program


def _chain(depth: int) -> Program:
    """x, then x·0.9 + 0.05, tanh, ... `depth` times: a deep graph (a recursive sort must cope with it)."""
    program = [leaf(0.7)]
    for _ in range(depth):
        k = len(program) - 1
        program += [Step("*", (k, Const(0.9))), Step("+", (Const(0.05), k + 1)), Step("tanh", (k + 2,))]
    return program


def programs(ops: tuple[str, ...], seed: int = 0) -> list[Program]:
    """Small hand-made graphs first (a reused node, a number on each side), then random ones, then a deep chain."""
    plus, times = "+" in ops, "*" in ops
    made: list[Program] = []
    if plus:
        made += [[leaf(2.0), leaf(-3.0), Step("+", (0, 1))],
                 [leaf(2.0), Step("+", (0, 0))],
                 [leaf(2.0), Step("+", (0, Const(3.0)))],
                 [leaf(2.0), Step("+", (Const(3.0), 0))]]
    if times:
        made += [[leaf(2.0), leaf(-3.0), Step("*", (0, 1))],
                 [leaf(-1.5), Step("*", (0, 0))],
                 [leaf(2.0), Step("*", (0, Const(3.0)))],
                 [leaf(2.0), Step("*", (Const(3.0), 0))]]
    if plus and times:
        made.append([leaf(2.0), leaf(-3.0), Step("*", (0, 1)), Step("+", (2, 0))])  # a is used twice
    if "tanh" in ops:
        made += [[leaf(0.8), Step("tanh", (0,))], [leaf(0.5), Step("tanh", (0,)), Step("*", (1, 0))]]
    rng = random.Random(seed)
    made += [_random_program(rng, 3, 10, ops) for _ in range(6)]
    if ops == ("+", "*", "tanh"):
        made.append(_chain(120))
    return made


# ---------------------------------------------------------------- running a program with a class


class Mismatch(Exception):
    """The student's class differs from engine.Value; `nudge` names the idea, `hint` the code-level fix."""

    def __init__(self, problem: str, nudge: str, hint: str) -> None:
        super().__init__(problem)
        self.problem, self.nudge, self.hint = problem, nudge, hint


def _listing(program: Program, upto: int) -> str:
    """The program's lines up to node `upto`, as the student would write them (the last few for a long one)."""
    lines = [step.describe(k) for k, step in enumerate(program[: upto + 1])]
    shown = lines if len(lines) <= 6 else ["...", *lines[-5:]]
    return "; ".join(shown)


def _build(cls: Any, program: Program) -> list[Any]:
    """The program's nodes made with the student's class; raises Mismatch naming the line that failed."""
    nodes: list[Any] = []
    for k, step in enumerate(program):
        node, error = call(lambda s=step: s.run(cls, nodes), ())
        if error is not None:
            raise Mismatch(f"{step.describe(k)} raised {error} (in: {_listing(program, k)})", *_why_raised(step, error))
        if node is None or is_blank(node):
            method = {"leaf": "__init__", "+": "__add__", "*": "__mul__", "tanh": "tanh"}[step.op]
            raise Mismatch(f"{step.describe(k)} gave {node!r}", f"{method} must make the new Value and return it.",
                           f"end {method} with `return out`.")
        nodes.append(node)
    return nodes


def _why_raised(step: Step, error: str) -> tuple[str, str]:
    """The likely mistake behind a step that raised `error`, as (nudge, code-level hint)."""
    number_first = step.op in "+*" and isinstance(step.args[0], Const)
    number_second = step.op in "+*" and isinstance(step.args[1], Const)
    method, verb = {"+": ("__radd__", "add"), "*": ("__rmul__", "multiply")}.get(step.op, ("", ""))
    if number_first and error.startswith("TypeError"):
        return (f"with a number on the left, Python asks your class for {method} (the number does not know "
                f"how to {verb} a Value).", f"def {method}(self, other): return self {step.op} other")
    if number_second and "attribute 'data'" in error:
        return ("a plain number has no .data: wrap it in a Value first.",
                "other = other if isinstance(other, Value) else Value(other)")
    return ("build each new node from its operands' data and remember them as its children.",
            "out = Value(self.data + other.data, (self, other), '+'), and the same with * and tanh.")


def _engine_nodes(program: Program) -> list[engine.Value]:
    nodes: list[engine.Value] = []
    for step in program:
        nodes.append(step.run(engine.Value, nodes))
    return nodes


def _read(node: Any, name: str) -> Any:
    """node.name, raising Mismatch when the attribute is missing or reading it raises."""
    value, error = call(lambda: getattr(node, name), ())
    if error is not None:
        raise Mismatch(f"reading .{name} raised {error}", f"a Value keeps its `{name}` as an attribute.",
                       "in __init__: self.data = data; self.grad = 0.0; self._prev = set(_children); "
                       "self._op = _op; self._backward = lambda: None")
    return value


def _grad(node: Any, where: str) -> float:
    """node.grad as a float, raising Mismatch when it is not a plain number (a Value there grows the graph)."""
    grad = _read(node, "grad")
    if not is_real(grad):
        raise Mismatch(f"{where}: grad should be a plain number, got {show(grad)}",
                       "a gradient is a plain number, like data.",
                       "add plain numbers to .grad: other.data, not other; out.grad, not out")
    return float(grad)


def _compare_forward(program: Program, mine: list[Any], theirs: list[engine.Value]) -> None:
    for k, (step, node, reference) in enumerate(zip(program, mine, theirs)):
        data = _read(node, "data")
        if not (isinstance(data, int | float) and math.isclose(data, reference.data, **TOL)):
            raise Mismatch(f"{step.describe(k)}: data is {fmt(data)}, expected {fmt(reference.data)} "
                           f"(in: {_listing(program, k)})",
                           f"{step.op} computes its result from the operands' data.",
                           "tanh: math.tanh(self.data); +: self.data + other.data; *: self.data * other.data.")
        if _grad(node, step.describe(k)) != 0.0:
            raise Mismatch(f"{step.describe(k)}: grad is {fmt(node.grad)} before any backward, expected 0",
                           "a new Value has no gradient yet.", "self.grad = 0.0 in __init__.")
        children = _read(node, "_prev")
        missing = [f"n{a}" for a in step.nodes() if not any(c is mine[a] for c in children)]
        if missing:
            raise Mismatch(f"{step.describe(k)}: its _prev does not hold {', '.join(missing)}",
                           "a node remembers the nodes it was made from: backward() walks the graph through them.",
                           "pass (self, other) as _children when making out, and keep set(_children) in _prev.")


def _local_rules(program: Program, mine: list[Any]) -> None:
    """Run each node's _backward alone (out.grad = UPSTREAM, each operand's grad = SENTINEL) and compare what it
    adds to its operands with engine.Value's local derivatives."""
    for k, (step, node) in enumerate(zip(program, mine)):
        if step.op == "leaf":
            continue
        operands = list(dict.fromkeys(step.nodes()))  # `n0 + n0` has one operand node, used twice
        for a in operands:
            mine[a].grad = SENTINEL
        node.grad = UPSTREAM
        _, error = call(_read(node, "_backward"), ())
        node.grad = 0.0
        if error is not None:
            raise Mismatch(f"{step.describe(k)}: its _backward raised {error}",
                           "a _backward adds out.grad times the local derivative to each operand's grad.",
                           "see the lesson's `+` example: self.grad += 1.0 * out.grad")
        added = {a: _grad(mine[a], f"after the _backward of {step.describe(k)}, n{a}") - SENTINEL for a in operands}
        for a in operands:
            mine[a].grad = 0.0
        for a, want in _expected_locals(step, mine).items():
            got = added[a]
            if not math.isclose(got, want, **TOL):
                raise Mismatch(f"{step.describe(k)}: with out.grad = {UPSTREAM:g} and n{a}.grad already {SENTINEL:g}, "
                               f"its _backward leaves n{a}.grad at {fmt(got + SENTINEL)}, expected "
                               f"{fmt(want + SENTINEL)} (in: {_listing(program, k)})",
                               *_why_local(step, mine, a, got, want))


def _expected_locals(step: Step, mine: list[Any]) -> dict[int, float]:
    """What one run of the step's _backward adds to each operand node, from engine.Value's own backward."""
    leaves = {a: engine.Value(mine[a].data) for a in step.nodes()}
    grads = engine.grad(step.run(engine.Value, leaves), list(leaves.values()))
    return {a: UPSTREAM * g.data for a, g in zip(leaves, grads)}


def _why_local(step: Step, mine: list[Any], a: int, got: float, want: float) -> tuple[str, str]:
    """The likely mistake behind a wrong local rule, as (nudge, code-level hint)."""
    if math.isclose(got, want - SENTINEL, **TOL) or math.isclose(got + SENTINEL, want / 2, **TOL):
        return ("the gradient already in n.grad was overwritten: a node used twice must get the sum of what "
                "both uses send.", "write self.grad += ... (and other.grad += ...), never self.grad = ...")
    if math.isclose(got * UPSTREAM, want, **TOL):
        return ("the chain rule multiplies the local derivative by the gradient arriving at out.",
                "multiply by out.grad: self.grad += local * out.grad")
    if step.op == "tanh":
        t = math.tanh(mine[a].data)
        return (f"tanh's derivative is 1 - tanh², written with the output t = tanh(x) (here t = {fmt(t)}).",
                "self.grad += (1 - t**2) * out.grad")
    if step.op == "*":
        return ("a product sends each operand the *other* operand times out.grad.",
                "self.grad += other.data * out.grad; other.grad += self.data * out.grad")
    return ("a sum passes out.grad to both operands unchanged.",
            "self.grad += 1.0 * out.grad; other.grad += 1.0 * out.grad")


def _compare_backward(program: Program, mine: list[Any], theirs: list[engine.Value]) -> None:
    """Call backward() on the last node of both graphs; name the first node, from the output down, whose grad
    differs, and what the order of the _backward calls says about why."""
    calls: list[int] = []
    for k, node in enumerate(mine):
        _, error = call(lambda n=node, k=k: setattr(n, "_backward", _recording(n._backward, k, calls)), ())
        if error is not None:
            raise Mismatch(f"n{k}._backward cannot be set: {error}", "each node keeps its rule in _backward.",
                           "out._backward = _backward, after defining _backward inside the op")
    root = len(program) - 1
    _, error = call(mine[root].backward, ())
    if error is not None:
        raise Mismatch(f"n{root}.backward() raised {error}",
                       "backward() orders the nodes topologically, then runs each _backward, output first.",
                       _BACKWARD_HINT)
    theirs[root].backward()
    if not math.isclose(_grad(mine[root], f"after n{root}.backward(), n{root}"), 1.0, **TOL):
        raise Mismatch(f"after n{root}.backward(), n{root}.grad is {fmt(mine[root].grad)}, expected 1",
                       "backward() starts from d(out)/d(out) = 1.", "set self.grad = 1.0 before the loop")
    for k in reversed(range(len(program))):  # a program's order is topological: from the output down
        if not math.isclose(_grad(mine[k], f"after n{root}.backward(), n{k}"), theirs[k].grad, **TOL):
            raise Mismatch(f"after n{root}.backward(), {program[k].describe(k)} has grad {fmt(mine[k].grad)}, "
                           f"expected {fmt(theirs[k].grad)} (in: {_listing(program, len(program) - 1)})",
                           *_why_order(program, calls, k))


def _recording(backward: Callable[[], None], k: int, calls: list[int]) -> Callable[[], None]:
    def run() -> None:
        calls.append(k)
        backward()

    return run


_BACKWARD_HINT = ("make a list topo with a recursive build(v) that, the first time it meets v (keep a set of "
                  "visited nodes), builds each child in v._prev and then appends v; then set self.grad = 1.0 and "
                  "call v._backward() for v in reversed(topo).")


def _why_order(program: Program, calls: list[int], k: int) -> tuple[str, str]:
    """Why node k's gradient is wrong when every local rule is right: the order of the _backward calls."""
    users = {j: [u for u, step in enumerate(program) if j in step.nodes()] for j in range(len(program))}
    interior = [j for j, step in enumerate(program) if step.op != "leaf"]
    twice = [j for j in interior if calls.count(j) > 1]
    never = [j for j in interior if calls.count(j) == 0 and _feeds_root(j, users, len(program) - 1)]
    early = [(j, u) for j in interior if j in calls for u in users[j]
             if u in calls and calls.index(u) > calls.index(j)]
    if twice:
        why = f"backward() ran n{twice[0]}'s _backward {calls.count(twice[0])} times"
    elif never:
        why = f"backward() never ran n{never[0]}'s _backward"
    elif early:
        j, u = early[0]
        why = f"backward() ran n{j}'s _backward before n{u}'s, which uses n{j}, so n{j}.grad was not complete yet"
    else:
        why = f"n{k} is used by {', '.join(f'n{u}' for u in users[k]) or 'no node'}; its grad must be the sum of " \
              "what each use sends"
    return (f"{why}: each node's _backward must run exactly once, after every node that uses it (reverse "
            "topological order).", _BACKWARD_HINT)


def _feeds_root(j: int, users: dict[int, list[int]], root: int) -> bool:
    stack, seen = [j], set()
    while stack:
        k = stack.pop()
        if k == root:
            return True
        if k not in seen:
            seen.add(k)
            stack += users[k]
    return False


def _run(exercise: str, cls: Any, ops: tuple[str, ...], with_backward: bool) -> Feedback:
    """Build every program with `cls` and engine.Value; compare data and structure, each local rule alone, and,
    `with_backward`, the gradients backward() leaves."""
    checked, made = 0, programs(ops)
    for program in made:
        try:
            mine = _build(cls, program)
            theirs = _engine_nodes(program)
            _compare_forward(program, mine, theirs)
            _local_rules(program, mine)
            if with_backward:
                _compare_backward(program, mine, theirs)
        except Mismatch as wrong:
            return Feedback(exercise, INCORRECT, [wrong.problem], wrong.nudge, wrong.hint)
        checked += len(program)
    return Feedback(exercise, CORRECT, note=f"{checked} nodes in {len(made)} graphs agree with engine.Value")


def _missing(cls: Any, names: tuple[str, ...]) -> list[str]:
    return [name for name in names if not callable(getattr(cls, name, None)) or is_stub(getattr(cls, name))]


def check_add_and_mul(cls: Any) -> Feedback:
    """Exercise 0.1: a class with data, grad, _prev, _op, _backward and `+`, `*` (a number on either side); every
    node's data, children and _backward rule compared with engine.Value's."""
    exercise = "exercise 0.1 (data, children, + and *)"
    if _missing(cls, ("__init__", "__add__", "__mul__")) == ["__init__", "__add__", "__mul__"]:
        return not_attempted(exercise, "the bodies of __init__, __add__ and __mul__")
    return _run(exercise, cls, ("+", "*"), with_backward=False)


def check_tanh(cls: Any) -> Feedback:
    """Exercise 0.2: `Value.tanh`, its data and its _backward rule, in graphs with + and * too."""
    exercise = "exercise 0.2 (tanh)"
    if _missing(cls, ("tanh",)):
        return not_attempted(exercise, "the body of tanh")
    return _run(exercise, cls, ("+", "*", "tanh"), with_backward=False)


def check_value_class(cls: Any) -> Feedback:
    """Exercise 0.3: `backward()`; the whole class against engine.Value on graphs with reused nodes, numbers on
    either side and a deep chain: every node's data and gradient."""
    exercise = "exercise 0.3 (backward)"
    if _missing(cls, ("backward",)):
        return not_attempted(exercise, "the body of backward")
    return _run(exercise, cls, ("+", "*", "tanh"), with_backward=True)


NEURON = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
_NEURON_HINT = "a = (x1 * w1 + x2 * w2 + b).tanh(); a.backward(); return a"


def _children(node: Any) -> list[Any]:
    """The student's node's _prev as a list, raising Mismatch when it is not a collection of nodes."""
    prev = _read(node, "_prev")
    children, error = call(lambda: list(prev), ())
    if error is not None:
        raise Mismatch(f"_prev should hold the children, got {fmt(prev)}", "_prev is the set of a node's children.",
                       "self._prev = set(_children)")
    return children  # type: ignore[no-any-return]


def _leaves(root: Any, parents: Callable[[Any], list[Any]]) -> dict[float, Any]:
    """The leaves under `root` by their data (the neuron's five inputs have different data)."""
    stack, seen, leaves = [root], set(), {}
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children = parents(node)
        data = _read(node, "data")
        if not children and isinstance(data, int | float):
            leaves[data] = node
        stack += children
    return leaves


def _neuron_differences(mine: Any, theirs: engine.Value) -> list[str]:
    """How the neuron built with the student's class differs from engine.Value's: its output, its own grad (1
    after backward()) and the five inputs' gradients. Raises Mismatch when a node cannot be read."""
    data = _read(mine, "data")
    try:
        same = math.isclose(number(data), theirs.data, **TOL)
    except NotANumber as err:
        raise Mismatch(f"a.data should be a number: {err}", "a Value's data is a plain number.",
                       "Value(math.tanh(self.data), (self,), 'tanh')") from None
    problems = [] if same else [f"a.data is {fmt(data)} with your class, {fmt(theirs.data)} with engine.Value"]
    if _grad(mine, "a") != 1.0:
        problems.append(f"a.grad is {fmt(mine.grad)}, expected 1: call a.backward() before returning a")
    leaves = _leaves(mine, _children)
    reference = _leaves(theirs, lambda v: list(v.parents))
    for name, x in NEURON.items():
        got = leaves.get(x)
        if got is None:
            problems.append(f"{name} = Value({x:g}) is not in the graph under a")
        elif not math.isclose(_grad(got, name), reference[x].grad, **TOL):
            problems.append(f"da/d{name} is {fmt(got.grad)} with your class, {fmt(reference[x].grad)} with "
                            "engine.Value")
    return problems


def check_neuron(neuron: Callable[[Any], Any], cls: Any) -> Feedback:
    """Exercise 0.4: `neuron(V)` builds micrograd's neuron tanh(x1·w1 + x2·w2 + b) with the class V and calls
    backward(); with your class and with engine.Value, the output and every input's gradient must agree."""
    exercise = "exercise 0.4 (your neuron and engine.Value's)"
    mine, error = call(neuron, (cls,))
    if error is None and is_blank(mine):
        return not_attempted(exercise, "the neuron's output (and call a.backward() before returning it)")
    if error is not None or mine is None:
        return Feedback(exercise, INCORRECT, [f"neuron(Value) {'raised ' + str(error) if error else 'returned None'}"],
                        "build a = (x1*w1 + x2*w2 + b).tanh() with the Values the cell makes.",
                        _NEURON_HINT)
    theirs, error = call(neuron, (engine.Value,))
    if error is not None:
        return Feedback(exercise, INCORRECT, [f"neuron(engine.Value) raised {error}"],
                        "neuron(V) must use only what both classes have: V(number), +, *, tanh() and backward().",
                        _NEURON_HINT)
    if not isinstance(theirs, engine.Value):
        return Feedback(exercise, INCORRECT, [f"neuron(engine.Value) returned {fmt(theirs)}, not a Value"],
                        "return the neuron's output a itself, a Value.", "return a")
    try:
        problems = _neuron_differences(mine, theirs)
    except Mismatch as wrong:
        return Feedback(exercise, INCORRECT, [f"neuron(Value): {wrong.problem}"], wrong.nudge, wrong.hint)
    if problems:
        return Feedback(exercise, INCORRECT, problems,
                        "the same neuron with both classes: build a from the five inputs, then call a.backward().",
                        _NEURON_HINT)
    return Feedback(exercise, CORRECT, note=f"a = {fmt(theirs.data)} and the five gradients agree with engine.Value; "
                                            "now draw both graphs: engine.draw_dot(neuron(Value)) and "
                                            "engine.draw_dot(neuron(engine.Value))")
