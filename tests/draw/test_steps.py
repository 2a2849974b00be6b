"""The step-through view of backward: true order, exact final gradients, partial sums, styles, and the widget."""

from __future__ import annotations

import math
import sys
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine import Value, backward_order, backward_steps, step_through
from engine.draw import render as render_module
from engine.draw import steps as steps_module
from engine.draw.steps import SAVED_VIEW_CLASS, STATE_STYLES


def all_values(root: Value) -> list[Value]:
    """Every Value `root` depends on, found without engine code."""
    seen: dict[Value, None] = {root: None}
    todo = [root]
    while todo:
        for p in todo.pop().parents:
            if p not in seen:
                seen[p] = None
                todo.append(p)
    return list(seen)


def shared_leaf_example() -> dict[str, Value]:
    """L = tanh(a*b + a) * a: `a` is used three times, so its gradient builds up over several steps."""
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = a * b
    c.label = "c"
    s = c + a
    s.label = "s"
    d = s.tanh()
    d.label = "d"
    L = d * a
    L.label = "L"
    return {"a": a, "b": b, "c": c, "s": s, "d": d, "L": L}


@st.composite
def graphs(draw: st.DrawFn) -> Value:
    """Small random DAGs of the engine's ops, with shared subexpressions and repeated operands."""
    floats = st.floats(-2.0, 2.0, allow_nan=False)
    values = [Value(draw(floats), f"x{i}") for i in range(draw(st.integers(1, 4)))]

    def pick() -> Value:
        return values[draw(st.integers(0, len(values) - 1))]

    for _ in range(draw(st.integers(1, 10))):
        kind = draw(st.sampled_from(["add", "mul", "sub", "div", "const", "unary", "dot", "sum"]))
        if kind == "add":
            v = pick() + pick()
        elif kind == "mul":
            v = pick() * pick()
        elif kind == "sub":
            v = pick() - pick()
        elif kind == "div":
            v = pick() / pick().tanh().exp()
        elif kind == "const":
            v = draw(st.sampled_from([lambda x: x * 1.5, lambda x: x**2, lambda x: 2.0 - x, lambda x: x / 3]))(pick())
        elif kind == "unary":
            v = draw(st.sampled_from([Value.tanh, Value.sigmoid, Value.relu, Value.exp]))(pick().tanh())
        elif kind == "dot":
            n = draw(st.integers(1, 3))
            v = engine.dot([pick() for _ in range(n)], [pick() for _ in range(n)], pick())
        else:
            v = engine.sum([pick() for _ in range(draw(st.integers(1, 3)))])
        values.append(v)
    return values[-1]


# ---------------------------------------------------------------- order and gradients


@given(graphs())
def test_steps_follow_backward_order_and_end_with_backwards_gradients(root: Value) -> None:
    values = all_values(root)
    for v in values:
        v.grad = 123.0  # backward_steps must neither read nor write these
    steps = list(backward_steps(root))
    assert all(v.grad == 123.0 for v in values)
    order = backward_order(root)
    assert [s.node for s in steps] == order
    assert all(s.index == k and s.total == len(order) for k, s in enumerate(steps))
    engine.zero_grad(values)
    root.backward()
    final = steps[-1].grads if steps else {root: 1.0}
    assert {v: v.grad for v in values} == {v: final[v] for v in values}  # bit for bit


def test_a_zero_gradient_is_skipped_as_in_backward() -> None:
    # 0 * (infinite slope of sqrt at 0) is NaN, as in PyTorch: backward() runs pow's rule even at a zero
    # gradient (its partials can be infinite), and so must the replay; a dead relu passes nothing on.
    x = Value(0.0)
    y = (x**0.5) * 0.0 + (x - 1.0).relu()
    steps = list(backward_steps(y))
    y.backward()
    assert math.isnan(x.grad) and math.isnan(steps[-1].grads[x])
    pushed = {step.node.op: step.pushed for step in steps}
    assert pushed["relu"] == (0.0,) and math.isnan(pushed["pow_const"][0])


