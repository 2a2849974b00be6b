"""One training step of a tiny CNN and of a tiny LSTM, built from scalargrad's nn layers.

These have no micrograd or float-loop counterpart; they show how long a step of the convolution and
recurrent layers takes and how many graph nodes it builds, so the time per node can be compared with
the MLP's.
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
    """A training step (`trainer`), what it trains (`title`) and how many interior nodes one step builds."""

    title: str
    trainer: Trainer
    nodes: int


def _nn() -> Any:
    nn = require("nn")
    for name in ("Conv2d", "MaxPool2d", "Flatten", "ReLU", "Sequential", "Layer", "RNN", "optim", "functional"):
        if not hasattr(nn, name):
            raise Unavailable(f"nn.{name} does not exist yet")
    return nn


def _training_step(params: list[Any], build_loss: Callable[[], Any]) -> tuple[Trainer, int]:
    """An SGD step on `params` for the loss `build_loss()` makes, and the node count of one step's graph."""
    from engine import backward_order

    opt = _nn().optim.SGD(params, lr=LR)

    def step(k: int) -> float:
        loss = build_loss()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss.data)

    return step, len(backward_order(build_loss()))


def cnn_step(seed: int = 0) -> LayerStep:
    """Conv2d(1, 4, 3) -> relu -> 2x2 max pool -> Layer(36, 3), cross-entropy on a batch of four 8x8 images."""
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
    trainer, nodes = _training_step(
        model.parameters(), lambda: nn.functional.cross_entropy([model(image) for image in images], targets)
    )
    return LayerStep("CNN: Conv2d(1,4,3), pool, Layer(36,3); 4 images 8x8", trainer, nodes)


def lstm_step(seed: int = 0) -> LayerStep:
    """An LSTM (4 inputs, 8 hidden) over 4 sequences of 8 steps, then Layer(8, 1), mean squared error."""
    nn = _nn()
    rng = random.Random(seed)
    rnn = nn.RNN(4, 8, cell="lstm", rng=rng)
    head = nn.Layer(8, 1, activation=None, rng=rng)
    sequences = [[[rng.uniform(-1.0, 1.0) for _ in range(4)] for _ in range(8)] for _ in range(4)]
    targets = [[rng.uniform(-1.0, 1.0)] for _ in sequences]

    def build_loss() -> Any:
        predictions = [head(rnn(xs)[0][-1]) for xs in sequences]
        return nn.functional.mse_loss(predictions, targets)

    trainer, nodes = _training_step(rnn.parameters() + head.parameters(), build_loss)
    return LayerStep("LSTM: 4 in, 8 hidden, 8 steps, Layer(8,1); 4 sequences", trainer, nodes)


LAYER_STEPS: dict[str, Callable[[], LayerStep]] = {"cnn": cnn_step, "lstm": lstm_step}
