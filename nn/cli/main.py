"""`scalargrad`, the command line: train the micrograd demo, train and evaluate other models, draw expressions.

    scalargrad demo                     two moons, MLP(2, [16, 16, 1]), writes a plot and a neuron's graph
    scalargrad train --data spirals     the same loop on another data set, scored on held-out samples
    scalargrad eval model.json          reload a saved model, regenerate its held-out samples, print the accuracy
    scalargrad graph "tanh(x*w + b)" x=2 w=-3 b=6.88    value, gradients and a drawing of an expression

This module only parses arguments and prints; the work is done by `nn.cli.runs` (data, training, model files),
`nn.watch.plots` (pictures) and `nn.cli.expression_parser` (the graph command's parser). Each subcommand is one `run_*`
function and one block in `build_parser`. Every mistake prints one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from engine.draw.dot import GraphTooLargeError
from engine.draw.render import available_renderer
from nn.checks import SettingError, check_count, check_number, check_positive, check_scale
from nn.cli.choices import DATASETS, MODELS
from nn.cli.expression_parser import FUNCTION_NAMES, parse
from nn.cli.runs import (
    DEMO,
    DEMO_SEED,
    MAX_HOLDOUT,
    MAX_NOISE,
    OUT_DIR,
    TrainSettings,
    accuracy_line,
    architecture,
    check_output_file,
    describe_data,
    load_run,
    make_parent,
    model_file,
    output_folder,
    output_path,
    save_run,
    train,
)
from nn.interop.torch_files import export_model_file, parse_shape
from nn.limits import MAX_SAMPLES, MAX_STEPS
from nn.training import DEFAULT_LR, DEFAULT_STEPS, LOSS_DEFAULT_LR, LOSSES, OPTIMIZERS
from nn.watch.plots import (
    DRAWING_SUFFIXES,
    PLOT_SUFFIXES,
    draw_neuron,
    plot_training,
    require_matplotlib,
    write_drawing,
    write_page,
)
from nn.watch.recorder import Recorder

PROG = "scalargrad"
# The flag that sets each field of TrainSettings, to name it when a SettingError blames that field.
FLAGS = {
    "data": "--data", "n_samples": "--samples", "noise": "--noise", "seed": "--seed", "model": "--model",
    "hidden": "--hidden", "loss": "--loss", "optimizer": "--optimizer", "lr": "--lr", "steps": "--steps",
    "batch_size": "--batch-size", "l2": "--l2", "holdout": "--holdout",
}
# The files `demo` writes into its --out folder.
DEMO_PLOT, DEMO_DRAWING, DEMO_PAGE, DEMO_TRAINING = "moons.png", "neuron.svg", "backprop.html", "training.html"


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: usage is one `--help` away, and a wall of text hides the actual problem."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class UsageError(ValueError):
    """A mistake in the command line or in a file it names; reported as one line, exit status 2."""


# ------------------------------------------------------------------ argument types


def _argument(parse_text: Callable[[str], Any], expected: str, check: Callable[..., Any], *limits: Any) -> Any:
    """An argparse type: parse the text, then apply the library's own `check` with `limits` to the value."""

    def convert(text: str) -> Any:
        try:
            value = parse_text(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        try:
            return check(value, "value", *limits)
        except (TypeError, ValueError) as exc:
            # argparse names the flag itself: "argument --lr: must be a finite number > 0, got -1.0".
            raise argparse.ArgumentTypeError(str(exc).removeprefix("value ")) from None

    return convert


_steps = _argument(int, "a whole number", check_count, 1, MAX_STEPS)
_samples = _argument(int, "a whole number", check_count, 1, MAX_SAMPLES)
_positive = _argument(float, "a number", check_positive)
_non_negative = _argument(float, "a number", check_scale)
_noise = _argument(float, "a number", check_scale, MAX_NOISE)
_holdout = _argument(float, "a number", check_number, 0.0, MAX_HOLDOUT)


def _shape(text: str) -> tuple[int, ...]:
    """The shape of one input sample such as "1,8,8", bounded by nn.limits before anything is allocated."""
    try:
        return parse_shape(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _sizes(text: str) -> list[int]:
    """Hidden layer sizes such as "16,16"; an empty string means no hidden layer."""
    if not text.strip():
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated sizes like 16,16, got {text!r:.40}") from None
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be at least 1, got {text!r:.40}")
    return sizes


def _file(flag: str, given: str, suffixes: Sequence[str]) -> Path:
    """The path to write `given` (a bare name goes under ./scalargrad-out/), checked now, before any training."""
    try:
        return output_path(given, suffixes)
    except ValueError as exc:
        raise UsageError(f"{_shown(flag, given)}: {exc}") from None


def _drawing_fallback(path: Path) -> Path:
    """Where a drawing is written: `path`, or its DOT source beside it when no Graphviz renderer is installed."""
    rendered = path.suffix.lower() in (".dot", ".gv") or available_renderer() is not None
    return path if rendered else path.with_suffix(".dot")


def _writable(flag: str, given: str, path: Path) -> None:
    """Refuse, naming the flag, a path where a file cannot be written (a folder in the way, say), before any work."""
    try:
        check_output_file(path)
    except ValueError as exc:
        raise UsageError(f"{_shown(flag, given)}: {exc}") from None


def _folder(flag: str, given: str) -> Path:
    """The folder `given`, created and checked now, before any training."""
    try:
        return output_folder(given)
    except ValueError as exc:
        raise UsageError(f"{_shown(flag, given)}: {exc}") from None


def _shown(flag: str, given: str) -> str:
    # A blank value is quoted, or the message would show nothing after the flag.
    return f"{flag} {given}" if given.strip() else f"{flag} {given!r}"


# ------------------------------------------------------------------ commands


def run_demo(args: argparse.Namespace) -> int:
    """micrograd's demo: two moons, an MLP, hinge loss + L2, SGD with a decaying lr; then a plot and a graph."""
    settings = replace(DEMO, seed=args.seed, hidden=args.hidden, lr=args.lr, steps=args.steps,
                       progress=not args.no_progress).resolved()
    out = _folder("--out", args.out)
    for path in (out / DEMO_PLOT, _drawing_fallback(out / DEMO_DRAWING), out / DEMO_PAGE, out / DEMO_TRAINING):
        _writable("--out", args.out, path)
    assert settings.steps is not None
    recorder = Recorder.for_steps(settings.steps, live=False)
    run = train(settings, announce=print, recorder=recorder)
    print(accuracy_line(run.model, run.train, "final accuracy"))

    written = []
    try:
        plot_training(out / DEMO_PLOT, run.model, *run.train, run.history,
                      title="two moons: decision regions and training")
        written.append(f"{out / DEMO_PLOT} (decision regions and the loss curve)")
    except ImportError as exc:
        print(f"note: no plot written, {exc}")
    written.append(draw_neuron(run.model, run.train[0][0], out / DEMO_DRAWING, page=out / DEMO_PAGE))
    written.append(f"{recorder.save_html(out / DEMO_TRAINING)} (the run step by step: open it in a browser)")
    for line in written:
        print(f"wrote {line}")
    return 0


def run_train(args: argparse.Namespace) -> int:
    """Train a model on a generated data set; print training and held-out accuracy; save the model, plot it."""
    settings = TrainSettings(data=args.data, n_samples=args.samples, noise=args.noise, seed=args.seed,
                             model=args.model, hidden=args.hidden, loss=args.loss, optimizer=args.optimizer,
                             lr=args.lr, steps=args.steps, batch_size=args.batch_size, l2=args.l2,
                             holdout=args.holdout, progress=not args.no_progress).resolved()
    save = None if args.save is None else _file("--save", args.save, (".json",))
    plot = None
    if args.plot is not None:
        if DATASETS[settings.data].shape != (2,):
            raise UsageError(f"--plot draws decision regions of 2-D points; {settings.data} samples are not points")
        require_matplotlib()
        plot = _file("--plot", args.plot, PLOT_SUFFIXES)
    run = train(settings, announce=print)
    print(accuracy_line(run.model, run.train, "training accuracy"))
    if run.held_out[1]:
        print(accuracy_line(run.model, run.held_out, "held-out accuracy"))
    if save is not None:
        save_run(run, make_parent(save))
        print(f"wrote {save} (the model; `{PROG} eval {save}` scores it on its held-out samples)")
    if plot is not None:
        title = f"{settings.data}: decision regions and training"
        plot_training(make_parent(plot), run.model, *run.train, run.history, title=title, held_out=run.held_out)
        print(f"wrote {plot} (decision regions with the training and held-out samples, and the loss curve)")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    """Reload a model saved by `train --save` and score it on its held-out samples (or on a fresh data set)."""
    path = model_file(args.model)
    run = load_run(path, n_samples=args.samples, noise=args.noise, seed=args.seed)
    assert run.settings.model is not None
    print(f"{path}: {architecture(run.model, run.settings.model)}, evaluated on {describe_data(run.settings)}")
    if not run.train[1]:
        print(accuracy_line(run.model, run.held_out, "fresh-set accuracy"))
    elif run.held_out[1]:
        print(accuracy_line(run.model, run.held_out, "held-out accuracy"))
    else:
        print(accuracy_line(run.model, run.train, "training accuracy (trained with no held-out samples)"))
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
    out_path = _file("--out", args.out, DRAWING_SUFFIXES)
    _writable("--out", args.out, _drawing_fallback(out_path))
    page_path = None if args.html is None else _file("--html", args.html, (".html", ".htm"))
    out, leaves = parse(args.expression).build(_assignments(args.values))
    if not out.is_leaf:
        out.label = "out"
    out.backward()
    print(f"{args.expression.strip()} = {out.data:.6g}")
    width = max((len(name) for name in leaves), default=0)
    for name, leaf in leaves.items():
        print(f"  {name:<{width}} = {leaf.data:<10.6g} grad {leaf.grad:.6g}")
    try:
        written = write_drawing(out, make_parent(out_path), "the graph")
        if page_path is not None:
            written += f"\nwrote {write_page(out, make_parent(page_path), 'the graph')}"
    except GraphTooLargeError:
        raise UsageError("the graph of this expression is too big to draw quickly; the value and gradients above "
                         "are complete, draw a shorter expression") from None
    print(f"wrote {written}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Write a saved model as ONNX and/or a PyTorch program (the work is nn.interop.torch_files.export_model_file)."""
    onnx = None if args.onnx is None else str(make_parent(_file("--onnx", args.onnx, (".onnx",))))
    program = None if args.torch is None else str(make_parent(_file("--torch", args.torch, (".pt2",))))
    print(*export_model_file(str(model_file(args.model)), onnx, program, args.input_shape), sep="\n")
    return 0


# ------------------------------------------------------------------ the parser


def _add_training_options(p: argparse.ArgumentParser) -> None:
    defaults = TrainSettings()
    p.add_argument("--data", default=defaults.data, choices=list(DATASETS),
                   help="data set: " + "; ".join(f"{k}: {s.description}" for k, s in DATASETS.items()))
    p.add_argument("--model", default=defaults.model, choices=list(MODELS),
                   help="model (default: the data set's own, mlp for points): "
                   + "; ".join(f"{k}: {s.description}" for k, s in MODELS.items()))
    mlp = MODELS["mlp"].defaults
    p.add_argument("--hidden", type=_sizes, help="hidden layer sizes (default: the model's, "
                   f"{','.join(map(str, mlp.hidden))} for mlp)")
    p.add_argument("--loss", choices=list(LOSSES), help="default hinge for two classes, else cross_entropy")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), help=f"default: the model's, {mlp.optimizer} for mlp")
    lrs = ", ".join([*(f"{opt} {lr:g}" for opt, lr in DEFAULT_LR.items()),
                     *(f"{opt} with the {loss} loss {lr:g}" for (loss, opt), lr in LOSS_DEFAULT_LR.items())])
    p.add_argument("--lr", type=_positive, help="starting learning rate, decayed linearly to a tenth "
                   f"(default: the model family's, else {lrs})")
    p.add_argument("--steps", type=_steps, default=defaults.steps,
                   help=f"optimizer steps (default: the data set's, mostly {DEFAULT_STEPS}; at most {MAX_STEPS:,})")
    p.add_argument("--batch-size", type=_samples, help="samples per step (default: all of them)")
    p.add_argument("--samples", type=_samples, help="data set size, held-out samples included (default: the data "
                   f"set's own, usually 100; at most {MAX_SAMPLES:,})")
    p.add_argument("--noise", type=_noise, help=f"data set noise (default: the data set's own; at most {MAX_NOISE:g})")
    p.add_argument("--l2", type=_non_negative, default=defaults.l2,
                   help=f"L2 penalty on the weights (default {defaults.l2:g})")
    p.add_argument("--holdout", type=_holdout, default=defaults.holdout,
                   help=f"part of the data kept out of training and scored (default {defaults.holdout:g}; 0: none)")
    p.add_argument("--seed", type=int, default=defaults.seed, help="seed for the data, the initial weights and batches")


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser with the demo, train, eval, graph and export subcommands."""
    parser = _Parser(prog=PROG, description="A scalar autograd engine and neural networks built from it.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    add: Callable[..., argparse.ArgumentParser] = commands.add_parser

    demo = DEMO.resolved()
    hidden = ",".join(map(str, demo.hidden or []))
    sizes = ", ".join(map(str, [*(demo.hidden or []), 1]))
    demo_parser = add("demo", help="train micrograd's two-moons demo and write a plot and a graph",
                      description=f"Train MLP(2, [{sizes}]) on two moons ({demo.n_samples} samples, noise "
                      f"{demo.noise}) with hinge loss + {demo.l2:g} L2 and SGD at lr {demo.lr:g} decaying to a tenth, "
                      "then write a plot and one neuron's graph.")
    demo_parser.add_argument("--steps", type=_steps, default=demo.steps, help=f"optimizer steps (default {demo.steps})")
    demo_parser.add_argument("--seed", type=int, default=demo.seed, help=f"data and weight seed (default {demo.seed})")
    demo_parser.add_argument("--lr", type=_positive, help=f"starting learning rate (default {demo.lr:g})")
    demo_parser.add_argument("--hidden", type=_sizes, help=f"hidden layer sizes (default {hidden})")
    demo_parser.add_argument("--out", default=str(OUT_DIR), help=f"folder for the files (default ./{OUT_DIR})")
    demo_parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    demo_parser.set_defaults(run=run_demo)

    tr = add("train", help="train a model on a generated data set", description="Train a model on a generated "
             "data set with the demo's loop, keeping part of it out of training, and print the training and "
             f"held-out accuracy; --save keeps the model for `eval`. Bare file names go under ./{OUT_DIR}/.")
    _add_training_options(tr)
    tr.add_argument("--save", metavar="MODEL.json",
                    help=f"write the trained model (JSON) here (a bare name: ./{OUT_DIR}/)")
    tr.add_argument("--plot", metavar="PLOT.png", help="write the decision regions and loss curve here "
                    f"({', '.join(PLOT_SUFFIXES)}; a bare name: ./{OUT_DIR}/)")
    tr.add_argument("--no-progress", action="store_true", help="no progress bar")
    tr.set_defaults(run=run_train)

    ev = add("eval", help="reload a saved model and print its held-out accuracy", description="Reload a model "
             "written by `train --save`, regenerate the data set it was trained on and print the accuracy on the "
             "samples held out of training. --samples, --noise and --seed draw a fresh data set instead. A bare "
             f"file name not found here is looked for in ./{OUT_DIR}/.")
    ev.add_argument("model", metavar="MODEL.json", help="a model file written by `train --save`")
    ev.add_argument("--samples", type=_samples, help="size of a fresh data set (default: as trained)")
    ev.add_argument("--noise", type=_noise, help="noise of a fresh data set (default: as trained)")
    ev.add_argument("--seed", type=int, help="seed of a fresh data set (default: as trained)")
    ev.set_defaults(run=run_eval)

    gr = add("graph", help="value, gradients and drawing of an expression",
             description="Evaluate an expression of named numbers, run backward and draw its graph. Allowed: "
             f"numbers, names, + - * / **, parentheses and {' '.join(FUNCTION_NAMES)}. Example: "
             f"{PROG} graph \"tanh(x*w + b)\" x=2 w=-3 b=6.88. Start an expression that begins with a minus "
             "with a space (\" -x**2\") so it is not read as an option.")
    gr.add_argument("expression", help="the expression, quoted")
    gr.add_argument("values", nargs="*", metavar="name=value", help="a number for every name in the expression")
    gr.add_argument("--out", default="graph.svg", help=f"drawing file: {' '.join(DRAWING_SUFFIXES)} (default "
                    f"graph.svg; a bare name goes under ./{OUT_DIR}/); without a Graphviz renderer the DOT source "
                    "is written next to it")
    gr.add_argument("--html", default=None, metavar="PATH", help="also write a page that steps through the "
                    "forward and backward pass (one self-contained .html file, opens in any browser)")
    gr.set_defaults(run=run_graph)

    ex = add("export", help="write a saved model as ONNX or as a PyTorch program", description="Write a model "
             "file as ONNX (--onnx, for onnxruntime or Netron) and/or a torch.export program (--torch; load it "
             "with torch.export.load(PATH).module()). Needs the torch extra: pip install 'scalargrad[torch]'.")
    ex.add_argument("model", metavar="MODEL.json", help="a model file written by `train --save` or Module.save")
    ex.add_argument("--onnx", metavar="OUT.onnx", help="write an ONNX file here")
    ex.add_argument("--torch", metavar="OUT.pt2", help="write a PyTorch program here")
    ex.add_argument("--input-shape", metavar="C,H,W", type=_shape,
                    help="shape of one input sample, if the file does not say")
    ex.set_defaults(run=run_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, or 2 after printing a one-line error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except SettingError as exc:
        # The library names the setting; the user knows it by its flag.
        flag = FLAGS.get(exc.setting, exc.setting)
        return _fail(args.command, f"{flag}: {exc}")
    except (ValueError, ArithmeticError, OSError, ImportError) as exc:
        # ExpressionError, UsageError and the library's argument checks are ValueErrors with a clear message.
        return _fail(args.command, str(exc) or type(exc).__name__)
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted", file=sys.stderr)
        return 130


def _fail(command: str, message: str) -> int:
    print(f"{PROG} {command}: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


__all__ = ["DEMO_SEED", "build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