@given(graphs())
def test_partial_sums_match_an_independent_accumulation(root: Value) -> None:
    """At step k, each Value holds the sum over the nodes processed so far of (their gradient) x (local derivative).

    The gradients come from engine.grad and the local derivatives from each op's vjp (the Value-op form of
    its rule), neither of which backward_steps runs.
    """
    order = backward_order(root)
    upstream = {n: engine.grad(root, [n])[0].data for n in order}
    expected: dict[Value, float] = {root: 1.0}
    for step, node in zip(backward_steps(root), order):
        with engine.no_grad():
            local = engine.op_record.vjp(node, Value(1.0))
        for p, d in zip(node.parents, local):
            expected[p] = expected.get(p, 0.0) + (0.0 if d is None else upstream[node] * d.data)  # None: no path
        assert step.grad == pytest.approx(upstream[node], rel=1e-9, abs=1e-12)
        assert set(step.grads) == set(expected)
        for v, g in expected.items():
            assert step.grads[v] == pytest.approx(g, rel=1e-9, abs=1e-12)
        users_left = {p for later in order[step.index + 1 :] for p in later.parents}
        for v in step.grads:
            assert (step.state(v) == "final") == (v is not node and v not in users_left)


def test_local_derivatives_and_pushes_by_hand() -> None:
    v = shared_leaf_example()
    steps = list(backward_steps(v["L"]))
    assert [s.node.label for s in steps] == ["L", "d", "s", "c"]
    t = v["d"].data
    by = {s.node.label: s for s in steps}
    assert by["L"].local == (2.0, t) and by["L"].pushed == (2.0, t)  # L = d * a: dL/dd = a, dL/da = d
    assert by["d"].grad == 2.0 and by["d"].local[0] == pytest.approx(1 - t * t)
    assert by["s"].local == (1.0, 1.0)
    g = by["c"].grad
    assert by["c"].local == (-3.0, 2.0) and by["c"].pushed == (g * -3.0, g * 2.0)  # c = a * b
    # `a` receives d (from L), then ds (from s), then ds*b (from c)
    assert by["L"].grads[v["a"]] == t
    assert by["s"].grads[v["a"]] == t + g
    assert by["c"].grads[v["a"]] == t + g + g * -3.0


def test_seed_gradient_scales_like_backward() -> None:
    v = shared_leaf_example()
    last = list(backward_steps(v["L"], gradient=2.5))[-1]
    v["L"].backward(2.5)
    assert last.grads[v["a"]] == v["a"].grad and last.grads[v["b"]] == v["b"].grad


def test_custom_ops_step_through_their_own_rule() -> None:
    square = engine.op("square", lambda x: x * x, lambda x, out: 2 * x)
    x = Value(3.0, "x")
    (step,) = backward_steps(square(x))
    assert step.local == (6.0,) and step.pushed == (6.0,)


def test_a_leaf_has_no_steps_and_bad_arguments_raise() -> None:
    assert list(backward_steps(Value(1.0))) == []
    assert step_through(Value(1.0)) == []
    with pytest.raises(TypeError, match="backward_steps"):
        backward_steps(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="gradient"):
        backward_steps(Value(1.0) * 2, gradient="1")  # type: ignore[arg-type]


# ---------------------------------------------------------------- drawings of a step


def node_attrs(source: str, label_start: str) -> str:
    line = next(line for line in source.splitlines() if f'label="{label_start}' in line)
    return line


def test_each_state_has_its_own_style_and_a_legend() -> None:
    v = shared_leaf_example()
    step = list(backward_steps(v["L"]))[1]  # processing d = tanh(s)
    assert [step.state(v[k]) for k in "Ldasbc"] == ["final", "current", "partial", "final", "unreached", "unreached"]
    src = step.draw().source
    styles = {
        state: 'fillcolor="{fillcolor}"'.format(**style)
        for state, style in STATE_STYLES.items()
        if "fillcolor" in style
    }
    assert styles["current"] in node_attrs(src, "{ d | data")
    assert styles["final"] in node_attrs(src, "{ L | data")
    assert styles["partial"] in node_attrs(src, "{ a | data 2 | grad so far")
    assert "style=dashed" in node_attrs(src, "{ b | data -3 | grad ? }")
    assert "subgraph cluster_legend" in src
    for text in steps_module.STATE_NAMES.values():
        assert f'label="{text}"' in src
    t = v["d"].data
    assert f"local ∂ {1 - t * t:.4g}" in src  # on the edge from s into tanh
    assert "step 2 of 4" in src


def test_step_drawings_accept_draw_dot_options() -> None:
    v = shared_leaf_example()
    step = list(backward_steps(v["L"]))[0]
    assert "rankdir=TB" in step.draw(rankdir="TB").source
    records = [line for line in step.draw(show_grad=False).source.splitlines() if "shape=record" in line]
    assert records and not any("grad" in line for line in records)


