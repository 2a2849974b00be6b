"""`Module`: the base class of every model, finding its parameters and saving them to JSON.

A subclass sets attributes in `__init__` and implements `forward`. Parameters and submodules are
discovered from the instance attributes, in assignment order (`vars(self)`):

- a `Value`, or a non-empty (nested) list/tuple of Values, is a parameter tensor;
- a `Module`, or a non-empty list/tuple of Modules, is a submodule (list items are named `name.0`, `name.1`, ...);
- anything else (numbers, strings, an rng, an empty list) is ignored, and so is every attribute whose
  name starts with `_`, which is where a module keeps caches or state that must not be trained.

So `parameters()` lists the tensors in that order, nested lists row-major, recursing into submodules
where they appear, each Value once.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Mapping
from typing import Any

from engine import Value, zero_grad
from nn.atomic_write import write_atomically
from nn.checks import is_real
from nn.model_file import FORMAT, VERSION, read_model_file

# A parameter tensor: a Value or a (nested) list/tuple of Values; its state is the same nesting of floats.
Tensor = Any
State = Any


def _is_tensor(obj: object) -> bool:
    if isinstance(obj, Value):
        return True
    if not isinstance(obj, list | tuple) or len(obj) == 0:
        return False
    # The flat check first: it is the common case (a neuron's weights) and needs no recursion.
    return all(isinstance(item, Value) for item in obj) or all(_is_tensor(item) for item in obj)


def _is_module_list(obj: object) -> bool:
    return (
        isinstance(obj, list | tuple)
        and len(obj) > 0
        and isinstance(obj[0], Module)
        and all(isinstance(item, Module) for item in obj)
    )


_CONTAINERS = (list, tuple, dict, set, frozenset)


def _holds_model_parts(obj: object) -> bool:
    """Whether a container holds a Module or a Value anywhere inside, searched without recursion."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, Module | Value):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, _CONTAINERS):
            stack.extend(item)
    return False


def _flatten(tensor: Tensor, name: str) -> Iterator[tuple[str, Value]]:
    if isinstance(tensor, Value):
        yield name, tensor
        return
    for i, item in enumerate(tensor):
        yield from _flatten(item, f"{name}.{i}")


def _values(tensor: Tensor, out: list[Value]) -> None:
    if isinstance(tensor, Value):
        out.append(tensor)
        return
    for item in tensor:
        if isinstance(item, Value):
            out.append(item)
        else:
            _values(item, out)


def _to_floats(tensor: Tensor) -> State:
    if isinstance(tensor, Value):
        return tensor.data
    return [_to_floats(item) for item in tensor]


def _checked_state(tensor: Tensor, value: object, where: str, out: list[tuple[Value, float]]) -> None:
    """Append (parameter, number) pairs for `value`, which must have the nesting of `tensor` with finite numbers.

    Raises ValueError/TypeError naming `where` and the index path of the first item that does not fit.
    """
    if isinstance(tensor, Value):
        if not (is_real(value) and isinstance(value, int | float)):
            raise TypeError(f"{where}: expected a number, got {type(value).__name__} ({value!r:.60})")
        try:
            number = float(value)
        except OverflowError:  # an int such as 10**400 is beyond any float
            raise ValueError(f"{where}: expected a finite number, got an int too large for a float") from None
        if not math.isfinite(number):
            raise ValueError(f"{where}: expected a finite number, got {value!r}")
        out.append((tensor, number))
        return
    if not isinstance(value, list | tuple):
        raise ValueError(f"{where}: expected a list of {len(tensor)} items, got {type(value).__name__} ({value!r:.60})")
    if len(value) != len(tensor):
        raise ValueError(f"{where}: expected a list of {len(tensor)} items, got a list of {len(value)}")
    for i, (t, v) in enumerate(zip(tensor, value)):
        _checked_state(t, v, f"{where}[{i}]", out)


