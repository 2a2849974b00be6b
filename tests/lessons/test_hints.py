"""Help comes in two steps: a first miss names the idea, a repeated miss (or show_hint) adds code-level help, and a
teacher's switch turns all of it off. A pass is never labelled "hint:". Each notebook's Exercises keeps its own."""

from __future__ import annotations

import copy
import importlib
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine import Value
from nn.lessons import Exercises, lesson01, lesson02, lesson07, lesson09
from nn.lessons.exercises import hints_from_environment

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def forward_difference(f, x, h):  # type: ignore[no-untyped-def]
    return (f(x + h) - f(x)) / h


def clip_with_if(y: Value) -> Value:
    return y * 0 + 2 if y.data > 2 else y * 1


# (a first miss, text of the code-level help that the first miss must not show)
GIVE_AWAY = [
    (lesson01, lambda e: e.check_central_difference(forward_difference), "(f(x + h) - f(x - h))"),
    (lesson07, lambda e: e.check_predict_class(lambda s: min(range(len(s)), key=s.__getitem__)), "max, not min"),
    (lesson07, lambda e: e.check_predict_class(lambda s: 0), "max(range(len(scores))"),
    (lesson09, lambda e: e.check_replay_vs_graph({"replay_at_2": 2.0, "graph_at_2": 2.0}), "3·2 - 1"),
    (lesson09, lambda e: e.check_clip_without_if(clip_with_if), "relu or max"),
    (lesson09, lambda e: e.check_clip_without_if(lambda y: y * 1), "2 - relu(2 - y)"),
]


@pytest.mark.parametrize(("lesson", "miss", "answer"), GIVE_AWAY)
def test_a_first_miss_names_the_idea_and_a_second_adds_the_code(lesson, miss, answer) -> None:  # type: ignore[no-untyped-def]
    exercises = Exercises(lesson, hints=True)
    first = str(miss(exercises))
    assert "  hint: " in first and answer not in first and "show_hint(" in first, first
    second = str(miss(exercises))
    assert "  more help: " in second and answer in second, second
    assert "  more help: " not in str(miss(Exercises(lesson, hints=True))), "another notebook's misses leaked in"


def test_show_hint_gives_the_code_level_help_of_the_last_miss() -> None:
    exercises = Exercises(lesson02, hints=True)
    assert "no exercise has been missed yet" in repr(exercises.show_hint())
    exercises.check_mse(lambda p, t: sum((a - b) ** 2 for a, b in zip(p, t)))
    exercises.check_sigmoid_derivative(lambda x: 1.0)
    latest = str(exercises.show_hint())
    assert latest.startswith("✘ exercise 2.1") and "more help: " in latest, latest
    earlier = str(exercises.show_hint("2.2"))
    assert earlier.startswith("✘ exercise 2.2") and "more help: divide the sum by len(predictions)" in earlier
    assert "has not been missed yet" in repr(exercises.show_hint("2.3"))


def test_a_teacher_turns_hints_off_and_the_checkers_still_say_what_is_off() -> None:
    exercises = Exercises(lesson02, hints=True)
    exercises.hints(False)
    for _ in range(2):
        text = str(exercises.check_mse(lambda p, t: sum((a - b) ** 2 for a, b in zip(p, t))))
        assert "off by" in text and "hint" not in text and "help" not in text and "divides by n" not in text, text
    assert repr(exercises.show_hint()) == "hints are turned off for this run"
    exercises.hints(True)
    assert "  hint: " in str(exercises.check_mse(lambda p, t: 0.0))
    with pytest.raises(TypeError, match=r"^hints\(enabled\) must be a bool, got str$"):
        exercises.hints("off")  # type: ignore[arg-type]
    assert "  hint: " in str(exercises.check_mse(lambda p, t: 0.0))  # the refused call left hints on
    with pytest.raises(TypeError, match=r"^Exercises\(hints\) must be a bool, got str$"):
        Exercises(lesson02, hints="off")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"takes a lesson module such as nn.lessons.lesson02, got 'lesson02'"):
        Exercises("lesson02")  # type: ignore[arg-type]


def test_the_environment_variable_turns_hints_off_for_a_graded_run(monkeypatch: pytest.MonkeyPatch) -> None:
    code = ("from nn.lessons import Exercises, lesson02; exercises = Exercises(lesson02); "
            "print(exercises.check_mse(lambda p, t: 0.0)); print(exercises.check_mse(lambda p, t: 0.0))")
    env = {**os.environ, "SCALARGRAD_HINTS": "off", "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.count("not right yet") == 2 and "off by" in out and "hint" not in out and "help" not in out, out
    monkeypatch.delenv("SCALARGRAD_HINTS", raising=False)
    assert hints_from_environment()  # without it, hints are on
    for value, enabled in [("OFF", False), ("0", False), ("no", False), ("on", True), ("1", True)]:
        monkeypatch.setenv("SCALARGRAD_HINTS", value)
        assert hints_from_environment() is enabled, value


def test_a_pass_and_an_untouched_starter_are_not_labelled_hint() -> None:
    exercises = Exercises(lesson02, hints=True)
    passed = str(exercises.check_mse(lambda p, t: sum((a - b) ** 2 for a, b in zip(p, t)) / len(p)))
    assert passed == "✔ exercise 2.2 (mean squared error): correct, all 3 test cases agree"
    untouched = " ".join(str(exercises.check_mse(lambda p, t: ...)).split())  # the words, however it wraps
    assert untouched.startswith("… exercise 2.2 (mean squared error): not attempted yet, replace the `...`")
    assert "hint" not in passed + untouched


def test_exercises_wraps_every_checker_the_notebooks_call_and_passes_other_names_through() -> None:
    """A checker the wrapper missed would give hints on a graded run and never a second step. The names come
    from the notebooks' own cells, not from the rule the wrapper uses to find checkers."""
    called: dict[str, set[str]] = {}
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        lesson = re.search(r"exercises = Exercises\((lesson\d\d)\)", source)
        if lesson:
            called[lesson.group(1)] = set(re.findall(r"exercises\.(check_\w+)\(", source))
    assert len(called) == 10 and all(called.values()), called
    for name, checks in called.items():
        module = importlib.import_module(f"nn.lessons.{name}")
        exercises = Exercises(module, hints=False)
        for key in checks:
            assert getattr(exercises, key).__wrapped__ is getattr(module, key), f"{name}.{key} is not wrapped"
            assert key in dir(exercises)
    assert Exercises(lesson09).clipped is lesson09.clipped  # the lesson's other names read through
    exercises = Exercises(lesson02)
    with pytest.raises(AttributeError, match=r"has no check_function; its checkers are check_sigmoid_derivative"):
        exercises.check_function  # noqa: B018 - an imported helper, not a checker
    with pytest.raises(AttributeError, match="check_msee"):
        exercises.check_msee  # noqa: B018
    assert copy.copy(exercises).check_mse.__wrapped__ is lesson02.check_mse  # no recursion before __init__


def test_exercises_refuses_a_module_that_is_not_a_lesson() -> None:
    with pytest.raises(TypeError, match="takes a lesson module such as nn.lessons.lesson02, got <module 'math'"):
        Exercises(math)
