"""matplotlib.pyplot's names as no-ops: `subplots` gives a figure and the axes it was asked for, `show` says what
was skipped. See the package's docstring."""

from __future__ import annotations

from typing import Any

from matplotlib import rcParams

__all__ = ["rcParams", "show", "subplots"]
SKIPPED = "(figure skipped: matplotlib is not available in the browser; run the lessons locally to see it)"


class Skipped:
    """A figure, axes or artist whose every method does nothing and returns another Skipped."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: Skipped()

    def __getitem__(self, index: Any) -> Skipped:
        return Skipped()


def subplots(nrows: int = 1, ncols: int = 1, **_: Any) -> tuple[Skipped, Any]:
    """A figure and its axes: one axes, a list of them for one row or column, else a list of rows."""
    if nrows == 1 and ncols == 1:
        return Skipped(), Skipped()
    if nrows == 1 or ncols == 1:
        return Skipped(), [Skipped() for _ in range(nrows * ncols)]
    return Skipped(), [[Skipped() for _ in range(ncols)] for _ in range(nrows)]


def show(*_: Any, **__: Any) -> None:
    print(SKIPPED)


def __getattr__(name: str) -> Any:
    return getattr(Skipped(), name)
