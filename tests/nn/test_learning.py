"""Learning shown, not assumed, on held-out data: a tiny CNN separates bars, an LSTM counts, an RNN continues sines."""

from __future__ import annotations

import random

import pytest

import engine
import nn
from nn import functional as F
from nn.cli import runs
from nn.data.images import make_bars
from nn.data.sequences import make_counting, make_sine_sequences
from nn.optim import Adam
from nn.recurrent import RNNClassifier
from nn.training import accuracy


def train(model, X, y, steps: int, lr: float, batch_size: int = 16, seed: int = 0, loss_fn=F.cross_entropy):
    """Plain minibatch training with Adam (cross-entropy unless told); returns the loss per step."""
    opt = Adam(model.parameters(), lr=lr)
    rng = random.Random(seed)
    order: list[int] = []
    losses = []
    for _ in range(steps):
        if len(order) < batch_size:
            order = list(range(len(X)))
            rng.shuffle(order)
        batch, order = order[:batch_size], order[batch_size:]
        loss = loss_fn([model(X[i]) for i in batch], [y[i] for i in batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.data)
    return losses


def held_out_accuracy(model, X, y) -> float:
    with engine.no_grad():
        hits = 0
        for x, label in zip(X, y):
            scores = [s.data for s in model(x)]
            hits += max(range(len(scores)), key=scores.__getitem__) == label
    return hits / len(X)


def test_small_cnn_separates_bars_on_held_out_images():
    X, y = make_bars(200, seed=0)
    X_test, y_test = make_bars(100, seed=1)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, seed=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Layer(36, 2, activation=None, seed=0)
    )
    before = held_out_accuracy(model, X_test, y_test)
    # 4 filters at lr 0.02 reach 100% for every seed tried; 2 filters at lr 0.05 only for some.
    losses = train(model, X, y, steps=150, lr=0.02)
    accuracy = held_out_accuracy(model, X_test, y_test)
    assert accuracy > 0.95, f"held-out accuracy {accuracy:.2f} (was {before:.2f} untrained)"
    assert sum(losses[-10:]) < 0.5 * sum(losses[:10])


def test_lstm_learns_to_count_ones_on_held_out_sequences():
    X, y = make_counting(200, length=4, seed=0)
    X_test, y_test = make_counting(100, length=4, seed=1)
    model = RNNClassifier(1, 4, output_size=5, cell="lstm", seed=0)
    before = held_out_accuracy(model, X_test, y_test)
    losses = train(model, X, y, steps=200, lr=0.05)
    accuracy = held_out_accuracy(model, X_test, y_test)
    assert accuracy > 0.95, f"held-out accuracy {accuracy:.2f} (was {before:.2f} untrained)"
    assert sum(losses[-10:]) < 0.2 * sum(losses[:10])


def test_rnn_learns_to_continue_a_sine_wave():
    X, y = make_sine_sequences(200, length=8, seed=0)
    X_test, y_test = make_sine_sequences(100, length=8, seed=1)
    model = RNNClassifier(1, 6, output_size=1, cell="rnn", seed=0)  # a linear head on h: regression

    def test_mse() -> float:
        with engine.no_grad():
            return sum((model(x)[0].data - t) ** 2 for x, t in zip(X_test, y_test)) / len(X_test)

    repeat_last = sum((x[-1][0] - t) ** 2 for x, t in zip(X_test, y_test)) / len(X_test)
    train(model, X, y, steps=300, lr=0.03, loss_fn=lambda out, t: F.mse_loss([o[0] for o in out], t))
    mse = test_mse()
    assert mse < 0.01 and mse < 0.1 * repeat_last, (
        f"held-out MSE {mse:.4f}, repeating the last value gives {repeat_last:.4f}"
    )


# ---------------------------------------------------------------- the command line's defaults learn

# Held-out accuracy each data set's defaults must reach (`scalargrad train --data NAME`, no other flag); the
# issue asks 97% of digits. The others are far above chance (a third or less, 28% for the likeliest character).
DEFAULTS_LEARN = {
    "moons": 0.95, "circles": 0.95, "spirals": 0.9, "blobs": 0.95, "iris": 0.9, "bars": 0.95, "shapes": 0.9,
    "parity": 0.95, "counting": 0.95, "chars": 0.85, "digits": 0.97,
}


@pytest.mark.parametrize("name", sorted(DEFAULTS_LEARN))
def test_each_data_set_s_defaults_learn_on_held_out_data(name: str) -> None:
    if name in ("digits", "iris"):
        pytest.importorskip("sklearn", reason="the bundled data sets need scikit-learn")
    settings = runs.TrainSettings(data=name, progress=False).resolved()
    run = runs.train(settings)
    untrained = accuracy(runs.build(settings), *run.held_out)  # the same initial weights, before training
    held_out = accuracy(run.model, *run.held_out)
    assert held_out >= DEFAULTS_LEARN[name] > untrained, (
        f"{name} with {settings.model} defaults: {held_out:.1%} held out ({untrained:.1%} untrained)"
    )
