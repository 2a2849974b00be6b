"""The training loop behind `scalargrad demo/train/eval`, small enough to read in one go and reuse in notebooks.

One step: score every sample of the batch, one loss (plus an optional L2 penalty), backward, optimizer
step, learning-rate schedule step. Any model works that maps one sample to a score Value or a list of
class scores and has `parameters()`: an MLP on points, a CNN on images, an RNN on sequences.

Predictions follow one rule for every loss: with one output the class is 1 when the score is > 0,
with several outputs it is the arg-max. Labels reach the loss as float targets (±1 signs, 0/1, one-hot rows)
held in leaf Values, so that a compiled step (`engine.compile`) takes them as arguments and every batch of
the same size replays one trace.
"""

from __future__ import annotations

import math
import numbers
import random
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

import engine
from engine import Compiled, Value, dot, no_grad
from engine.compile import MAX_TRACES
from nn import functional as F
from nn.checks import SettingError, check_count, check_positive, check_scale, is_int, is_real, lookup
from nn.data import iterate_minibatches
from nn.limits import MAX_SAMPLES, MAX_STEPS
from nn.optim import SGD, Adam, LinearLR, Optimizer


class Model(Protocol):
    """What the loop needs from a model: call it on one sample, and list its parameters."""

    def __call__(self, sample: Any) -> Value | Sequence[Value]: ...

    def parameters(self) -> list[Value]: ...


class StepRecorder(Protocol):
    """What `fit` needs from a recorder (an `nn.Recorder`, or your own): its data, if any, and a call per step."""

    @property
    def X(self) -> Sequence[Any] | None: ...  # noqa: N802 (the samples, as Recorder names them)

    def set_data(self, X: Sequence[Any], y: Sequence[int]) -> None: ...

    def record(
        self, step: int, model: Any, loss: float | None = None, accuracy: float | None = None, force: bool = False
    ) -> bool: ...


Scores = list[Value]
Targets = list[Any]  # per sample: a float, or a list of floats (one per model output)
LossFn = Callable[[list[Scores], Targets], Value]


@dataclass(frozen=True)
class Objective:
    """A classification loss by name: how many outputs the model needs for n classes, the float targets of
    labels (given the labels and the number of classes), and the batch loss of scores against those targets."""

    name: str
    outputs: Callable[[int], int]
    targets: Callable[[list[int], int], Targets]
    loss: LossFn  # (scores of each sample, targets as Values) -> mean loss


def _one_output(name: str) -> Callable[[int], int]:
    def outputs(n_classes: int) -> int:
        if n_classes != 2:
            raise ValueError(f"the {name} loss is for 2 classes, this data set has {n_classes}; use cross_entropy")
        return 1

    return outputs


def _signs(labels: list[int], n_classes: int) -> Targets:
    return [2.0 * label - 1.0 for label in labels]


def _zero_one(labels: list[int], n_classes: int) -> Targets:
    return [float(label) for label in labels]


def _one_hot(labels: list[int], n_classes: int) -> Targets:
    return [[1.0 if k == label else 0.0 for k in range(n_classes)] for label in labels]


def _mse_targets(labels: list[int], n_classes: int) -> Targets:
    # One output regresses onto -1 / +1 (so the sign is the class); several outputs onto one-hot vectors.
    return _signs(labels, n_classes) if n_classes == 2 else _one_hot(labels, n_classes)


def _first(scores: list[Scores]) -> list[Value]:
    return [s[0] for s in scores]


def _mse(scores: list[Scores], targets: Targets) -> Value:
    return _as_value(F.mse_loss(_first(scores) if len(scores[0]) == 1 else scores, targets))


def _as_value(loss: Value | list[Value]) -> Value:
    assert isinstance(loss, Value), "a mean-reduced loss is one Value"
    return loss


LOSSES: MappingProxyType[str, Objective] = MappingProxyType(
    {
        # micrograd's max-margin loss: mean of relu(1 - t * score) with targets t = -1 / +1.
        "hinge": Objective("hinge", _one_output("hinge"), _signs,
                           lambda scores, t: _as_value(F.hinge_loss(_first(scores), t))),
        "bce": Objective("bce", _one_output("bce"), _zero_one,
                         lambda scores, t: _as_value(F.binary_cross_entropy_with_logits(_first(scores), t))),
        "cross_entropy": Objective("cross_entropy", lambda n: n, _one_hot,
                                   lambda scores, t: _as_value(F.cross_entropy(scores, t))),
        "mse": Objective("mse", lambda n: 1 if n == 2 else n, _mse_targets, _mse),
    }
)

