"""How an exercise checker talks to a student: what is off, by how much, and help in two steps, never a bare "wrong".

A checker compares the student's answer with the right one, computed here from the engine or a formula (never
from `nn.lessons.solutions`). When the answer matches a *typical mistake* (another function the checker knows),
the help names that mistake. An answer left as `...` is "not attempted yet" and fails nothing.

A miss carries two steps of help, a nudge naming the idea and a code-level hint; `nn.lessons.exercises` decides
which a student sees.
"""

from __future__ import annotations

import copy
import math
import reprlib
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from nn.checks import is_real

CORRECT, NOT_ATTEMPTED, INCORRECT = "correct", "not attempted yet", "not right yet"
REL_TOL, ABS_TOL = 1e-6, 1e-9
MAX_DEPTH = 20  # no answer nests deeper; a deeper one (or one that holds itself) is looked at this far
# A notebook's output line at 1000 px with the file browser open shows 70 characters; a longer one wraps in the
# middle of a word or a number, so feedback is wrapped at word boundaries to this width.
WIDTH = 70


def wrap(text: str, indent: str = "", first: str = "") -> str:
    """`first` + `text` wrapped at word boundaries to WIDTH columns, the following lines indented by `indent`.
    A word longer than a line (a long name) stays whole; "1e-06" is never split at its hyphen."""
    return "\n".join(textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=indent,
                                   break_long_words=False, break_on_hyphens=False))


@dataclass
class Feedback:
    """The outcome of one check: `status`, the problems found (each naming the value and how far off it is), and
    for a miss a `nudge` (the idea to think about) and a `hint` (code-level help, shown when `more_help` is set).
    `note` says what a pass checked, or what to do with an untouched starter."""

    exercise: str
    status: str
    problems: list[str] = field(default_factory=list)
    nudge: str = ""
    hint: str = ""
    note: str = ""
    more_help: bool = False

    @property
    def passed(self) -> bool:
        return self.status == CORRECT

    @property
    def number(self) -> str:
        """The exercise's number, "2.2" for "exercise 2.2 (mean squared error)"."""
        return self.exercise.split()[1]

    def __str__(self) -> str:
        mark = {CORRECT: "✔", NOT_ATTEMPTED: "…"}.get(self.status, "✘")
        lines = [wrap(f"{mark} {self.exercise}: {self.status}" + (f", {self.note}" if self.note else ""), "  ")]
        lines += [wrap(p, "    ", "  - ") for p in self.problems]
        if self.nudge:
            lines.append(wrap(self.nudge, "    ", "  hint: "))
        if self.hint and self.more_help:
            lines.append(wrap(self.hint, "    ", "  more help: "))
        elif self.hint:
            lines.append(f'  (stuck? exercises.show_hint("{self.number}") gives more help)')
        return "\n".join(lines)

    __repr__ = __str__  # a checker's result is the last line of a cell: Jupyter shows it as this text


def not_attempted(exercise: str, what: str) -> Feedback:
    """The feedback for a starter still left as `...`: replace it with `what` (not a miss, so no help is given)."""
    return Feedback(exercise, NOT_ATTEMPTED, note=f"replace the `...` with {what}, then run the cell again")


def is_blank(answer: object) -> bool:
    """True for an answer still left as `...`, also inside a list or dict (looked at to a depth of MAX_DEPTH)."""
    stack, seen = [(answer, 0)], set()
    while stack:
        item, depth = stack.pop()
        if item is ...:
            return True
        if depth < MAX_DEPTH and isinstance(item, dict | list | tuple) and id(item) not in seen:
            seen.add(id(item))  # a list that holds itself is looked at once
            try:
                stack += [(v, depth + 1) for v in (item.values() if isinstance(item, dict) else item)]
            except Exception:  # noqa: BLE001 - an unreadable answer is not a blank one; comparing it says why
                continue
    return False


def _stub(*args: Any) -> None: ...


def is_stub(f: Callable[..., Any]) -> bool:
    """True for a function whose whole body is `...` (or `pass`): a starter that changes things in place, untouched."""
    code = getattr(f, "__code__", None)
    return code is not None and code.co_code == _stub.__code__.co_code


class NotANumber(Exception):
    """An answer (or part of one) that cannot be read as a number; the message says what it is instead."""


