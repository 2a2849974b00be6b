"""Training runs described by settings: the data, a held-out split, the model, training and model files.

The `scalargrad` command line is a thin layer over these functions, and notebooks can call them too.
`TrainSettings` names a data set and a model family (the tables in `nn.cli.choices`); every field left None
takes its default there (the data set's model, size, steps and batch size; the model family's layers,
optimiser and rate) or in `nn.training`. `train(settings)` makes the data, holds out its last
`holdout` part (the data sets come shuffled, so that is a random part, the same for the same settings),
builds the model and fits it on the rest. `save_run` writes the model with its settings, and `load_run`
reads both back and regenerates the very same split, so a saved model is scored on samples it never saw.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine import no_grad
from nn.checks import SettingError, check_count, check_number, check_positive, check_scale, is_int, lookup
from nn.cli.choices import DATASETS, MODELS, DatasetSpec, build_model, check_fit, training_defaults
from nn.limits import MAX_SAMPLES, MAX_STEPS
from nn.loading import load
from nn.model_file import read_model_file
from nn.module import Module
from nn.training import DEFAULT_L2, LOSSES, OPTIMIZERS, History, accuracy, fit, scores_of

if TYPE_CHECKING:
    from nn.watch.recorder import Recorder

# With this seed the demo's defaults reach 100% training accuracy (tests/test_cli.py checks it).
DEMO_SEED = 1337
# The part of a data set that `train` keeps out of training to score the model on.
HOLDOUT = 0.2
# At most this much of a data set may be held out, so that something is left to train on.
MAX_HOLDOUT = 0.9
# The generated data sets have unit scale: noise far beyond it buries every pattern and overflows training.
MAX_NOISE = 100.0
# Where commands write the files they are given bare names for.
OUT_DIR = Path("scalargrad-out")

Data = tuple[list[Any], list[int]]


@dataclass
class TrainSettings:
    """Everything that decides a training run; saved in the model file's meta so `load_run` can rebuild the data."""

    data: str = "moons"
    n_samples: int | None = None  # None: the data set's default; held-out samples included
    noise: float | None = None
    seed: int = 0
    model: str | None = None  # None: the data set's default model
    hidden: list[int] | None = None  # None: the model family's default
    loss: str | None = None  # None: hinge for two classes, cross_entropy for more
    optimizer: str | None = None  # None: the model family's default
    lr: float | None = None
    steps: int | None = None  # None: the data set's default
    batch_size: int | None = None
    l2: float = DEFAULT_L2
    holdout: float = HOLDOUT
    progress: bool = True

    def resolved(self) -> TrainSettings:
        """A copy with every default filled in and every value checked against its limit.

        Raises SettingError (a ValueError) naming the setting for a wrong value, TypeError for a wrong type.
        """
        spec: DatasetSpec = _checked("data", lookup, DATASETS, self.data, "data set")
        model = spec.model if self.model is None else self.model
        _checked("model", lookup, MODELS, model, "model")
        # Here, before the model is built, where --hidden would be blamed for it.
        _checked("model", check_fit, model, self.data)
        if self.optimizer is not None:
            _checked("optimizer", lookup, OPTIMIZERS, self.optimizer, "optimizer")
        if self.loss is not None:
            _checked("loss", lookup, LOSSES, self.loss, "loss")
        if not is_int(self.seed):
            raise TypeError(f"seed must be an int, got {type(self.seed).__name__}")
        if self.hidden is not None:
            if not isinstance(self.hidden, list | tuple):
                raise TypeError(f"hidden must be a list of layer sizes, got {type(self.hidden).__name__}")
            for i, size in enumerate(self.hidden):
                _checked("hidden", check_count, size, f"hidden[{i}]")
        hidden, optimizer, loss, lr = training_defaults(
            model, spec.n_classes, self.hidden, self.optimizer, self.loss, self.lr
        )
        n_samples: int = spec.n_samples if self.n_samples is None else self.n_samples
        _checked("n_samples", check_count, n_samples, "n_samples", 1, MAX_SAMPLES)
        noise = spec.noise if self.noise is None else self.noise
        settings = replace(
            self,
            model=model,
            n_samples=n_samples,
            noise=_checked("noise", check_scale, noise, "noise", MAX_NOISE),
            hidden=hidden,
            optimizer=optimizer,
            loss=loss,
            lr=_checked("lr", check_positive, lr, "lr"),
            steps=_checked("steps", check_count, spec.steps if self.steps is None else self.steps, "steps", 1,
                           MAX_STEPS),
            l2=_checked("l2", check_scale, self.l2, "l2"),
            holdout=_checked("holdout", check_number, self.holdout, "holdout", 0.0, MAX_HOLDOUT),
            batch_size=spec.batch_size if self.batch_size is None else self.batch_size,
        )
        if settings.batch_size is not None:
            _checked("batch_size", check_count, settings.batch_size, "batch_size", 1, MAX_SAMPLES)
        held = held_out_count(n_samples, settings.holdout)
        if settings.holdout and not 0 < held < n_samples:
            raise SettingError("holdout", f"holding out {settings.holdout:g} of {n_samples} samples leaves "
                                          f"{held} to score and {n_samples - held} to train on; use more samples")
        return settings


