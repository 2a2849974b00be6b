"""One notebook's exercises: a lesson's checkers with help in two steps, remembered for that notebook alone.

In a notebook, `exercises = Exercises(lesson02)`; then `exercises.check_mse(f)` checks an answer. The first miss of
an exercise gets a hint naming the idea to think about; a repeated miss, or `exercises.show_hint()`, adds
code-level help. `exercises.hints(False)` (or the environment variable SCALARGRAD_HINTS=off, read when the
notebook makes its `Exercises`) turns all help off for a graded run: checkers then say only what is right and
what is off.
"""

from __future__ import annotations

import functools
import os
from dataclasses import replace
from types import ModuleType
from typing import Any

from nn.checks import check_bool
from nn.lessons.feedback import INCORRECT, Feedback, wrap


def hints_from_environment() -> bool:
    """Whether hints start on: yes, unless SCALARGRAD_HINTS is off, 0, false or no (a graded run)."""
    return os.environ.get("SCALARGRAD_HINTS", "on").lower() not in {"off", "0", "false", "no"}


class Note(str):
    """A line of text that Jupyter shows as it is, without quotes."""

    __repr__ = str.__str__


def checkers(lesson: ModuleType) -> list[str]:
    """The names of a lesson's own checkers: its check_ functions, not the check_ helpers it imports."""
    return [name for name, f in vars(lesson).items()
            if name.startswith("check_") and getattr(f, "__module__", None) == lesson.__name__]


class Exercises:
    """A lesson's `check_...` functions, each giving its Feedback through this notebook's two-step help.

    `lesson` is a module of nn.lessons (`lesson02`); its other names (helpers, constants) read through unchanged.
    Raises TypeError when `lesson` is not a module or `hints` not a bool or None (None: from SCALARGRAD_HINTS).
    """

    def __init__(self, lesson: ModuleType, hints: bool | None = None) -> None:
        if not isinstance(lesson, ModuleType) or not checkers(lesson):
            raise TypeError(f"Exercises(lesson) takes a lesson module such as nn.lessons.lesson02, got {lesson!r}")
        self.lesson = lesson
        self.hints_on = hints_from_environment() if hints is None else check_bool(hints, "Exercises(hints)")
        # Each exercise's latest miss, the latest last: a miss already here is a repeated one.
        self.last_miss: dict[str, Feedback] = {}

    def __getattr__(self, name: str) -> Any:
        # Read from __dict__: copy and pickle look names up on an instance that __init__ never ran on.
        lesson = self.__dict__.get("lesson")
        if lesson is None or name.startswith("__"):
            raise AttributeError(name)
        own = checkers(lesson)
        if name.startswith("check_") and name not in own:
            raise AttributeError(f"{self!r} has no {name}; its checkers are {', '.join(own)}")
        found = getattr(lesson, name)
        if name not in own:
            return found

        @functools.wraps(found)
        def check(*args: Any, **kwargs: Any) -> Feedback:
            return self.deliver(found(*args, **kwargs))

        return check

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *checkers(self.lesson)})

    def __repr__(self) -> str:
        return f"Exercises({self.lesson.__name__}, hints={self.hints_on})"

    def hints(self, enabled: bool) -> None:
        """Turn this notebook's hints on or off (off for a graded run: only what is right and what is off is said).
        Raises TypeError for anything but True or False (`hints("off")` would otherwise read as on)."""
        self.hints_on = check_bool(enabled, "hints(enabled)")

    def show_hint(self, exercise: str | None = None) -> Feedback | Note:
        """The last miss of `exercise` ("2.2"; by default the last exercise missed) with its code-level help."""
        if not self.hints_on:
            return Note("hints are turned off for this run")
        if not self.last_miss:
            return Note("no exercise has been missed yet: run a check first")
        key = exercise if exercise is not None else next(reversed(self.last_miss))
        if key not in self.last_miss:
            return Note(wrap(f"exercise {key} has not been missed yet (missed so far: {', '.join(self.last_miss)})"))
        return replace(self.last_miss[key], more_help=True)

    def deliver(self, feedback: Feedback) -> Feedback:
        """What the student sees: help off strips the hints; a miss is remembered, a repeated one gets more help."""
        if not self.hints_on:
            return replace(feedback, nudge="", hint="")
        if feedback.status != INCORRECT:
            return feedback
        # Popped and put back so the latest miss goes last: show_hint() with no argument takes it.
        missed_before = self.last_miss.pop(feedback.number, None) is not None
        self.last_miss[feedback.number] = feedback
        return replace(feedback, more_help=missed_before)
