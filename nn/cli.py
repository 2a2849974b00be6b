"""`scalargrad`, the command line: train the micrograd demo, train and evaluate other models, draw expressions.

    scalargrad demo                     two moons, MLP(2, [16, 16, 1]), writes a plot and a neuron's graph
    scalargrad train --data spirals     the same loop on another data set, optionally --save model.json
    scalargrad eval model.json          reload a saved model, regenerate its data set, print the accuracy
    scalargrad graph "tanh(x*w + b)" x=2 w=-3 b=6.88    value, gradients and a drawing of an expression

Every mistake in the arguments or files prints one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NoReturn

from engine import Value, no_grad
from engine.draw import DEFAULT_MAX_NODES, GraphTooLargeError, draw_dot
from engine.render import available_renderer, write_image
from nn.expression import parse
from nn.module import Module, load, read_model_file
from nn.plots import plot_training
from nn.registry import DATASETS, MODELS, DatasetSpec, build_model, training_defaults
from nn.training import (
    DEFAULT_LR,
    LOSS_DEFAULT_LR,
    LOSSES,
    OPTIMIZERS,
    History,
    accuracy,
    fit,
    lookup,
    scores_of,
)

PROG = "scalargrad"
# With this seed the demo's defaults reach 100% training accuracy (tests/test_cli.py checks it).
DEMO_SEED = 1337
DEMO_L2 = 1e-4


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: usage is one `--help` away, and a wall of text hides the actual problem."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class UsageError(ValueError):
    """A mistake in the command line or in a file it names; reported as one line, exit status 2."""


# ------------------------------------------------------------------ argument types


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _number(text: str, positive: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise argparse.ArgumentTypeError(f"must be a finite number {'> 0' if positive else '>= 0'}, got {text!r}")
    return value


def _positive(text: str) -> float:
    return _number(text, positive=True)


def _non_negative(text: str) -> float:
    return _number(text, positive=False)


def _sizes(text: str) -> list[int]:
    """Hidden layer sizes such as "16,16"; an empty string means no hidden layer."""
    if not text.strip():
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated sizes like 16,16, got {text!r}") from None
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be at least 1, got {text!r}")
    return sizes


# ------------------------------------------------------------------ training shared by demo, train and eval


@dataclass
class TrainSettings:
    """Everything that decides a training run; saved as the model file's meta so `eval` can rebuild the data."""

    data: str = "moons"
    n_samples: int | None = None  # None: the data set's default
    noise: float | None = None
    seed: int = 0
    model: str = "mlp"
    hidden: list[int] | None = None  # None: the model family's default
    loss: str | None = None  # None: hinge for two classes, cross_entropy for more
    optimizer: str | None = None  # None: the model family's default
    lr: float | None = None
    steps: int = 100
    batch_size: int | None = None
    l2: float = DEMO_L2
    progress: bool = True

    def resolved(self) -> TrainSettings:
        """A copy with every default filled in from the data set and optimizer tables; raises on unknown names."""
        spec: DatasetSpec = lookup(DATASETS, self.data, "data set")
        hidden, optimizer, loss, lr = training_defaults(
            self.model, spec.n_classes, self.hidden, self.optimizer, self.loss, self.lr
        )
        lookup(OPTIMIZERS, optimizer, "optimizer")
        lookup(LOSSES, loss, "loss")
        return TrainSettings(**{
            **asdict(self),
            "n_samples": spec.n_samples if self.n_samples is None else self.n_samples,
            "noise": spec.noise if self.noise is None else self.noise,
            "hidden": hidden,
            "optimizer": optimizer,
            "loss": loss,
            "lr": lr,
            "batch_size": spec.batch_size if self.batch_size is None else self.batch_size,
        })


def make_data(name: str, n_samples: int, noise: float, seed: int) -> tuple[list[Any], list[int]]:
    """Generate data set `name` from the DATASETS table. Raises ValueError for unknown names or bad sizes."""
    spec: DatasetSpec = lookup(DATASETS, name, "data set")
    return spec.make(n_samples, noise, seed)


