"""Every implementation of the benchmark's training step, each built from the same `Workload`.

A maker returns a `Trainer` (one step per call) or raises `Unavailable` with the reason, when a package
or a scalargrad layer it needs is not installed or not written yet.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from benchmarks.floor import floor_trainer, sparse_floor_trainer
from benchmarks.workload import (
    ALPHA,
    Trainer,
    Workload,
    compiled_trainer,
    graph_trainer,
    hinge_total,
    learning_rate,
    load_weights,
)


class Unavailable(Exception):
    """An implementation cannot run here; the message says why."""


def require(module: str) -> ModuleType:
    """Import `module` or raise Unavailable naming it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise Unavailable(f"{module} is not importable ({exc})") from None


def binary_neuron(w: Sequence[Any], b: Any, x: Sequence[Any], nonlin: bool) -> Any:
    """micrograd's Neuron: a chain of binary `*` and `+` starting from the bias, then relu."""
    act = sum((wi * xi for wi, xi in zip(w, x)), b)
    return act.relu() if nonlin else act


def binary_model(work: Workload, param: Callable[[float], Any]) -> tuple[Callable[[list[Any]], Any], list[Any]]:
    """micrograd's MLP built from `param` scalars with the workload's initial weights, and its parameters."""
    layers = [[([param(v) for v in w], param(b)) for w, b in layer] for layer in work.weights]
    params = [p for layer in layers for w, b in layer for p in (*w, b)]
    last = len(layers) - 1

    def model(x: list[Any]) -> Any:
        for l, layer in enumerate(layers):
            x = [binary_neuron(w, b, x, l != last) for w, b in layer]
        return x[0]

    return model, params


def binary_trainer(
    work: Workload, param: Callable[[float], Any], make_input: Callable[[float], Any], no_grad: object
) -> Trainer:
    """The micrograd graph for any scalar type: `param` makes a trainable scalar, `make_input` a constant one,
    and `no_grad` is what zero_grad stores in `.grad` (0.0 for Values, None for tensors)."""
    model, params = binary_model(work, param)

    def zero_grad() -> None:
        for p in params:
            p.grad = no_grad

    return graph_trainer(work, model, params, make_input, zero_grad)


def micrograd(work: Workload) -> Trainer:
    """micrograd 0.1.0's own MLP and Value, with the loss of its demo notebook."""
    engine = require("micrograd.engine")
    model = require("micrograd.nn").MLP(2, [16, 16, 1])
    load_weights(model, work.weights)
    return graph_trainer(work, model, model.parameters(), engine.Value, model.zero_grad)


def scalargrad_binary(work: Workload) -> Trainer:
    """scalargrad Values in exactly micrograd's graph: one node per binary `*` and `+`."""
    from engine import Value

    return binary_trainer(work, Value, Value, 0.0)


def compiled_binary(work: Workload) -> Trainer:
    """The binary-op graph's step through engine.compile: traced once, then replayed over floats."""
    from engine import Value

    model, params = binary_model(work, Value)
    return compiled_trainer(
        work, lambda xs, ys: hinge_total([model(x) for x in xs], ys, params), params, work.xs, work.ys
    )


def mlp_model(work: Workload) -> tuple[Any, Callable[[Sequence[Any], Sequence[float], Sequence[Any]], Any]]:
    """nn.MLP with the workload's initial weights, and its loss: nn.functional.hinge_loss plus the L2 term."""
    from engine import dot

    hinge_loss = require("nn.functional").hinge_loss
    model = require("nn.layers").MLP(2, [16, 16, 1])
    load_weights(model, work.weights)

    def loss(scores: Sequence[Any], ys: Sequence[float], params: Sequence[Any]) -> Any:
        return hinge_loss(scores, ys) + ALPHA * dot(params, params)

    return model, loss


def scalargrad_mlp(work: Workload) -> Trainer:
    """scalargrad as a user runs it: nn.MLP (one fused dot node per neuron) and nn.functional.hinge_loss."""
    model, loss = mlp_model(work)
    return graph_trainer(work, model, model.parameters(), float, model.zero_grad, loss)


def compiled_mlp(work: Workload) -> Trainer:
    """The nn.MLP step through engine.compile (the hinge loss's labels are constants of the step)."""
    model, loss = mlp_model(work)
    params = model.parameters()
    return compiled_trainer(work, lambda xs: loss([model(x) for x in xs], work.ys, params), params, work.xs)


def single_threaded_torch() -> ModuleType:
    """PyTorch, limited to one thread: tensors this small gain nothing from more, and on a busy machine extra
    threads only add waiting (a per-process setting, so every PyTorch line runs the same way)."""
    torch = require("torch")
    torch.set_num_threads(1)
    return torch


def torch_scalar(work: Workload) -> Trainer:
    """PyTorch autograd on 0-dim float64 tensors, in micrograd's graph (one tensor op per scalar op)."""
    torch = single_threaded_torch()

    def param(v: float) -> Any:
        return torch.tensor(v, dtype=torch.float64, requires_grad=True)

    def const(v: float) -> Any:
        return torch.tensor(v, dtype=torch.float64)

    return binary_trainer(work, param, const, None)


def torch_vectorised(work: Workload) -> Trainer:
    """PyTorch as it is meant to be used: float64 nn.Linear layers over the whole batch at once."""
    torch = single_threaded_torch()
    layers = []
    for inits in work.weights:
        linear = torch.nn.Linear(len(inits[0][0]), len(inits), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([w for w, _ in inits], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([b for _, b in inits], dtype=torch.float64))
        layers.append(linear)
    params = [p for linear in layers for p in linear.parameters()]
    x = torch.tensor(work.xs, dtype=torch.float64)
    y = torch.tensor(work.ys, dtype=torch.float64)

    def step(k: int) -> float:
        h = x
        for linear in layers[:-1]:
            h = torch.relu(linear(h))
        score = layers[-1](h).squeeze(1)
        total = torch.relu(1.0 - y * score).mean() + ALPHA * sum((p * p).sum() for p in params)
        for p in params:
            p.grad = None
        total.backward()
        lr = learning_rate(k, work.steps)
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        return total.item()

    return step


@dataclass(frozen=True)
class Implementation:
    """One line of the benchmark: `key` for --only, `title` for the table, `gc_off` to run with gc.disable()."""

    key: str
    title: str
    make: Callable[[Workload], Trainer]
    gc_off: bool = False
    slow: bool = False


IMPLEMENTATIONS = (
    Implementation("micrograd-gc", "micrograd 0.1.0, GC on (as users run it)", micrograd, slow=True),
    Implementation("micrograd", "micrograd 0.1.0, gc.disable()", micrograd, gc_off=True),
    Implementation("binary", "scalargrad, micrograd's binary-op graph", scalargrad_binary),
    Implementation("binary-compiled", "the binary-op graph, engine.compile", compiled_binary),
    Implementation("mlp", "scalargrad nn.MLP (dot nodes) + hinge_loss", scalargrad_mlp),
    Implementation("mlp-compiled", "nn.MLP + hinge_loss, engine.compile", compiled_mlp),
    Implementation("floor", "hand-written float loops (the floor)", floor_trainer),
    Implementation("floor-sparse", "the floor, skipping zero gradients", sparse_floor_trainer),
    Implementation("torch-scalar", "PyTorch, 0-dim tensors", torch_scalar, slow=True),
    Implementation("torch-vec", "PyTorch, vectorised nn.Linear", torch_vectorised),
)
