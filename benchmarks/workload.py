"""The benchmark workload, shared by every implementation: two moons, one set of initial weights, one loss.

micrograd's demo setting: 100 points of two moons (noise 0.1), an MLP 2-16-16-1 (relu hidden, linear out),
the hinge loss mean(relu(1 - y * score)) plus 1e-4 * sum of squared parameters, full-batch SGD with the
learning rate 1.0 - 0.9 * k / steps. Every implementation starts from `Workload.weights`, so their losses
must agree to rounding, which is what shows the workloads are the same.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from nn.data import make_moons

SIZES = (2, 16, 16, 1)
ALPHA = 1e-4  # weight of the L2 penalty
N_SAMPLES = 100
NOISE = 0.1

# One neuron's initial (weights, bias); a layer is a list of neurons, the network a list of layers.
NeuronInit = tuple[list[float], float]
Weights = list[list[NeuronInit]]
# One training step: takes the step index k, updates the model, returns the loss before the update.
Trainer = Callable[[int], float]


@dataclass(frozen=True)
class Workload:
    """The data (`xs` rows of two floats, `ys` labels -1.0 or +1.0), the initial weights and the step count;
    with `keep_graph` each step's graph stays alive until the next step's loss replaces it, as in a user's loop."""

    xs: list[list[float]]
    ys: list[float]
    weights: Weights
    steps: int
    keep_graph: bool = False


def make_workload(steps: int, seed: int = 0, n_samples: int = N_SAMPLES, keep_graph: bool = False) -> Workload:
    """The two-moons data and micrograd-style initial weights (U(-1, 1), bias 0), all from `seed`."""
    xs, labels = make_moons(n_samples, NOISE, seed=seed)
    rng = random.Random(seed)
    weights = [
        [([rng.uniform(-1.0, 1.0) for _ in range(nin)], 0.0) for _ in range(nout)]
        for nin, nout in zip(SIZES, SIZES[1:])
    ]
    return Workload(xs=xs, ys=[2.0 * c - 1.0 for c in labels], weights=weights, steps=steps, keep_graph=keep_graph)


def learning_rate(k: int, steps: int) -> float:
    """The SGD step size at step k of `steps` (micrograd's demo schedule)."""
    return 1.0 - 0.9 * k / steps


def load_weights(model: Any, weights: Weights) -> None:
    """Copy `weights` into a model shaped as micrograd's MLP: `.layers[l].neurons[j]` with Values `.w` and `.b`."""
    for layer, inits in zip(model.layers, weights, strict=True):
        for neuron, (w, b) in zip(layer.neurons, inits, strict=True):
            for p, v in zip(neuron.w, w, strict=True):
                p.data = v
            neuron.b.data = b


def hinge_total(scores: Sequence[Any], ys: Sequence[float], params: Sequence[Any]) -> Any:
    """micrograd's demo loss, written with binary ops only, for any scalar type (Values or 0-dim tensors)."""
    losses = [(1 + -y * s).relu() for y, s in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    return data_loss + ALPHA * sum(p * p for p in params)


def graph_trainer(
    work: Workload,
    model: Callable[[Any], Any],
    params: Sequence[Any],
    make_input: Callable[[float], Any],
    zero_grad: Callable[[], None],
    loss: Callable[[Sequence[Any], Sequence[float], Sequence[Any]], Any] = hinge_total,
) -> Trainer:
    """A step of an autograd implementation: build the graph from fresh inputs, zero grads, backward, SGD update."""
    kept: list[Any] = [None]  # the previous step's loss, held (with its graph) as `loss = ...` in a user's loop

    def step(k: int) -> float:
        inputs = [[make_input(a), make_input(b)] for a, b in work.xs]
        total = loss([model(x) for x in inputs], work.ys, params)
        zero_grad()
        total.backward()
        sgd_update(params, learning_rate(k, work.steps))
        if work.keep_graph:
            kept[0] = total
        return float(total.data)

    return step


def sgd_update(params: Sequence[Any], lr: float) -> None:
    for p in params:
        p.data -= lr * p.grad


def compiled_trainer(work: Workload, f: Callable[..., Any], params: Sequence[Any], *args: Any) -> Trainer:
    """A step of `engine.compile(f, params)` called on `args`: zero grads, compiled forward and backward, SGD update.
    The trace is made here, before any timing (its gradients are discarded; no parameter changes)."""
    import engine

    g = engine.compile(f, params)
    g(*args)

    def step(k: int) -> float:
        engine.zero_grad(params)
        loss = g(*args)
        sgd_update(params, learning_rate(k, work.steps))
        return loss

    return step