def _checked(setting: str, check: Callable[..., Any], *args: Any) -> Any:
    """`check(*args)`, its ValueError re-raised as a SettingError naming `setting`."""
    try:
        return check(*args)
    except SettingError:
        raise
    except ValueError as exc:
        raise SettingError(setting, str(exc)) from None


# micrograd's demo: two moons (100 samples, noise 0.1), MLP(2, [16, 16, 1]), hinge loss, SGD at lr 1.0,
# trained on every sample as micrograd does. The sizes and rates are the defaults of the tables.
DEMO = TrainSettings(data="moons", seed=DEMO_SEED, model="mlp", loss="hinge", optimizer="sgd", holdout=0.0)


def make_data(name: str, n_samples: int, noise: float, seed: int) -> Data:
    """Generate data set `name` from the DATASETS table. Raises ValueError for unknown names or bad sizes."""
    spec: DatasetSpec = lookup(DATASETS, name, "data set")
    return spec.make(n_samples, noise, seed)


def held_out_count(n_samples: int, holdout: float) -> int:
    """How many of `n_samples` samples a `holdout` fraction keeps out of training (rounded)."""
    return round(n_samples * holdout)


def split(X: list[Any], y: list[int], holdout: float) -> tuple[Data, Data]:
    """((training samples, labels), (held-out samples, labels)): the last `holdout` part is held out."""
    cut = len(X) - held_out_count(len(X), holdout)
    return (X[:cut], y[:cut]), (X[cut:], y[cut:])


@dataclass
class Run:
    """A trained (or reloaded) model with the settings it was trained with and both parts of its data."""

    settings: TrainSettings
    model: Module
    train: Data
    held_out: Data
    history: History = field(default_factory=History)  # empty for a reloaded model


def describe_data(settings: TrainSettings) -> str:
    """`moons (100 samples, 20 held out, noise 0.1, seed 0)` for resolved settings."""
    assert settings.n_samples is not None
    held = held_out_count(settings.n_samples, settings.holdout)
    part = f", {held} held out" if held else ""
    return f"{settings.data} ({settings.n_samples} samples{part}, noise {settings.noise}, seed {settings.seed})"


def architecture(model: Module, family: str) -> str:
    """`MLP(2, [16, 16, 1]) with 337 parameters`; other models by family and class, `cnn (Sequential) with ...`."""
    config = model.config()
    if "nin" in config and "nouts" in config:
        name = f"{type(model).__name__}({config['nin']}, {config['nouts']})"
    else:
        name = f"{family} ({type(model).__name__})"
    return f"{name} with {model.num_parameters()} parameters"


