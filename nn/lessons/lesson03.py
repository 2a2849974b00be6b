"""Lesson 3 exercises: forward propagation by hand, one gradient-descent step, counting an MLP's parameters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from engine import Value
from nn.layers import MLP
from nn.lessons.feedback import Feedback, Mistake, check_function, is_stub, not_attempted

# Exercise 3.1: a 2-2-1 network (relu hidden layer, linear output); row k of a weight matrix is neuron k's weights.
W1 = [[0.5, -1.0], [1.5, 0.25]]
B1 = [0.1, -0.5]
W2 = [[1.0, -2.0]]
B2 = [0.3]


def _network() -> MLP:
    model = MLP(2, [2, 1], seed=0)
    for layer, weights, biases in zip(model.layers, (W1, W2), (B1, B2)):
        for neuron, row, bias in zip(layer.neurons, weights, biases):
            for w, value in zip(neuron.w, row):
                w.data = value
            neuron.b.data = bias
    return model


def _layer(W: Sequence[Sequence[float]], b: Sequence[float], x: Sequence[float]) -> list[float]:
    return [sum(w * xi for w, xi in zip(row, x)) + bk for row, bk in zip(W, b)]


def _relu(zs: list[float]) -> list[float]:
    return [max(0.0, z) for z in zs]


def check_forward(forward: Callable[[Sequence[float]], Any]) -> Feedback:
    """Exercise 3.1: `forward(x)` returns (hidden activations, output) of the W1, B1, W2, B2 network, plain floats."""
    model = _network()

    def right(x: Sequence[float]) -> tuple[list[float], list[float]]:
        hidden = model.layers[0](list(x))
        hidden = hidden if isinstance(hidden, list) else [hidden]
        out = model.layers[1]([h.data for h in hidden])
        return [h.data for h in hidden], [(out if isinstance(out, Value) else out[0]).data]

    def transposed(x: Sequence[float]) -> tuple[list[float], list[float]]:
        hidden = _relu(_layer([list(c) for c in zip(*W1)], B1, x))
        return hidden, _layer(W2, B2, hidden)

    return check_function(
        "exercise 3.1 (forward propagation)", forward, right, [([1.0, 2.0],), ([-1.0, 0.5],), ([2.0, -3.0],)],
        describe=lambda x: f"forward({x})",
        mistakes=[
            Mistake(lambda x: (h := _layer(W1, B1, x), _layer(W2, B2, h)),
                    "the hidden layer applies relu to each weighted sum.", "h_k = max(0, z_k)."),
            Mistake(lambda x: (h := _relu(_layer(W1, B1, x)), _relu(_layer(W2, B2, h))),
                    "the output layer is linear (a raw score).", "no relu on the last layer."),
            Mistake(transposed, "neuron k uses row k of W1, not column k.",
                    "z_k = W1[k][0]·x0 + W1[k][1]·x1 + B1[k]."),
        ],
        nudge="forward propagation goes layer by layer: a weighted sum per neuron, then the activation.",
        hint="layer by layer: z = W·x + b (one row of W per neuron), h = relu(z), then output = W2·h + b2.",
        what="the two layers' computations",
    )


def check_sgd_step(sgd_step: Callable[[list[Value], float], Any]) -> Feedback:
    """Exercise 3.2: `sgd_step(params, lr)` moves every parameter's .data against its .grad, in place."""
    if is_stub(sgd_step):
        return not_attempted("exercise 3.2 (a gradient-descent step)", "your code")
    def after_step(step: Callable[[list[Value], float], Any], data: list[float], grads: list[float],
                   lr: float) -> Any:
        params = [Value(d) for d in data]
        for p, g in zip(params, grads):
            p.grad = g
        returned = step(params, lr)
        return ... if returned is ... else [p.data for p in params]

    cases = [([0.5, -1.0, 2.0], [0.1, -0.4, 0.0], 0.1), ([1.0], [2.0], 0.5)]
    return check_function(
        "exercise 3.2 (a gradient-descent step)", lambda d, g, lr: after_step(sgd_step, d, g, lr),
        lambda d, g, lr: [x - lr * dx for x, dx in zip(d, g)], cases,
        describe=lambda d, g, lr: f"the parameters {d} with grads {g} after sgd_step(lr={lr})",
        mistakes=[
            Mistake(lambda d, g, lr: [x + lr * dx for x, dx in zip(d, g)],
                    "that climbs the loss: step *against* the gradient.", "p.data -= lr * p.grad."),
            Mistake(lambda d, g, lr: [x - dx for x, dx in zip(d, g)], "scale each step by the learning rate lr.",
                    "p.data -= lr * p.grad."),
            Mistake(lambda d, g, lr: list(d), "nothing changed: each parameter must be updated in place.",
                    "p.data -= ...; `p = p - ...` makes a new Value and leaves the parameter as it was."),
        ],
        nudge="gradient descent moves every parameter a small step against its gradient.",
        hint="for every p in params: p.data -= lr * p.grad (w := w - α ∂L/∂w).",
    )


def check_num_parameters(num_parameters: Callable[[int, Sequence[int]], Any]) -> Feedback:
    """Exercise 3.3: `num_parameters(nin, sizes)` for MLP(nin, sizes), checked against the model itself."""
    def weights_only(nin: int, sizes: Sequence[int]) -> int:
        ins = [nin, *sizes[:-1]]
        return sum(i * o for i, o in zip(ins, sizes))

    return check_function(
        "exercise 3.3 (counting parameters)", num_parameters,
        lambda nin, sizes: MLP(nin, list(sizes), seed=0).num_parameters(),
        [(2, [16, 16, 1]), (3, [4, 2]), (5, [1])],
        describe=lambda nin, sizes: f"num_parameters({nin}, {sizes})",
        mistakes=[
            Mistake(weights_only, "you counted the weights; every neuron also has a bias.",
                    "add one bias per neuron: nout per layer."),
            Mistake(lambda nin, sizes: sum(sizes), "that counts neurons; each has one weight per input, plus a bias.",
                    "a layer has nout·nin weights and nout biases."),
        ],
        nudge="count layer by layer: every neuron has a weight per input and a bias.",
        hint="a layer with nin inputs and nout neurons has nout·nin weights and nout biases; the next layer's nin "
             "is this layer's nout.",
    )
