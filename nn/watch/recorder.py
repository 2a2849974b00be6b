"""Record a training run step by step, to replay it as a page (`nn.watch.page`) or watch it live in Jupyter.

    rec = Recorder(X, y, every=2)               # keep every 2nd step, at most 100 frames
    fit(model, X, y, recorder=rec)              # or, in your own loop, after backward() and before step():
    rec.record(step, model, loss=loss.data, accuracy=acc)
    rec.save_html("training.html")

A frame holds what the model was at that step: for an MLP every weight, bias and their gradients (the
gradients of the step's loss, so record after `backward()` and before `optimizer.step()`), each neuron's
output on one chosen sample, and for 2-D inputs the predicted class on a coarse grid (under `no_grad`).
Other models (CNN, RNN) get a summary per layer: histograms of the weights and their gradients, and their means.
A network with a layer wider than MAX_DRAWN_NEURONS or more than MAX_DRAWN_EDGES weights keeps only
those summaries (plus every neuron's output and bias gradient): one edge per weight would be unreadable.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence
from typing import Any

from engine import Value, no_grad
from nn.atomic_write import write_atomically
from nn.checks import check_bool, check_count, check_real
from nn.layers import MLP, Layer, as_inputs
from nn.module import Module
from nn.nested import flat_values
from nn.watch.frames import Frame, Histogram, LayerFrame, Network, Recording
from nn.watch.live import LiveView, iframe
from nn.watch.page import MAX_POINTS, training_page
from nn.watch.regions import class_grid

MAX_DRAWN_NEURONS = 32  # per layer: wider layers are drawn as groups of neurons
MAX_DRAWN_EDGES = 1500  # weights in the whole network: more are drawn as histograms
DEFAULT_MAX_FRAMES = 100
DEFAULT_GRID = 20  # decision regions: 20 x 20 forward passes per frame keeps recording cheap
HISTOGRAM_BINS = 11
# Labels are class indices 0..MAX_CLASSES-1 (what cross_entropy and the binary losses take) or -1/+1 (hinge).
MAX_CLASSES = 1000
HINGE_LABELS = (-1, 1)


def _dense_layers(model: object) -> list[Layer] | None:
    """The fully connected layers of an MLP or a single Layer, in order; None for any other model."""
    if isinstance(model, MLP):
        return list(model.layers)
    if isinstance(model, Layer):
        return [model]
    return None


def describe(model: Module) -> Network:
    """How a model is drawn: layers of circles for an MLP or a Layer, else a summary per layer."""
    layers = _dense_layers(model)
    if layers is None:
        names = [name for name, _ in _parameter_groups(model)]
        note = (f"Layers of circles are drawn for an nn.MLP or nn.Layer; this {type(model).__name__} is summarised "
                "layer by layer: histograms of its weights (or gradients), mean |w| and mean |∂L/∂w|.")
        parts = ", ".join(type(child).__name__ for _, child in model.named_children())
        return Network("summary", f"{type(model).__name__}({parts})", [], [], names, False, note)
    sizes = [layers[0].nin] + [layer.nout for layer in layers]
    edges = sum(a * b for a, b in zip(sizes, sizes[1:]))
    widest = max(sizes)
    drawn = widest <= MAX_DRAWN_NEURONS and edges <= MAX_DRAWN_EDGES
    note = "" if drawn else (
        f"Too large to draw one edge per weight (widest layer {widest} neurons, limit {MAX_DRAWN_NEURONS}; "
        f"{edges:,} weights, limit {MAX_DRAWN_EDGES:,}): wide layers show groups of neurons (their mean), and "
        "each layer's weights are shown as a histogram instead of edges.")
    title = f"MLP({sizes[0]}, {sizes[1:]})" if isinstance(model, MLP) else f"Layer({sizes[0]}, {sizes[1]})"
    names = [f"layers.{i}" for i in range(len(layers))] if isinstance(model, MLP) else ["layer"]
    return Network("mlp", title, sizes, [layer.activation for layer in layers], names, drawn, note)


def _submodules(module: Module, prefix: str = "") -> dict[str, Module]:
    """Every module inside `module` by its dotted path (`0`, `4.layers.0`, `layers.0.cell`)."""
    found: dict[str, Module] = {}
    for name, child in module.named_children():
        found[prefix + name] = child
        found.update(_submodules(child, f"{prefix}{name}."))
    return found


def _parameter_groups(model: Module) -> list[tuple[str, list[Value]]]:
    """Parameters grouped by the module that owns them, named by its path and class (`0.weight` -> `0 (Conv2d)`)."""
    modules = _submodules(model)
    groups: dict[str, list[Value]] = {}
    for name, tensor in model.named_tensors():
        owner = name.rsplit(".", 1)[0] if "." in name else ""
        # A dense layer's tensors (`layers.0.neurons.3.w`) belong to the layer, not to one of its neurons.
        owner = owner.split(".neurons.")[0]
        kind = type(modules.get(owner, model)).__name__
        groups.setdefault(f"{owner} ({kind})" if owner else kind, []).extend(flat_values(tensor))
    return list(groups.items())


def _histogram(values: Sequence[float]) -> Histogram:
    """A symmetric histogram around 0 (so the bins' signs read at a glance) spanning the largest |value|."""
    finite = [v for v in values if math.isfinite(v)]
    top = max((abs(v) for v in finite), default=0.0) or 1.0
    counts = [0] * HISTOGRAM_BINS
    for v in finite:
        counts[min(HISTOGRAM_BINS - 1, int((v + top) / (2 * top) * HISTOGRAM_BINS))] += 1
    return Histogram(-top, top, counts)


def _mean_abs(values: Sequence[float]) -> float:
    return sum(abs(v) for v in values) / len(values) if values else 0.0


def _summary(name: str, params: Sequence[Value], **dense: Any) -> LayerFrame:
    data = [p.data for p in params]
    grads = [p.grad for p in params]
    return LayerFrame(name=name, histogram=_histogram(data), grad_histogram=_histogram(grads), mean_abs=_mean_abs(data),
                      mean_abs_grad=_mean_abs(grads),
                      **{"weight": None, "bias": None, "weight_grad": None, "bias_grad": None, "output": None, **dense})


def _dense_frames(network: Network, layers: list[Layer], sample: Sequence[float] | None) -> list[LayerFrame]:
    outputs: list[list[float] | None] = [None] * len(layers)
    if sample is not None:
        with no_grad():
            xs = as_inputs(sample, layers[0].nin, "the recorded sample")
            for i, layer in enumerate(layers):
                xs = layer.fire(xs)
                outputs[i] = [v.data for v in xs]
    frames = []
    for name, layer, output in zip(network.layer_names, layers, outputs):
        weights = [p for n in layer.neurons for p in n.w]
        biases = [n.b for n in layer.neurons]
        full = network.drawn
        frames.append(_summary(
            name, weights,
            weight=[[w.data for w in n.w] for n in layer.neurons] if full else None,
            weight_grad=[[w.grad for w in n.w] for n in layer.neurons] if full else None,
            bias=[b.data for b in biases], bias_grad=[b.grad for b in biases], output=output,
        ))
    return frames


def _data_of(x: object) -> object:
    """A Value's data (so `loss=loss` works as well as `loss=loss.data`); anything else as it is."""
    return x.data if isinstance(x, Value) else x


def class_labels(y: Sequence[Any]) -> tuple[list[int], list[int]]:
    """The labels as ints and the classes they name, in colour order: 0..C-1, or [-1, 1] for hinge targets.

    Raises ValueError naming the first label that is neither a class index below MAX_CLASSES nor ±1
    (2.5, NaN and 10**9 are refused).
    """
    labels = []
    for i, label in enumerate(y):
        whole = isinstance(label, numbers.Real) and math.isfinite(label)
        if not (whole and label == int(label) and -1 <= label < MAX_CLASSES):
            raise ValueError(
                f"Recorder y[{i}] = {label!r:.40}: a label must be a class index 0..{MAX_CLASSES - 1} "
                "or -1/+1 (hinge targets)"
            )
        labels.append(int(label))
    if -1 in labels:
        wrong = next((i for i, label in enumerate(labels) if label not in HINGE_LABELS), None)
        if wrong is not None:
            raise ValueError(
                f"Recorder y[{wrong}] = {labels[wrong]}: with -1 labels (hinge targets) every label must be -1 or +1"
            )
        return labels, list(HINGE_LABELS)
    return labels, list(range(max(labels) + 1))


class Recorder:
    """Keeps chosen steps of a training run as `frames`, for `save_html`, `to_html` or a live Jupyter view.

    `X, y` are the training samples and labels (`fit` gives its own when they are left out): the page shows
    each neuron's output on `X[sample]` and, for 2-D points, the decision regions on a `grid` x `grid` grid.
    A step is kept when `step % every == 0` (or `record(..., force=True)`); when `max_frames` are kept, every
    other one is dropped and `every` doubles, so memory stays bounded and the frames still span the run.
    `live` (None: only inside a Jupyter kernel) shows the page in the notebook and updates it while training.
    Raises TypeError/ValueError naming the argument that is wrong.
    """

    def __init__(
        self,
        X: Sequence[Any] | None = None,
        y: Sequence[int] | None = None,
        *,
        every: int = 1,
        max_frames: int = DEFAULT_MAX_FRAMES,
        sample: int = 0,
        grid: int = DEFAULT_GRID,
        live: bool | None = None,
        title: str = "",
    ) -> None:
        self.every = check_count(every, "Recorder every")
        self.max_frames = check_count(max_frames, "Recorder max_frames", minimum=2)
        self.grid = check_count(grid, "Recorder grid", minimum=2)
        if grid > 100:
            raise ValueError(f"Recorder grid must be <= 100 (grid**2 forward passes per frame), got {grid}")
        check_count(sample, "Recorder sample", minimum=0)
        if (X is None) != (y is None):
            raise ValueError("Recorder: give both X and y (the samples and their labels), or neither")
        if live is not None:
            check_bool(live, "Recorder live")
        if not isinstance(title, str):
            raise TypeError(f"Recorder title must be a str, got {type(title).__name__}")
        self.sample = sample
        self.X: list[Any] | None = None
        self.y: list[int] | None = None
        self.classes: list[int] = []
        self.points = False
        self.frames: list[Frame] = []
        if X is not None and y is not None:
            self.set_data(X, y)
        self.title = title
        self.network: Network | None = None
        self.grid_axes: tuple[list[float], list[float]] | None = None
        self.live = LiveView.create(lambda: training_page(self.recording(), start="last"), live)

    @classmethod
    def for_steps(cls, steps: int, frames: int = 50, **options: Any) -> Recorder:
        """A recorder keeping about `frames` evenly spaced frames of a `steps`-step run (plus its last step).

        `options` are the other Recorder arguments. Raises TypeError/ValueError for a bad count.
        """
        check_count(steps, "Recorder.for_steps steps")
        check_count(frames, "Recorder.for_steps frames", minimum=2)
        return cls(every=max(1, steps // frames), **options)

    def set_data(self, X: Sequence[Any], y: Sequence[int]) -> None:
        """Use samples X with labels y (`fit` gives its own to a recorder that has none).

        Labels are class indices 0..C-1, or -1 and +1 (hinge targets). Raises TypeError unless both are
        sequences, ValueError for empty or unequal ones, a label of any other form (naming it) or when `sample`
        does not index X; then nothing changes.
        """
        if isinstance(X, str | bytes) or not isinstance(X, Sequence) or not isinstance(y, Sequence):
            raise TypeError(f"Recorder X and y must be sequences, got {type(X).__name__} and {type(y).__name__}")
        if len(X) == 0 or len(X) != len(y):
            raise ValueError(f"Recorder X and y must be non-empty and of equal length, got {len(X)} and {len(y)}")
        if self.sample >= len(X):
            raise ValueError(f"Recorder sample must index X (0..{len(X) - 1}), got {self.sample}")
        if self.frames:
            raise ValueError("Recorder.set_data: frames were recorded with other data; use a new Recorder")
        labels, classes = class_labels(y)
        self.X, self.y, self.classes = list(X), labels, classes
        # 2-D points have decision regions to draw; images and sequences do not.
        self.points = all(isinstance(x, Sequence) and len(x) == 2 and all(isinstance(v, numbers.Real) for v in x)
                          for x in self.X)

    def is_due(self, step: int) -> bool:
        """Whether `record(step, ...)` would keep a frame without `force`."""
        return step % self.every == 0

    def record(
        self,
        step: int,
        model: object,
        loss: float | Value | None = None,
        accuracy: float | Value | None = None,
        force: bool = False,
    ) -> bool:
        """Keep a frame of `model` at `step` if it is due (or `force`); returns whether one was kept.

        Call it after `backward()` and before `optimizer.step()`, so the gradients are this step's. `loss` and
        `accuracy` are numbers or Values (their data is kept).
        Raises TypeError for a non-Module model or non-number loss/accuracy, ValueError for a step that is
        negative or not after the last recorded one, or a model that differs from the one recorded so far.
        """
        check_count(step, "record step", minimum=0)
        if not isinstance(model, Module):
            raise TypeError(f"the recorder needs an nn Module (an MLP, a CNN, ...), got {type(model).__name__}")
        loss_value = None if loss is None else check_real(_data_of(loss), "record loss")
        accuracy_value = None if accuracy is None else check_real(_data_of(accuracy), "record accuracy")
        if self.frames and step <= self.frames[-1].step:
            raise ValueError(f"record step must increase: got {step} after {self.frames[-1].step}")
        if not (force or self.is_due(step)):
            return False
        network = describe(model)
        if self.network is not None and network != self.network:
            raise ValueError(f"record: this recorder holds frames of {self.network.title}, not of {network.title}")
        # When full, thin to every other frame rather than stop: the page should still show the end of the run.
        full = len(self.frames) >= self.max_frames
        every = 2 * self.every if full else self.every
        if not (force or step % every == 0):
            self.frames, self.every = self.frames[::2], every
            return False
        frame = self._capture(step, model, network, loss_value, accuracy_value)  # if this raises, nothing changed
        if full:
            self.frames, self.every = self.frames[::2], every
        self.network = network
        self.frames.append(frame)
        if self.live is not None:
            self.live.update(force)
        return True

    def _capture(
        self, step: int, model: Module, network: Network, loss: float | None, accuracy: float | None
    ) -> Frame:
        sample = None if self.X is None else self.X[self.sample]
        layers = _dense_layers(model)
        if layers is not None:
            inputs = None if sample is None else [float(v) for v in sample]
            layer_frames = _dense_frames(network, layers, inputs)
        else:
            inputs = None
            layer_frames = [_summary(name, params) for name, params in _parameter_groups(model)]
        regions = None
        if self.points:
            assert self.X is not None
            xs, ys, regions = class_grid(model, self.X, resolution=self.grid)
            self.grid_axes = (xs, ys)
        return Frame(step, loss, accuracy, inputs, layer_frames, regions)

    def recording(self) -> Recording:
        """What the training page shows, as plain data. Raises ValueError when no frame is recorded yet."""
        if not self.frames or self.network is None:
            raise ValueError("the recorder holds no frames yet: record at least one step before saving")
        points = point_classes = sample = None
        if self.X is not None and self.y is not None:
            if self.points:
                points = [[float(v) for v in x] for x in self.X[:MAX_POINTS]]
                point_classes = [self.classes.index(label) for label in self.y[:MAX_POINTS]]
            if self.network.kind == "mlp":
                sample = (self.sample, self.y[self.sample])
        # A model may predict a class no label has (class 2 of 3 outputs): it gets the next colour.
        predicted = max((c for f in self.frames for row in f.regions or [] for c in row), default=0)
        classes = self.classes + list(range(len(self.classes), predicted + 1))
        title = self.title or f"Training {self.network.title}"
        return Recording(title, self.network, self.every, list(self.frames), classes, points, point_classes, sample,
                         self.grid_axes)

    def to_html(self) -> str:
        """The recording as one self-contained HTML page. Raises ValueError when no frame is recorded yet."""
        return training_page(self.recording())

    def save_html(self, path: str | os.PathLike[str]) -> str:
        """Write the page to `path` (UTF-8) and return the path written.

        The whole page is made first and then replaces the file at once, so an error (ValueError when nothing
        is recorded, OSError) leaves an existing file as it was.
        """
        write_atomically(path, self.to_html())
        return os.fspath(path)

    def _repr_html_(self) -> str | None:
        return iframe(self.to_html()) if self.frames else None

    def __repr__(self) -> str:
        what = self.network.title if self.network else "nothing yet"
        steps = f" at steps {self.frames[0].step}..{self.frames[-1].step}" if self.frames else ""
        return f"Recorder({len(self.frames)} frames of {what}{steps}, every={self.every}; save_html(path) writes them)"
