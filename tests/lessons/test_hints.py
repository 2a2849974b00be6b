"""Help comes in two steps: a first miss names the idea, a repeated miss (or show_hint) adds code-level help, and a
teacher's switch turns all of it off. A pass is never labelled "hint:"."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import nn.lessons
from engine import Value
from nn.lessons import feedback, lesson01, lesson02, lesson07, lesson09


def forward_difference(f, x, h):  # type: ignore[no-untyped-def]
    return (f(x + h) - f(x)) / h


def clip_with_if(y: Value) -> Value:
    return y * 0 + 2 if y.data > 2 else y * 1


# (a first miss, text of the code-level help that the first miss must not show)
GIVE_AWAY = [
    (lambda: lesson01.check_central_difference(forward_difference), "(f(x + h) - f(x - h))"),
    (lambda: lesson07.check_predict_class(lambda s: min(range(len(s)), key=s.__getitem__)), "max, not min"),
    (lambda: lesson07.check_predict_class(lambda s: 0), "max(range(len(scores))"),
    (lambda: lesson09.check_replay_vs_graph({"replay_at_2": 2.0, "graph_at_2": 2.0}), "3·2 - 1"),
    (lambda: lesson09.check_clip_without_if(clip_with_if), "relu or max"),
    (lambda: lesson09.check_clip_without_if(lambda y: y * 1), "2 - relu(2 - y)"),
]


@pytest.mark.parametrize(("miss", "answer"), GIVE_AWAY)
def test_a_first_miss_names_the_idea_and_a_second_adds_the_code(miss, answer) -> None:  # type: ignore[no-untyped-def]
    first = str(miss())
    assert "  hint: " in first and answer not in first and "show_hint(" in first, first
    second = str(miss())
    assert "  more help: " in second and answer in second, second


def test_show_hint_gives_the_code_level_help_of_the_last_miss() -> None:
    assert "no exercise has been missed yet" in repr(nn.lessons.show_hint())
    lesson02.check_mse(lambda p, t: sum((a - b) ** 2 for a, b in zip(p, t)))
    lesson01.check_central_difference(forward_difference)
    latest = str(nn.lessons.show_hint())
    assert latest.startswith("✘ exercise 1.2") and "more help: step to both sides" in latest, latest
    earlier = str(lesson02.show_hint("2.2"))
    assert earlier.startswith("✘ exercise 2.2") and "more help: divide the sum by len(predictions)" in earlier
    assert "has not been missed yet" in repr(lesson02.show_hint("2.3"))


def test_a_teacher_turns_hints_off_and_the_checkers_still_say_what_is_off() -> None:
    nn.lessons.hints(False)
    for _ in range(2):
        text = str(lesson02.check_mse(lambda p, t: sum((a - b) ** 2 for a, b in zip(p, t))))
        assert "off by" in text and "hint" not in text and "help" not in text and "divides by n" not in text, text
    assert repr(nn.lessons.show_hint()) == "hints are turned off for this run"
    nn.lessons.hints(True)
    assert "  hint: " in str(lesson02.check_mse(lambda p, t: 0.0))
    with pytest.raises(TypeError, match=r"^hints\(enabled\) must be a bool, got str$"):
        nn.lessons.hints("off")  # type: ignore[arg-type]
    assert "  hint: " in str(lesson02.check_mse(lambda p, t: 0.0))  # the refused call left hints on


def test_the_environment_variable_turns_hints_off_for_a_graded_run(monkeypatch: pytest.MonkeyPatch) -> None:
    code = ("from nn.lessons import lesson02; "
            "print(lesson02.check_mse(lambda p, t: 0.0)); print(lesson02.check_mse(lambda p, t: 0.0))")
    env = {**os.environ, "SCALARGRAD_HINTS": "off", "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.count("not right yet") == 2 and "off by" in out and "hint" not in out and "help" not in out, out
    monkeypatch.delenv("SCALARGRAD_HINTS", raising=False)
    assert feedback._Help().enabled  # without it, hints are on
    for value, enabled in [("OFF", False), ("0", False), ("no", False), ("on", True), ("1", True)]:
        monkeypatch.setenv("SCALARGRAD_HINTS", value)
        assert feedback._Help().enabled is enabled, value


def test_a_pass_and_an_untouched_starter_are_not_labelled_hint() -> None:
    passed = str(lesson02.check_mse(lambda p, t: sum((a - b) ** 2 for a, b in zip(p, t)) / len(p)))
    assert passed == "✔ exercise 2.2 (mean squared error): correct, all 3 test cases agree"
    untouched = " ".join(str(lesson02.check_mse(lambda p, t: ...)).split())  # the words, however it wraps
    assert untouched.startswith("… exercise 2.2 (mean squared error): not attempted yet, replace the `...`")
    assert "hint" not in passed + untouched


def test_every_lessons_checker_goes_through_the_hints_switch_and_offers_show_hint() -> None:
    """A checker without @checker would give hints on a graded run and never a second step: none may lack it."""
    import importlib
    import pkgutil

    names = [m.name for m in pkgutil.iter_modules(nn.lessons.__path__) if m.name.startswith("lesson")]
    assert len(names) == 10, names
    for name in names:
        module = importlib.import_module(f"nn.lessons.{name}")
        checks = [f for key, f in vars(module).items()
                  if key.startswith("check_") and getattr(f, "__module__", None) == module.__name__]
        assert checks and module.show_hint is feedback.show_hint, name
        unwrapped = [f.__name__ for f in checks if getattr(f, "__wrapped__", None) is None]
        assert unwrapped == [], f"{name}: {unwrapped} lack @checker"