def train(
    settings: TrainSettings, announce: Callable[[str], None] | None = None
) -> tuple[Module, list[Any], list[int], History]:
    """Generate the data, build the model and run `nn.training.fit`; `settings` must be resolved.

    `announce` (e.g. print) is given a one-line description of the run before training starts.
    """
    assert settings.n_samples is not None and settings.noise is not None and settings.loss is not None
    assert settings.hidden is not None and settings.optimizer is not None
    spec: DatasetSpec = DATASETS[settings.data]
    X, y = make_data(settings.data, settings.n_samples, settings.noise, settings.seed)
    outputs = LOSSES[settings.loss].outputs(spec.n_classes)
    model = build_model(settings.model, settings.data, outputs, settings.hidden, settings.seed)
    if announce is not None:
        data = f"{settings.data} ({settings.n_samples} samples, noise {settings.noise}, seed {settings.seed})"
        how = f"the {settings.loss} loss, {settings.optimizer} at lr {settings.lr:g} for {settings.steps} steps"
        announce(f"training {_architecture(model, settings.model)} on {data} with {how}")
    history = fit(
        model, X, y, loss=settings.loss, optimizer=settings.optimizer, lr=settings.lr, steps=settings.steps,
        batch_size=settings.batch_size, l2=settings.l2, n_classes=spec.n_classes, seed=settings.seed,
        progress=settings.progress,
    )
    return model, X, y, history


def _architecture(model: Module, family: str) -> str:
    """`MLP(2, [16, 16, 1]) with 337 parameters`; other models by family and class, `cnn (Sequential) with ...`."""
    config = model.config()
    if "nin" in config and "nouts" in config:
        name = f"{type(model).__name__}({config['nin']}, {config['nouts']})"
    else:
        name = f"{family} ({type(model).__name__})"
    return f"{name} with {model.num_parameters()} parameters"


def _check_writable_folder(folder: Path, what: str) -> None:
    """Raise UsageError unless `folder` exists and can be written, so a long run never ends in a failed save."""
    if not folder.is_dir():
        raise UsageError(f"{what}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{what}: the folder {folder} is not writable")


def _accuracy_line(model: Module, X: list[Any], y: list[int], label: str) -> str:
    acc = accuracy(model, X, y)
    return f"{label}: {acc:.1%} ({round(acc * len(y))}/{len(y)})"


def _write_drawing(root: Value, path: Path, what: str, names: Module | None = None) -> str:
    """Draw the graph behind `root` to `path` (DOT source next to it when nothing can render); says what was written."""
    with warnings.catch_warnings():
        # write_image warns when it falls back to DOT source; the line returned here says so instead.
        warnings.simplefilter("ignore")
        written = write_image(draw_dot(root, names=names), path)
    if written.suffix.lower() not in (".dot", ".gv"):
        return f"{written} ({what}, rendered with {available_renderer()})"
    if path.suffix.lower() in (".dot", ".gv"):
        return f"{written} ({what} as DOT source)"
    return f"{written} ({what} as DOT source: no Graphviz renderer, install graphviz or pygraphviz for {path.suffix})"


def draw_neuron(model: Module, sample: Sequence[float], path: Path) -> str:
    """Draw the first neuron of the model's first layer on `sample`, after one backward pass; says what was written.

    The model's gradients are zeroed first, so the drawing shows this pass alone, not the last training step's.
    """
    # One neuron on one sample, with gradients, shows what every unit computes.
    first = model.layers[0].neurons[0]  # type: ignore[attr-defined]
    model.zero_grad()
    neuron_out = first([Value(x, label=f"x{i}") for i, x in enumerate(sample)])
    neuron_out.backward()
    return _write_drawing(neuron_out, path, "the graph of one neuron", names=model)


# ------------------------------------------------------------------ commands


