"""What lesson cells used to assert as plumbing, checked here instead: lesson 01's step-through player has one
slider position per backward step of micrograd's neuron. (Lesson 09's "the replay is faster" is a speed claim:
benchmarks/ measures it, no unit test times it.)"""

from __future__ import annotations

import pytest

import engine
from engine import Value
from engine.draw import steps as steps_module


def test_lesson_01_player_has_one_slider_position_per_step(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ipywidgets", reason="ipywidgets is not installed")
    monkeypatch.setattr(steps_module, "_in_notebook", lambda: True)
    x1, x2, w1, w2, b = Value(2.0), Value(0.0), Value(-3.0), Value(1.0), Value(6.8813735870195432)
    a = (x1 * w1 + x2 * w2 + b).tanh()
    player = engine.step_through(a)
    sliders, stack = [], [player]
    while stack:
        widget = stack.pop()
        sliders += [widget] if type(widget).__name__ == "IntSlider" else []
        stack.extend(getattr(widget, "children", ()))
    (slider,) = sliders
    assert slider.max - slider.min + 1 == len(list(engine.backward_steps(a))) == 5
    assert all(v.grad == 0.0 for v in (a, x1, x2, w1, w2, b))
