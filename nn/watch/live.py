"""A page inside Jupyter, updated while training runs; outside a Jupyter kernel it does nothing.

The page goes into an iframe (`srcdoc`), so its element ids and script stay apart from the notebook's and
from other views in the same notebook. Updates replace the whole page in one display, at most once every
LIVE_SECONDS (and always on a forced frame, which `fit` uses for its last step), so a fast loop is not
slowed down by redrawing.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from typing import Any

from engine.draw.webpage import html_text

LIVE_SECONDS = 1.0
IFRAME_HEIGHT = 780  # px: the page's height at a notebook's width, so no inner scroll bar


def in_jupyter() -> bool:
    """Whether this code runs inside a Jupyter kernel (where HTML outputs are shown and scripts run)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def iframe(page: str) -> str:
    """HTML embedding one self-contained page, isolated in an iframe (in a div: IPython warns about a bare iframe)."""
    style = f"box-sizing:border-box;width:100%;max-width:1010px;height:{IFRAME_HEIGHT}px;border:1px solid #ddd"
    return f'<div><iframe srcdoc="{html_text(page)}" title="training recording" style="{style}"></iframe></div>'


class LiveView:
    """One updating display in a notebook of the page that `render()` returns (e.g. a recorder's training page)."""

    def __init__(self, render: Callable[[], str]) -> None:
        self.render = render
        self.handle: Any = None
        self.last_update = -math.inf

    @classmethod
    def create(cls, render: Callable[[], str], live: bool | None) -> LiveView | None:
        """A view when `live` is True, or None and not False, inside Jupyter; else None (warning if live=True)."""
        if live is False or (live is None and not in_jupyter()):
            return None
        if not in_jupyter():
            warnings.warn("Recorder(live=True): not running in a Jupyter kernel, so there is no live view; "
                          "use save_html(path) to see the recording", stacklevel=3)
            return None
        return cls(render)

    def update(self, force: bool = False) -> None:
        """Show the page with every frame so far, if LIVE_SECONDS have passed since the last update or `force`."""
        now = time.monotonic()
        if not force and now - self.last_update < LIVE_SECONDS:
            return
        from IPython.display import HTML, display

        content = HTML(iframe(self.render()))
        if self.handle is None:
            self.handle = display(content, display_id=True)
        else:
            self.handle.update(content)
        self.last_update = time.monotonic()
