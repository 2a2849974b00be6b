"""fit(compile=...): the same training run as without it, bit for bit (losses, weights, recorded gradients),
for minibatches and a last partial batch, every loss and optimiser, the CNN and every recurrent cell."""

from __future__ import annotations

import random
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from engine import Value
from engine.compile import MAX_TRACES
from nn.data import make_counting, make_moons
from nn.recurrent import RNNClassifier
from nn.training import LOSSES, OPTIMIZERS, fit


def bits(x: float) -> bytes:
    return struct.pack("<d", x)  # tells 0.0 from -0.0


class GradRecorder:
    """A Recorder stand-in keeping every parameter's .grad (as bits) at each recorded step."""

    X = None

    def __init__(self) -> None:
        self.grads: list[list[bytes]] = []

    def set_data(self, X: Any, y: Any) -> None:
        pass

    def record(self, step: int, model: Any, **info: Any) -> None:
        self.grads.append([bits(p.grad) for p in model.parameters()])


def run(make: Any, X: Any, y: Any, compile: Any, **options: Any) -> tuple[Any, ...]:
    """Everything a run leaves: losses, accuracies, lrs, final weights and each step's gradients, as bits."""
    model, recorder = make(), GradRecorder()
    history = fit(model, X, y, progress=False, compile=compile, recorder=recorder, **options)
    return (
        [bits(v) for v in history.loss], history.accuracy, history.lr,
        [bits(p.data) for p in model.parameters()], recorder.grads,
    )


def assert_same_run(make: Any, X: Any, y: Any, **options: Any) -> None:
    plain = run(make, X, y, False, **options)
    assert run(make, X, y, True, **options) == plain
    assert run(make, X, y, "auto", **options) == plain


def mlp(outputs: int) -> Any:
    return lambda: nn.MLP(2, [6, outputs], seed=3)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_minibatch_fit_is_the_same_run_for_every_loss_and_optimiser(loss: str, optimizer: str) -> None:
    X, y = make_moons(23, noise=0.1, seed=1)  # batches of 5: four, then a last batch of 3
    outputs = LOSSES[loss].outputs(2)
    assert_same_run(mlp(outputs), X, y, loss=loss, optimizer=optimizer, steps=7, batch_size=5, seed=4)


def test_mse_and_cross_entropy_with_three_classes() -> None:
    X, _ = make_moons(20, noise=0.1, seed=2)
    y = [i % 3 for i in range(20)]
    for loss in ("mse", "cross_entropy"):
        assert_same_run(mlp(3), X, y, loss=loss, optimizer="adam", steps=5, batch_size=6, seed=1)


def test_full_batch_fit_is_the_same_run() -> None:
    X, y = make_moons(30, noise=0.1, seed=1)
    assert_same_run(mlp(1), X, y, loss="hinge", steps=4)


def cnn() -> Any:
    r = random.Random(1)
    return nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1, rng=r), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Layer(8, 3, activation=None, rng=r),
    )


def test_a_cnn_with_minibatches_trains_the_same() -> None:
    rng = random.Random(0)
    X = [[[[rng.uniform(-1, 1) for _ in range(4)] for _ in range(4)]] for _ in range(11)]
    y = [i % 3 for i in range(11)]
    assert_same_run(cnn, X, y, loss="cross_entropy", optimizer="adam", steps=5, batch_size=4, seed=2)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_every_recurrent_cell_trains_the_same(cell: str) -> None:
    X, y = make_counting(13, length=3, seed=0)
    make = lambda: RNNClassifier(1, [3], 4, cell=cell, seed=1)  # noqa: E731
    assert_same_run(make, X, y, loss="cross_entropy", optimizer="adam", steps=5, batch_size=5, seed=0)


def test_sequences_of_several_lengths_train_the_same() -> None:
    rng = random.Random(5)
    X = [[[float(rng.random() < 0.5)] for _ in range(length)] for length in (2, 3, 4) for _ in range(4)]
    y = [sum(int(b[0]) for b in x) % 2 for x in X]
    make = lambda: RNNClassifier(1, [3], 2, cell="lstm", seed=1)  # noqa: E731
    # Shuffled batches of 4 mix the lengths: each is a new trace (at most MAX_TRACES), one function per length.
    assert_same_run(make, X, y, loss="cross_entropy", optimizer="adam", steps=6, batch_size=4, seed=0)


