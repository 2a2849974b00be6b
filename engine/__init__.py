"""scalargrad's engine: scalar Values, reverse-mode autodiff, gradient checking and graph drawing."""

from engine.value import Value  # noqa: I001 - Value must load before the modules that build Values
from engine.autograd import backward, backward_order, grad, zero_grad
from engine.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from engine.ops import dot
from engine.ops import max as max  # re-exported as engine.max, not in __all__ (see below)
from engine.ops import sum as sum
from engine.custom_op import op
from engine.compile import Compiled, TraceChangedError
from engine.compile import compile as compile  # engine.compile, not in __all__ (see below)
from engine.gradcheck import GradcheckError, gradcheck, gradgradcheck
from engine.draw import GraphTooLargeError, draw_dot
from engine.render import Drawing, write_image
from engine.steps import Step, backward_steps, step_through

# engine.max, engine.sum and engine.compile are left out of __all__, so `from engine import *` keeps Python's.
__all__ = [
    "Compiled",
    "Drawing",
    "GradcheckError",
    "GraphTooLargeError",
    "Step",
    "Value",
    "backward",
    "backward_order",
    "backward_steps",
    "dot",
    "draw_dot",
    "enable_grad",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "is_grad_enabled",
    "no_grad",
    "op",
    "set_grad_enabled",
    "step_through",
    "TraceChangedError",
    "write_image",
    "zero_grad",
]