class Module:
    """Base class of models and layers, as `torch.nn.Module`: subclasses set attributes and implement `forward`."""

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output; every subclass implements it."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------ discovery

    def _members(self) -> list[tuple[str, Tensor | None, Module | None]]:
        """(name, tensor, None) or (name, None, submodule) for each counted attribute, in assignment order."""
        members: list[tuple[str, Tensor | None, Module | None]] = []
        for name, obj in vars(self).items():
            if name[0] == "_":
                continue
            if isinstance(obj, Module):
                members.append((name, None, obj))
            elif _is_module_list(obj):
                members.extend((f"{name}.{i}", None, child) for i, child in enumerate(obj))
            elif _is_tensor(obj):
                members.append((name, obj, None))
            elif isinstance(obj, _CONTAINERS) and _holds_model_parts(obj):
                raise TypeError(
                    f"{type(self).__name__}.{name}: this {type(obj).__name__} holds Modules or Values that would "
                    "not be found; a list must hold only Modules or only (lists of) Values, and dicts/sets "
                    "are not searched"
                )
        return members

    def named_children(self) -> list[tuple[str, Module]]:
        """The direct submodules with their names (`layers.0`, `cell`, ...), in assignment order."""
        return [(name, child) for name, _, child in self._members() if child is not None]

    def named_tensors(self) -> list[tuple[str, Tensor]]:
        """Every parameter tensor (a Value or nested list of Values) with its dotted name: one state_dict key each."""
        found: list[tuple[str, Tensor]] = []
        self._named_tensors("", found)
        return found

    def _named_tensors(self, prefix: str, found: list[tuple[str, Tensor]]) -> None:
        # Appending to one list, not nested generators: parameters() runs this walk at every training step.
        for name, tensor, child in self._members():
            if child is not None:
                child._named_tensors(f"{prefix}{name}.", found)
            else:
                found.append((prefix + name, tensor))

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Each parameter Value once, with a dotted name such as `layers.0.neurons.3.w.1`, in `parameters()` order."""
        seen: set[int] = set()
        out = []
        for name, tensor in self.named_tensors():
            for full, v in _flatten(tensor, name):
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append((full, v))
        return out

    def parameters(self) -> list[Value]:
        """Every parameter Value once: attributes in assignment order, nested lists row-major, submodules in place."""
        # The same walk as named_parameters without building names: optimisers and zero_grad call it every step.
        found: list[Value] = []
        for _, tensor in self.named_tensors():
            _values(tensor, found)
        # A dict keeps each key where it was first inserted, so a shared Value stays at its first place.
        return list({id(v): v for v in found}.values())

    def num_parameters(self) -> int:
        """How many scalar parameters the module has."""
        return len(self.parameters())

    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to 0, before the next `backward()` accumulates into it."""
        zero_grad(self.parameters())

    # ------------------------------------------------------------ printing

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in `repr`, e.g. `in_features=2, activation='relu'`."""
        return ""

    def __repr__(self) -> str:
        lines = []
        children = self.named_children()
        # As torch does for ModuleList, runs of equal consecutive children print once: `(0-15): 16 x Neuron(...)`.
        i = 0
        while i < len(children):
            name, child = children[i]
            text = repr(child)
            j = i + 1
            while j < len(children) and repr(children[j][1]) == text and _same_list(name, children[j][0]):
                j += 1
            if j - i > 1:
                first = name.rsplit(".", 1)
                last = children[j - 1][0].rsplit(".", 1)[1]
                name, text = f"{first[0]}.{first[1]}-{last}", f"{j - i} x {text}"
            lines.append(f"({name}): " + text.replace("\n", "\n  "))
            i = j
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        if extra:
            lines.insert(0, extra)
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

    # ------------------------------------------------------------ state

    def state_dict(self) -> dict[str, State]:
        """One key per parameter tensor (`layers.0.neurons.3.w`), holding a float or a nested list of floats."""
        return {name: _to_floats(tensor) for name, tensor in self.named_tensors()}

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        """Copy the numbers in `state` into the parameters.

        Every key and shape is checked first, so on a missing or unexpected key, a wrong shape, a
        non-number or a NaN/infinity this raises ValueError/TypeError naming the key and changes nothing.
        Each number is read once: what is stored is exactly what was checked.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: expected a dict, got {type(state).__name__}")
        tensors = dict(self.named_tensors())
        missing = [k for k in tensors if k not in state]
        unexpected = [k for k in state if k not in tensors]
        problems = []
        if missing:
            problems.append("missing key(s) " + ", ".join(map(repr, missing)))
        if unexpected:
            problems.append("unexpected key(s) " + ", ".join(map(repr, unexpected)))
        if problems:
            raise ValueError(f"load_state_dict for {type(self).__name__}: " + "; ".join(problems))
        checked: list[tuple[Value, float]] = []
        for name, tensor in tensors.items():
            _checked_state(tensor, state[name], f"load_state_dict: key {name!r}", checked)
        # Plain float assignments only, which cannot fail halfway.
        for parameter, number in checked:
            parameter.data = number

    # ------------------------------------------------------------ saving

    def config(self) -> dict[str, Any]:
        """The JSON-able constructor keyword arguments that rebuild this module as `type(self)(**config)`.

        A container's config holds its children's specs instead (see `child_specs`).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement config() to be saved")

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int | None:
        """How many parameters `cls(**config)` has, computed without building it; None where that is not cheap.

        Raises what the constructor would for a bad config. `load` refuses a file whose classes cannot
        say (None) or that asks for more parameters than its state holds, so a file cannot make it build a huge model.
        """
        return None

    @classmethod
    def child_specs(cls, config: Mapping[str, Any]) -> list[Any] | None:
        """The `{"class", "config"}` specs of the modules a config holds (Sequential's), else None.

        `nn.load` builds a container as `cls(*children)`, each child built from its spec.
        """
        return None

    def save(self, path: str | os.PathLike[str], meta: Mapping[str, Any] | None = None) -> None:
        """Write the class, config, parameters and `meta` to `path` as JSON. Raises ValueError on non-JSON-able meta.

        The file is replaced all at once (see `nn.atomic_write`): it writes through a symlink, refuses a
        file `open()` could not write with PermissionError, and a failure keeps the old file.
        `nn.load(path)` rebuilds the model, and `read_model_file(path)["meta"]` reads the meta back.
        """
        where = f"save({os.fspath(path)!r})"
        for name, value in self.named_parameters():
            if not math.isfinite(value.data):
                raise ValueError(f"{where}: parameter {name!r} is {value.data!r}, only finite weights can be saved")
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "class": type(self).__name__,
            "config": self.config(),
            "state_dict": self.state_dict(),
            "meta": dict(meta) if meta is not None else {},
        }
        try:
            text = json.dumps(doc, allow_nan=False, indent=1)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: config and meta must be JSON-able ({exc})") from None
        write_atomically(path, text)

    def load_weights(self, path: str | os.PathLike[str]) -> None:
        """Load the parameters saved in `path` into this model, changing nothing if the file does not fit it.

        Raises ValueError naming the file when it is malformed, of another class or config, or its state does not fit.
        """
        doc = read_model_file(path)
        if doc["class"] != type(self).__name__:
            raise ValueError(f"{os.fspath(path)}: key 'class': holds a {doc['class']:.60}, not a {type(self).__name__}")
        # Compared as JSON reads it back, where tuples have become lists.
        config = json.loads(json.dumps(self.config()))
        if doc["config"] != config:
            raise ValueError(
                f"{os.fspath(path)}: key 'config': holds config {doc['config']!r:.200}, this model has {config!r}"
            )
        self.load_checked_state(doc["state_dict"], path)

    def load_checked_state(self, state: Mapping[str, object], path: str | os.PathLike[str]) -> None:
        """`load_state_dict(state)` for a state read from the file `path`; raises ValueError naming the file."""
        try:
            self.load_state_dict(state)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{os.fspath(path)}: {exc}") from None


def _same_list(a: str, b: str) -> bool:
    return "." in a and a.rsplit(".", 1)[0] == b.rsplit(".", 1)[0]


__all__ = ["Module", "read_model_file"]
