"""Random programs written against micrograd's Value API (Hypothesis), run through micrograd and engine.micrograd
side by side: every intermediate Value's data and every gradient agree."""

from __future__ import annotations

import math
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

# Each instruction of a program: what it does to operand registers a and b and a constant c, as micrograd's
# users write it (number operands on either side, Python's sum, in-place +=).
INSTRUCTIONS: dict[str, Callable[[Any, Any, float], Any]] = {
    "a + b": lambda a, b, c: a + b,
    "a - b": lambda a, b, c: a - b,
    "a * b": lambda a, b, c: a * b,
    "a / b": lambda a, b, c: a / b,
    "a + c": lambda a, b, c: a + c,
    "c + a": lambda a, b, c: c + a,
    "a - c": lambda a, b, c: a - c,
    "c - a": lambda a, b, c: c - a,
    "a * c": lambda a, b, c: a * c,
    "c * a": lambda a, b, c: c * a,
    "a / c": lambda a, b, c: a / c,
    "c / a": lambda a, b, c: c / a,
    "-a": lambda a, b, c: -a,
    "relu(a)": lambda a, b, c: a.relu(),
    "a ** 2": lambda a, b, c: a**2,
    "a ** 3": lambda a, b, c: a**3,
    "a ** -1": lambda a, b, c: a**-1,
    "a ** -2": lambda a, b, c: a**-2,
    "a ** 0.5": lambda a, b, c: a**0.5,
    "a ** 1.5": lambda a, b, c: a**1.5,
    "sum([a, b, a])": lambda a, b, c: sum([a, b, a]),
    "a += b": lambda a, b, c: _iadd(a, b),
}

LARGEST = 1e4  # larger intermediates are skipped, so that a program's rounding stays comparable
NEAR_KINK = 1e-6  # relu's input and a denominator must be this far from 0 (see `runnable`)


def _iadd(a: Any, b: Any) -> Any:
    a += b
    return a


def runnable(name: str, a: Any, b: Any, c: float, out: Any) -> bool:
    """Whether micrograd's result `out` of this instruction is a real number that both engines compute alike.

    Left out: complex results (micrograd's negative base to 0.5), magnitudes over LARGEST, and relu or a division
    within NEAR_KINK of its kink, where the last bits in which the engines may differ (a / b is a * b**-1 in
    micrograd) could pick different sides."""
    if not isinstance(out.data, int | float) or not abs(out.data) <= LARGEST:
        return False
    if name == "relu(a)" or "/" in name or "**" in name:
        return abs(a.data) > NEAR_KINK and (name != "a / b" or abs(b.data) > NEAR_KINK)
    return True


def run(program: list[tuple[str, int, int, float]], leaves: list[float], apis: list[SimpleNamespace]) -> list[Any]:
    """Each engine's registers after running `program` in lockstep, micrograd (apis[0]) deciding what is skipped."""
    registers = [[api.Value(x) for x in leaves] for api in apis]
    for name, i, j, c in program:
        step = INSTRUCTIONS[name]
        outs = []
        for regs in registers:
            a, b = regs[i % len(regs)], regs[j % len(regs)]
            try:
                out = step(a, b, c)
            except (ZeroDivisionError, OverflowError, ValueError):
                break
            if not outs and not runnable(name, a, b, c, out):
                break
            outs.append(out)
        if len(outs) == len(registers):
            for regs, out in zip(registers, outs):
                regs.append(out)
    return registers


def close(ours: float, theirs: float, scale: float) -> bool:
    return math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-12 * scale)


programs = st.lists(
    st.tuples(
        st.sampled_from(sorted(INSTRUCTIONS)),
        st.integers(0, 30),
        st.integers(0, 30),
        st.floats(-3, 3).filter(lambda c: abs(c) > 0.1),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=200)
@given(program=programs, leaves=st.lists(st.floats(-3, 3), min_size=1, max_size=4), outputs=st.integers(1, 4))
def test_random_programs_give_micrograds_data_and_gradients(
    micrograd_api: SimpleNamespace,
    our_api: SimpleNamespace,
    program: list[tuple[str, int, int, float]],
    leaves: list[float],
    outputs: int,
) -> None:
    theirs, ours = run(program, leaves, [micrograd_api, our_api])
    for regs in (theirs, ours):
        sum(regs[-outputs:]).backward()
    # Rounding differences grow with the numbers they are made in: compare against the largest one in the program.
    scale = max(1.0, *(abs(v.data) for v in theirs), *(abs(v.grad) for v in theirs))
    for k, (o, t) in enumerate(zip(ours, theirs, strict=True)):
        assert close(o.data, t.data, scale), f"register {k}: data {o.data!r} vs micrograd's {t.data!r}"
        assert close(o.grad, t.grad, scale), f"register {k}: grad {o.grad!r} vs micrograd's {t.grad!r}"
