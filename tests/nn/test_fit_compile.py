"""fit(compile=True): the same training run as without it, number for number, only faster."""

from __future__ import annotations

import random
from typing import Any

import pytest

import nn
from nn.data import make_moons
from nn.training import fit


def _run(make: Any, X: Any, y: Any, compile: bool, **options: Any) -> tuple[Any, list[float]]:
    model = make()
    history = fit(model, X, y, steps=4, progress=False, compile=compile, **options)
    return history, [p.data for p in model.parameters()]


@pytest.mark.parametrize(("loss", "optimizer"), [("hinge", "sgd"), ("mse", "sgd"), ("cross_entropy", "adam")])
def test_compiled_fit_is_the_same_run(loss: str, optimizer: str) -> None:
    X, y = make_moons(30, noise=0.1, seed=1)
    outputs = 2 if loss == "cross_entropy" else 1
    make = lambda: nn.MLP(2, [6, outputs], seed=3)  # noqa: E731
    plain, plain_weights = _run(make, X, y, False, loss=loss, optimizer=optimizer)
    compiled, compiled_weights = _run(make, X, y, True, loss=loss, optimizer=optimizer)
    assert compiled.loss == plain.loss
    assert compiled.accuracy == plain.accuracy
    assert compiled_weights == plain_weights


def test_compiled_fit_trains_a_cnn_the_same() -> None:
    rng = random.Random(0)
    X = [[[[rng.uniform(-1, 1) for _ in range(5)] for _ in range(5)]] for _ in range(6)]
    y = [i % 3 for i in range(6)]

    def make() -> Any:
        r = random.Random(1)
        return nn.Sequential(
            nn.Conv2d(1, 2, 3, rng=r), nn.ReLU(), nn.Flatten(), nn.Layer(18, 3, activation=None, rng=r)
        )

    plain, plain_weights = _run(make, X, y, False, loss="cross_entropy", optimizer="adam")
    compiled, compiled_weights = _run(make, X, y, True, loss="cross_entropy", optimizer="adam")
    assert (compiled.loss, compiled_weights) == (plain.loss, plain_weights)


def test_compiled_fit_refuses_what_a_trace_cannot_replay() -> None:
    X, y = make_moons(10, noise=0.1, seed=1)
    with pytest.raises(ValueError, match="compile=True needs full batches .* got loss='bce'"):
        fit(nn.MLP(2, [1], seed=0), X, y, loss="bce", compile=True, progress=False)
    with pytest.raises(ValueError, match="batch_size=4"):
        fit(nn.MLP(2, [1], seed=0), X, y, batch_size=4, compile=True, progress=False)
