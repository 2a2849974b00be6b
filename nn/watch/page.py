"""A recording as one self-contained HTML page: the network as layers of circles, the curves, the decision regions.

The page is made as the step-through page is (`engine.draw.webpage`): the body `page.html` with `page.css`
and `page.js` inlined and the recording embedded as inert JSON, so it fetches nothing. It draws a
`Recording` (plain data), never the Recorder itself. Numbers are stored to 6 significant digits, which keeps
a 100-frame recording of the demo's MLP well under 1 MB.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from engine.draw.webpage import build_page, read_asset
from nn.watch.frames import Frame, Recording

MAX_POINTS = 500  # data points drawn over the decision regions
REGION_SYMBOLS = "0123456789abcdefghijklmnopqrstuvwxyz"  # one character per grid cell: class 0..35


def _round(x: Any) -> Any:
    """Floats to 6 significant digits (None for NaN/inf, which JSON cannot hold); lists and dicts recursively."""
    if isinstance(x, float):
        return float(f"{x:.6g}") if math.isfinite(x) else None
    if isinstance(x, list | tuple):
        return [_round(v) for v in x]
    if isinstance(x, dict):
        return {k: _round(v) for k, v in x.items()}
    return x


def _regions(regions: list[list[int]] | None) -> list[str] | None:
    """Each grid row as a string of class symbols; None when there are more classes than symbols."""
    if regions is None or max(max(row) for row in regions) >= len(REGION_SYMBOLS):
        return None
    return ["".join(REGION_SYMBOLS[c] for c in row) for row in regions]


def _frame(frame: Frame) -> dict[str, Any]:
    out = asdict(frame)
    out["regions"] = _regions(frame.regions)
    return out


def recording_data(recording: Recording, start: str = "first") -> dict[str, Any]:
    """Everything the page shows, as JSON-ready data; `points.label` and regions hold colour indices."""
    points = None
    if recording.points is not None:
        points = {"x": recording.points, "label": recording.point_classes}
    sample = None if recording.sample is None else {"index": recording.sample[0], "label": recording.sample[1]}
    grid = None if recording.grid is None else {"x": recording.grid[0], "y": recording.grid[1]}
    return _round({
        "title": recording.title,
        "network": asdict(recording.network),
        "every": recording.every,
        "sample": sample,
        "points": points,
        "grid": grid,
        "classes": recording.classes,
        "start": start,
        "frames": [_frame(f) for f in recording.frames],
    })


def training_page(recording: Recording, start: str = "first") -> str:
    """The HTML page of a recording, opening at its first frame (or its last with start="last")."""
    if start not in ("first", "last"):
        raise ValueError(f"start must be 'first' or 'last', got {start!r:.40}")
    return build_page(
        title=recording.title,
        style=read_asset("nn.watch", "page.css"),
        body=read_asset("nn.watch", "page.html"),
        data_id="recording",
        data=recording_data(recording, start),
        script=read_asset("nn.watch", "page.js"),
    )
