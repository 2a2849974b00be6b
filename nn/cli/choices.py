"""The command line's choices: the data sets and model families `scalargrad train --data/--model` know by name.

To offer a new data set or model on the command line, add one entry to a table here; `train`, `eval`, their
`--help` and `nn.cli.runs.TrainSettings` pick it up. A model lists the data `kind`s it reads ("points" for rows
of numbers; image and sequence sets declare their own kind), and `train` refuses pairs that do not fit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from nn.checks import SettingError, lookup, make_rng
from nn.containers import ReLU, Sequential
from nn.conv import Conv2d
from nn.data import (
    TEXT,
    load_digits,
    load_iris,
    make_bars,
    make_blobs,
    make_chars,
    make_circles,
    make_counting,
    make_moons,
    make_parity,
    make_shapes,
    make_spirals,
    vocabulary,
)
from nn.layers import MLP
from nn.module import Module
from nn.pooling import Flatten, MaxPool2d
from nn.recurrent import RNNClassifier
from nn.training import DEFAULT_STEPS, default_lr

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
    model: str = "mlp"  # the default --model
    n_samples: int = 100
    steps: int = DEFAULT_STEPS  # the default --steps
    batch_size: int | None = None  # the default --batch-size; None: every sample each step


# (data set spec, number of outputs, hidden sizes, seed) -> an untrained model
BuildModel = Callable[[DatasetSpec, int, Sequence[int], int | None], Module]


@dataclass(frozen=True)
class TrainDefaults:
    """How a model family trains when the command line does not say: each applies only where the user gave nothing."""

    hidden: tuple[int, ...] = (16, 16)
    optimizer: str = "sgd"
    lr: float | None = None  # used with `optimizer` only; None (or another optimizer): training.default_lr
    loss: str | None = None  # None: hinge for two classes, cross_entropy for more


@dataclass(frozen=True)
class ModelSpec:
    """A model family: how to build one for a data set, which kinds of data it reads, and how it trains by default."""

    build: BuildModel
    kinds: tuple[str, ...]
    description: str
    defaults: TrainDefaults = TrainDefaults()


# Three centres at radius 2, 120 degrees apart: clusters that touch at noise 0.6 but stay mostly separable,
# near the unit scale the networks are initialised for.
BLOB_CENTERS = [[0.0, 2.0], [-1.732, -1.0], [1.732, -1.0]]


def _blobs(n_samples: int, noise: float, seed: int | None) -> tuple[list[Any], list[int]]:
    return make_blobs(n_samples, centers=BLOB_CENTERS, cluster_std=noise, seed=seed)


def _mlp(data: DatasetSpec, outputs: int, hidden: Sequence[int], seed: int | None) -> Module:
    return MLP(data.shape[0], [*hidden, outputs], seed=seed)


CNN_CHANNELS = 4
SEQUENCE_LENGTH = 4
CHAR_WINDOW = 6


def _cnn(data: DatasetSpec, outputs: int, hidden: Sequence[int], seed: int | None) -> Module:
    # A fixed, small feature extractor keeps a scalar step fast; --hidden sizes the fully connected part.
    channels, height, width = data.shape
    rng = make_rng(seed=seed)
    return Sequential(
        Conv2d(channels, CNN_CHANNELS, 3, padding=1, rng=rng),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        MLP(CNN_CHANNELS * (height // 2) * (width // 2), [*hidden, outputs], rng=rng),
    )


def _recurrent(cell: str) -> BuildModel:
    def build(data: DatasetSpec, outputs: int, hidden: Sequence[int], seed: int | None) -> Module:
        return RNNClassifier(data.shape[-1], list(hidden), outputs, cell=cell, seed=seed)

    return build


def _noiseless(name: str, make: Callable[[int, int | None], tuple[list[Any], list[int]]]) -> MakeData:
    """The maker of a data set without noise, refusing a noise other than 0 instead of ignoring it."""

    def build(n_samples: int, noise: float, seed: int | None) -> tuple[list[Any], list[int]]:
        if noise != 0:
            raise SettingError("noise", f"the {name} data set has no noise, so noise {noise:g} does not apply to it")
        return make(n_samples, seed)

    return build


def _chars(n_samples: int, seed: int | None) -> tuple[list[Any], list[int]]:
    X, y, _ = make_chars(n_samples, window=CHAR_WINDOW, seed=seed)
    return X, y


def _bundled(name: str, load: Callable[[], tuple[list[Any], list[int]]]) -> MakeData:
    """A real data set as a maker: `n_samples` of it, chosen at random by `seed` (all of them, shuffled, by default)."""

    def take(n_samples: int, seed: int | None) -> tuple[list[Any], list[int]]:
        X, y = load()
        if n_samples > len(X):
            raise ValueError(f"the {name} data set has {len(X)} samples, so it cannot give {n_samples}")
        order = make_rng(seed=seed).sample(range(len(X)), n_samples)
        return [X[i] for i in order], [y[i] for i in order]

    return _noiseless(name, take)


DATASETS: MappingProxyType[str, DatasetSpec] = MappingProxyType(
    {
        "moons": DatasetSpec(make_moons, 2, (2,), "points", 0.1, "two interleaving half circles"),
        "circles": DatasetSpec(make_circles, 2, (2,), "points", 0.05, "a small circle inside a larger one"),
        "spirals": DatasetSpec(
            lambda n, noise, seed: make_spirals(n, n_classes=3, noise=noise, seed=seed),
            3, (2,), "points", 0.05, "three interleaved spiral arms", n_samples=150,
        ),
        "blobs": DatasetSpec(_blobs, 3, (2,), "points", 0.6, "three Gaussian clusters"),
        "bars": DatasetSpec(
            lambda n, noise, seed: make_bars(n, noise=noise, seed=seed),
            2, (1, 8, 8), "images", 0.1, "8x8 images of a horizontal or vertical bar", model="cnn",
        ),
        "shapes": DatasetSpec(
            lambda n, noise, seed: make_shapes(n, noise=noise, seed=seed),
            3, (1, 8, 8), "images", 0.1, "8x8 images of a square, a cross or a line", model="cnn", n_samples=600,
            steps=300, batch_size=32,
        ),
        "parity": DatasetSpec(
            _noiseless("parity", lambda n, seed: make_parity(n, length=SEQUENCE_LENGTH, seed=seed)),
            2, (SEQUENCE_LENGTH, 1), "sequences", 0.0, f"{SEQUENCE_LENGTH} random bits, is the count of ones odd",
            model="lstm",
        ),
        "counting": DatasetSpec(
            _noiseless("counting", lambda n, seed: make_counting(n, length=SEQUENCE_LENGTH, seed=seed)),
            SEQUENCE_LENGTH + 1, (SEQUENCE_LENGTH, 1), "sequences", 0.0,
            f"{SEQUENCE_LENGTH} random bits, how many are ones", model="lstm",
        ),
        "chars": DatasetSpec(
            _noiseless("chars", _chars), len(vocabulary(TEXT)), (CHAR_WINDOW, len(vocabulary(TEXT))), "sequences", 0.0,
            f"{CHAR_WINDOW} one-hot characters of a built-in text, which comes next", model="lstm", n_samples=300,
            steps=300, batch_size=32,
        ),
        "digits": DatasetSpec(
            _bundled("digits", load_digits), 10, (1, 8, 8), "images", 0.0,
            "scikit-learn's 8x8 handwritten digits (needs scikit-learn)", model="cnn", n_samples=1797, steps=800,
            batch_size=32,
        ),
        "iris": DatasetSpec(
            _bundled("iris", load_iris), 3, (4,), "points", 0.0,
            "scikit-learn's iris flowers, 4 standardized measurements (needs scikit-learn)", n_samples=150,
        ),
    }
)

# The defaults of each data set and model family are measured to learn on held-out data, in seconds
# (tests/nn/test_learning.py): 120 shapes overfit, 480 learn; digits needs the hidden layer and 800 steps for 97%.
# Measured on parity and counting (100 steps): with SGD at lr 1 or the hinge loss these stay near chance, while
# Adam with cross_entropy learns both; the plain RNN needs a larger step than Adam's default 0.05.
RECURRENT_DEFAULTS = MappingProxyType({
    "rnn": TrainDefaults(hidden=(8,), optimizer="adam", lr=0.1, loss="cross_entropy"),
    "lstm": TrainDefaults(hidden=(8,), optimizer="adam", loss="cross_entropy"),
    "gru": TrainDefaults(hidden=(8,), optimizer="adam", loss="cross_entropy"),
})

MODELS: MappingProxyType[str, ModelSpec] = MappingProxyType(
    {
        "mlp": ModelSpec(_mlp, ("points",), "a multi-layer perceptron, relu hidden layers (--hidden sizes)"),
        "cnn": ModelSpec(
            _cnn, ("images",), f"Conv2d({CNN_CHANNELS} channels, 3x3, padding 1), relu, 2x2 max pool, then an MLP "
            "(--hidden sizes, default 32)", TrainDefaults(hidden=(32,), optimizer="adam", lr=0.01),
        ),
        "rnn": ModelSpec(
            _recurrent("rnn"), ("sequences",), "Elman RNN layers (--hidden sizes, default 8), linear head",
            RECURRENT_DEFAULTS["rnn"],
        ),
        "lstm": ModelSpec(
            _recurrent("lstm"), ("sequences",), "LSTM layers (--hidden sizes, default 8), linear head",
            RECURRENT_DEFAULTS["lstm"],
        ),
        "gru": ModelSpec(
            _recurrent("gru"), ("sequences",), "GRU layers (--hidden sizes, default 8), linear head",
            RECURRENT_DEFAULTS["gru"],
        ),
    }
)


def training_defaults(
    model: str, n_classes: int, hidden: Sequence[int] | None, optimizer: str | None, loss: str | None, lr: float | None
) -> tuple[list[int], str, str, float]:
    """(hidden, optimizer, loss, lr) with each None filled in from the model family's TrainDefaults.

    The family's lr applies only with its own optimizer. Raises ValueError for an unknown model.
    """
    defaults: TrainDefaults = lookup(MODELS, model, "model").defaults
    optimizer = optimizer or defaults.optimizer
    loss = loss or defaults.loss or ("hinge" if n_classes == 2 else "cross_entropy")
    if lr is None:
        lr = defaults.lr if defaults.lr is not None and optimizer == defaults.optimizer else default_lr(optimizer, loss)
    return list(defaults.hidden if hidden is None else hidden), optimizer, loss, lr


def check_fit(model: str, data: str) -> None:
    """Raise ValueError naming both, and what would fit each, unless model family `model` reads data set `data`."""
    spec = lookup(MODELS, model, "model")
    data_spec = lookup(DATASETS, data, "data set")
    if data_spec.kind not in spec.kinds:
        models = [name for name, m in MODELS.items() if data_spec.kind in m.kinds]
        sets = [name for name, d in DATASETS.items() if d.kind in spec.kinds]
        raise ValueError(f"the {model} model reads {' or '.join(spec.kinds)}, but the {data} data set holds "
                         f"{data_spec.kind}: {data} fits --model {'/'.join(models)}, "
                         f"{model} fits --data {'/'.join(sets)}")


def build_model(model: str, data: str, outputs: int, hidden: Sequence[int], seed: int | None) -> Module:
    """An untrained model of family `model` for data set `data`. Raises ValueError for unknown or unfit pairs."""
    check_fit(model, data)
    return MODELS[model].build(DATASETS[data], outputs, hidden, seed)
