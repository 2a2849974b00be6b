"""Lesson 9 exercises: what a replay returns for a function that branches on `.data`, clipping with ops instead of
an `if`, and which call `check_every` catches. Every right answer is computed here by running engine.compile."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import engine
from engine import Value
from nn.lessons.feedback import Feedback, Mistake, check_function, check_numbers

LIMIT = 2.0


def clipped(x: Value) -> Value:
    """y = 3x - 1, clipped to at most 2 by a Python `if` on the data: the kind of step a trace cannot follow."""
    y = 3 * x - 1
    if y.data > LIMIT:
        return y * 0 + LIMIT
    return y


def _graph(f: Callable[[Value], Value], x: float) -> float:
    return f(Value(x)).data


def _replay_vs_graph() -> dict[str, float]:
    """g = engine.compile(clipped, []) traced at x = 0, then called at x = 2; and clipped run uncompiled at x = 2."""
    g = engine.compile(clipped, [])
    g(0.0)
    return {"replay_at_2": g(2.0), "graph_at_2": _graph(clipped, 2.0)}


def check_replay_vs_graph(answers: dict[str, Any]) -> Feedback:
    """Exercise 9.1: predict what the replay and the uncompiled function return at x = 2 after a trace at x = 0."""
    return check_numbers(
        "exercise 9.1 (what a replay repeats)", answers, _replay_vs_graph(),
        mistakes={
            "replay_at_2": [(2.0, "the replay does not run the `if` again: it repeats the ops the first call "
                                  "recorded.", "at x = 0, y = -1 was not clipped, so the replay computes 3·2 - 1.")],
            "graph_at_2": [(5.0, "called uncompiled, clipped runs its `if` on the new data.",
                            "y = 5 > 2 is clipped to 2.")],
        },
        nudge="a trace records which ops ran, not the Python `if` that chose them.",
        hint="trace at x = 0: y = 3·0 - 1 = -1, so the recorded ops are just y = 3x - 1. The replay applies those "
             "ops to x = 2; the plain call runs the Python `if` again.",
    )


def _replays(clip: Callable[[Value], Value], ys: Sequence[float]) -> list[float]:
    """Compile `clip`, trace it at ys[0], replay it at every y (the first call is the trace itself)."""
    g = engine.compile(clip, [])
    return [g(y) for y in ys]


def _branch_traced_at_first(ys: Sequence[float]) -> list[float]:
    """What an `if y.data > 2` version replays: the branch of ys[0], for every y."""
    return [LIMIT if ys[0] > LIMIT else y for y in ys]


def check_clip_without_if(clip: Callable[[Value], Any]) -> Feedback:
    """Exercise 9.2: `clip(y)` = min(y, 2) with Value ops only, so that engine.compile(clip, []) replays it right
    at every y (the replay of a function with no `if` is bit for bit the uncompiled call)."""
    exercise = "exercise 9.2 (clipping with ops)"

    def replayed(ys: Sequence[float]) -> Any:
        if clip(Value(ys[0])) is ...:  # the untouched starter (engine.compile would reject its `...`)
            return ...
        return _replays(clip, ys)

    return check_function(
        exercise, replayed, lambda ys: [min(y, LIMIT) for y in ys],
        [([0.5, 3.0, -1.0, 2.5],), ([4.0, 1.0, 2.0, -0.5],)],
        describe=lambda ys: f"compile(clip) traced at y = {ys[0]}, called at y = {ys}",
        mistakes=[
            Mistake(_branch_traced_at_first,
                    "right when called uncompiled, wrong when replayed: the `if` on .data ran once, while "
                    "tracing, and the replay repeats that branch.", "keep the choice inside an op (relu or max)."),
            Mistake(lambda ys: [max(y, LIMIT) for y in ys],
                    "that keeps the larger of y and 2; clipping from above keeps the smaller.", "min(y, 2)."),
        ],
        nudge="only ops are replayed: the choice between y and 2 must be made by an op that looks at the data at "
              "every call (relu or engine.max).",
        hint="min(y, 2) = 2 - relu(2 - y) (or -engine.max([-y, -2])): only Value ops, no `if`.",
        what="Value ops that compute min(y, 2)",
    )


CHECK_EVERY = 3
CALLS = (0.0, 2.0, 0.5, 1.0, 0.2, 3.0)


def _check_every_calls() -> dict[str, float]:
    """Call engine.compile(clipped, [], check_every=3) at CALLS: the first call whose result is wrong, and the call
    that raises TraceChangedError."""
    g = engine.compile(clipped, [], check_every=CHECK_EVERY)
    first_wrong = 0
    for call, x in enumerate(CALLS, start=1):
        try:
            result = g(x)
        except engine.TraceChangedError:
            return {"first_wrong_call": float(first_wrong), "raising_call": float(call)}
        if result != _graph(clipped, x) and not first_wrong:
            first_wrong = call
    raise AssertionError("check_every should catch clipped's changed graph")  # the exercise is built so it does


def check_check_every(answers: dict[str, Any]) -> Feedback:
    """Exercise 9.3: with check_every=3, which call first returns a wrong number, and which call raises."""
    return check_numbers(
        "exercise 9.3 (what check_every catches)", answers, _check_every_calls(),
        mistakes={
            "raising_call": [
                (2.0, "check_every=3 re-traces only calls 3, 6, 9, ...: call 2 replays.",
                 "call 2 returns the wrong number silently."),
                (3.0, "call 3 does re-trace, but at x = 0.5 clipped builds the same graph as the trace.",
                 "y = 0.5 is not clipped, so nothing is raised."),
            ],
            "first_wrong_call": [
                (6.0, "a replayed call can be wrong before any re-trace notices.",
                 "call 2 (x = 2) returns 5 where clipped gives 2, without a word."),
            ],
        },
        nudge="a replayed call repeats the trace at x = 0; only calls 3, 6, ... are traced again and compared.",
        hint="number the calls from 1; a replayed call returns 3x - 1 (the trace at x = 0), so it is wrong when "
             "3x - 1 > 2; on calls 3, 6, ... the graph is traced again and compared with the first one.",
    )