def run_demo(args: argparse.Namespace) -> int:
    """micrograd's demo: two moons, an MLP, hinge loss + L2, SGD with a decaying lr; then a plot and a graph."""
    settings = TrainSettings(data="moons", n_samples=100, noise=0.1, seed=args.seed, hidden=args.hidden,
                             loss="hinge", optimizer="sgd", lr=args.lr, steps=args.steps, l2=DEMO_L2,
                             progress=not args.no_progress).resolved()
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {args.out}: cannot create the folder ({exc.strerror or exc})") from None
    _check_writable_folder(out, "--out")
    model, X, y, history = train(settings, announce=print)
    print(_accuracy_line(model, X, y, "final accuracy"))

    written = []
    try:
        plot_training(out / "moons.png", model, X, y, history, title="two moons: decision regions and training")
        written.append(f"{out / 'moons.png'} (decision regions and the loss curve)")
    except ImportError as exc:
        print(f"note: no plot written, {exc}")
    written.append(draw_neuron(model, X[0], out / "neuron.svg"))
    for line in written:
        print(f"wrote {line}")
    return 0


def run_train(args: argparse.Namespace) -> int:
    """Train a model on a generated data set; print the accuracy, optionally save the model and a plot."""
    settings = TrainSettings(data=args.data, n_samples=args.samples, noise=args.noise, seed=args.seed,
                             model=args.model, hidden=args.hidden, loss=args.loss, optimizer=args.optimizer,
                             lr=args.lr, steps=args.steps, batch_size=args.batch_size, l2=args.l2,
                             progress=not args.no_progress).resolved()
    if args.save is not None and Path(args.save).suffix.lower() != ".json":
        raise UsageError(f"--save {args.save}: a model is saved as JSON, use a .json file name")
    if args.plot is not None and DATASETS[settings.data].shape != (2,):
        raise UsageError(f"--plot draws decision regions of 2-D points; {settings.data} samples are not points")
    for option, target in (("--save", args.save), ("--plot", args.plot)):
        if target is not None:
            _check_writable_folder(Path(target).parent, f"{option} {target}")
    model, X, y, history = train(settings, announce=print)
    print(_accuracy_line(model, X, y, "final accuracy"))
    if args.save is not None:
        meta = {key: value for key, value in asdict(settings).items() if key != "progress"}
        model.save(args.save, meta={"trained_with": meta})
        print(f"wrote {args.save} (the model; `{PROG} eval {args.save}` reloads it)")
    if args.plot is not None:
        plot_training(args.plot, model, X, y, history, title=f"{settings.data}: decision regions and training")
        print(f"wrote {args.plot} (decision regions and the loss curve)")
    return 0


def _saved_settings(path: str) -> TrainSettings:
    meta = read_model_file(path)["meta"].get("trained_with")
    if not isinstance(meta, dict):
        raise UsageError(f"{path}: its meta has no 'trained_with' record, so it was not saved by `{PROG} train`")
    try:
        settings = TrainSettings(**meta)
        resolved = settings.resolved()
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{path}: its 'trained_with' record does not describe a data set: {exc}") from None
    checks: dict[str, type | tuple[type, ...]] = {"n_samples": int, "noise": (int, float), "seed": int}
    for key, kind in checks.items():
        value = getattr(resolved, key)
        if isinstance(value, bool) or not isinstance(value, kind):
            raise UsageError(f"{path}: 'trained_with.{key}' must be a number, got {value!r:.40}")
    hidden = resolved.hidden
    if not isinstance(hidden, list) or not all(isinstance(h, int) and not isinstance(h, bool) for h in hidden):
        raise UsageError(f"{path}: 'trained_with.hidden' must be a list of layer sizes, got {hidden!r:.40}")
    if DATASETS[resolved.data].kind not in MODELS[resolved.model].kinds:
        raise UsageError(f"{path}: 'trained_with' pairs a {resolved.model} model with the {resolved.data} data set, "
                         "which it cannot read")
    return resolved


def _check_fits(model: Module, settings: TrainSettings, X: list[Any], path: str) -> None:
    """Raise UsageError naming `path` unless the model reads the data set's samples and gives the loss's outputs."""
    assert settings.loss is not None
    spec: DatasetSpec = DATASETS[settings.data]
    where = f"{path}: the saved {type(model).__name__} does not fit the {settings.data} data set its meta names"
    try:
        outputs = LOSSES[settings.loss].outputs(spec.n_classes)
        with no_grad():
            scores = scores_of(model, X[0])
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{where}: {exc}") from None
    if len(scores) != outputs:
        raise UsageError(f"{where}: it gives {len(scores)} outputs, {spec.n_classes} classes with the "
                         f"{settings.loss} loss need {outputs}")


