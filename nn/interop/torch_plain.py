"""What `from_torch` checks before reading any layer: that each torch module computes only what its class does.

A torch module can compute something other than its class's forward without changing its class: a forward
hook or pre-hook (old-style `weight_norm` is one), a parametrization, a forward replaced on the instance,
a global module hook. Backward hooks change its gradients. Extra parameters, buffers or submodules, and
weights shared between two places (tied weights, or one Linear used twice), have no place in scalargrad's
layers. Each of these is refused with a TypeError naming the module's path; shared modules without
weights (one ReLU used twice) are fine, because each use computes the same.

The walk follows `_modules`, which holds every registered child, a shared one under each of its names, in
the order a Sequential calls them: `named_children()` and `children()` would list a shared child once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from types import ModuleType
from typing import Any

# The parameters each torch class that from_torch reads may have (a None bias is allowed), and whether it
# holds children (any names) or only the named ones.
CELL_TENSORS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
TENSORS: dict[str, tuple[str, ...]] = {
    "Linear": ("weight", "bias"),
    "Conv1d": ("weight", "bias"),
    "Conv2d": ("weight", "bias"),
    "RNNCell": CELL_TENSORS,
    "LSTMCell": CELL_TENSORS,
    "GRUCell": CELL_TENSORS,
}
CHILDREN: dict[str, tuple[str, ...] | None] = {
    "Sequential": None,
    "ModuleList": None,
    "UnrolledRNN": ("cell",),
    "RNNClassifier": ("layers", "head"),
}
HOOKS = {
    "_forward_hooks": "a forward hook, which changes its output",
    "_forward_pre_hooks": "a forward pre-hook, which changes its input",
    "_backward_hooks": "a backward hook, which changes its gradients",
    "_backward_pre_hooks": "a backward pre-hook, which changes its gradients",
}
# torch.nn.modules.module's hooks on every module, by the function that adds them.
GLOBAL_HOOKS = {
    "_global_forward_hooks": "register_module_forward_hook",
    "_global_forward_pre_hooks": "register_module_forward_pre_hook",
    "_global_backward_hooks": "register_module_full_backward_hook",
    "_global_backward_pre_hooks": "register_module_full_backward_pre_hook",
}


def children(m: Any) -> Iterator[tuple[str, Any]]:
    """(name, child) for every registered child of `m` in call order, a shared child under each of its names."""
    yield from m._modules.items()


def child_path(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def refusal(path: str, m: Any, why: str) -> TypeError:
    """The TypeError `from_torch` raises for the module at `path`: its path, its class, and why."""
    where = path or "the module itself"
    return TypeError(f"from_torch: {where} ({type(m).__module__}.{type(m).__qualname__}) {why}")


def plain_tensors(torch: ModuleType, module: Any, known: Collection[str]) -> list[Any]:
    """Every parameter tensor of `module` in registration order, once each, after checking the whole tree.

    Raises TypeError naming the path of the first module that computes more than its class does (see the
    module docstring), shares a weight with another place, or, for a class named in `known`, holds a tensor
    or child its class has not (other classes are refused by the reader, naming their class).
    """
    _refuse_global_hooks(torch, module)
    seen: dict[int, str] = {}
    tensors: list[Any] = []
    stack: list[tuple[str, Any]] = [("", module)]
    while stack:
        path, m = stack.pop()
        _refuse_changed_forward(torch, path, m)
        if type(m).__name__ in known:
            _refuse_unknown_members(path, m)
        for name, tensor in m._parameters.items():
            if tensor is None:
                continue
            where = child_path(path, name)
            if id(tensor) in seen:
                raise refusal(path, m, f"shares its {name} with {seen[id(tensor)]} (tied weights); scalargrad "
                              "copies each layer's weights separately, so weights used twice are not supported")
            seen[id(tensor)] = where
            tensors.append(tensor)
        kids = list(children(m))
        for name, child in reversed(kids):
            if child is None:
                raise refusal(path, m, f"has an empty child slot {name!r}, which its forward cannot call")
            stack.append((child_path(path, name), child))
    return tensors


def _refuse_global_hooks(torch: ModuleType, module: Any) -> None:
    hooks = torch.nn.modules.module
    for name, adder in GLOBAL_HOOKS.items():
        if getattr(hooks, name, None):
            raise refusal("", module, f"would run under a global hook ({adder}), which changes what it "
                          "computes; remove it before converting")


def _refuse_changed_forward(torch: ModuleType, path: str, m: Any) -> None:
    if torch.nn.utils.parametrize.is_parametrized(m):
        names = ", ".join(m.parametrizations.keys())
        raise refusal(path, m, f"has a parametrization of {names}, which changes its forward")
    for attribute, what in HOOKS.items():
        hooks = getattr(m, attribute, None) or {}
        if any(type(hook).__name__ == "WeightNorm" for hook in hooks.values()):
            raise refusal(path, m, "has old-style weight_norm (torch.nn.utils.weight_norm), which changes its "
                          "forward; call torch.nn.utils.remove_weight_norm first")
        if hooks:
            raise refusal(path, m, f"has {what}; scalargrad copies only what its class computes")
    if "forward" in vars(m):
        raise refusal(path, m, "has its forward replaced on the instance; scalargrad copies its class's forward")


def _refuse_unknown_members(path: str, m: Any) -> None:
    kind = type(m).__name__
    allowed = TENSORS.get(kind, ())
    for name in m._parameters:
        if name not in allowed:
            raise refusal(path, m, f"has a parameter {name!r} that scalargrad's counterpart lacks")
    for name in allowed:
        if name not in m._parameters:
            raise refusal(path, m, f"has its {name} replaced by a plain tensor, not a registered parameter")
    for name in m._buffers:
        raise refusal(path, m, f"has a buffer {name!r} that scalargrad's counterpart lacks")
    expected = CHILDREN.get(kind, ())
    for name, _ in children(m):
        if expected is not None and name not in expected:
            raise refusal(path, m, f"has a submodule {name!r} that its forward does not call in scalargrad")
