"""Reverse mode as functions, as torch.autograd has them: `backward` (the pass itself is `Value.backward`, in
engine/value.py), `grad` (gradients as new Values, maybe differentiable again), `zero_grad` and
`backward_order`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from engine.grad_mode import enable_grad, no_grad
from engine.op_record import vjp
from engine.value import Value
from engine.value import backward_order as backward_order


def backward(root: Value, gradient: float = 1.0) -> None:
    """`root.backward(gradient)`: fill in `.grad` of every Value `root` depends on (see `Value.backward`)."""
    if not isinstance(root, Value):
        raise TypeError(f"backward(root): must be a Value, got {type(root).__name__}")
    root.backward(gradient)


def grad(output: Value, inputs: Value | Sequence[Value], create_graph: bool = False) -> list[Value]:
    """d(output)/d(input) for each input, leaving every `.grad` untouched.

    With `create_graph=True` the results are Values in a graph of their own, so they can be
    differentiated again (second derivatives, Hessian entries, gradient penalties); otherwise they are
    leaves. An input that `output` does not depend on gets 0; a single Value counts as a list of one, as
    in torch.autograd.grad. Raises TypeError on non-Value arguments.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad(output): must be a Value, got {type(output).__name__}")
    inputs = [inputs] if isinstance(inputs, Value) else list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad(inputs): item {i} must be a Value, got {type(x).__name__}")
    with enable_grad() if create_graph else no_grad():
        grads: dict[Value, Value] = {output: Value(1.0)}
        for node in backward_order(output):
            g = grads.get(node)
            if g is None:  # no path from the output reaches this node
                continue
            if not create_graph and not g.data and node._record.passes_nothing(node.data):  # type: ignore[union-attr]
                continue  # as backward() skips it
            for parent, part in zip(node.parents, vjp(node, g)):
                if part is None:  # no path from this operand (a relu that is off, a max's loser)
                    continue
                have = grads.get(parent)
                grads[parent] = part if have is None else have + part
    if create_graph:
        return [grads.get(x, Value(0.0)) for x in inputs]
    return [Value(grads[x].data if x in grads else 0.0) for x in inputs]


def zero_grad(values: Iterable[Value]) -> None:
    """Reset `.grad` to 0 for each Value (for instance a model's parameters before the next step).

    Raises TypeError naming the first item that is not a Value, before any `.grad` changes.
    """
    values = list(values)
    for i, v in enumerate(values):
        if not isinstance(v, Value):
            raise TypeError(f"zero_grad: item {i} must be a Value, got {type(v).__name__}")
    for v in values:
        v.grad = 0.0