def build(settings: TrainSettings) -> Module:
    """The untrained model that resolved `settings` describe; a model over the size limit blames `hidden`."""
    assert settings.loss is not None and settings.hidden is not None and settings.model is not None
    spec: DatasetSpec = DATASETS[settings.data]
    outputs = _checked("loss", LOSSES[settings.loss].outputs, spec.n_classes)
    try:
        return build_model(settings.model, settings.data, outputs, settings.hidden, settings.seed)
    except ValueError as exc:
        raise SettingError("hidden", str(exc)) from None


def train(
    settings: TrainSettings, announce: Callable[[str], None] | None = None, recorder: Recorder | None = None
) -> Run:
    """Make the data, hold out its `holdout` part, build the model and fit it; `settings` must be resolved.

    `announce` (e.g. print) is given a one-line description of the run before training starts; `recorder`
    (an `nn.Recorder`) is handed to `fit`. Raises
    SettingError naming the setting at fault (for example "lr" when training diverges).
    """
    assert settings.n_samples is not None and settings.noise is not None
    assert settings.loss is not None and settings.optimizer is not None
    assert settings.model is not None and settings.steps is not None
    X, y = make_data(settings.data, settings.n_samples, settings.noise, settings.seed)
    train_part, held_part = split(X, y, settings.holdout)
    model = build(settings)
    if announce is not None:
        how = f"the {settings.loss} loss, {settings.optimizer} at lr {settings.lr:g} for {settings.steps} steps"
        announce(f"training {architecture(model, settings.model)} on {describe_data(settings)} with {how}")
    history = fit(
        model, *train_part, loss=settings.loss, optimizer=settings.optimizer, lr=settings.lr,
        steps=settings.steps, batch_size=settings.batch_size, l2=settings.l2,
        n_classes=DATASETS[settings.data].n_classes, seed=settings.seed, progress=settings.progress,
        recorder=recorder,
    )
    return Run(settings, model, train_part, held_part, history)


def accuracy_line(model: Module, data: Data, label: str) -> str:
    """`held-out accuracy: 95.0% (19/20)`: the accuracy of `model` on `data`, as a line to print."""
    X, y = data
    acc = accuracy(model, X, y)
    return f"{label}: {acc:.1%} ({round(acc * len(y))}/{len(y)})"


def save_run(run: Run, path: str | os.PathLike[str]) -> None:
    """Write the model to `path` with its settings as the meta "trained_with", for `load_run`."""
    meta = {key: value for key, value in asdict(run.settings).items() if key != "progress"}
    run.model.save(path, meta={"trained_with": meta})


def load_run(
    path: str | os.PathLike[str], n_samples: int | None = None, noise: float | None = None, seed: int | None = None
) -> Run:
    """Reload a model saved by `save_run` and regenerate its data: the same split, or a fresh set.

    With `n_samples`, `noise` or `seed` the data set is drawn anew with them, and all of it is `held_out`
    (none of it was trained on; `train` is empty). Raises ValueError naming the file when it was not saved
    by `save_run`, its settings are unusable or the model does not fit its data; SettingError for a bad override.
    """
    where = os.fspath(path)
    record = read_model_file(path)["meta"].get("trained_with")
    if not isinstance(record, dict):
        raise ValueError(f"{where}: its meta has no 'trained_with' record, so it was not saved by `train`")
    # Files written before held-out splits trained on every sample.
    record = {"holdout": 0.0, **record}
    try:
        settings = TrainSettings(**record).resolved()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: its 'trained_with' record does not describe a data set: {exc}") from None
    model = load(path)
    assert settings.n_samples is not None and settings.noise is not None
    if n_samples is None and noise is None and seed is None:
        try:
            X, y = make_data(settings.data, settings.n_samples, settings.noise, settings.seed)
        except ValueError as exc:  # a record naming noise for a set without any, say: the file is at fault
            raise ValueError(f"{where}: its 'trained_with' record does not describe a data set: {exc}") from None
        train_part, held_part = split(X, y, settings.holdout)
    else:
        fresh = replace(settings, holdout=0.0, n_samples=settings.n_samples if n_samples is None else n_samples,
                        noise=settings.noise if noise is None else noise, seed=settings.seed if seed is None else seed)
        fresh = fresh.resolved()
        assert fresh.n_samples is not None and fresh.noise is not None
        train_part, held_part = ([], []), make_data(fresh.data, fresh.n_samples, fresh.noise, fresh.seed)
        settings = fresh
    _check_fits(model, settings, held_part[0] or train_part[0], where)
    return Run(settings, model, train_part, held_part)


