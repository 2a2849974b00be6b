"""The data sets and models the `scalargrad` command line knows, as two tables.

To offer a new data set or model on the command line, add one entry here; `train`, `eval` and their
`--help` pick it up. A model lists the data `kind`s it reads ("points" for rows of numbers; image and
sequence sets declare their own kind), and `train` refuses pairs that do not fit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from nn.data import make_blobs, make_circles, make_moons, make_spirals
from nn.layers import MLP
from nn.module import Module
from nn.training import lookup

# (n_samples, noise, seed) -> (samples, labels 0..n_classes-1)
MakeData = Callable[[int, float, int | None], tuple[list[Any], list[int]]]


@dataclass(frozen=True)
class DatasetSpec:
    """A labelled data set the CLI can regenerate from (n_samples, noise, seed), and what its samples look like."""

    make: MakeData
    n_classes: int
    shape: tuple[int, ...]  # of one sample: (2,) for a point, e.g. (1, 8, 8) for an image
    kind: str
    noise: float  # the default noise
    description: str
    n_samples: int = 100


# (data set spec, number of outputs, hidden sizes, seed) -> an untrained model
BuildModel = Callable[[DatasetSpec, int, Sequence[int], int | None], Module]


@dataclass(frozen=True)
class ModelSpec:
    """A model family: how to build one for a data set, and which kinds of data it reads."""

    build: BuildModel
    kinds: tuple[str, ...]
    description: str


# Three centres at radius 2, 120 degrees apart: clusters that touch at noise 0.6 but stay mostly separable,
# near the unit scale the networks are initialised for.
BLOB_CENTERS = [[0.0, 2.0], [-1.732, -1.0], [1.732, -1.0]]


def _blobs(n_samples: int, noise: float, seed: int | None) -> tuple[list[Any], list[int]]:
    return make_blobs(n_samples, centers=BLOB_CENTERS, cluster_std=noise, seed=seed)


def _mlp(data: DatasetSpec, outputs: int, hidden: Sequence[int], seed: int | None) -> Module:
    return MLP(data.shape[0], [*hidden, outputs], seed=seed)


DATASETS: MappingProxyType[str, DatasetSpec] = MappingProxyType(
    {
        "moons": DatasetSpec(make_moons, 2, (2,), "points", 0.1, "two interleaving half circles"),
        "circles": DatasetSpec(make_circles, 2, (2,), "points", 0.05, "a small circle inside a larger one"),
        "spirals": DatasetSpec(
            lambda n, noise, seed: make_spirals(n, n_classes=3, noise=noise, seed=seed),
            3, (2,), "points", 0.05, "three interleaved spiral arms", n_samples=150,
        ),
        "blobs": DatasetSpec(_blobs, 3, (2,), "points", 0.6, "three Gaussian clusters"),
    }
)

MODELS: MappingProxyType[str, ModelSpec] = MappingProxyType(
    {
        "mlp": ModelSpec(_mlp, ("points",), "a multi-layer perceptron, relu hidden layers (--hidden sizes)"),
    }
)


def build_model(model: str, data: str, outputs: int, hidden: Sequence[int], seed: int | None) -> Module:
    """An untrained model of family `model` for data set `data`. Raises ValueError for unknown or unfit pairs."""
    spec = lookup(MODELS, model, "model")
    data_spec = lookup(DATASETS, data, "data set")
    if data_spec.kind not in spec.kinds:
        raise ValueError(f"the {model} model reads {' or '.join(spec.kinds)}, but {data} holds {data_spec.kind}")
    return spec.build(data_spec, outputs, hidden, seed)
