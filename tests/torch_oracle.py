"""Helpers for comparing nested-list modules with PyTorch float64: values in, one random backward, all gradients out."""

from __future__ import annotations

import random
from types import ModuleType
from typing import Any

import engine
from engine import Value
from nn.interop.torch_layouts import state_from_torch, torch_state
from nn.nested import flatten, map_nested, shape_of, unflatten

TOL = 1e-9


def random_nested(shape: tuple[int, ...], rng: random.Random) -> Any:
    """A nested list of floats of `shape`, standard normal."""
    if not shape:
        return rng.gauss(0.0, 1.0)
    return [random_nested(shape[1:], rng) for _ in range(shape[0])]


def to_values(x: Any) -> Any:
    """The same nesting with every float a new leaf Value."""
    return map_nested(Value, x)


def copy_weights(ours: Any, theirs: Any, into_torch: bool = False) -> None:
    """Make both modules hold the same weights, mapped by nn.interop.torch_layouts (the library's own mapping).

    By default torch's state_dict goes into ours; with `into_torch` ours goes into torch's. Callers
    alternate, so both directions are tested. Either direction checks that every key fits.
    """
    if not into_torch:
        ours.load_state_dict(state_from_torch(ours, {name: t.tolist() for name, t in theirs.state_dict().items()}))
        return
    import torch

    theirs.load_state_dict({name: torch.tensor(v) for name, v in torch_state(ours).items()})


def backward_with_random_cotangent(outputs: Any, rng: random.Random) -> list[float]:
    """Backpropagate sum(g * out) for a random g from our outputs; return g so torch can do the same."""
    outs = flatten(outputs)
    g = [rng.gauss(0.0, 1.0) for _ in outs]
    engine.sum([o * gi for o, gi in zip(outs, g)]).backward()
    return g


def assert_close(ours: list[float], theirs: list[float], what: str) -> None:
    assert len(ours) == len(theirs), f"{what}: {len(ours)} values, torch has {len(theirs)}"
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert abs(a - b) <= TOL, f"{what}[{i}]: ours {a!r}, torch {b!r}"


def compare(
    torch: ModuleType, ours: Any, ours_out: Any, ours_inputs: Any, theirs: Any, t_out: Any, t_in: Any, g: list[float]
) -> None:
    """Forward values, input gradients and every parameter gradient (in named order) of ours against torch's."""
    assert_close([v.data for v in flatten(ours_out)], t_out.flatten().tolist(), "output")
    (t_out.flatten() * torch.tensor(g)).sum().backward()
    assert_close([v.grad for v in flatten(ours_inputs)], t_in.grad.flatten().tolist(), "input grad")
    t_params = dict(theirs.named_parameters())
    for name, tensor in ours.named_tensors():
        assert_close([v.grad for v in flatten(tensor)], t_params[name].grad.flatten().tolist(), f"{name}.grad")
    assert {name for name, _ in ours.named_tensors()} == set(t_params), "parameter names differ from torch's"


def replace_parameters(module: Any, leaves: list[Value]) -> None:
    """Give a module new parameter leaves, in `parameters()` order (its tensors must be direct attributes)."""
    for name, tensor in list(module.named_tensors()):
        shape = shape_of(tensor, name)
        size = len(flatten(tensor))
        setattr(module, name, unflatten(leaves[:size], shape))
        leaves = leaves[size:]
