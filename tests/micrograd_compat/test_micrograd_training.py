"""micrograd's demo-style training loop, written once against micrograd's API and run through micrograd and through
engine.micrograd + nn.micrograd: the same losses, accuracies and weights step for step (1e-12 relative)."""

from __future__ import annotations

import gc
import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest

from nn.data import make_moons

np = pytest.importorskip("numpy", reason="the demo's data are NumPy arrays")


def moons(n: int) -> tuple[Any, Any]:
    """Two moons as the demo has them: an (n, 2) float array and labels -1/1 in an int array."""
    X, y = make_moons(n_samples=n, noise=0.1, seed=3)
    return np.array(X), np.array(y) * 2 - 1


def train(api: SimpleNamespace, X: Any, y: Any, steps: int, batch_size: int | None = None) -> list[tuple[Any, ...]]:
    """The demo's loop: an MLP, the max-margin loss, L2, SGD at a decaying rate. Returns (loss, accuracy,
    weights) after each step."""
    random.seed(1337)
    model = api.MLP(2, [16, 16, 1])
    history = []
    for k in range(steps):
        if batch_size is None:
            Xb, yb = X, y
        else:
            ri = np.random.default_rng(k).permutation(X.shape[0])[:batch_size]
            Xb, yb = X[ri], y[ri]
        inputs = [list(map(api.Value, xrow)) for xrow in Xb]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        history.append((total_loss.data, sum(accuracy) / len(accuracy), [p.data for p in model.parameters()]))
    return history


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """micrograd's closures make a reference cycle per node, so its loop spends most of its time in the cyclic
    GC (README: Speed); paused, the oracle runs about ten times faster and computes the same numbers."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect()


@pytest.mark.parametrize("batch_size", [None, 16], ids=["full batch", "minibatch of 16"])
def test_the_demo_loop_follows_micrograd_step_for_step(
    micrograd_api: SimpleNamespace, our_api: SimpleNamespace, batch_size: int | None
) -> None:
    X, y = moons(30)
    with cyclic_gc_paused():
        ours = train(our_api, X, y, steps=15, batch_size=batch_size)
        theirs = train(micrograd_api, X, y, steps=15, batch_size=batch_size)
    for step, ((loss, acc, weights), (their_loss, their_acc, their_weights)) in enumerate(zip(ours, theirs)):
        assert math.isclose(loss, their_loss, rel_tol=1e-12), f"step {step}: loss {loss!r} vs {their_loss!r}"
        assert acc == their_acc, f"step {step}"
        # A weight that passes near 0 is compared to 1e-15 absolute: its gradient's last bits depend on the
        # order micrograd's sets happen to visit the graph in.
        assert weights == pytest.approx(their_weights, rel=1e-12, abs=1e-15), f"step {step}"
    assert ours[-1][0] < ours[0][0]  # and it learns
