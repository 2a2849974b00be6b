"""micrograd's `micrograd.engine`, on scalargrad: `from engine.micrograd import Value` is the only change a program
written for micrograd needs.

This `Value` is scalargrad's own `engine.Value`, not a copy of micrograd's: a Value made from a micrograd
program's code can be drawn (`draw_dot`), stepped through (`save_html`, `step_through`), differentiated again
(`engine.grad`), checked (`gradcheck`) and compiled (`engine.compile`). micrograd's operators, `relu()`,
`backward()`, `.data` and `.grad` give micrograd's numbers (within a few ulps: `a / b` is one division here where
micrograd computes `a * b**-1`), and `._prev` and `._op` its names for a node's operands and op.

What differs, on purpose:
- `data` and `grad` are always floats (`Value(2).data` is 2.0); micrograd keeps an int as an int.
- A non-number operand or a division by zero raises an error that names it.
- `backward()` computes the gradients of this one pass: calling it twice on one graph gives every leaf twice its
  gradient, as in PyTorch, where micrograd's inner nodes keep their gradients too and so add more.
- `_backward()` can be called but not assigned (a node has no closure of its own: its op's rule is shared),
  and no other attribute can be added to a Value either (its `__slots__` keep it small).
"""

from __future__ import annotations

from engine.value import Value

__all__ = ["Value"]
