"""The Recorder takes the label forms the library's losses take (class indices 0..C-1, and -1/+1 for the hinge
loss), maps them to colours, and refuses every other label with a ValueError naming it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from browser import Browser

import nn
from engine import Value
from nn.data import make_moons
from nn.watch.recorder import MAX_CLASSES, Recorder, class_labels

X3 = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([0, 1, 1], [0, 1]),
        ([2, 0, 1], [0, 1, 2]),
        ([1, -1, 1], [-1, 1]),
        ([1.0, -1.0, 1.0], [-1, 1]),
        ([True, False, True], [0, 1]),
        ([0, 0, MAX_CLASSES - 1], list(range(MAX_CLASSES))),
    ],
)
def test_the_loss_label_forms_are_accepted_and_given_their_classes(labels: list, expected: list[int]) -> None:
    assert class_labels(labels) == ([int(v) for v in labels], expected)
    rec = Recorder(X3, labels, live=False)
    assert rec.classes == expected


@pytest.mark.parametrize(
    ("labels", "named"),
    [
        ([0, 10**9, 1], r"y\[1\] = 1000000000"),
        ([0, 2.5, 1], r"y\[1\] = 2\.5"),
        ([0, 1, math.nan], r"y\[2\] = nan"),
        ([0, 1, math.inf], r"y\[2\] = inf"),
        ([-2, 0, 1], r"y\[0\] = -2"),
        ([-1, 0, 1], r"y\[1\] = 0: with -1 labels"),
        ([-1, 2, 1], r"y\[1\] = 2: with -1 labels"),
        ([0, "1", 1], r"y\[1\] = '1'"),
        ([0, None, 1], r"y\[1\] = None"),
        ([0, MAX_CLASSES, 1], rf"y\[1\] = {MAX_CLASSES}"),
    ],
)
def test_other_labels_are_refused_naming_the_label(labels: list, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        Recorder(X3, labels, live=False)
    rec = Recorder(live=False)
    with pytest.raises(ValueError, match=named):
        rec.set_data(X3, labels)
    assert rec.X is None and rec.y is None and rec.classes == []  # nothing half-changed


def hinge_run(tmp_path: Path) -> tuple[Path, Recorder]:
    """The README's "your own loop" with hinge targets: labels -1/+1, micrograd's max-margin loss."""
    X, y01 = make_moons(30, noise=0.1, seed=3)
    y = [2 * label - 1 for label in y01]
    model = nn.MLP(2, [8, 1], seed=3)
    rec = Recorder(X, y, live=False)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    for step in range(4):
        scores = [model(x) for x in X]
        loss = nn.hinge_loss(scores, [float(t) for t in y])
        assert isinstance(loss, Value)
        model.zero_grad()
        loss.backward()
        acc = sum((s.data > 0) == (t > 0) for s, t in zip(scores, y)) / len(y)
        rec.record(step, model, loss=loss, accuracy=acc)
        opt.step()
    return Path(rec.save_html(tmp_path / "hinge.html")), rec


def test_hinge_labels_are_drawn_in_two_colours_with_their_own_names(chromium: Browser, tmp_path: Path) -> None:
    path, rec = hinge_run(tmp_path)
    recording = rec.recording()
    assert recording.classes == [-1, 1]
    assert recording.point_classes == [(label + 1) // 2 for label in rec.y or []]
    chromium.open(path)
    assert chromium.console_errors == [] and chromium.external_requests() == []
    fills = chromium.evaluate(
        "Array.from(document.querySelectorAll('#regions circle[r=\"3.2\"]')).map(function (c) {"
        " return c.getAttribute('fill'); })"
    )
    assert len(fills) == 30 and "undefined" not in fills
    by_label = {label: {f for f, t in zip(fills, rec.y or []) if t == label} for label in (-1, 1)}
    assert all(len(f) == 1 for f in by_label.values()) and by_label[-1] != by_label[1]  # one colour per class
    cells = chromium.evaluate(
        "Array.from(document.querySelectorAll('#regions rect')).map(function (r) { return r.getAttribute('fill'); })"
    )
    assert "undefined" not in cells and None not in cells[:400]
    pictures = chromium.evaluate(
        "Array.from(document.querySelectorAll('svg')).map(function (s) { return s.outerHTML; })")
    assert not any('="undefined"' in svg or '="NaN"' in svg for svg in pictures)
    legend = chromium.evaluate("document.getElementById('regions-legend').textContent")
    assert "class -1" in legend and "class 1" in legend and "class 0" not in legend
    chromium.press("ArrowRight", 39)
    assert chromium.evaluate("document.getElementById('step-value').textContent") == "1"
