"""`engine.op`: define a new scalar op from Python, with a forward on floats and a derivative in Value ops.

The result is an `engine.op_record.Op` record like a built-in's, applied by the same rules, so backward,
`grad(create_graph=True)`, drawing and `gradcheck` treat it like a built-in (it is not added to `OPS` or
to Value's methods: two programs may each define their own "square"). The rules are closures over the op
(its name and functions), never over a node: a node referring to a function referring to it is a cycle.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable

from engine.grad_mode import no_grad
from engine.op_record import OPS, Op, as_operand, make_node
from engine.value import Value, as_float

Forward = Callable[..., float]
Derivative = Callable[..., object]


def _renamed(exc: Exception, name: str, part: str) -> Exception:
    """The same kind of error as `exc`, its message prefixed with the op and the part that raised."""
    message = f"op {name!r}: {part} raised {type(exc).__name__}: {exc}"
    try:
        return type(exc)(message)
    except Exception:  # an exception class whose constructor wants more than a message
        return RuntimeError(message)


def _arity_check(name: str, fn: Callable[..., object]) -> Callable[[int], None]:
    """A check that `fn` takes n positional arguments, raising TypeError naming the op when it does not."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins have no signature; their own call will complain
        return lambda n: None

    def check(n: int) -> None:
        try:
            signature.bind(*range(n))
        except TypeError as exc:
            raise TypeError(f"op {name!r} got {n} argument(s), but its forward does not take that: {exc}") from None

    return check


def op(name: str, forward: Forward, derivative: Derivative) -> Callable[..., Value]:
    """Make a scalar op: `forward(*floats) -> float` computes it, `derivative(*inputs, out)` returns the
    partial d(out)/d(input) (a tuple of them for several inputs) written with Value ops or numbers, or None
    for no path: the built-in ops' one signature (engine/ops.py).

    Returns a function taking Values or numbers. In `backward()` the derivative runs under `no_grad()`; in
    `grad(create_graph=True)` it builds graph, so second derivatives work. Raises TypeError for a name that
    is not a non-empty str or functions that are not callable; errors when the op runs name the op.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"op: name must be a non-empty str, got {name!r}")
    if name in OPS:
        raise ValueError(f"op: {name!r} is the name of a built-in op; drawings and tools tell ops apart by name")
    for part, fn in (("forward", forward), ("derivative", derivative)):
        if not callable(fn):
            raise TypeError(f"op {name!r}: {part} must be callable, got {type(fn).__name__}")
    check_arity = _arity_check(name, forward)

    def checked(*args_out: Value) -> tuple[Value | float | None, ...]:
        try:
            result = derivative(*args_out)
        except Exception as exc:
            raise _renamed(exc, name, "derivative") from exc
        parts = tuple(result) if isinstance(result, tuple | list) else (result,)
        if len(parts) != len(args_out) - 1:
            raise ValueError(
                f"op {name!r}: derivative returned {len(parts)} partial(s) for {len(args_out) - 1} input(s); "
                "return one per input, as a tuple when there are several"
            )
        for i, p in enumerate(parts):
            if p is not None and not isinstance(p, Value) and (isinstance(p, bool) or not isinstance(p, numbers.Real)):
                kind = type(p).__name__
                raise TypeError(f"op {name!r}: derivative's partial {i} must be a Value, a number or None, got {kind}")
        return parts

    def backward(out: Value) -> None:
        # The derivative is written with Value ops, so on this float pass it runs on the nodes themselves,
        # recording nothing; its partials then become floats like any built-in's.
        g = out.grad
        with no_grad():
            parts = checked(*out.parents, out)
        floats = [p.data if isinstance(p, Value) else None if p is None else as_float(p, f"op {name!r}: partial {i}")
                  for i, p in enumerate(parts)]
        for operand, p in zip(out.parents, floats):
            if p is not None:
                operand.grad += g * p

    def checked_forward(*floats: float) -> float:
        try:
            data = forward(*floats)
        except Exception as exc:
            raise _renamed(exc, name, "forward") from exc
        if isinstance(data, bool) or not isinstance(data, numbers.Real):
            raise TypeError(f"op {name!r}: forward must return a number, got {type(data).__name__} ({data!r:.60})")
        return as_float(data, f"op {name!r}: forward's result")

    record = Op(name, name, 0, checked)
    record.backward, record.may_raise = backward, True
    record.forward = checked_forward  # forward(*operands) on floats, which engine.compile replays per node

    def apply(*args: Value | float) -> Value:
        check_arity(len(args))
        if not args:
            raise TypeError(f"op {name!r} needs at least one argument to differentiate by")
        values = tuple(as_operand(x, f"op {name!r}: argument {i}", Value) for i, x in enumerate(args))
        return make_node(type(values[0]), checked_forward(*(v.data for v in values)), record, values)

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"The custom scalar op {name!r} (made by engine.op)."
    return apply
