"""How an exercise checker talks to a student: what is off, by how much, and a hint, never a bare "wrong".

A checker compares the student's answer with the right one, computed here from the engine or a formula (never
from `nn.lessons.solutions`). When the answer matches a *typical mistake* (another function the checker knows),
the hint names that mistake. An answer left as `...` is "not attempted yet" and fails nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nn.checks import is_real

CORRECT, NOT_ATTEMPTED, INCORRECT = "correct", "not attempted yet", "not right yet"
REL_TOL, ABS_TOL = 1e-6, 1e-9


@dataclass
class Feedback:
    """The outcome of one check: `status`, the problems found (each naming the value and how far off it is), a hint."""

    exercise: str
    status: str
    problems: list[str] = field(default_factory=list)
    hint: str = ""

    @property
    def passed(self) -> bool:
        return self.status == CORRECT

    def __str__(self) -> str:
        mark = {CORRECT: "✔", NOT_ATTEMPTED: "…"}.get(self.status, "✘")
        lines = [f"{mark} {self.exercise}: {self.status}"]
        lines += [f"  - {p}" for p in self.problems]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    __repr__ = __str__  # a checker's result is the last line of a cell: Jupyter shows it as this text


def not_attempted(exercise: str, what: str) -> Feedback:
    return Feedback(exercise, NOT_ATTEMPTED, hint=f"replace the `...` with {what}, then run the cell again")


def is_blank(answer: object) -> bool:
    """True for an answer still left as `...`, also inside a list or dict."""
    if answer is ...:
        return True
    if isinstance(answer, dict):
        return any(is_blank(v) for v in answer.values())
    if isinstance(answer, list | tuple):
        return any(is_blank(v) for v in answer)
    return False


def _stub(*args: Any) -> None: ...


def is_stub(f: Callable[..., Any]) -> bool:
    """True for a function whose whole body is `...` (or `pass`): a starter that changes things in place, untouched."""
    code = getattr(f, "__code__", None)
    return code is not None and code.co_code == _stub.__code__.co_code


def number(x: object) -> float | None:
    """x as a float (a Value gives its data), or None when it is not a number."""
    data = getattr(x, "data", x)
    if not is_real(data):
        return None
    try:
        return float(data)
    except OverflowError:  # an int beyond every float is no answer to compare
        return None


def flat(x: object) -> list[Any]:
    """The numbers of a nested list in reading order; a single number is a list of one."""
    if isinstance(x, list | tuple):
        return [n for item in x for n in flat(item)]
    return [x]


def shape(x: object) -> tuple[int, ...]:
    if isinstance(x, list | tuple):
        return (len(x), *shape(x[0])) if x else (0,)
    return ()


def close(got: object, expected: object) -> bool:
    """True when `got` has the shape of `expected` and every number is within a relative 1e-6 of it."""
    if shape(got) != shape(expected):
        return False
    pairs = zip(flat(got), flat(expected))
    return all((g := number(a)) is not None and math.isclose(g, float(b), rel_tol=REL_TOL, abs_tol=ABS_TOL)
               for a, b in pairs)


def fmt(x: object) -> str:
    """A number as a student reads it: up to 6 significant digits and never "-0"; lists keep their brackets."""
    if isinstance(x, list | tuple):
        return "[" + ", ".join(fmt(v) for v in x) + "]"
    n = number(x)
    if n is None:
        return repr(x)
    return f"{n + 0.0:.6g}" if n != 0 else "0"


def difference(name: str, got: object, expected: object) -> str | None:
    """One line saying how `got` differs from `expected` (shape, type, or the first numbers off), or None if close."""
    if close(got, expected):
        return None
    if shape(got) != shape(expected):
        return f"{name} has shape {shape(got) or 'of one number'}, expected {shape(expected) or 'one number'}"
    got_numbers, expected_numbers = flat(got), flat(expected)
    if any(number(g) is None for g in got_numbers):
        return f"{name} should hold numbers, got {got!r:.80}"
    if len(expected_numbers) == 1:
        off = float(number(got_numbers[0]) or 0.0) - float(expected_numbers[0])
        return f"{name} is {fmt(got)}, expected {fmt(expected)} (off by {fmt(off)})"
    wrong = [i for i, (g, e) in enumerate(zip(got_numbers, expected_numbers)) if not close(g, e)]
    i = wrong[0]
    off = float(number(got_numbers[i]) or 0.0) - float(expected_numbers[i])
    return (f"{name}: {len(wrong)} of {len(expected_numbers)} numbers are off; the first is {_entry(i, shape(got))}: "
            f"{fmt(got_numbers[i])}, expected {fmt(expected_numbers[i])} (off by {fmt(off)})")


def _entry(flat_index: int, dims: tuple[int, ...]) -> str:
    """Where the flat_index-th number of a nested list sits, as `[r][c]` (only for rectangular lists)."""
    index = []
    for size in reversed(dims):
        flat_index, k = divmod(flat_index, size)
        index.append(k)
    return "entry " + "".join(f"[{k}]" for k in reversed(index))


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer: what it computes (same arguments as the exercise), and the hint that fixes it."""

    computes: Callable[..., Any]
    hint: str


