"""Grad mode, per thread as in PyTorch: whether new ops record the graph. The engine's one piece of global state."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def is_grad_enabled() -> bool:
    """Whether new ops in this thread record their parents (False inside `no_grad()`)."""
    return _thread.enabled


class _Mode:
    """A grad mode usable as a context manager (restoring the mode it found) and as a function decorator."""

    mode: bool

    def __enter__(self) -> None:
        _thread.saved.append(_thread.enabled)  # kept per thread, so one object can be shared and re-entered
        _set(self.mode)

    def __exit__(self, *exc: object) -> None:
        _set(_thread.saved.pop())

    def __call__(self, fn: F) -> F:
        if not callable(fn):
            raise TypeError(f"{type(self).__name__}: can only decorate a function, got {type(fn).__name__}")
        mode = self.mode

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return run  # type: ignore[return-value]


class _Fixed(_Mode):
    """A mode that takes no argument, so it also decorates without parentheses: `@no_grad` as `@no_grad()`."""

    def __new__(cls, fn: Callable[..., Any] | None = None) -> Any:
        self = super().__new__(cls)
        return self if fn is None else self(fn)


class no_grad(_Fixed):  # noqa: N801 - named as torch.no_grad
    """Build no graph inside the block or decorated function: results are leaves, as in `torch.no_grad()`.
    `with no_grad():`, `@no_grad` and `@no_grad()` all work; one object can be entered again and again."""

    mode = False


class enable_grad(_Fixed):  # noqa: N801 - named as torch.enable_grad
    """Record the graph inside the block or decorated function, even within `no_grad()`."""

    mode = True


class set_grad_enabled(_Mode):  # noqa: N801 - named as torch.set_grad_enabled
    """Turn grad mode on or off in this thread now; as a context manager or decorator, only inside it.

    Raises TypeError unless `mode` is a bool.
    """

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(mode): expected a bool, got {type(mode).__name__}")
        self.mode = mode
        self.previous = _thread.enabled
        _set(mode)

    def __enter__(self) -> None:
        _thread.saved.append(self.previous)  # leaving the block restores the mode from before the call
        _set(self.mode)

    def __call__(self, fn: F) -> F:
        _set(self.previous)  # as a decorator it changes nothing until the function runs
        return super().__call__(fn)


# ---------------------------------------------------------------- the per-thread switch


def _set(mode: bool) -> None:
    with _lock:
        if _thread.enabled != mode:
            _thread.enabled = mode
            _thread.end.off = not mode
            state.threads_off += -1 if mode else 1


class _ThreadMode(threading.local):
    enabled = True  # each thread starts with grad mode on

    def __init__(self) -> None:
        self.saved: list[bool] = []  # the modes to restore, innermost last
        self.end = _ThreadEnd()  # dropped with the thread's locals when the thread ends


class _ThreadEnd:
    # Why a __del__: a thread's locals are dropped when it ends, and this is the one hook that then runs.
    off = False

    def __del__(self) -> None:
        if self.off:  # a thread that ended with grad mode off no longer counts (see _Shared)
            with _lock:
                state.threads_off -= 1


class _Shared:
    # How many threads have grad mode off. While it is 0, as in almost all training, building a node reads
    # this one slot instead of the thread-local (which costs several times more on every node).
    __slots__ = ("threads_off",)
    threads_off: int


_thread = _ThreadMode()
state = _Shared()
state.threads_off = 0
_lock = threading.Lock()
