"""Grad mode per thread, as in PyTorch, in all its forms; and backward() from several threads at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

import engine
from engine import Value

WAIT = 10.0  # seconds; only reached when a thread is stuck


def in_thread(target: Callable[[], None]) -> threading.Thread:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread below
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


def finish(thread: threading.Thread) -> None:
    thread.join(WAIT)
    assert not thread.is_alive(), "the helper thread is stuck"
    assert not thread.errors, thread.errors  # type: ignore[attr-defined]


def test_no_grad_in_another_thread_leaves_this_threads_training_alone() -> None:
    entered, leave = threading.Event(), threading.Event()

    def evaluate() -> None:
        with engine.no_grad():
            entered.set()
            leave.wait(WAIT)

    helper = in_thread(evaluate)
    try:
        assert entered.wait(WAIT)
        x = Value(3.0)
        y = x * x
        assert engine.is_grad_enabled() and y.parents == (x, x)
        y.backward()
        assert x.grad == 6.0
    finally:
        leave.set()
        finish(helper)


def test_overlapping_no_grad_blocks_in_two_threads_restore_each_threads_mode() -> None:
    # A enters, B enters, A leaves, B leaves: with one process-wide switch, B's exit would leave it off for good.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    modes: dict[str, bool] = {}

    def thread_a() -> None:
        with engine.no_grad():
            a_in.set()
            assert b_in.wait(WAIT)
        modes["a after"] = engine.is_grad_enabled()
        a_out.set()

    def thread_b() -> None:
        assert a_in.wait(WAIT)
        with engine.no_grad():
            b_in.set()
            assert a_out.wait(WAIT)
            modes["b inside"] = engine.is_grad_enabled()
        modes["b after"] = engine.is_grad_enabled()

    threads = [in_thread(thread_a), in_thread(thread_b)]
    for t in threads:
        finish(t)
    assert modes == {"a after": True, "b inside": False, "b after": True}
    assert engine.is_grad_enabled()
    assert (Value(2.0) * 3).op == "mul_const"


def test_each_thread_starts_with_grad_mode_on() -> None:
    seen: list[bool] = []
    with engine.no_grad():
        finish(in_thread(lambda: seen.append(engine.is_grad_enabled())))
    assert seen == [True]


def test_concurrent_backward_calls_give_the_gradients_of_the_same_calls_in_turn() -> None:
    x = Value(1.0)
    y = x
    for _ in range(200_000):  # long enough that the interpreter switches threads during a pass
        y = y * 1.0
    threads = [in_thread(y.backward) for _ in range(3)]
    for t in threads:
        finish(t)
    assert x.grad == 3.0 and y.grad == 1.0


def test_set_grad_enabled_as_a_plain_call_switches_this_thread() -> None:
    try:
        engine.set_grad_enabled(False)
        assert not engine.is_grad_enabled() and (Value(1.0) * 2).is_leaf
        seen: list[bool] = []
        finish(in_thread(lambda: seen.append(engine.is_grad_enabled())))
        assert seen == [True]
        engine.set_grad_enabled(True)
        assert engine.is_grad_enabled()
    finally:
        engine.set_grad_enabled(True)


def test_set_grad_enabled_as_a_context_manager_restores_the_mode_from_before_the_call() -> None:
    with engine.no_grad():
        with engine.set_grad_enabled(True):
            assert engine.is_grad_enabled()
        assert not engine.is_grad_enabled()
    assert engine.is_grad_enabled()


@pytest.mark.parametrize(
    "decorate, inside",
    [
        (engine.no_grad, False),
        (engine.no_grad(), False),
        (engine.enable_grad, True),
        (engine.enable_grad(), True),
        (lambda f: engine.set_grad_enabled(False)(f), False),
        (lambda f: engine.set_grad_enabled(True)(f), True),
    ],
    ids=["no_grad", "no_grad()", "enable_grad", "enable_grad()", "set_grad_enabled(False)", "set_grad_enabled(True)"],
)
def test_grad_modes_decorate_functions(decorate: Callable[[Callable[[], bool]], Any], inside: bool) -> None:
    def mode() -> bool:
        """Reports the grad mode it runs under."""
        return engine.is_grad_enabled()

    for outer in (True, False):
        with engine.set_grad_enabled(outer):
            wrapped = decorate(mode)
            assert engine.is_grad_enabled() is outer  # decorating changes nothing
            assert wrapped() is inside and wrapped() is inside
            assert engine.is_grad_enabled() is outer
    assert wrapped.__name__ == "mode" and wrapped.__doc__ == "Reports the grad mode it runs under."


def test_one_no_grad_object_can_be_reused_nested_and_shared_between_threads() -> None:
    ng = engine.no_grad()
    with ng:
        with ng:
            assert not engine.is_grad_enabled()
        assert not engine.is_grad_enabled()
    assert engine.is_grad_enabled()
    entered, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with ng:
            entered.set()
            leave.wait(WAIT)
        assert engine.is_grad_enabled()

    helper = in_thread(hold)
    assert entered.wait(WAIT)
    with ng:
        leave.set()
        finish(helper)
        assert not engine.is_grad_enabled()
    assert engine.is_grad_enabled()


def test_a_decorated_function_restores_the_mode_when_it_raises() -> None:
    @engine.no_grad
    def fails() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        fails()
    assert engine.is_grad_enabled()


@pytest.mark.parametrize("bad", [1, None, "no"], ids=["int", "None", "str"])
def test_set_grad_enabled_wants_a_bool(bad: object) -> None:
    with pytest.raises(TypeError, match=type(bad).__name__):
        engine.set_grad_enabled(bad)  # type: ignore[arg-type]
    assert engine.is_grad_enabled()


def test_no_grad_decorates_only_callables() -> None:
    with pytest.raises(TypeError, match="decorate"):
        engine.no_grad()(3)  # type: ignore[arg-type]


def test_a_thread_that_ends_with_grad_mode_off_no_longer_counts() -> None:
    # building nodes reads one shared count while no thread has grad mode off; a finished thread must leave it
    from engine.grad_mode import state

    assert state.threads_off == 0
    finish(in_thread(lambda: engine.set_grad_enabled(False)))
    assert state.threads_off == 0
    assert (Value(1.0) * 2).op == "mul_const"
