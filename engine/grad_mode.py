"""The grad-mode switch: the one piece of global mutable state in the engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager


class _GradMode:
    # A slotted attribute is one lookup on the hot path, cheaper than a module global rebound by `global`.
    __slots__ = ("enabled",)

    def __init__(self) -> None:
        self.enabled = True


state = _GradMode()


def is_grad_enabled() -> bool:
    """Whether new ops record their parents (False inside `no_grad()`)."""
    return state.enabled


@contextmanager
def set_grad_enabled(mode: bool) -> Iterator[None]:
    """Record the graph inside the block when `mode` is true, build none when false (as torch.set_grad_enabled)."""
    previous = state.enabled
    state.enabled = bool(mode)
    try:
        yield
    finally:
        state.enabled = previous


def no_grad() -> AbstractContextManager[None]:
    """Build no graph inside the block: results are leaves, as in `torch.no_grad()`."""
    return set_grad_enabled(False)


def enable_grad() -> AbstractContextManager[None]:
    """Record the graph inside the block, even within `no_grad()`."""
    return set_grad_enabled(True)
