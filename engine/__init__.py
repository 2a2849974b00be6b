"""scalargrad's engine: scalar Values, reverse-mode autodiff, gradient checking and graph drawing."""

from engine.value import Value  # noqa: I001 - Value must load before the modules that build Values
from engine.autograd import backward, backward_order, grad, zero_grad
from engine.grad_mode import enable_grad, is_grad_enabled, no_grad
from engine.ops import dot, max, sum

__all__ = [
    "Value",
    "backward",
    "backward_order",
    "dot",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "max",
    "no_grad",
    "sum",
    "zero_grad",
]
