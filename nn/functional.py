"""Softmax and the common losses, built from engine ops so their gradients come from backpropagation.

Names and conventions follow `torch.nn.functional`. A loss takes one sample or a batch (a list of
samples) and reduces the per-sample losses with `reduction="mean"` (the default, sum / count),
`"sum"`, or `"none"` (the list itself). Predictions may be Values or plain numbers (numbers become
leaves); targets are numbers or Values (`mse_loss` backpropagates into Value targets, as torch). Every input
is checked (finite numbers only) before any node is built.

No function here chooses its graph by a Python `if` on a Value's data: the choice is an op (relu, max, a custom
op's own forward), so a trace made by `engine.compile` is valid for every input. Labels and targets given as
Values (the arguments of a compiled step) are checked by their data when the graph is built, which a replay
does not repeat (`nn.fit` checks its labels before training).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from engine import Value, dot, op
from engine import max as vmax
from engine import sum as vsum
from nn.checks import check_number, is_real

REDUCTIONS = ("mean", "sum", "none")
PROBABILITY_TOLERANCE = 1e-6  # how far a target distribution's sum may be from 1


def _check_reduction(reduction: str, where: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{where}: unknown reduction {reduction!r}; use one of {', '.join(map(repr, REDUCTIONS))}")


def _reduce(losses: list[Value], reduction: str) -> Value | list[Value]:
    if reduction == "none":
        return losses
    if len(losses) == 1:
        return losses[0]  # the mean and the sum of one loss are that loss: no extra node
    total = vsum(losses)
    return total / len(losses) if reduction == "mean" else total


def _value(x: object, where: str) -> Value:
    """x as a Value with finite data (a number becomes a leaf); raises TypeError/ValueError otherwise."""
    if isinstance(x, Value):
        if not math.isfinite(x.data):
            raise ValueError(f"{where}: expected a finite value, got {x!r}")
        return x
    return Value(check_number(x, where))


def _target(x: object, where: str) -> Value | float:
    """A Value target with finite data as itself (so it gets a gradient), anything else as a finite float."""
    return _value(x, where) if isinstance(x, Value) else check_number(x, where)


def _sequence(x: object, where: str) -> Sequence[Any]:
    if isinstance(x, str | bytes) or not isinstance(x, Sequence):
        raise TypeError(f"{where}: expected a list, got {type(x).__name__} ({x!r:.40})")
    if len(x) == 0:
        raise ValueError(f"{where}: empty list")
    return x


def _is_batch(x: object) -> bool:
    return isinstance(x, list | tuple) and len(x) > 0 and isinstance(x[0], list | tuple)


def _pairs(pred: object, target: object, where: str) -> list[tuple[Any, Any]]:
    """Matching (prediction, target) leaves of two equally nested lists (or two scalars), in row-major order."""
    if not isinstance(pred, list | tuple):
        if isinstance(target, list | tuple):
            raise ValueError(f"{where}: prediction is a scalar but target is a list of {len(target)}")
        return [(pred, target)]
    _sequence(pred, where)
    if not isinstance(target, list | tuple):
        raise ValueError(f"{where}: prediction is a list of {len(pred)} but target is {type(target).__name__}")
    if len(target) != len(pred):
        raise ValueError(f"{where}: prediction has {len(pred)} items but target has {len(target)}")
    out = []
    for i, (p, t) in enumerate(zip(pred, target)):
        out.extend(_pairs(p, t, f"{where}[{i}]"))
    return out


def _logits(logits: object, where: str) -> list[Value]:
    return [_value(x, f"{where}[{i}]") for i, x in enumerate(_sequence(logits, where))]


def _log_softmax(xs: list[Value]) -> list[Value]:
    # Subtracting the max keeps exp from overflowing. It is a max node, not a float read from .data, so that a
    # compiled step (engine.compile) replays the shift with each call's data; its gradient is 0 up to rounding.
    m = vmax(xs)
    shifted = [x - m for x in xs]
    log_total = vsum([s.exp() for s in shifted]).log()
    return [s - log_total for s in shifted]


def softmax(logits: Sequence[Value | float]) -> list[Value]:
    """exp(x_i) / Σ_j exp(x_j) for one vector of logits, stable for any finite logits. Raises on empty/non-numbers."""
    xs = _logits(logits, "softmax")
    m = vmax(xs)  # a node, as in _log_softmax
    exps = [(x - m).exp() for x in xs]
    total = vsum(exps)
    return [e / total for e in exps]


def log_softmax(logits: Sequence[Value | float]) -> list[Value]:
    """x_i - log Σ_j exp(x_j) for one vector of logits, finite for any finite logits (e.g. [1000, -1000, 3])."""
    return _log_softmax(_logits(logits, "log_softmax"))


def mse_loss(pred: Any, target: Any, reduction: str = "mean") -> Value | list[Value]:
    """(pred - target)² per element of equally nested lists (or two scalars), reduced over all elements.

    Targets may be numbers or Values (which then get gradients too, as in torch). Raises ValueError on
    different shapes, a NaN/infinite pred or target, or an unknown reduction; TypeError on non-numbers.
    """
    _check_reduction(reduction, "mse_loss")
    pairs = [(_value(p, "mse_loss(pred)"), _target(t, "mse_loss(target)")) for p, t in _pairs(pred, target, "mse_loss")]
    return _reduce([(p - t) ** 2 for p, t in pairs], reduction)


def _class_target(target: object, classes: int, where: str) -> int | list[float] | list[Value]:
    """A class index in [0, classes) or a probability vector of that length summing to 1 (numbers, or Values
    for a compiled step's arguments); raises otherwise."""
    if is_real(target) and isinstance(target, numbers.Integral):
        if not 0 <= int(target) < classes:
            raise ValueError(f"{where}: class index {target} out of range for {classes} classes")
        return int(target)
    if not isinstance(target, list | tuple):
        raise TypeError(f"{where}: expected a class index or a list of probabilities, got {type(target).__name__}")
    if len(target) != classes:
        raise ValueError(f"{where}: {len(target)} probabilities for {classes} classes")
    given = [y.data if isinstance(y, Value) else y for y in target]
    probs = [check_number(y, f"{where}[{i}]") for i, y in enumerate(given)]
    for i, y in enumerate(probs):
        if not 0.0 <= y <= 1.0:
            raise ValueError(f"{where}[{i}]: probability {y!r} outside [0, 1]")
    if abs(math.fsum(probs) - 1.0) > PROBABILITY_TOLERANCE:
        raise ValueError(f"{where}: probabilities sum to {math.fsum(probs)!r}, not 1")
    if all(isinstance(y, Value) for y in target):
        return list(target)
    if any(isinstance(y, Value) for y in target):
        raise TypeError(f"{where}: probabilities must be all numbers or all Values")
    return probs


def _cross_entropy_one(xs: list[Value], target: int | list[float] | list[Value]) -> Value:
    log_p = _log_softmax(xs)
    if isinstance(target, int):
        return -log_p[target]
    if isinstance(target[0], Value):
        # Values (a compiled step's arguments) may be 0 in one call and not the next, so every class gets its
        # term, in one node; for a one-hot row it is -log_p[k] to the bit, with the same gradients.
        return -dot(target, log_p)  # type: ignore[arg-type]
    # Classes with probability 0 add nothing to the loss or its gradient, so they get no node.
    return -vsum([lp * y for lp, y in zip(log_p, target) if y != 0.0])


def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Value | list[Value]:
    """-log softmax(logits)[target], or -Σ_i y_i log softmax(logits)_i for a probability vector y.

    One sample: `logits` a list of C numbers/Values, `target` a class index or C probabilities.
    A batch: a list of such logit lists and a list of targets. Raises ValueError for different
    lengths, an index out of range, probabilities outside [0, 1] or not summing to 1, or an
    unknown reduction; TypeError for non-numbers.
    """
    _check_reduction(reduction, "cross_entropy")
    if not _is_batch(logits):
        xs = _logits(logits, "cross_entropy(logits)")
        return _cross_entropy_one(xs, _class_target(target, len(xs), "cross_entropy(target)"))
    if not isinstance(target, list | tuple) or len(target) != len(logits):
        size = len(target) if isinstance(target, list | tuple) else type(target).__name__
        raise ValueError(f"cross_entropy: batch of {len(logits)} logit lists but target is {size}")
    rows = [_logits(row, f"cross_entropy(logits[{i}])") for i, row in enumerate(logits)]
    targets = [_class_target(t, len(xs), f"cross_entropy(target[{i}])") for i, (xs, t) in enumerate(zip(rows, target))]
    return _reduce([_cross_entropy_one(xs, t) for xs, t in zip(rows, targets)], reduction)


def _binary_pairs(p: Any, y: Any, where: str, p_in_unit: bool) -> list[tuple[Value, Value | float]]:
    """(Value, label) pairs with labels in [0, 1] and, when `p_in_unit`, predictions in [0, 1]; raises otherwise."""
    out = []
    for i, (pi, yi) in enumerate(_pairs(p, y, where)):
        v = _value(pi, f"{where}(input) item {i}")
        label = _target(yi, f"{where}(target) item {i}")
        if not 0.0 <= float(label) <= 1.0:
            raise ValueError(f"{where}: target item {i} is {float(label)!r}, outside [0, 1]")
        if p_in_unit and not 0.0 <= v.data <= 1.0:
            raise ValueError(f"{where}: input item {i} is {v.data!r}, a probability must be in [0, 1]")
        out.append((v, label))
    return out


# As torch does, each log term of binary cross-entropy is clamped at -100, so p = 0 or 1 gives a finite loss,
# and the gradient's denominator p(1 - p) is clamped at 1e-12, so it stays finite there too.
LOG_CLAMP = -100.0
GRAD_EPS = 9.999999960041972e-13  # torch's 1e-12 is a C++ float constant: this is its float32 value


def _bce_forward(p: float, y: float) -> float:
    log_p = math.log(p) if p > 0.0 else -math.inf
    log_q = math.log1p(-p) if p < 1.0 else -math.inf
    return (y - 1.0) * max(log_q, LOG_CLAMP) - y * max(log_p, LOG_CLAMP)


def _bce_derivative(p: Value, y: Value, out: Value) -> tuple[Value | float, float]:
    # torch's rule (p - y) / max(p (1 - p), eps); the target is a constant (torch gives it no gradient either).
    if p.data * (1.0 - p.data) > GRAD_EPS:
        return (p - y.data) / (p * (1.0 - p)), 0.0
    return (p - y.data) / GRAD_EPS, 0.0


_bce = op("binary_cross_entropy", _bce_forward, _bce_derivative)


def binary_cross_entropy(p: Any, y: Any, reduction: str = "mean") -> Value | list[Value]:
    """-(y log p + (1 - y) log(1 - p)) per element, for probabilities p in [0, 1] and targets y in [0, 1].

    As torch: each log is clamped at -100 and the gradient is (p - y) / max(p (1 - p), 1e-12), so both
    stay finite at p = 0 or 1. Raises ValueError for p or y outside [0, 1], different shapes or an
    unknown reduction; TypeError for non-numbers.
    """
    _check_reduction(reduction, "binary_cross_entropy")
    losses = [_bce(v, label) for v, label in _binary_pairs(p, y, "binary_cross_entropy", p_in_unit=True)]
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits(z: Any, y: Any, reduction: str = "mean") -> Value | list[Value]:
    """binary_cross_entropy(sigmoid(z), y) computed stably from the logit z, finite for any finite z.

    As torch: max(z, 0) - z y + log(1 + e^(-|z|)), so exp only sees -|z|; built from ops alone (no `if` on z),
    so a compiled trace is right for either sign. Raises ValueError for y outside [0, 1], different shapes or
    an unknown reduction; TypeError for non-numbers.
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    losses = []
    for v, label in _binary_pairs(z, y, "binary_cross_entropy_with_logits", p_in_unit=False):
        positive = v.relu()
        minus_abs = v - 2.0 * positive  # -|z|, exactly; its derivative at 0 is 1, which gives torch's 0.5 - y
        losses.append(positive - v * label + (minus_abs.exp() + 1.0).log())
    return _reduce(losses, reduction)


def hinge_loss(scores: Any, y: Any, reduction: str = "mean") -> Value | list[Value]:
    """max(0, 1 - y * score) per element with labels y in {-1, +1}: the max-margin loss of micrograd's demo.

    Raises ValueError for a label other than -1 or +1, different shapes or an unknown reduction.
    """
    _check_reduction(reduction, "hinge_loss")
    losses = []
    for i, (s, label) in enumerate(_pairs(scores, y, "hinge_loss")):
        v = _value(s, f"hinge_loss(scores) item {i}")
        sign = _target(label, f"hinge_loss(y) item {i}")
        if float(sign) not in (-1.0, 1.0):
            raise ValueError(f"hinge_loss: label item {i} is {label!r}; labels must be -1 or +1")
        losses.append((1.0 - v * sign).relu())
    return _reduce(losses, reduction)