def call(f: Callable[..., Any], args: Sequence[Any]) -> tuple[Any, str | None]:
    try:
        return f(*args), None
    except Exception as err:  # noqa: BLE001 - a student's code may raise anything; that is feedback, not a crash
        return None, f"{type(err).__name__}: {err}"


def _matching_mistake(mistakes: Iterable[Mistake], answers: Sequence[Any], cases: Sequence[Sequence[Any]]) -> str:
    for mistake in mistakes:
        if all(close(a, call(mistake.computes, args)[0]) for a, args in zip(answers, cases)):
            return mistake.hint
    return ""


def check_function(
    exercise: str,
    student: Callable[..., Any],
    right: Callable[..., Any],
    cases: Sequence[Sequence[Any]],
    *,
    describe: Callable[..., str],
    mistakes: Sequence[Mistake] = (),
    hint: str,
    what: str = "your code",
) -> Feedback:
    """Run `student` and `right` on every case; report each case that differs, the matching mistake's hint or `hint`.

    `describe(*args)` names a case ("sigmoid'(1.0)"). The student's function returning `...` on the first case
    means not attempted. Arguments are passed fresh to each function, so in-place changes do not leak.
    """
    answers, problems = [], []
    for k, args in enumerate(cases):
        got, error = call(student, args)
        if k == 0 and error is None and is_blank(got):
            return not_attempted(exercise, what)
        if error is not None:
            return Feedback(exercise, INCORRECT, [f"{describe(*args)} raised {error}"], hint)
        if got is None:
            return Feedback(exercise, INCORRECT, [f"{describe(*args)} returned None"],
                            "did you forget to `return` the result?")
        answers.append(got)
        problem = difference(describe(*args), got, right(*args))
        if problem:
            problems.append(problem)
    if not problems:
        return Feedback(exercise, CORRECT, hint=f"all {len(cases)} test cases agree")
    return Feedback(exercise, INCORRECT, problems[:3], _matching_mistake(mistakes, answers, cases) or hint)


def check_numbers(
    exercise: str,
    answers: dict[str, Any],
    right: dict[str, float],
    *,
    mistakes: dict[str, Sequence[tuple[float, str]]] | None = None,
    hint: str,
    what: str = "a number for each name",
) -> Feedback:
    """Compare named numbers worked out by hand with the right ones; a known wrong value gets its own hint.

    `mistakes[name]` lists (typical wrong value, hint). Missing names or any `...` left means not attempted.
    """
    if is_blank(answers):
        return not_attempted(exercise, what)
    if not isinstance(answers, dict):
        return Feedback(exercise, INCORRECT, [f"expected a dict of numbers, got {type(answers).__name__}"],
                        "keep the dict the cell starts with and replace each `...` by a number")
    if set(answers) != set(right):
        missing = ", ".join(sorted(set(right) - set(answers))) or "none"
        extra = ", ".join(sorted(set(answers) - set(right))) or "none"
        return Feedback(exercise, INCORRECT, [f"expected the keys {sorted(right)}; missing: {missing}, "
                                              f"unexpected: {extra}"], "keep the names given in the cell")
    problems, hints = [], []
    for name, expected in right.items():
        problem = difference(name, answers[name], expected)
        if problem:
            problems.append(problem)
            hints += [h for wrong, h in (mistakes or {}).get(name, ()) if close(answers[name], wrong)]
    if not problems:
        return Feedback(exercise, CORRECT, hint=f"all {len(right)} numbers are right")
    return Feedback(exercise, INCORRECT, problems, " ".join(dict.fromkeys(hints)) or hint)
