"""Reverse-mode differentiation over the Value graph: `backward`, `grad` and `zero_grad`."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence

from engine.grad_mode import enable_grad, no_grad
from engine.value import Value, as_float


def backward_order(root: Value) -> list[Value]:
    """The interior (non-leaf) nodes that `root` depends on, in the order backward processes them.

    `root` comes first and every node comes before the nodes it was computed from. The walk uses an
    explicit stack, so a graph a million nodes deep needs no recursion. Leaves are left out: they
    only receive gradient, they pass none on.
    """
    if root._op is None:
        return []
    order: list[Value] = []
    seen = {root}
    # A depth-first walk that keeps the node in hand in locals and stacks only the ones it will come back
    # to: this loop is half the cost of backward() on graphs of binary ops, so it avoids any extra indexing,
    # and it reads a node's operands from its slots (see Value) with no call.
    stack: list[tuple[Value, Iterator[Value]]] = []
    node, children = root, iter(root.parents)
    while True:
        for child in children:
            op = child._op
            if op is not None and child not in seen:
                seen.add(child)
                stack.append((node, children))
                node = child
                arity = op.arity
                children = iter((child._a, child._b) if arity == 2 else (child._a,) if arity == 1 else child._a)
                break
        else:
            order.append(node)
            if not stack:
                break
            node, children = stack.pop()
    order.reverse()
    return order


def backward(root: Value, gradient: float = 1.0) -> None:
    """Set `.grad` of every Value that `root` depends on to d(root)/d(value), times `gradient`.

    Leaves accumulate: a second call adds the same gradient again, as in PyTorch, so reset them with
    `zero_grad` between steps. Interior nodes are overwritten and hold the latest pass only. A node whose
    gradient is exactly 0 passes nothing on (a dead relu's whole neuron is skipped); that differs from
    multiplying through only where a local derivative is inf or NaN, where 0 * inf would give NaN.
    Raises TypeError when `gradient` is not a number.
    """
    seed = as_float(gradient, "backward(gradient)")
    # The walk allocates while the graph is alive, which would make the cyclic GC scan the whole graph
    # again and again; the graph has no cycles for it to find, so it is paused for the pass.
    collecting = gc.isenabled()
    gc.disable()
    try:
        order = backward_order(root)
        if not order:
            root.grad += seed
            return
        for node in order:
            node.grad = 0.0
        root.grad = seed
        for node in order:
            if node.grad:
                node._op.backward(node)  # type: ignore[union-attr]
    finally:
        if collecting:
            gc.enable()


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
            g = grads[node]
            for child, part in zip(node.parents, node._op.vjp(node, g)):  # type: ignore[union-attr]
                have = grads.get(child)
                grads[child] = part if have is None else have + part
    if create_graph:
        return [grads.get(x, Value(0.0)) for x in inputs]
    return [Value(grads[x].data if x in grads else 0.0) for x in inputs]


def zero_grad(values: Iterable[Value]) -> None:
    """Reset `.grad` to 0 for each Value (for instance a model's parameters before the next step)."""
    for v in values:
        v.grad = 0.0
