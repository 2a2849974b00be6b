"""The playground's Python side: run the code box's source, keep what it printed, and find what to draw.

The page loads this file once into Pyodide and calls `run(source)` for each click on Run. The code is the
learner's own, typed into their own page, so running it is the point; it runs in a fresh namespace each time.
"""

from __future__ import annotations

import ast
import contextlib
import io
import sys
import traceback
from typing import Any

from engine import Value
from engine.draw.dot import draw_dot
from engine.draw.page import save_html
from engine.draw.render import render_svg, source_with_hint

FRAMES_SHOWN = 3  # the innermost frames of a traceback shown under the code box


def last_value(tree: ast.Module, namespace: dict[str, Any], result: object) -> Value | None:
    """The last Value the code computed: its final expression's value, else the last top-level name bound to one."""
    if isinstance(result, Value):
        return result
    for statement in reversed(tree.body):
        targets = statement.targets if isinstance(statement, ast.Assign) else [getattr(statement, "target", None)]
        for target in reversed(targets):
            if isinstance(target, ast.Name) and isinstance(namespace.get(target.id), Value):
                return namespace[target.id]  # type: ignore[no-any-return]
    return None


def execute(source: str, printed: io.StringIO) -> tuple[ast.Module, dict[str, Any], object]:
    """Run `source` as a script, printing into `printed`; returns its syntax tree, namespace and last expression."""
    tree = ast.parse(source, "<playground>")
    namespace: dict[str, Any] = {"__name__": "__main__"}
    final = tree.body[-1] if tree.body else None
    last = final if isinstance(final, ast.Expr) else None
    if last is not None:
        tree.body.pop()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        exec(compile(tree, "<playground>", "exec"), namespace)
        result = None if last is None else eval(compile(ast.Expression(last.value), "<playground>", "eval"), namespace)
    if last is not None:
        tree.body.append(last)
    return tree, namespace, result


def error_text(exc: BaseException) -> str:
    """A traceback's last lines, without this module's own frames."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [frame for frame in frames if frame.filename == "<playground>" or "site-packages" in frame.filename]
    lines = traceback.format_list(own[-FRAMES_SHOWN:]) + traceback.format_exception_only(type(exc), exc)
    return "Traceback (most recent call last):\n" + "".join(lines) if own else "".join(lines)


def run(source: str) -> dict[str, Any]:
    """Run one code box: {"stdout", "error" (None or a traceback's last lines), "svg", "step_page", "training_page"}."""
    printed = io.StringIO()
    outcome: dict[str, Any] = {"stdout": "", "error": None, "svg": None, "step_page": None, "training_page": None}
    try:
        tree, namespace, result = execute(source, printed)
    except BaseException as exc:  # noqa: BLE001 - whatever the learner's code raises is shown, never fatal here
        outcome.update(stdout=printed.getvalue(), error=error_text(exc))
        return outcome
    outcome["stdout"] = printed.getvalue()
    value = last_value(tree, namespace, result)
    if value is not None:
        try:
            drawing = draw_dot(value)
            outcome["svg"] = render_svg(drawing.source) or source_with_hint(drawing.source)
            outcome["step_page"] = save_html(value, "/tmp/step_through.html").read_text(encoding="utf-8")
        except ValueError as exc:  # too big to draw: say so where the drawing would be
            outcome["svg"] = str(exc)
    # nn is imported by the code that makes a Recorder, not here: the page starts faster without it.
    recorder = sys.modules.get("nn.watch.recorder")
    recorders = [obj for obj in namespace.values() if recorder and isinstance(obj, recorder.Recorder) and obj.frames]
    if recorders:
        outcome["training_page"] = recorders[-1].to_html()
    return outcome
