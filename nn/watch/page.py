"""A recording as one self-contained HTML page: the network as layers of circles, the curves, the decision regions.

The page fetches nothing: its style and script are inlined from `page.css` and `page.js`
next to this file, and the recording is embedded as JSON (parsed with JSON.parse, never evaluated). Numbers
are stored to 6 significant digits, which keeps a 100-frame recording of the demo's MLP well under 1 MB.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import asdict
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nn.watch.recorder import Frame, Recorder

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


def recording_data(recorder: Recorder, start: str = "first") -> dict[str, Any]:
    """Everything the page shows, as JSON-ready data. Raises ValueError when nothing has been recorded yet."""
    if not recorder.frames or recorder.network is None:
        raise ValueError("the recorder holds no frames yet: record at least one step before saving")
    points = None
    if recorder.points and recorder.X is not None and recorder.y is not None:
        points = {"x": [list(map(float, x)) for x in recorder.X[:MAX_POINTS]], "label": recorder.y[:MAX_POINTS]}
    sample = None
    if recorder.X is not None and recorder.y is not None and recorder.network.kind == "mlp":
        sample = {"index": recorder.sample, "label": recorder.y[recorder.sample]}
    n_classes = max([*(recorder.y or [1]), *(c for f in recorder.frames for row in f.regions or [] for c in row)]) + 1
    return _round({
        "title": recorder.title or f"Training {recorder.network.title}",
        "network": asdict(recorder.network),
        "every": recorder.every,
        "sample": sample,
        "points": points,
        "grid": None if recorder.grid_axes is None else {"x": recorder.grid_axes[0], "y": recorder.grid_axes[1]},
        "classes": n_classes,
        "start": start,
        "frames": [_frame(f) for f in recorder.frames],
    })


def _embed(data: dict[str, Any]) -> str:
    """JSON that is inert inside <script>: `<`, `>` and `&` only occur in strings, where \\u escapes mean the same."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _asset(name: str) -> str:
    return resources.files("nn.watch").joinpath(name).read_text(encoding="utf-8")


def training_page(recorder: Recorder, start: str = "first") -> str:
    """The HTML page of a recording, opening at its first frame (or its last with start="last")."""
    if start not in ("first", "last"):
        raise ValueError(f"start must be 'first' or 'last', got {start!r:.40}")
    data = recording_data(recorder, start)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(data["title"])}</title>
<style>
{_asset("page.css")}</style>
</head>
<body>
<header><h1 id="title"></h1><p id="subtitle" class="muted"></p></header>
<div class="controls">
  <button id="play" type="button" aria-label="play">&#9654; play</button>
  <input id="slider" type="range" min="0" max="0" value="0" aria-label="recorded step">
  <span class="readout">step <b id="step-value"></b> &middot; loss <b id="loss-value"></b>
    &middot; accuracy <b id="accuracy-value"></b></span>
</div>
<div class="controls" id="modes">
  <span>show:</span>
  <label><input type="radio" name="mode" id="mode-activation" value="activation" checked> <span
    id="mode-activation-label">activations</span></label>
  <label><input type="radio" name="mode" id="mode-gradient" value="gradient"> <span
    id="mode-gradient-label">gradients</span></label>
</div>
<p id="note" class="note" hidden></p>
<main>
  <section id="network-panel"><h2 id="network-heading">The network</h2>
    <svg id="network" role="img" aria-label="the network"></svg>
    <p id="details" class="details"></p>
    <div id="legend" class="legend"></div>
  </section>
  <aside>
    <section id="regions-panel" hidden><h2>Decision regions</h2><svg id="regions" role="img"
      aria-label="decision regions"></svg><div id="regions-legend" class="legend"></div></section>
    <section><h2>Loss and accuracy</h2><svg id="curves" role="img" aria-label="loss and accuracy"></svg>
      <div class="legend"><span><span class="key loss"></span>loss</span>
        <span><span class="key accuracy"></span>accuracy on the step's batch</span></div></section>
  </aside>
</main>
<footer class="muted">Recorded by scalargrad. Each frame shows the model at that step before its update, with
  the gradients of that step's loss.</footer>
<script type="application/json" id="recording">{_embed(data)}</script>
<script>
{_asset("page.js")}</script>
</body>
</html>
"""