OPTIMIZERS: MappingProxyType[str, Callable[[list[Value], float], Optimizer]] = MappingProxyType(
    {"sgd": lambda params, lr: SGD(params, lr=lr), "adam": lambda params, lr: Adam(params, lr=lr)}
)
# micrograd's demo uses SGD at lr 1.0 (decaying to 0.1); Adam's steps are normalised, so it wants a smaller lr.
DEFAULT_LR = MappingProxyType({"sgd": 1.0, "adam": 0.05})
# The mse gradient 2(score - target) grows with the score, unlike hinge's bounded one, so SGD at 1.0 diverges.
LOSS_DEFAULT_LR = MappingProxyType({("mse", "sgd"): 0.1})
SCHEDULES = MappingProxyType({"linear": "decay the lr linearly to a tenth", "constant": "keep the lr"})
# micrograd's demo: 100 steps with an L2 penalty of 1e-4 * sum of squared weights.
DEFAULT_STEPS = 100
DEFAULT_L2 = 1e-4
COMPILE_CHOICES = (True, False, "auto")


@dataclass
class History:
    """Per step: the loss (with the L2 penalty), the accuracy on that step's batch before the update, the lr used."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)


def default_lr(optimizer: str, loss: str) -> float:
    """The starting learning rate used when none is given: LOSS_DEFAULT_LR for (loss, optimizer), else DEFAULT_LR."""
    return LOSS_DEFAULT_LR.get((loss, optimizer), DEFAULT_LR[optimizer])


def scores_of(model: Callable[[Any], Value | Sequence[Value]], sample: Any) -> Scores:
    """The model's output for one sample as a list of Values (a single score becomes a list of one)."""
    out = model(sample)
    return [out] if isinstance(out, Value) else list(out)


def predict_class(scores: Sequence[Value | float]) -> int:
    """The class the scores vote for: 1 if a single score is > 0, else the index of the largest score."""
    values = [float(s) for s in scores]
    if len(values) == 1:
        return int(values[0] > 0.0)
    return max(range(len(values)), key=values.__getitem__)


def accuracy(model: Callable[[Any], Value | Sequence[Value]], X: Sequence[Any], y: Sequence[int]) -> float:
    """The fraction of samples whose predicted class equals the label, computed without building a graph."""
    _check_data(X, y)
    with no_grad():
        hits = sum(predict_class(scores_of(model, x)) == label for x, label in zip(X, y))
    return hits / len(X)


def _check_data(X: Sequence[Any], y: Sequence[int]) -> int:
    """The number of classes (at least 2) of labels 0..k-1; ValueError for empty or mismatched data or a label < 0,
    TypeError for a label that is not an int."""
    if len(X) == 0 or len(X) != len(y):
        raise ValueError(f"need as many samples as labels and at least one, got {len(X)} and {len(y)}")
    for i, label in enumerate(y):
        if not (is_real(label) and isinstance(label, numbers.Integral)):
            raise TypeError(f"label {i} must be a class index (an int >= 0), got {type(label).__name__}")
        if label < 0:
            raise ValueError(f"label {i} must be a class index (an int >= 0), got {label!r:.40}")
    return max(2, max(y) + 1)


def _endless_batches(
    X: Sequence[Any], y: Sequence[int], batch_size: int | None, rng: random.Random
) -> Iterator[tuple[list[Any], list[int]]]:
    """The full batch every step, or minibatches epoch after epoch, reshuffled each epoch."""
    while True:
        if batch_size is None or batch_size >= len(X):
            yield list(X), list(y)
        else:
            yield from iterate_minibatches(X, y, batch_size, rng=rng)


def _leaves(x: Any) -> Any:
    """Floats in nested lists as leaf Values in the same nesting: what a compiled step's arguments become."""
    return [_leaves(item) for item in x] if isinstance(x, list) else Value(x)


def _not_compiling(reason: str) -> None:
    """Say once, in one line, why `fit(compile="auto")` trains on the graph."""
    print(f"fit: training uncompiled (the same numbers, slower): {reason}", file=sys.stderr)


