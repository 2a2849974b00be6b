"""Fuzz: hostile edits of real saved models either load into a working model or raise ValueError naming the file.

The edits are what a corrupted or crafted file holds: wrong types, huge ints, deep nesting, unknown and
abstract class names, missing and extra keys, NaN/Infinity literals, huge strings, truncation. Loading
must never raise anything else (TypeError, RecursionError, MemoryError, ...), hang, or change a file.
"""

from __future__ import annotations

import copy
import json
import math
import re
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fuzzing import time_limit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
from nn.nested import flatten

MODELS: dict[str, tuple[Callable[[], nn.Module], Any]] = {
    "mlp": (lambda: nn.MLP(2, [3, 1], seed=0), [0.5, -1.0]),
    "cnn": (
        lambda: nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, seed=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                              nn.Layer(8, 2, activation=None, seed=1)),
        [[[0.1 * (i + j) for j in range(4)] for i in range(4)]],
    ),
    "rnn": (lambda: nn.RNNClassifier(2, [3], 2, cell="gru", seed=0), [[0.5, -0.5], [1.0, 0.0], [0.0, 1.0]]),
    "lstm": (lambda: nn.LSTMCell(2, 2, seed=0), [0.3, -0.7]),
    "conv1d": (lambda: nn.Conv1d(1, 1, 2, stride=1, dilation=1, seed=0), [[0.1, 0.2, 0.3]]),
}
DOCS: dict[str, dict[str, Any]] = {}


def saved_doc(name: str, tmp_path: Path) -> dict[str, Any]:
    """The JSON document `save` writes for model `name` (computed once)."""
    if name not in DOCS:
        path = tmp_path / f"{name}.json"
        MODELS[name][0]().save(path)
        DOCS[name] = json.loads(path.read_text())
    return copy.deepcopy(DOCS[name])


def paths(doc: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path into a JSON document, the root included."""
    yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from paths(value, (*prefix, i))


DEEP = re.compile(r'"<deep (\d+)>"')


def deep(depth: int) -> str:
    """A placeholder that `to_text` writes as `depth` nested lists (json.dumps itself would recurse too deeply)."""
    return f"<deep {depth}>"


def to_text(doc: Any) -> str:
    """`doc` as JSON, NaN and Infinity as the literals Python's json reads back, placeholders as deep lists."""
    return DEEP.sub(lambda m: "[" * int(m[1]) + "1" + "]" * int(m[1]), json.dumps(doc, indent=1))


HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, -1, 1, 2, 3, 10**6, 10**9, 10**18, 2**63, -(2**63), 10**400, -(10**400)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["Module", "_ConvNd", "_CellBase", "os", "__import__", "functional", "load", "MLP", "Sequential",
                     "Conv2d", "LSTMCell", "RNN", "relu", "lstm", "", "x" * 1_000_000]),
    st.integers(min_value=1, max_value=5000).map(deep),
    st.lists(st.integers(min_value=-3, max_value=10**9), max_size=4),
    st.dictionaries(st.sampled_from(["class", "config", "children", "nin", "kernel_size"]),
                    st.sampled_from([None, 1, "ReLU", [], {}]), max_size=3),
    st.just({"class": "Sequential", "config": {"children": [{"class": "Module", "config": {}}]}}),
)


@st.composite
def edits(draw: st.DrawFn, doc: dict[str, Any]) -> tuple[str, Any]:
    """One hostile edit of `doc`: ("json", the edited document) or ("text", the file's edited text)."""
    kind = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add", "truncate", "splice"]))
    if kind in ("truncate", "splice"):
        text = to_text(doc)
        cut = draw(st.integers(min_value=0, max_value=len(text) - 1))
        junk = draw(st.sampled_from(["", "NaN", "Infinity", "-Infinity", "1e999", "9" * 5000, "\x00", "\ufffd", "{",
                                     "]", '"', "\\u0000", "[" * 3000]))
        return "text", text[:cut] + junk + (text[cut + 1 :] if kind == "splice" else "")
    everywhere = list(paths(doc))
    # Half of the edits go into the config, where one number decides how much is built.
    config = [p for p in everywhere if p[:1] == ("config",)]
    where = draw(st.sampled_from(config) | st.sampled_from(everywhere))
    *parent_path, last = where if where else (None,)
    parent: Any = doc
    for key in parent_path:
        parent = parent[key]
    if kind == "replace":
        value = draw(HOSTILE)
        if last is None:
            return "json", value
        parent[last] = value
    elif kind == "delete" and last is not None:
        del parent[last]
    elif kind == "add":
        target = parent[last] if last is not None else doc
        if isinstance(target, dict):
            key = draw(st.sampled_from(["bogus", "rng", "seed", "children", "bias", "cell", "__class__"]))
            target[key] = draw(HOSTILE)
        elif isinstance(target, list):
            target.append(draw(HOSTILE))
    return "json", doc


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def load_or_refuse(path: Path, sample: Any) -> None:
    """nn.load gives a model that runs on `sample` (or refuses its shape), or raises ValueError naming the file."""
    try:
        model = nn.load(path)
    except ValueError as exc:
        assert str(exc).startswith(f"{path}: "), f"does not name the file: {exc}"
        assert "\n" not in str(exc)[:2000]
        return
    assert all(math.isfinite(p.data) and type(p.data) is float for p in model.parameters())
    repr(model)
    model.state_dict()
    try:
        out = model(sample)
    except ValueError:
        return  # the edit changed a size, and the layer names the shape it expected
    result = out[0] if isinstance(out, tuple) else out
    assert all(type(v.data) is float for v in flatten(result))


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="the hang guard needs signal.alarm (POSIX)")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(sorted(MODELS)))
def test_hostile_model_files_load_or_raise_value_error(tmp_path: Path, data: st.DataObject, name: str) -> None:
    kind, edited = data.draw(edits(saved_doc(name, tmp_path)))
    path = tmp_path / "hostile.json"
    if kind == "text":
        path.write_text(edited, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_text(to_text(edited))
    before = files(tmp_path)
    # A hang guard, not a speed test: a file within nn's limits may legitimately run for a minute on a busy
    # machine (a conv padded to MAX_POSITIONS, run before the next layer refuses its size).
    with time_limit(300):
        load_or_refuse(path, MODELS[name][1])
    assert files(tmp_path) == before
