"""Lesson 5 exercises: one step of a scalar RNN, and how much the last state depends on the first (BPTT)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import engine
from engine import Value
from nn.lessons.feedback import Feedback, Mistake, check_function
from nn.recurrent import RNNCell


def _cell(w_ih: float, w_hh: float, b: float) -> RNNCell:
    cell = RNNCell(1, 1, seed=0)
    cell.weight_ih[0][0].data, cell.weight_hh[0][0].data = w_ih, w_hh
    assert cell.bias_ih is not None and cell.bias_hh is not None  # a cell has biases unless bias=False
    cell.bias_ih[0].data, cell.bias_hh[0].data = b, 0.0
    return cell


def _step(cell: RNNCell, x: float | Value, h: Value) -> Value:
    return cell([x], [h])[0]


RNN_CASES = [(1.0, 0.0, 0.5, -0.8, 0.1), (-0.5, 0.7, 0.5, -0.8, 0.1), (2.0, -0.3, -1.2, 1.5, 0.0)]


def check_rnn_step(rnn_step: Callable[[float, float, float, float, float], Any]) -> Feedback:
    """Exercise 5.1: `rnn_step(x, h, w_ih, w_hh, b)` = the next hidden state of a size-1 RNN, checked with RNNCell."""
    def linear(x: float, h: float, w_ih: float, w_hh: float, b: float) -> float:
        return w_ih * x + w_hh * h + b

    return check_function(
        "exercise 5.1 (one RNN step)", rnn_step, lambda x, h, *w: _step(_cell(*w), x, Value(h)).data, RNN_CASES,
        describe=lambda x, h, w_ih, w_hh, b: f"rnn_step(x={x}, h={h}, w_ih={w_ih}, w_hh={w_hh}, b={b})",
        mistakes=[
            Mistake(linear, "squash the weighted sum with tanh."),
            Mistake(lambda x, h, w_ih, w_hh, b: math.tanh(w_ih * x + b),
                    "the previous state h feeds in through w_hh: that term carries the memory."),
            Mistake(lambda *args: 1 / (1 + math.exp(-linear(*args))), "an Elman RNN uses tanh, not the sigmoid."),
        ],
        nudge="one RNN step: a weighted sum of the input and the previous state, squashed.",
        hint="h_next = tanh(w_ih·x + w_hh·h + b).",
    )


def check_last_state_gradient(gradient: Callable[[Sequence[float], float, float, float], Any]) -> Feedback:
    """Exercise 5.2: `gradient(xs, w_ih, w_hh, b)` = dh_T/dh_0 from h_0 = 0 over the inputs xs, from engine.grad."""
    def right(xs: Sequence[float], w_ih: float, w_hh: float, b: float) -> float:
        cell, h0 = _cell(w_ih, w_hh, b), Value(0.0)
        h = h0
        for x in xs:
            h = _step(cell, x, h)
        return engine.grad(h, [h0])[0].data

    def states(xs: Sequence[float], w_ih: float, w_hh: float, b: float) -> list[float]:
        h, out = 0.0, []
        for x in xs:
            h = math.tanh(w_ih * x + w_hh * h + b)
            out.append(h)
        return out

    def summed(xs: Sequence[float], w_ih: float, w_hh: float, b: float) -> float:
        return sum((1 - h * h) * w_hh for h in states(xs, w_ih, w_hh, b))

    cases = [([1.0, -0.5, 2.0], 0.5, 0.9, 0.1), ([0.3, 0.3, 0.3, 0.3, 0.3], -1.0, 1.2, 0.0)]
    return check_function(
        "exercise 5.2 (dh_T/dh_0)", gradient, right, cases,
        describe=lambda xs, w_ih, w_hh, b: f"gradient({xs}, w_ih={w_ih}, w_hh={w_hh}, b={b})",
        mistakes=[
            Mistake(lambda xs, w_ih, w_hh, b: w_hh ** len(xs),
                    "each step also multiplies by tanh's slope at that step, 1 - h_t².",
                    "multiply (1 - h_t²)·w_hh over the steps."),
            Mistake(summed, "the chain rule *multiplies* the factors of consecutive steps; it does not add them."),
        ],
        nudge="backpropagation through time: the chain rule across the steps, one factor dh_t/dh_(t-1) per step.",
        hint="run the forward pass to get h_1..h_T; dh_t/dh_(t-1) = (1 - h_t²)·w_hh; multiply these T factors.",
    )