def _check_fits(model: Module, settings: TrainSettings, X: list[Any], where: str) -> None:
    """Raise ValueError naming the file unless the model reads the data set's samples and gives the loss's outputs."""
    assert settings.loss is not None
    spec: DatasetSpec = DATASETS[settings.data]
    problem = f"{where}: the saved {type(model).__name__} does not fit the {settings.data} data set its meta names"
    try:
        outputs = LOSSES[settings.loss].outputs(spec.n_classes)
        with no_grad():
            scores = scores_of(model, X[0])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{problem}: {exc}") from None
    if len(scores) != outputs:
        raise ValueError(f"{problem}: it gives {len(scores)} outputs, {spec.n_classes} classes with the "
                         f"{settings.loss} loss need {outputs}")


# ------------------------------------------------------------------ where files go


def is_bare_name(given: str) -> bool:
    """Whether `given` is a file name with no folder in it (`model.json`, not `./model.json` or `out/model.json`)."""
    return not any(sep and sep in given for sep in (os.sep, os.altsep))


def output_path(given: str, suffixes: Sequence[str]) -> Path:
    """Where a command writes the file `given`: under OUT_DIR for a bare name, else the path as given.

    Checked before any work is done, creating nothing (`make_parent` does, just before writing): raises
    ValueError for an empty name, a suffix not in `suffixes`, or a folder that cannot be written.
    """
    if not given.strip():
        raise ValueError("an empty file name")
    path = Path(given)
    if path.suffix.lower() not in suffixes:
        raise ValueError(f"use a {', '.join(suffixes[:-1])} or {suffixes[-1]} file name" if len(suffixes) > 1
                         else f"use a {suffixes[0]} file name")
    if is_bare_name(given):
        path = OUT_DIR / path
        # A folder that does not exist yet is made where it would go.
        check_writable_folder(OUT_DIR if OUT_DIR.exists() else OUT_DIR.parent)
    else:
        check_writable_folder(path.parent)
    check_output_file(path)
    return path


def check_output_file(path: Path) -> None:
    """Raise ValueError unless a file can be written at `path`: nothing is there, or a file that can be replaced.

    The one check of every file a command writes, made before any work, so a run never ends in a failed write.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte
        raise ValueError(f"cannot write {path} ({getattr(exc, 'strerror', None) or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ValueError(f"{path} is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{path} is not a regular file (a device or a pipe)")
    if not os.access(path, os.W_OK):
        raise ValueError(f"{path} exists and is not writable")


def make_parent(path: Path) -> Path:
    """`path` after creating its folder if needed (OUT_DIR on first use); raises OSError if that fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def output_folder(given: str) -> Path:
    """The folder `given`, created if needed, after checking it can be written. Raises ValueError otherwise."""
    if not given.strip():
        raise ValueError("an empty folder name; give a folder such as ./scalargrad-out")
    folder = Path(given)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cannot create the folder ({exc.strerror or exc})") from None
    check_writable_folder(folder)
    return folder


def check_writable_folder(folder: Path) -> None:
    """Raise ValueError unless `folder` exists and can be written, so a long run never ends in a failed save."""
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder} is a file, not a folder")
    if not folder.is_dir():
        raise ValueError(f"the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"the folder {folder} is not writable")


def model_file(given: str) -> Path:
    """The model file a command reads: `given` as it is, or OUT_DIR/given for a bare name found only there."""
    path = Path(given)
    if is_bare_name(given) and not path.exists() and (OUT_DIR / path).exists():
        return OUT_DIR / path
    return path
