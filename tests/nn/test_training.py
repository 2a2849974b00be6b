"""nn.training: each named loss and optimizer against PyTorch / hand-computed updates, minibatches, argument checks."""

from __future__ import annotations

import math
import re
from types import ModuleType
from typing import Any

import pytest

from engine import Value
from nn import MLP, Layer
from nn.training import LOSSES, accuracy, fit, predict_class

X = [[1.0, -0.5], [-2.0, 0.3], [0.5, 0.5], [0.1, -1.5], [-0.7, -0.2]]


def _torch_loss(torch: ModuleType, name: str, scores: Any, labels: list[int], n_classes: int) -> Any:
    F = torch.nn.functional
    y = torch.tensor(labels)
    if name == "hinge":
        return torch.relu(1 - (2 * y - 1) * scores[:, 0]).mean()
    if name == "bce":
        return F.binary_cross_entropy_with_logits(scores[:, 0], y.double())
    if name == "cross_entropy":
        return F.cross_entropy(scores, y)
    if n_classes == 2:
        return F.mse_loss(scores[:, 0], (2 * y - 1).double())
    return F.mse_loss(scores, F.one_hot(y, n_classes).double())


@pytest.mark.parametrize(
    ("loss", "labels"),
    [
        ("hinge", [1, 0, 1, 0, 0]),
        ("bce", [1, 0, 1, 0, 0]),
        ("cross_entropy", [1, 0, 1, 0, 0]),
        ("cross_entropy", [2, 0, 1, 2, 0]),
        ("mse", [1, 0, 1, 0, 0]),
        ("mse", [2, 0, 1, 2, 0]),
    ],
)
def test_one_sgd_step_matches_torch(torch: ModuleType, loss: str, labels: list[int]) -> None:
    n_classes = max(labels) + 1
    outputs = LOSSES[loss].outputs(n_classes)
    model = Layer(2, outputs, activation=None, seed=3)
    W = torch.tensor([[w.data for w in n.w] for n in model.neurons], requires_grad=True)
    b = torch.tensor([n.b.data for n in model.neurons], requires_grad=True)
    l2, lr = 1e-2, 0.3

    history = fit(model, X, labels, loss=loss, lr=lr, steps=1, l2=l2, schedule="constant", progress=False)

    scores = torch.tensor(X) @ W.T + b
    total = _torch_loss(torch, loss, scores, labels, n_classes) + l2 * ((W**2).sum() + (b**2).sum())
    total.backward()
    assert history.loss == pytest.approx([total.item()], rel=1e-12)
    expected = torch.cat([(W - lr * W.grad), (b - lr * b.grad)[:, None]], dim=1).flatten().tolist()
    assert [p.data for p in model.parameters()] == pytest.approx(expected, rel=1e-12)
    predicted = scores.argmax(1) if outputs > 1 else (scores[:, 0] > 0).long()
    assert history.accuracy == [sum(int(p) == t for p, t in zip(predicted.tolist(), labels)) / len(labels)]


class Line:
    """score = w * x0 + b, recording the samples it is called on: small enough to follow by hand."""

    def __init__(self, w: float, b: float) -> None:
        self.w, self.b = Value(w), Value(b)
        self.seen: list[list[float]] = []

    def __call__(self, x: list[float]) -> Value:
        self.seen.append(x)
        return self.w * x[0] + self.b

    def parameters(self) -> list[Value]:
        return [self.w, self.b]


def test_hinge_step_by_hand_with_linear_decay() -> None:
    model = Line(0.3, -0.1)
    labels = [1, 0, 1, 0, 0]
    history = fit(model, X, labels, loss="hinge", lr=0.5, steps=2, l2=0.0, progress=False)
    t = [2 * label - 1 for label in labels]
    s = [0.3 * x[0] - 0.1 for x in X]
    active = [1 - ti * si > 0 for ti, si in zip(t, s)]
    assert history.loss[0] == pytest.approx(sum(max(0.0, 1 - ti * si) for ti, si in zip(t, s)) / 5)
    dw = sum(-ti * x[0] for ti, x, a in zip(t, X, active) if a) / 5
    db = sum(-ti for ti, a in zip(t, active) if a) / 5
    # The linear schedule uses lr, then lr * (1 - 0.9 / 2) at the second of two steps.
    assert history.lr == pytest.approx([0.5, 0.5 * 0.55])
    w1, b1 = 0.3 - 0.5 * dw, -0.1 - 0.5 * db
    s1 = [w1 * x[0] + b1 for x in X]
    assert history.loss[1] == pytest.approx(sum(max(0.0, 1 - ti * si) for ti, si in zip(t, s1)) / 5)


def test_adam_first_step_moves_each_weight_by_lr() -> None:
    model = Line(0.3, -0.1)
    fit(model, X, [1, 0, 1, 0, 0], loss="hinge", optimizer="adam", lr=0.01, steps=1, progress=False)
    # Adam's first update is lr * g / (|g| + eps): a step of lr against the gradient's sign.
    assert abs(model.w.data - 0.3) == pytest.approx(0.01, rel=1e-5)
    assert abs(model.b.data + 0.1) == pytest.approx(0.01, rel=1e-5)


