"""Sequential, which chains modules, and the element-wise activation modules ReLU, LeakyReLU, Tanh and Sigmoid.

With them a small CNN reads `Sequential(Conv2d(1, 4, 3), ReLU(), MaxPool2d(2), Flatten(), Layer(36, 2, None))`.
The children are named `0`, `1`, ... as in `torch.nn.Sequential`, so parameter names (`0.weight`)
match PyTorch's too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from engine import Value
from nn.checks import check_real
from nn.module import Module
from nn.nested import Nested, as_value, map_nested, shape_of


class Sequential(Module):
    """Calls its modules in order, each on the previous one's output: `Sequential(m0, m1, m2)(x) == m2(m1(m0(x)))`.

    Its config holds the children's specs `{"class": name, "config": {...}}`, from which `nn.load`
    builds them and then the Sequential.
    """

    def __init__(self, *modules: Module) -> None:
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: item {i} must be a Module, got {type(module).__name__}")
            setattr(self, str(i), module)

    def __len__(self) -> int:
        return len(vars(self))

    def __getitem__(self, index: int) -> Module:
        """The module at `index` (negative counts from the end). Raises IndexError when out of range."""
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"Sequential index {index} out of range for {n} modules")
        module: Module = vars(self)[str(index % n)]
        return module

    def __iter__(self) -> Iterator[Module]:
        return iter(vars(self).values())

    def forward(self, x: Any) -> Any:
        """Pass `x` through every module in order (an empty Sequential returns `x`).

        A ValueError from a module (e.g. a wrong shape) is re-raised, same type, prefixed `Sequential[i] (Class): `.
        """
        for i, module in enumerate(self):
            try:
                x = module(x)
            except ValueError as exc:
                raise type(exc)(f"Sequential[{i}] ({type(module).__name__}): {exc}") from exc
        return x

    def config(self) -> dict[str, Any]:
        return {"children": [{"class": type(m).__name__, "config": m.config()} for m in self]}

    @classmethod
    def child_specs(cls, config: Mapping[str, Any]) -> list[Any] | None:
        children: list[Any] = config.get("children", [])
        return children


class _Elementwise(Module):
    """An activation applied to every element of a Value, a number or a nested list of them."""

    def _apply(self, v: Value) -> Value:
        raise NotImplementedError

    def forward(self, x: Nested) -> Nested:
        """The same nesting as `x`, each leaf replaced by its activation. Raises ValueError on a ragged list."""
        shape_of(x, f"{type(self).__name__} input")
        apply = self._apply
        return map_nested(lambda v: apply(as_value(v)), x)

    def config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int | None:
        return 0


class ReLU(_Elementwise):
    """max(0, x) element-wise."""

    def _apply(self, v: Value) -> Value:
        return v.relu()


class Tanh(_Elementwise):
    """tanh(x) element-wise."""

    def _apply(self, v: Value) -> Value:
        return v.tanh()


class Sigmoid(_Elementwise):
    """1 / (1 + exp(-x)) element-wise."""

    def _apply(self, v: Value) -> Value:
        return v.sigmoid()


class LeakyReLU(_Elementwise):
    """x for x > 0, else negative_slope * x, element-wise (as torch.nn.LeakyReLU, default slope 0.01)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = check_real(negative_slope, "LeakyReLU negative_slope")

    def _apply(self, v: Value) -> Value:
        return v.leaky_relu(self.negative_slope)

    def config(self) -> dict[str, Any]:
        return {"negative_slope": self.negative_slope}

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"
