"""Pictures of a trained model: a 2-D classifier's decision regions and training curves, and one neuron's graph.

matplotlib and graphviz are optional and imported when a picture is asked for; `plot_training` raises
ImportError with the install hint when matplotlib is missing. Files are written with the non-interactive
Agg backend, so no display is needed.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

from engine import Value
from nn.module import Module
from nn.training import History
from nn.watch.regions import Classifier, class_grid

INSTALL_HINT = "plots need matplotlib: pip install 'scalargrad[notebooks]'"
# The file types plot_training writes (matplotlib's Agg backend knows more, but these are the useful ones).
PLOT_SUFFIXES = (".png", ".svg", ".pdf")
DRAWING_SUFFIXES = (".svg", ".png", ".pdf", ".dot", ".gv")


def require_matplotlib() -> None:
    """Raise ImportError with the install hint when matplotlib is missing, e.g. before a long training run."""
    if importlib.util.find_spec("matplotlib") is None:
        raise ImportError(f"{INSTALL_HINT} (no module named 'matplotlib')")


def plot_training(
    path: str | os.PathLike[str],
    model: Classifier,
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    history: History,
    title: str = "",
    held_out: tuple[Sequence[Sequence[float]], Sequence[int]] | None = None,
) -> None:
    """Write a PNG with two panels: the decision regions with the data points, and loss and accuracy per step.

    `held_out` samples (X, y), if given, are drawn as crosses beside the training points (circles).

    Raises ImportError (with the install hint) when matplotlib is missing, ValueError for a file type not in
    PLOT_SUFFIXES, OSError when the file cannot be written.
    """
    if Path(path).suffix.lower() not in PLOT_SUFFIXES:
        raise ValueError(f"{os.fspath(path)}: a plot is written as {', '.join(PLOT_SUFFIXES)}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(f"{INSTALL_HINT} ({exc})") from None

    held_X, held_y = held_out if held_out is not None and len(held_out[0]) else ([], [])
    xs, ys, classes = class_grid(model, [*X, *held_X])
    n_classes = max(max([*y, *held_y]), max(max(row) for row in classes)) + 1
    cmap = plt.get_cmap("coolwarm" if n_classes == 2 else "viridis", n_classes)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    try:
        left.contourf(xs, ys, classes, levels=[k - 0.5 for k in range(n_classes + 1)], cmap=cmap, alpha=0.35)
        colors = {"cmap": cmap, "vmin": -0.5, "vmax": n_classes - 0.5}
        left.scatter([r[0] for r in X], [r[1] for r in X], c=list(y), s=22, edgecolors="k", linewidths=0.5,
                     label="training samples", **colors)
        if held_X:
            left.scatter([r[0] for r in held_X], [r[1] for r in held_X], c=list(held_y), marker="X", s=60,
                         edgecolors="k", linewidths=0.6, label="held-out samples", **colors)
            # Below the axes, where it cannot cover a point.
            left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize="small", frameon=False)
        left.set(title="decision regions", xlabel="x0", ylabel="x1")

        steps = range(1, len(history.loss) + 1)
        right.plot(steps, history.loss, color="tab:blue", label="loss")
        right.set(title="training", xlabel="step", ylabel="loss")
        right.set_yscale("log" if min(history.loss, default=1.0) > 0 else "linear")
        accuracy_axis = right.twinx()
        accuracy_axis.plot(steps, [100 * a for a in history.accuracy], color="tab:orange", label="accuracy")
        accuracy_axis.set(ylabel="accuracy (%)", ylim=(0, 105))
        right.legend(handles=right.get_lines() + accuracy_axis.get_lines(), loc="center right")
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)


def write_drawing(root: Value, path: Path, what: str, names: Module | None = None) -> str:
    """Draw the graph behind `root` to `path` (DOT source next to it when nothing can render); says what was written."""
    from engine.draw.dot import draw_dot  # here, not at the top: drawing needs graphviz, plotting does not
    from engine.draw.render import available_renderer, write_image

    with warnings.catch_warnings():
        # write_image warns when it falls back to DOT source; the line returned here says so instead.
        warnings.simplefilter("ignore")
        written = write_image(draw_dot(root, names=names), path)
    if written.suffix.lower() not in (".dot", ".gv"):
        return f"{written} ({what}, rendered with {available_renderer()})"
    if path.suffix.lower() in (".dot", ".gv"):
        return f"{written} ({what} as DOT source)"
    return f"{written} ({what} as DOT source: no Graphviz renderer, install graphviz or pygraphviz for {path.suffix})"


def write_page(root: Value, path: Path, what: str, names: Module | None = None) -> str:
    """Write the step-through page of the graph behind `root` to `path`; says what was written."""
    from engine.draw.page import save_html

    save_html(root, path, names=names)
    return f"{path} ({what}, step by step: forward, then backward one node at a time; open it in a browser)"


def draw_neuron(model: Module, sample: Sequence[float], path: Path, page: Path | None = None) -> str:
    """Draw the first neuron of the model's first layer on `sample`, after one backward pass; says what was written.

    The model's gradients are zeroed first, so the drawing shows this pass alone, not the last training step's.
    """
    # One neuron on one sample, with gradients, shows what every unit computes.
    first = model.layers[0].neurons[0]  # type: ignore[attr-defined]
    model.zero_grad()
    neuron_out = first([Value(x, label=f"x{i}") for i, x in enumerate(sample)])
    neuron_out.backward()
    drawn = write_drawing(neuron_out, path, "the graph of one neuron", names=model)
    return drawn if page is None else f"{drawn}\nwrote {write_page(neuron_out, page, 'that neuron', names=model)}"