@settings(max_examples=12, deadline=None)
@given(
    n=st.integers(2, 12), batch=st.integers(1, 12), seed=st.integers(0, 2**16),
    loss=st.sampled_from(sorted(LOSSES)), optimizer=st.sampled_from(sorted(OPTIMIZERS)),
)
def test_drawn_batch_sizes_data_and_seeds(n: int, batch: int, seed: int, loss: str, optimizer: str) -> None:
    X, y = make_moons(n, noise=0.2, seed=seed)
    if len(set(y)) < 2:
        y = [i % 2 for i in range(n)]
    outputs = LOSSES[loss].outputs(2)
    make = lambda: nn.MLP(2, [4, outputs], seed=seed)  # noqa: E731
    assert_same_run(make, X, y, loss=loss, optimizer=optimizer, steps=4, batch_size=batch, seed=seed)


class Counting:
    """An MLP counting the samples it is called on: a replayed step calls it on none."""

    def __init__(self) -> None:
        self.model, self.calls = nn.MLP(2, [4, 1], seed=0), 0

    def __call__(self, x: Any) -> Any:
        self.calls += 1
        return self.model(x)

    def parameters(self) -> list[Value]:
        return self.model.parameters()


def test_auto_is_the_default_and_traces_once_per_batch_size(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = make_moons(10, noise=0.1, seed=1)
    model = Counting()
    fit(model, X, y, steps=6, batch_size=4, seed=0, progress=False)  # batches of 4, 4, 2, 4, 4, 2
    assert model.calls == 4 + 2  # one trace of a batch of 4, one of the last batch of 2
    assert capsys.readouterr().err == ""


def test_auto_says_once_in_one_line_why_it_does_not_compile(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = make_moons(6, noise=0.1, seed=1)
    samples = [_Sample(x) for x in X]
    make = lambda: nn.MLP(2, [4, 1], seed=0)  # noqa: E731
    with pytest.raises(TypeError, match="compile: argument 0 must be a number or a nested list"):
        fit(make(), samples, y, steps=1, progress=False, compile=True)  # control: compile=True refuses it
    assert run(make, samples, y, "auto", steps=3)[:4] == run(make, X, y, False, steps=3)[:4]
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("fit: training uncompiled (the same numbers, slower): compile:")


class _Sample(list):  # type: ignore[type-arg]
    """A list subclass: a trace takes only plain lists, tuples and numbers."""


def test_auto_stops_compiling_when_batches_come_in_too_many_shapes(capsys: pytest.CaptureFixture[str]) -> None:
    lengths = range(1, MAX_TRACES + 3)
    X = [[[1.0]] * length for length in lengths]
    y = [length % 2 for length in lengths]
    make = lambda: RNNClassifier(1, [2], 2, cell="rnn", seed=0)  # noqa: E731
    options = dict(loss="cross_entropy", steps=len(X), batch_size=1, seed=0)
    plain = run(make, X, y, False, **options)
    assert run(make, X, y, "auto", **options) == plain
    err = capsys.readouterr().err.splitlines()
    assert err == [f"fit: training uncompiled (the same numbers, slower): the batches come in more than "
                   f"{MAX_TRACES} shapes (one trace each)"]


def test_compile_must_be_true_false_or_auto() -> None:
    X, y = make_moons(4, noise=0.1, seed=1)
    with pytest.raises(ValueError, match="compile must be True, False or 'auto', got 'yes'"):
        fit(nn.MLP(2, [1], seed=0), X, y, compile="yes", progress=False)


def test_the_recorder_keeps_the_same_frames_gradients_included() -> None:
    from nn.watch.recorder import Recorder

    X, y = make_moons(23, noise=0.1, seed=1)
    frames = []
    for mode in (False, True):
        recorder = Recorder(every=1, live=False)
        fit(nn.MLP(2, [5, 1], seed=3), X, y, steps=6, batch_size=5, seed=2, progress=False, compile=mode,
            recorder=recorder)
        frames.append(recorder.frames)
    assert len(frames[0]) == 6 and frames[1] == frames[0]


def test_the_command_line_s_training_runs_compiled(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import engine
    from nn.cli import runs

    made: list[Any] = []

    def compiling(f: Any, params: Any, **options: Any) -> Any:
        made.append(engine.compile(f, params, **options))
        return made[-1]

    monkeypatch.setattr("nn.training.engine", type("E", (), {"compile": staticmethod(compiling)}))
    runs.train(runs.TrainSettings(data="parity", steps=3, progress=False).resolved())  # `train` and `demo` call this
    assert len(made) == 1 and made[0].calls == 3 and made[0].traces_made == 1
    assert capsys.readouterr().err == ""