def number(x: object) -> float:
    """x as a float: a Python or NumPy number, a one-number array, or a Value (its data). Raises NotANumber."""
    try:
        data = x
        if getattr(data, "ndim", None) == 0 and callable(getattr(data, "item", None)):
            # a NumPy number or 0-d array, whose `.data` is a memory buffer, not the number
            data = data.item()  # type: ignore[attr-defined]
        elif not is_real(data):
            data = getattr(data, "data", data)  # a Value; reading it runs the answer's own code, which may raise
    except Exception as err:  # noqa: BLE001 - an answer's own code may raise anything; that is feedback
        raise NotANumber(f"reading it raised {type(err).__name__}: {err}") from None
    if not is_real(data):
        raise NotANumber(f"it is {show(x)}, not a number")
    try:
        return float(data)
    except OverflowError:
        raise NotANumber(f"it is {show(x)}, too large for a float") from None


def items(x: object) -> list[Any] | None:
    """The items of a list, tuple or NumPy array (its rows); None for anything else (a number, a str, a set...)."""
    if isinstance(x, list | tuple):
        return list(x)
    ndim = getattr(x, "ndim", None)
    if isinstance(ndim, int) and ndim >= 1 and callable(getattr(x, "tolist", None)):
        return list(x)  # type: ignore[call-overload]
    return None


_SHOW = reprlib.Repr()
_SHOW.maxlevel, _SHOW.maxlist, _SHOW.maxtuple, _SHOW.maxother, _SHOW.maxstring = 3, 8, 8, 60, 60


def show(x: object) -> str:
    """A short repr of a student's answer: deep, self-holding or huge lists are cut (reprlib also names an object
    whose own repr raises, rather than raising)."""
    return _SHOW.repr(x)


def fmt(x: object) -> str:
    """A number as a student reads it: up to 6 significant digits and never "-0"; anything else as `show` gives it."""
    try:
        n = number(x)
    except NotANumber:
        return show(x)
    return f"{n + 0.0:.6g}" if n != 0 else "0"


Where = tuple[int, ...]


class WrongShape(Exception):
    """The answer's nesting differs from the expected one; the message names where and how."""


def _pairs(got: object, expected: object, path: Where = ()) -> Iterator[tuple[Where, float, float]]:
    """(where, got, expected) for every number of `expected`, walking both together; raises WrongShape.

    Only `expected`'s depth is walked, so a self-holding or very deep answer ends at the first mismatch.
    """
    want = items(expected)
    if want is None:
        try:
            yield path, number(got), float(expected)  # type: ignore[arg-type]
        except NotANumber as err:
            raise WrongShape(f"{_index(path)} should be a number: {err}") from None
        return
    try:
        have = items(got)
    except Exception as err:  # noqa: BLE001 - an answer's own code may raise anything; that is feedback
        raise WrongShape(f"{_index(path)} could not be read: {type(err).__name__}: {err}") from None
    if have is None:
        raise WrongShape(f"{_index(path)} should be a list of {len(want)}, got {show(got)}")
    if len(have) != len(want):
        raise WrongShape(f"{_index(path)} has {len(have)} item{'s' * (len(have) != 1)}, expected {len(want)}")
    for k, (g, e) in enumerate(zip(have, want)):
        yield from _pairs(g, e, (*path, k))


def _index(path: Where) -> str:
    return "".join(f"[{k}]" for k in path)


def _near(got: float, expected: float) -> bool:
    return math.isclose(got, expected, rel_tol=REL_TOL, abs_tol=ABS_TOL) or got == expected


def difference(name: str, got: object, expected: object) -> str | None:
    """One line saying how `got` differs from `expected` (shape, type, or the first numbers off), or None if close.

    Every level's length is checked and every number compared; lists, tuples and NumPy arrays are all lists.
    """
    try:
        pairs = list(_pairs(got, expected))
    except WrongShape as err:
        return f"{name}{err}"
    wrong = [(path, g, e) for path, g, e in pairs if not _near(g, e)]
    if not wrong:
        return None
    path, g, e = wrong[0]
    if len(pairs) == 1:
        return f"{name} is {fmt(g)}, expected {fmt(e)} (off by {fmt(g - e)})"
    return (f"{name}: {len(wrong)} of {len(pairs)} numbers are off; the first is entry {_index(path)}: "
            f"{fmt(g)}, expected {fmt(e)} (off by {fmt(g - e)})")