def test_minibatches_cover_each_epoch() -> None:
    model = Line(0.3, -0.1)
    # Uncompiled, so the model is called on every sample (a compiled step calls it only when it traces).
    history = fit(model, X, [1, 0, 1, 0, 0], lr=0.1, steps=6, batch_size=2, seed=0, progress=False, compile=False)
    sizes = [2, 2, 1, 2, 2, 1]
    assert [round(a * n) / n for a, n in zip(history.accuracy, sizes)] == history.accuracy
    seen = [tuple(x) for x in model.seen]
    assert sorted(seen[:5]) == sorted(map(tuple, X)) and sorted(seen[5:10]) == sorted(map(tuple, X))
    assert seen[:5] != seen[5:10]  # reshuffled each epoch (seeded, so this order is fixed)


def test_predict_class_and_accuracy() -> None:
    assert predict_class([Value(0.2)]) == 1 and predict_class([-0.2]) == 0 and predict_class([0.0]) == 0
    assert predict_class([0.1, 3.0, -1.0]) == 1
    model = Line(1.0, 0.0)  # class 1 exactly when x0 > 0
    assert accuracy(model, X, [1, 0, 1, 1, 0]) == 1.0
    assert accuracy(model, X, [0, 0, 0, 0, 0]) == pytest.approx(2 / 5)
    assert model.w.grad == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"loss": "nll"}, "unknown loss 'nll'; choose one of hinge, bce, cross_entropy, mse"),
        ({"optimizer": "rmsprop"}, "unknown optimizer 'rmsprop'"),
        ({"schedule": "cosine"}, "unknown schedule 'cosine'"),
        ({"steps": 0}, "steps must be >= 1, got 0"),
        ({"batch_size": 0}, "batch_size must be >= 1, got 0"),
        ({"l2": -1.0}, "l2 must be a finite number >= 0"),
        ({"lr": 0.0}, "lr must be a finite number > 0"),
        ({"lr": math.nan}, "lr must be a finite number > 0"),
        ({"n_classes": 1}, "n_classes must be an int covering every label"),
        ({"loss": "cross_entropy"}, "the model gives 1 outputs, the cross_entropy loss needs 2"),
        ({"y": [1, 0]}, "need as many samples as labels"),
        ({"y": [1, 0, 1, 0, -1]}, "label 4 must be a class index"),
        ({"y": [1, 0, 1, 0, 2]}, "the hinge loss is for 2 classes"),
    ],
)
def test_bad_arguments_change_nothing(kwargs: dict[str, Any], message: str) -> None:
    model = Line(0.3, -0.1)
    y = kwargs.pop("y", [1, 0, 1, 0, 0])
    with pytest.raises(ValueError, match=message):
        fit(model, X, y, progress=False, **kwargs)
    assert (model.w.data, model.b.data) == (0.3, -0.1)


@pytest.mark.parametrize(
    ("loss", "lr", "what"),
    [("mse", 1e4, "a value"), ("hinge", 1e6, "the loss")],  # an engine OverflowError; a loss that became inf
)
def test_divergence_is_one_error_quoting_the_starting_lr(loss: str, lr: float, what: str) -> None:
    model = MLP(2, [4, 1], seed=4)
    with pytest.raises(ValueError, match=r"training diverged at step (\d+)") as info:
        fit(model, [[0.5, -1.0], [-0.3, 0.8], [1.0, 1.0]], [0, 1, 1], loss=loss, lr=lr, steps=50, progress=False)
    message = str(info.value)
    assert f"{what} became infinite or NaN" in message
    assert int(re.search(r"step (\d+)", message).group(1)) > 1  # type: ignore[union-attr]  # the lr had decayed
    assert message.endswith(f"try a smaller starting learning rate than {lr:g}")


def test_non_finite_inputs_are_named_without_blaming_the_lr() -> None:
    model = Line(0.3, -0.1)
    with pytest.raises(ValueError, match=r"^sample 2 holds a NaN or infinity") as info:
        fit(model, [[1.0, 0.0], [0.0, 1.0], [math.nan, 0.0]], [1, 0, 1], progress=False)
    assert "learning rate" not in str(info.value)
    assert (model.w.data, model.b.data) == (0.3, -0.1)


def test_mse_with_sgd_defaults_to_a_smaller_lr() -> None:
    model = Line(0.3, -0.1)
    history = fit(model, X, [1, 0, 1, 0, 0], loss="mse", steps=1, progress=False)
    assert history.lr == [0.1]
    assert fit(Line(0.3, -0.1), X, [1, 0, 1, 0, 0], loss="hinge", steps=1, progress=False).lr == [1.0]


def test_progress_bar_shows_loss_and_accuracy(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    fit(Line(0.3, -0.1), X, [1, 0, 1, 0, 0], steps=2, progress=True)
    err = capsys.readouterr().err
    assert "2/2" in err
    assert re.search(r"loss=\d+\.\d{4}", err) and re.search(r"accuracy=\d+%", err), err