def _compiled_step(
    compiled: Compiled, mode: bool | str, opt: Optimizer, Xb: list[Any], targets: Targets
) -> tuple[tuple[float, list[list[float]]] | None, Compiled | None]:
    """zero_grad, then one compiled step: ((loss, scores), the compiled step to use next), or (None, None) when
    `mode` is "auto" and the trace cannot take this step (no .grad has changed then; the graph must run it)."""
    opt.zero_grad()
    try:
        result: tuple[float, list[list[float]]] = compiled(Xb, targets)  # forward and backward over floats
    except TypeError as exc:  # a sample or an op a trace cannot take, refused before any .grad changed
        if mode is True:
            raise
        _not_compiling(str(exc))
        return None, None
    if mode == "auto" and compiled.traces_made > MAX_TRACES:
        _not_compiling(f"the batches come in more than {MAX_TRACES} shapes (one trace each)")
        return result, None
    return result, compiled


def _progress(steps: int, enabled: bool) -> Any:
    """A tqdm bar over range(steps) when enabled and tqdm is installed, else the plain range."""
    if enabled:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return range(steps)
        return tqdm(range(steps), desc="training", unit="step")
    return range(steps)


class DivergedError(SettingError):
    """Training produced an infinite or NaN number; `setting` is "lr" or "l2", whichever is to blame."""


def _diverged(what: str, step: int, lr: float, l2: float, optimizer: str) -> DivergedError:
    """The error for a run whose `what` became non-finite at `step`, blaming l2 where its own step overshoots."""
    happened = f"training diverged at step {step}: {what} became infinite or NaN"
    # With SGD the penalty's gradient 2*l2*p multiplies every weight by (1 - 2*lr*l2) per step: past lr*l2 = 1
    # that factor is below -1 and the weights grow without bound, whatever the data. The l2 is to blame when
    # it would do that even at the default lr; otherwise the lr is.
    if optimizer == "sgd" and lr * l2 > 1.0 and l2 * DEFAULT_LR["sgd"] > 1.0:
        return DivergedError("l2", f"{happened}; l2 = {l2:g} is too large: SGD multiplies the weights by "
                                   f"1 - 2*lr*l2 = {1 - 2 * lr * l2:g} at each step, use l2 < 1/lr = {1 / lr:g}")
    return DivergedError("lr", f"{happened}; try a smaller starting learning rate than {lr:g}")


def _hits(scores: Sequence[Sequence[Value | float]], labels: list[int]) -> int:
    return sum(predict_class(s) == label for s, label in zip(scores, labels))


def _finite(scores: Sequence[Sequence[Value | float]]) -> bool:
    return all(math.isfinite(float(v)) for s in scores for v in s)


def _is_finite(x: Any) -> bool:
    """Whether every number in a sample (a number, a Value or a nested list of them) is finite."""
    if isinstance(x, list | tuple):
        return all(_is_finite(item) for item in x)
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return True  # not a number: the model's own input check names it


def _check_finite_samples(X: Sequence[Any]) -> None:
    """Raise ValueError naming the first sample with a NaN or infinity, which no learning rate could fix."""
    for i, x in enumerate(X):
        if not _is_finite(x):
            raise ValueError(f"sample {i} holds a NaN or infinity; the inputs must be finite numbers")


