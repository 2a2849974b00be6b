"""What a recording holds, as plain data: the frames the Recorder keeps and the Recording the training page draws.

This module imports nothing from the rest of `nn.watch`, so the recorder, the page and the live view all
depend on it and not on each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Histogram:
    """`counts[i]` values fall in the i-th of len(counts) equal bins spanning [low, high]."""

    low: float
    high: float
    counts: list[int]


@dataclass(frozen=True)
class LayerFrame:
    """One layer at one step. `weight[i][j]` is the weight from input j to neuron i (PyTorch's layout), with
    `weight_grad` alike; `output` is each neuron's output on the recorded sample. For a model that is not an
    MLP, or a layer too large to draw, the lists that are not summaries are None. The summaries are histograms
    of the layer's parameters (weights and biases) and of their gradients, and their mean absolute values.
    """

    name: str
    weight: list[list[float]] | None
    bias: list[float] | None
    weight_grad: list[list[float]] | None
    bias_grad: list[float] | None
    output: list[float] | None
    histogram: Histogram
    grad_histogram: Histogram
    mean_abs: float
    mean_abs_grad: float


@dataclass(frozen=True)
class Frame:
    """The model at one recorded step: its loss and accuracy (None if not given), its layers, the recorded
    sample's inputs (None without data or for a model that is not an MLP) and the decision regions (class
    per grid cell, `regions[i][j]` at (grid_x[j], grid_y[i]); None unless the samples are 2-D points).
    """

    step: int
    loss: float | None
    accuracy: float | None
    inputs: list[float] | None
    layers: list[LayerFrame]
    regions: list[list[int]] | None


@dataclass(frozen=True)
class Network:
    """What is drawn: "mlp" (layers of circles) or "summary" (a per-layer summary), the layer sizes of an MLP
    (inputs first), each layer's activation, and `drawn`: whether every weight gets its own edge (if not,
    `note` says why).
    """

    kind: str
    title: str
    sizes: list[int]
    activations: list[str]
    layer_names: list[str]
    drawn: bool
    note: str


@dataclass(frozen=True)
class Recording:
    """Everything the training page shows, taken from a Recorder at one moment.

    `classes[k]` is the label drawn in colour k (e.g. [0, 1, 2], or [-1, 1] for hinge targets); `points` are
    2-D samples with their colour indices `point_classes`; `sample` is the index and label of the sample whose
    neuron outputs are recorded; `grid` the decision regions' axes. Lists that do not apply are None.
    """

    title: str
    network: Network
    every: int
    frames: list[Frame]
    classes: list[int]
    points: list[list[float]] | None
    point_classes: list[int] | None
    sample: tuple[int, int] | None
    grid: tuple[list[float], list[float]] | None
