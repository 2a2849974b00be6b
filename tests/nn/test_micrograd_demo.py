"""micrograd's demo: two moons (100 samples, noise 0.1), MLP(2, [16, 16, 1]), hinge loss + 1e-4 L2, 100 SGD steps
at lr 1.0 - 0.9*k/100. The shared training loop must reach 100% accuracy, and follow micrograd step by step."""

from __future__ import annotations

import pytest

from nn import MLP
from nn.cli.runs import DEMO_SEED
from nn.data import make_moons
from nn.training import accuracy, fit


def test_demo_reaches_full_accuracy() -> None:
    X, y = make_moons(n_samples=100, noise=0.1, seed=DEMO_SEED)
    model = MLP(2, [16, 16, 1], seed=DEMO_SEED)
    history = fit(model, X, y, loss="hinge", optimizer="sgd", lr=1.0, steps=100, l2=1e-4, progress=False)
    assert history.lr == pytest.approx([1.0 - 0.9 * k / 100 for k in range(100)], rel=1e-12)
    assert len(history.loss) == len(history.accuracy) == 100
    assert history.loss[-1] < 0.1 * history.loss[0]
    assert accuracy(model, X, y) == 1.0
    # Check the accuracy by hand too: the sign of the score is the class.
    assert all((float(model(x)) > 0) == (label == 1) for x, label in zip(X, y))


def test_fit_follows_micrograd_step_by_step() -> None:
    engine = pytest.importorskip("micrograd.engine", reason="micrograd (the `bench` extra) is the oracle here")
    micrograd_nn = pytest.importorskip("micrograd.nn")
    X, y = make_moons(n_samples=24, noise=0.1, seed=DEMO_SEED)
    ours = MLP(2, [16, 16, 1], seed=DEMO_SEED)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    for mine, other in zip(ours.parameters(), theirs.parameters(), strict=True):
        other.data = mine.data

    steps = 4
    expected_loss, expected_accuracy = [], []
    signs = [2 * label - 1 for label in y]
    for k in range(steps):  # micrograd's demo.ipynb loop, verbatim apart from names
        scores = [theirs([engine.Value(c) for c in row]) for row in X]
        losses = [(1 + -t * s).relu() for t, s in zip(signs, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in theirs.parameters())
        total = data_loss + reg_loss
        expected_accuracy.append(sum((t > 0) == (s.data > 0) for t, s in zip(signs, scores)) / len(X))
        theirs.zero_grad()
        total.backward()
        for p in theirs.parameters():
            p.data -= (1.0 - 0.9 * k / steps) * p.grad
        expected_loss.append(total.data)

    history = fit(ours, X, y, steps=steps, progress=False)
    assert history.loss == pytest.approx(expected_loss, rel=1e-12)
    assert history.accuracy == expected_accuracy
    final = [p.data for p in theirs.parameters()]
    assert [p.data for p in ours.parameters()] == pytest.approx(final, rel=1e-9, abs=1e-12)
