"""scalargrad's engine: scalar Values, reverse-mode autodiff, gradient checking and graph drawing.

The core (Value, the ops, backward, grad) needs nothing beyond Python; the drawing and stepping tools need
the `graphviz` package and load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from engine.autograd import backward, backward_order, grad, zero_grad
from engine.compile import Compiled, TraceChangedError
from engine.compile import compile as compile  # engine.compile, not in __all__ (see below)
from engine.custom_op import op
from engine.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from engine.gradcheck import GradcheckError, gradcheck, gradgradcheck
from engine.reductions import dot
from engine.reductions import max as max  # re-exported as engine.max, not in __all__ (see below)
from engine.reductions import sum as sum
from engine.value import Value

_DRAWING = {
    "GraphTooLargeError": "engine.draw.dot",
    "draw_dot": "engine.draw.dot",
    "Drawing": "engine.draw.render",
    "write_image": "engine.draw.render",
    "BackwardFrame": "engine.draw.steps",
    "BackwardFrames": "engine.draw.steps",
    "Step": "engine.draw.steps",
    "backward_steps": "engine.draw.steps",
    "step_through": "engine.draw.steps",
    "save_html": "engine.draw.page",
}


def __getattr__(name: str) -> Any:
    """Load the drawing tools when one is first asked for, so `import engine` does not import graphviz."""
    if name not in _DRAWING:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    return getattr(importlib.import_module(_DRAWING[name]), name)


# engine.max, engine.sum and engine.compile are left out of __all__, so `from engine import *` keeps Python's.
__all__ = [
    "BackwardFrame",
    "BackwardFrames",
    "Compiled",
    "Drawing",
    "GradcheckError",
    "GraphTooLargeError",
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
    "save_html",
    "set_grad_enabled",
    "step_through",
    "TraceChangedError",
    "write_image",
    "zero_grad",
]
