"""One training step of a tiny CNN and of a tiny LSTM, built from scalargrad's nn layers, on the graph and compiled.

These have no micrograd or float-loop counterpart; they show how long a step of the convolution and
recurrent layers takes and how many graph nodes it builds, so the time per node can be compared with
the MLP's, and how much faster `engine.compile` replays the same step.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.trainers import Unavailable, require
from benchmarks.workload import Trainer

LR = 0.05


@dataclass(frozen=True)
class LayerStep:
    """A training step on the graph (`trainer`) and compiled (`compiled`, its own copy of the model), what it
    trains (`title`) and how many interior nodes one step builds."""

    title: str
    trainer: Trainer
    compiled: Trainer
    nodes: int


def _nn() -> Any:
    nn = require("nn")
    for name in ("Conv2d", "MaxPool2d", "Flatten", "ReLU", "Sequential", "Layer", "RNN", "optim", "functional"):
        if not hasattr(nn, name):
            raise Unavailable(f"nn.{name} does not exist yet")
    return nn


def _training_step(params: list[Any], build_loss: Callable[[], Any], compiled: bool = False) -> Trainer:
    """An SGD step on `params` for the loss `build_loss()` makes; `compiled`: through engine.compile (traced here,
    before any timing, its gradients zeroed by the first step)."""
    import engine

    opt = _nn().optim.SGD(params, lr=LR)
    kept: list[Any] = [None]  # the previous loss stays alive until the next replaces it, as in a user's loop

    def step(k: int) -> float:
        loss = build_loss()
        opt.zero_grad()
        loss.backward()
        opt.step()
        kept[0] = loss
        return float(loss.data)

    if not compiled:
        return step
    g = engine.compile(build_loss, params)
    g()

    def compiled_step(k: int) -> float:
        opt.zero_grad()
        loss = g()
        opt.step()
        return loss

    return compiled_step


def _layer_step(title: str, make: Callable[[], tuple[list[Any], Callable[[], Any]]]) -> LayerStep:
    """Both trainers of the model and loss `make()` builds (called twice: one copy each), and the node count."""
    from engine import backward_order

    params, build_loss = make()
    nodes = len(backward_order(build_loss()))
    return LayerStep(title, _training_step(params, build_loss), _training_step(*make(), compiled=True), nodes)


def cnn_step(seed: int = 0) -> LayerStep:
    """Conv2d(1, 4, 3) -> relu -> 2x2 max pool -> Layer(36, 3), cross-entropy on a batch of four 8x8 images."""
    return _layer_step("CNN: Conv2d(1,4,3), pool, Layer(36,3); 4 images 8x8", lambda: _cnn(seed))


def _cnn(seed: int) -> tuple[list[Any], Callable[[], Any]]:
    nn = _nn()
    rng = random.Random(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, rng=rng),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Layer(36, 3, activation=None, rng=rng),
    )
    images = [[[[rng.uniform(-1.0, 1.0) for _ in range(8)] for _ in range(8)]] for _ in range(4)]
    targets = [rng.randrange(3) for _ in images]
    return model.parameters(), lambda: nn.functional.cross_entropy([model(image) for image in images], targets)


def lstm_step(seed: int = 0) -> LayerStep:
    """An LSTM (4 inputs, 8 hidden) over 4 sequences of 8 steps, then Layer(8, 1), mean squared error."""
    return _layer_step("LSTM: 4 in, 8 hidden, 8 steps, Layer(8,1); 4 sequences", lambda: _lstm(seed))


def _lstm(seed: int) -> tuple[list[Any], Callable[[], Any]]:
    nn = _nn()
    rng = random.Random(seed)
    rnn = nn.RNN(4, 8, cell="lstm", rng=rng)
    head = nn.Layer(8, 1, activation=None, rng=rng)
    sequences = [[[rng.uniform(-1.0, 1.0) for _ in range(4)] for _ in range(8)] for _ in range(4)]
    targets = [[rng.uniform(-1.0, 1.0)] for _ in sequences]

    def build_loss() -> Any:
        predictions = [head(rnn(xs)[0][-1]) for xs in sequences]
        return nn.functional.mse_loss(predictions, targets)

    return rnn.parameters() + head.parameters(), build_loss


LAYER_STEPS: dict[str, Callable[[], LayerStep]] = {"cnn": cnn_step, "lstm": lstm_step}
