"""Code in micrograd's style gets scalargrad's tools as it is: the Values engine.micrograd and nn.micrograd make are
drawn, stepped through on a page, differentiated again, gradient-checked and compiled."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from browser import Browser

import engine
import nn
from engine import backward_steps, draw_dot, gradcheck, save_html
from engine.draw.dot import format_number
from engine.draw.render import available_renderer
from engine.micrograd import Value
from nn.micrograd import MLP


def lecture_graph() -> tuple[Value, dict[str, Value]]:
    """The lecture's first graph, labelled as it labels it: L = (a * b + c) * f."""
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    return L, {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "L": L}


def small_model() -> tuple[MLP, Value]:
    random.seed(11)
    model = MLP(2, [3, 1])
    return model, model([0.5, -1.0])


def test_draw_dot_names_a_models_parameters_and_shows_the_lectures_labels() -> None:
    model, out = small_model()
    source = draw_dot(out, names=model).source
    assert all(name in source for name, _ in model.named_parameters())  # layers.0.neurons.2.w.1, ...
    L, v = lecture_graph()
    L.backward()
    source = draw_dot(L).source
    assert all(name in source for name in v) and format_number(v["a"].grad) in source


def test_backward_steps_end_at_backwards_gradients() -> None:
    model, out = small_model()
    frames = list(backward_steps(out))
    assert frames and all(p.grad == 0.0 for p in model.parameters())  # stepping touches no .grad
    out.backward()
    assert [frames[-1].grads.get(p, 0.0) for p in model.parameters()] == [p.grad for p in model.parameters()]


@pytest.mark.skipif(available_renderer() is None, reason="no Graphviz renderer: `apt install graphviz`")
def test_the_step_through_page_ends_at_the_lectures_gradients(chromium: Browser, tmp_path: Path) -> None:
    L, v = lecture_graph()
    chromium.open(save_html(L, tmp_path / "lecture.html"))
    total = int(chromium.evaluate("document.getElementById('counter').textContent").split(" / ")[1])
    for _ in range(total - 1):
        chromium.press("ArrowRight", 39)
    shown = chromium.evaluate(
        "(function(){var out={};var rows=document.querySelectorAll('#values tbody tr');"
        "for(var i=0;i<rows.length;i++){out[rows[i].cells[0].textContent]=rows[i].querySelector('.grad').textContent;}"
        "return out;})()"
    )
    L.backward()
    assert shown == {name: format_number(x.grad) for name, x in v.items()}
    assert shown["a"] == "6" and shown["f"] == "4"  # the lecture's numbers: dL/da = -2 * -3, dL/df = d = 4
    assert chromium.console_errors == [] and chromium.external_requests() == []


def micrograd_style(x: Any, y: Any) -> Any:
    """An expression in micrograd's API: every op micrograd 0.1.0 has."""
    z = (x * y + 2.0 - x / 3.0) ** 2
    return z.relu() + (1.0 - y) ** -1 + (-x) * 0.5


def test_engine_grad_and_gradcheck_on_micrograd_style_code() -> None:
    x, y = Value(0.7), Value(-1.3)
    out = micrograd_style(x, y)
    dx, dy = engine.grad(out, [x, y], create_graph=True)
    out.backward()
    assert (dx.data, dy.data) == (x.grad, y.grad)
    assert gradcheck(micrograd_style, [0.7, -1.3])
    # and a second derivative, checked against central differences of the first
    assert gradcheck(lambda a, b: engine.grad(micrograd_style(a, b), [a], create_graph=True)[0], [0.7, -1.3])


def test_engine_compile_replays_a_micrograd_style_training_step_bit_for_bit() -> None:
    rows = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]]
    labels = [1, -1, 1]

    def loss(xs: Any, ys: Any) -> Any:
        scores = [model(x) for x in xs]
        losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
        return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())

    trajectories = []
    for compiled in (False, True):
        random.seed(2)
        model = MLP(2, [8, 1])
        step = engine.compile(loss, model.parameters()) if compiled else lambda xs, ys: _graph_step(loss, xs, ys)
        losses = []
        for k in range(5):
            model.zero_grad()
            losses.append(step(rows, labels))
            for p in model.parameters():
                p.data -= (1.0 - 0.9 * k / 100) * p.grad
        trajectories.append((losses, [p.data for p in model.parameters()]))
    assert trajectories[0] == trajectories[1]


def _graph_step(loss: Any, xs: Any, ys: Any) -> float:
    out = loss(xs, ys)
    out.backward()
    return float(out.data)


def test_the_training_page_records_a_micrograd_style_loop(tmp_path: Path) -> None:
    model, _ = small_model()
    X = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]]
    recorder = nn.Recorder(X, [1, 0, 1], live=False)
    total = sum((1 + -yi * model(x)).relu() for yi, x in zip([1, -1, 1], X))
    model.zero_grad()
    total.backward()
    recorder.record(0, model, loss=total.data, force=True)
    first = recorder.frames[0].layers[0]
    assert recorder.network.sizes == [2, 3, 1]
    assert first.weight == [[w.data for w in n.w] for n in model.layers[0].neurons]
    assert first.bias_grad == [n.b.grad for n in model.layers[0].neurons]
    recorder.save_html(tmp_path / "training.html")
    assert (tmp_path / "training.html").stat().st_size > 0
