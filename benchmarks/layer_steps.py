"""Minibatch training steps of the command line's CNN on digits and LSTM on chars, on the graph and compiled.

These have no micrograd or float-loop counterpart; they show how long a step of the convolution and
recurrent layers takes and how many graph nodes it builds, so the time per node can be compared with
the MLP's, and how much faster `engine.compile` replays the same step. Each step takes the next batch of 32
samples (labels as one-hot float targets, as `nn.fit` passes them), so a replay sees new data every call;
the trace is made before timing, and its cost (seconds, lines of generated Python) is reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.trainers import Unavailable, require
from benchmarks.workload import Trainer

LR = 0.01
BATCH = 32


@dataclass(frozen=True)
class LayerStep:
    """A training step on the graph (`trainer`) and compiled (`compiled`, its own copy of the model), what it
    trains (`title`), how many interior nodes one step builds, and what its trace cost: seconds and source lines."""

    title: str
    trainer: Trainer
    compiled: Trainer
    nodes: int
    trace_seconds: float
    trace_lines: int


def _runs() -> Any:
    try:
        from nn.cli import runs
    except ImportError as exc:
        raise Unavailable(f"nn.cli.runs is not importable: {exc}") from None
    return runs


def _one_hot(labels: list[int], classes: int) -> list[list[float]]:
    return [[1.0 if k == label else 0.0 for k in range(classes)] for label in labels]


def _leaves(x: Any) -> Any:
    from engine import Value

    return [_leaves(item) for item in x] if isinstance(x, list) else Value(x)


def _layer_step(title: str, data: str, model: str) -> LayerStep:
    """Both trainers of the command line's default `model` for `data` (built twice: one copy each), SGD on
    cross-entropy over batches of BATCH samples, and the node count and trace cost of one step."""
    import engine

    nn = require("nn")
    runs = _runs()
    settings = runs.TrainSettings(data=data, model=model, progress=False).resolved()
    X, y = runs.make_data(settings.data, settings.n_samples, settings.noise, settings.seed)
    classes = runs.DATASETS[data].n_classes
    batches = [(X[i : i + BATCH], _one_hot(y[i : i + BATCH], classes)) for i in range(0, len(X) - BATCH + 1, BATCH)]

    def make() -> tuple[list[Any], Callable[[Any, Any], Any]]:
        network = runs.build(settings)
        return network.parameters(), lambda xs, ts: nn.functional.cross_entropy([network(x) for x in xs], ts)

    params, loss_of = make()
    opt = nn.optim.SGD(params, lr=LR)
    kept: list[Any] = [None]  # the previous loss stays alive until the next replaces it, as in a user's loop

    def step(k: int) -> float:
        xs, ts = batches[k % len(batches)]
        loss = loss_of(xs, _leaves(ts))
        opt.zero_grad()
        loss.backward()
        opt.step()
        kept[0] = loss
        return float(loss.data)

    nodes = len(engine.backward_order(loss_of(batches[0][0], _leaves(batches[0][1]))))
    compiled_params, compiled_loss = make()
    compiled_opt = nn.optim.SGD(compiled_params, lr=LR)
    g = engine.compile(compiled_loss, compiled_params)
    started = time.process_time()
    g(*batches[0])  # the trace, before any timing
    trace_seconds = time.process_time() - started

    def compiled_step(k: int) -> float:
        compiled_opt.zero_grad()
        loss: float = g(*batches[k % len(batches)])
        compiled_opt.step()
        return loss

    return LayerStep(title, step, compiled_step, nodes, trace_seconds, g.source.count("\n"))


def cnn_step() -> LayerStep:
    """`train --data digits --model cnn`'s network on batches of 32 digits (needs scikit-learn)."""
    try:
        require("sklearn")
    except Unavailable as exc:
        raise Unavailable(f"the digits need scikit-learn: {exc}") from None
    return _layer_step("CNN: digits, Conv2d(1,4,3,pad 1), pool, MLP(64,[32,10]); batch 32", "digits", "cnn")


def lstm_step() -> LayerStep:
    """`train --data chars`'s LSTM on batches of 32 windows of 6 one-hot characters."""
    return _layer_step("LSTM: chars, 6 steps of 18 one-hot, 8 hidden, 17 classes; batch 32", "chars", "lstm")


LAYER_STEPS: dict[str, Callable[[], LayerStep]] = {"cnn": cnn_step, "lstm": lstm_step}