def run_eval(args: argparse.Namespace) -> int:
    """Reload a model saved by `train --save`, regenerate its data set (or a fresh one) and print the accuracy."""
    settings = _saved_settings(args.model)
    model = load(args.model)
    assert settings.n_samples is not None and settings.noise is not None
    n_samples = settings.n_samples if args.samples is None else args.samples
    noise = settings.noise if args.noise is None else args.noise
    seed = settings.seed if args.seed is None else args.seed
    try:
        X, y = make_data(settings.data, n_samples, noise, seed)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{args.model}: its 'trained_with' record does not describe a data set: {exc}") from None
    _check_fits(model, settings, X, args.model)
    print(f"{args.model}: {_architecture(model, settings.model)}, evaluated on {settings.data} "
          f"({n_samples} samples, noise {noise}, seed {seed})")
    print(_accuracy_line(model, X, y, "accuracy"))
    return 0


_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.+)", re.ASCII)


def _assignments(items: Sequence[str]) -> dict[str, float]:
    values: dict[str, float] = {}
    for item in items:
        match = _ASSIGNMENT.fullmatch(item.strip())
        if match is None:
            raise UsageError(f"expected name=number after the expression, got {item!r}")
        name, text = match.groups()
        try:
            value = float(text)
        except ValueError:
            raise UsageError(f"{item}: {text!r} is not a number") from None
        if not math.isfinite(value):
            raise UsageError(f"{item}: the value must be finite")
        if name in values:
            raise UsageError(f"{name} is given twice")
        values[name] = value
    return values


def run_graph(args: argparse.Namespace) -> int:
    """Parse an expression safely, run backward, print the value and gradients, and draw the graph."""
    out_path = Path(args.out)
    if out_path.suffix.lower() not in (".svg", ".png", ".pdf", ".dot", ".gv"):
        raise UsageError(f"--out {args.out}: use a .svg, .png, .pdf or .dot file name")
    expression = parse(args.expression)
    out, leaves = expression.build(_assignments(args.values))
    if not out.is_leaf:
        out.label = "out"
    out.backward()
    print(f"{args.expression.strip()} = {out.data:.6g}")
    width = max((len(name) for name in leaves), default=0)
    for name, leaf in leaves.items():
        print(f"  {name:<{width}} = {leaf.data:<10.6g} grad {leaf.grad:.6g}")
    try:
        written = _write_drawing(out, out_path, "the graph")
    except GraphTooLargeError:
        raise UsageError(f"the graph of this expression has more than {DEFAULT_MAX_NODES} nodes, too many to draw "
                         "readably; the value and gradients above are complete, draw a shorter expression") from None
    print(f"wrote {written}")
    return 0


# ------------------------------------------------------------------ the parser