def test_steps_display_without_a_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_module.shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "pygraphviz", None)
    step = next(iter(backward_steps(shared_leaf_example()["L"])))
    assert "pip install pygraphviz" in step._repr_mimebundle_()["text/plain"]


# ---------------------------------------------------------------- step_through


def test_step_through_outside_a_notebook_returns_the_steps() -> None:
    v = shared_leaf_example()
    steps = step_through(v["L"])
    assert [s.node for s in steps] == backward_order(v["L"])


def test_step_through_in_a_notebook_makes_a_slider(monkeypatch: pytest.MonkeyPatch) -> None:
    widgets = pytest.importorskip("ipywidgets", reason="ipywidgets is not installed")
    monkeypatch.setattr(steps_module, "_in_notebook", lambda: True)
    view = step_through(shared_leaf_example()["L"])
    assert isinstance(view, widgets.VBox)
    saved, controls, caption, frame = view.children
    # Shown only while JupyterLab marks a saved view disconnected (checked in Chromium by test_tasks_lessons).
    assert SAVED_VIEW_CLASS in view._dom_classes and "run this cell to use the play button" in saved.value
    slider = controls.children[1]
    assert (slider.min, slider.max, slider.value) == (1, 4, 1)  # numbered as the caption counts
    assert "step 1 of 4" in caption.value
    assert "<svg" in frame.value or "<pre>" in frame.value
    slider.value = 4
    assert "step 4 of 4" in caption.value


def test_step_through_without_ipywidgets_displays_every_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    display_module = pytest.importorskip("IPython.display", reason="IPython is not installed")
    shown: list[object] = []
    monkeypatch.setattr(steps_module, "_in_notebook", lambda: True)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    monkeypatch.setattr(display_module, "display", shown.append)
    assert step_through(shared_leaf_example()["L"]) is None
    assert len(shown) == 4 and all("digraph" in d.source for d in shown)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- names, captions, reprs, memory


def test_step_is_kept_as_an_alias_of_backward_frame() -> None:
    assert engine.Step is engine.BackwardFrame
    frame = next(iter(backward_steps(shared_leaf_example()["L"])))
    assert isinstance(frame, engine.Step) and isinstance(frame, engine.BackwardFrame)


def test_captions_use_the_drawings_symbols_and_the_users_labels_in_100_chars() -> None:
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    L = (a * b + 1).tanh()
    lines = str(engine.step_through(L)).splitlines()
    assert len(lines) == 3 and all(line.startswith(f"step {k} of 3: ") for k, line in enumerate(lines, 1))
    assert "[+ 1] += 1×" in lines[0]  # the tanh passes to the `+ 1` node, named as the drawing shows it
    assert "[*] += " in lines[1] and "a += " in lines[2] and "b += " in lines[2]
    assert not any(word in text for text in lines for word in ("add_const", "mul", "operand"))
    x = [Value(float(i), f"x{i + 1}") for i in range(16)]
    w = [Value(0.5, f"w{i + 1}") for i in range(16)]
    out = engine.dot(w, x, Value(0.1, "b")).relu()
    out.label = "out"
    captions = [frame.describe() for frame in backward_steps(out)]
    assert all(len(c) <= 100 for c in captions), [len(c) for c in captions]
    assert "w1 += " in captions[1] and captions[1].endswith("more")  # the operand list is cut, and says so
    assert captions[0].startswith("step 1 of 2: out = relu(")


def test_a_step_through_says_what_it_is_and_how_to_view_it() -> None:
    L = shared_leaf_example()["L"]
    frames = engine.step_through(L)
    text = repr(frames)
    assert text.startswith(f"<BackwardFrames: {len(frames)} backward steps from L;")
    assert "print()" in text and ".draw()" in text and "save_html" in text
    assert repr(frames[0]).startswith("<BackwardFrame step 1 of ")
    assert "0x" not in repr(frames[0])
    assert repr(engine.step_through(Value(1.0))) == "<BackwardFrames: none (a leaf has no backward steps)>"


def test_stepping_memory_grows_linearly_with_the_graph() -> None:
    def peak(n: int) -> int:
        x = Value(0.5, "x")
        v = x
        for _ in range(n):
            v = v * 1.0001 + x  # every node stays reached, and x is used n times
        tracemalloc.start()
        frames = list(backward_steps(v))
        assert frames[-1].grads[x] != 0.0
        size = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return size

    small, large = peak(1000), peak(4000)
    assert large < 6 * small, (small, large)  # 4x the graph: about 4x the memory (it was 16x: a dict per frame)