def fit(
    model: Model,
    X: Sequence[Any],
    y: Sequence[int],
    *,
    loss: str = "hinge",
    optimizer: str = "sgd",
    lr: float | None = None,
    steps: int = DEFAULT_STEPS,
    batch_size: int | None = None,
    l2: float = DEFAULT_L2,
    schedule: str = "linear",
    n_classes: int | None = None,
    seed: int | None = None,
    progress: bool = True,
    recorder: StepRecorder | None = None,
    compile: bool | str = "auto",  # noqa: A002 - the name of torch.compile's idea
) -> History:
    """Train `model` on labels 0..n_classes-1 for `steps` optimizer steps; returns the History.

    `loss` is a name in LOSSES, `optimizer` one in OPTIMIZERS (lr defaults to `default_lr`), `l2` adds
    l2 * Σ p² to the loss, `schedule="linear"` decays the lr to a tenth over the run (micrograd's
    lr = 1.0 - 0.9 * k / steps), `batch_size=None` uses every sample each step, `seed` orders minibatches.
    `recorder` (an `nn.Recorder`, given X and y if it has no data) sees each step after backward, and always the last.
    `compile=True` runs each step through `engine.compile`: traced once per batch size (a last, smaller batch
    gets its own trace), then replayed over floats, with the same numbers bit for bit, several times faster.
    `compile="auto"` (the default) does so when it can; when it can't (a model or sample a trace cannot take,
    or more than MAX_TRACES batch shapes) it says why in one line on stderr and trains on the graph.
    Raises ValueError for unknown names, bad numbers, sizes past `nn.limits`, or a model whose output count
    does not fit the loss; DivergedError (a ValueError whose `setting` is "lr" or "l2") when training diverges;
    TypeError for a non-number lr/l2 or a non-int steps/batch_size/label.
    """
    classes = _check_data(X, y)
    _check_finite_samples(X)
    if recorder is not None and not callable(getattr(recorder, "record", None)):
        raise TypeError(f"recorder must be an nn.Recorder, got {type(recorder).__name__}")
    if n_classes is not None:
        if not is_int(n_classes) or n_classes < classes:
            raise ValueError(f"n_classes must be an int covering every label (>= {classes}), got {n_classes!r:.40}")
        classes = n_classes
    objective: Objective = lookup(LOSSES, loss, "loss")
    make_optimizer = lookup(OPTIMIZERS, optimizer, "optimizer")
    lookup(SCHEDULES, schedule, "schedule")
    check_count(steps, "steps", maximum=MAX_STEPS)
    if batch_size is not None:
        check_count(batch_size, "batch_size", maximum=MAX_SAMPLES)
    check_scale(l2, "l2")
    lr = check_positive(default_lr(optimizer, loss) if lr is None else lr, "lr")
    expected = objective.outputs(classes)
    if not any(compile is choice for choice in COMPILE_CHOICES):
        raise ValueError(f"compile must be True, False or 'auto', got {compile!r:.40}")
    params = model.parameters()
    opt = make_optimizer(params, lr)
    scheduler = LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=steps) if schedule == "linear" else None
    batches = _endless_batches(X, y, batch_size, random.Random(seed))

    if recorder is not None and recorder.X is None:
        recorder.set_data(X, y)
    scores: Sequence[Sequence[Value | float]]

    def forward(Xb: list[Any], targets: Targets) -> tuple[Value, list[Scores]]:
        """The batch's loss (with its graph) and scores; raises DivergedError for a non-finite score or penalty."""
        scores = [scores_of(model, x) for x in Xb]
        if len(scores[0]) != expected:
            raise ValueError(f"the model gives {len(scores[0])} outputs, the {loss} loss needs {expected}")
        if not _finite(scores):
            raise _diverged("a score", step + 1, lr, l2, optimizer)
        total = objective.loss(scores, targets)
        if l2 and params:
            squares = dot(params, params)  # Σ p² as one node
            penalty = l2 * squares
            # Finite weights whose penalty is not: the l2 itself is too large, whatever the lr.
            if math.isfinite(squares.data) and not math.isfinite(penalty.data):
                raise DivergedError("l2", f"the L2 penalty l2 * Σp² is {penalty.data} at step {step + 1}: "
                                          f"l2 = {l2:g} is too large")
            total = total + penalty
        return total, scores

    compiled = engine.compile(forward, params) if compile else None
    history = History()
    bar = _progress(steps, progress)
    for step in bar:
        Xb, yb = next(batches)
        targets = objective.targets(yb, classes)
        try:
            replayed: tuple[float, list[list[float]]] | None = None
            if compiled is not None:
                replayed, compiled = _compiled_step(compiled, compile, opt, Xb, targets)
            if replayed is None:
                total, scores = forward(Xb, _leaves(targets))  # the same graph a trace records
                loss_value = total.data
            else:
                loss_value, scores = replayed[0], replayed[1]
            if not math.isfinite(loss_value):
                raise _diverged("the loss", step + 1, lr, l2, optimizer)
            hits = _hits(scores, yb)

            if replayed is None:
                opt.zero_grad()
                total.backward()
            if recorder is not None:
                recorder.record(step, model, loss=loss_value, accuracy=hits / len(yb), force=step == steps - 1)
            history.lr.append(opt.lr)
            opt.step()
        except OverflowError:
            # An op overflowing a float (e.g. a huge score squared) is the same divergence, caught one op earlier.
            raise _diverged("a value", step + 1, lr, l2, optimizer) from None
        if not all(math.isfinite(p.data) for p in params):
            raise _diverged("a weight", step + 1, lr, l2, optimizer)
        if scheduler is not None:
            scheduler.step()

        history.loss.append(loss_value)
        history.accuracy.append(hits / len(yb))
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{loss_value:.4f}", accuracy=f"{hits / len(yb):.0%}", refresh=False)
    return history