def _add_training_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default="moons", choices=list(DATASETS),
                   help="data set: " + "; ".join(f"{k}: {s.description}" for k, s in DATASETS.items()))
    p.add_argument("--model", default="mlp", choices=list(MODELS),
                   help="model: " + "; ".join(f"{k}: {s.description}" for k, s in MODELS.items()))
    p.add_argument("--hidden", type=_sizes, help="hidden layer sizes (default: the model's, 16,16 for mlp)")
    p.add_argument("--loss", choices=list(LOSSES), help="default hinge for two classes, else cross_entropy")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), help="default: the model's, sgd for mlp")
    defaults = ", ".join([*(f"{opt} {lr:g}" for opt, lr in DEFAULT_LR.items()),
                          *(f"{opt} with the {loss} loss {lr:g}" for (loss, opt), lr in LOSS_DEFAULT_LR.items())])
    p.add_argument("--lr", type=_positive,
                   help=f"starting learning rate, decayed linearly to a tenth "
                        f"(default: the model family's, else {defaults})")
    p.add_argument("--steps", type=_count, default=100, help="optimizer steps (default 100)")
    p.add_argument("--batch-size", type=_count, help="samples per step (default: all of them)")
    p.add_argument("--samples", type=_count, help="data set size (default: the data set's own, usually 100)")
    p.add_argument("--noise", type=_non_negative, help="data set noise (default: the data set's own)")
    p.add_argument("--l2", type=_non_negative, default=DEMO_L2, help=f"L2 penalty on the weights (default {DEMO_L2})")
    p.add_argument("--seed", type=int, default=0, help="seed for the data, the initial weights and batches")


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser with the demo, train, eval and graph subcommands."""
    parser = _Parser(prog=PROG, description="A scalar autograd engine and neural networks built from it.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    add: Callable[..., argparse.ArgumentParser] = commands.add_parser

    demo = add("demo", help="train micrograd's two-moons demo and write a plot and a graph",
               description="Train MLP(2, [16, 16, 1]) on two moons (100 samples, noise 0.1) with hinge loss + "
               f"{DEMO_L2} L2 and SGD at lr 1.0 - 0.9*k/steps, then write a plot and one neuron's graph.")
    demo.add_argument("--steps", type=_count, default=100, help="optimizer steps (default 100)")
    demo.add_argument("--seed", type=int, default=DEMO_SEED, help=f"data and weight seed (default {DEMO_SEED})")
    demo.add_argument("--lr", type=_positive, default=1.0, help="starting learning rate (default 1.0)")
    demo.add_argument("--hidden", type=_sizes, default=[16, 16], help="hidden layer sizes (default 16,16)")
    demo.add_argument("--out", default="scalargrad-out", help="folder for the files (default ./scalargrad-out)")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    demo.set_defaults(run=run_demo)

    tr = add("train", help="train a model on a generated data set", description="Train a model on a generated "
             "data set with the demo's loop and print its accuracy; --save keeps it for `eval`.")
    _add_training_options(tr)
    tr.add_argument("--save", metavar="MODEL.json", help="write the trained model (JSON) here")
    tr.add_argument("--plot", metavar="PLOT.png", help="write the decision regions and loss curve here")
    tr.add_argument("--no-progress", action="store_true", help="no progress bar")
    tr.set_defaults(run=run_train)

    ev = add("eval", help="reload a saved model and print its accuracy", description="Reload a model written by "
             "`train --save`, regenerate the data set it was trained on and print the accuracy. --samples, "
             "--noise and --seed draw a different set instead.")
    ev.add_argument("model", metavar="MODEL.json", help="a model file written by `train --save`")
    ev.add_argument("--samples", type=_count, help="data set size (default: as trained)")
    ev.add_argument("--noise", type=_non_negative, help="data set noise (default: as trained)")
    ev.add_argument("--seed", type=int, help="data seed (default: as trained; another seed gives unseen data)")
    ev.set_defaults(run=run_eval)

    gr = add("graph", help="value, gradients and drawing of an expression",
             description="Evaluate an expression of named numbers, run backward and draw its graph. Allowed: "
             "numbers, names, + - * / **, parentheses and exp log tanh sigmoid relu leaky_relu. Example: "
             f"{PROG} graph \"tanh(x*w + b)\" x=2 w=-3 b=6.88. Start an expression that begins with a minus "
             "with a space (\" -x**2\") so it is not read as an option.")
    gr.add_argument("expression", help="the expression, quoted")
    gr.add_argument("values", nargs="*", metavar="name=value", help="a number for every name in the expression")
    gr.add_argument("--out", default="graph.svg", help="drawing file: .svg .png .pdf or .dot (default graph.svg); "
                    "without a Graphviz renderer the DOT source is written next to it")
    gr.set_defaults(run=run_graph)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, or 2 after printing a one-line error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except (ValueError, ArithmeticError, OSError, ImportError) as exc:
        # ExpressionError, UsageError and the library's argument checks are ValueErrors with a clear message.
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"{PROG} {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted", file=sys.stderr)
        return 130


__all__ = ["DEMO_SEED", "TrainSettings", "build_parser", "main", "make_data", "train"]

if __name__ == "__main__":
    sys.exit(main())