def close(got: object, expected: object) -> bool:
    """True when `got` has the nesting of `expected` and every number is within a relative 1e-6 of it."""
    return difference("", got, expected) is None


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer: what it computes (same arguments as the exercise), the idea it misses (`nudge`,
    shown on the first miss) and, optionally, the code-level `fix` (else the exercise's own hint)."""

    computes: Callable[..., Any]
    nudge: str
    fix: str = ""


def call(f: Callable[..., Any], args: Sequence[Any]) -> tuple[Any, str | None]:
    """f on its own deep copy of `args` (so a change it makes in place reaches no other call): (result, None) or
    (None, the error it raised)."""
    try:
        return f(*copy.deepcopy(args)), None
    except Exception as err:  # noqa: BLE001 - a student's code may raise anything; that is feedback, not a crash
        return None, f"{type(err).__name__}: {err}"


def _matching_mistake(mistakes: Iterable[Mistake], answers: Sequence[Any],
                      cases: Sequence[Sequence[Any]]) -> Mistake | None:
    """The first mistake that gives every one of the student's answers; one that raises on a case matches nothing
    (its None is not a number to compare with)."""
    for mistake in mistakes:
        for answer, args in zip(answers, cases):
            result, error = call(mistake.computes, args)
            if error is not None or not close(answer, result):
                break
        else:
            return mistake
    return None


def check_function(
    exercise: str,
    student: Callable[..., Any],
    right: Callable[..., Any],
    cases: Sequence[Sequence[Any]],
    *,
    describe: Callable[..., str],
    mistakes: Sequence[Mistake] = (),
    nudge: str,
    hint: str,
    what: str = "your code",
) -> Feedback:
    """Run `student` and `right` on every case; report each case that differs, with the matching mistake's help or
    the exercise's own (`nudge`, the idea; `hint`, code-level).

    `describe(*args)` names a case ("sigmoid'(1.0)"). The student's function returning `...` on the first case
    means not attempted. Each function gets its own deep copy of the arguments, so a change one makes in place
    reaches neither the reference nor the next call.
    """
    answers, problems = [], []
    for k, args in enumerate(cases):
        expected = right(*copy.deepcopy(args))
        got, error = call(student, args)
        if k == 0 and error is None and is_blank(got):
            return not_attempted(exercise, what)
        if error is not None:
            return Feedback(exercise, INCORRECT, [f"{describe(*args)} raised {error}"], nudge, hint)
        if got is None:
            return Feedback(exercise, INCORRECT, [f"{describe(*args)} returned None"],
                            "did you forget to `return` the result?")
        answers.append(got)
        problem = difference(describe(*args), got, expected)
        if problem:
            problems.append(problem)
    if not problems:
        return Feedback(exercise, CORRECT, note=f"all {len(cases)} test cases agree")
    mistake = _matching_mistake(mistakes, answers, cases)
    if mistake is None:
        return Feedback(exercise, INCORRECT, problems[:3], nudge, hint)
    return Feedback(exercise, INCORRECT, problems[:3], mistake.nudge, mistake.fix or hint)


WrongValue = tuple[float, str] | tuple[float, str, str]  # (a typical wrong number, its nudge[, its fix])


def check_numbers(
    exercise: str,
    answers: dict[str, Any],
    right: dict[str, float],
    *,
    mistakes: dict[str, Sequence[WrongValue]] | None = None,
    nudge: str,
    hint: str,
    what: str = "a number for each name",
) -> Feedback:
    """Compare named numbers worked out by hand with the right ones; a known wrong value gets its own help.

    `mistakes[name]` lists (typical wrong value, nudge[, fix]). Any `...` left means not attempted; a missing or
    unexpected name is a miss that names it.
    """
    if is_blank(answers):
        return not_attempted(exercise, what)
    if not isinstance(answers, dict):
        return Feedback(exercise, INCORRECT, [f"expected a dict of numbers, got {type(answers).__name__}"],
                        "keep the dict the cell starts with and replace each `...` by a number")
    if set(answers) != set(right):
        missing = ", ".join(sorted(set(right) - set(answers))) or "none"
        extra = ", ".join(sorted(map(str, set(answers) - set(right)))) or "none"
        return Feedback(exercise, INCORRECT, [f"expected the keys {sorted(right)}; missing: {missing}, "
                                              f"unexpected: {extra}"], "keep the names given in the cell")
    problems, nudges, fixes = [], [], []
    for name, expected in right.items():
        problem = difference(name, answers[name], expected)
        if problem:
            problems.append(problem)
            for wrong, known_nudge, *fix in (mistakes or {}).get(name, ()):
                if close(answers[name], wrong):
                    nudges.append(known_nudge)
                    fixes += fix
    if not problems:
        return Feedback(exercise, CORRECT, note=f"all {len(right)} numbers are right")
    return Feedback(exercise, INCORRECT, problems, " ".join(dict.fromkeys(nudges)) or nudge,
                    " ".join(dict.fromkeys(fixes)) or hint)
