"""Model files: reading the JSON that `Module.save` writes and checking it before anything is built.

A model file is untrusted input. It is only ever parsed as JSON (never unpickled), and `nn.load` builds
nothing until the whole tree of classes and configs has passed these checks, each failure a ValueError
naming the file and the key:

- the file is a regular file (not a device or a pipe) at most `MAX_FILE_BYTES` long, and is JSON with the
  documented outer fields;
- every class it names is in the registry of loadable classes it is checked against (`nn.loading.LOADABLE`,
  passed in as `classes`: this file knows no layer class, so the layers can use it);
- modules nest at most `MAX_DEPTH` deep and there are at most `MAX_MODULES` of them;
- every class can say how many parameters its config builds, and all of them together come to at most
  `MAX_PARAMETERS` and to no more than the numbers the file's state_dict holds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from nn.checks import is_int

# MAX_FILE_BYTES is read at each call, so tests can lower it.
from nn.limits import MAX_MODEL_FILE_BYTES as MAX_FILE_BYTES
from nn.limits import MAX_PARAMETERS, read_bounded_bytes

FORMAT = "scalargrad-model"
VERSION = 1

MAX_DEPTH = 32  # modules inside modules (Sequential in Sequential ...)
MAX_MODULES = 10_000  # class entries in one file


def read_model_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check the outer structure of a file written by `Module.save`; raises ValueError naming the file.

    A missing file or a folder raises what `open()` does (FileNotFoundError, IsADirectoryError).
    """
    where = os.fspath(path)
    raw = read_bounded_bytes(path, MAX_FILE_BYTES)  # refuses devices, pipes and big files before reading
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"{where}: not a text file, so not a saved model ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}: not valid JSON, the file may be truncated or edited ({exc})") from None
    except RecursionError:
        raise ValueError(f"{where}: not a saved model, its JSON is nested too deeply to read") from None
    except ValueError as exc:  # e.g. an integer too long to convert
        raise ValueError(f"{where}: not a saved model, its JSON holds an unreadable value ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f'{where}: key "format": not a scalargrad model file (expected "format": {FORMAT!r})')
    if doc.get("version") != VERSION:
        version = doc.get("version")
        raise ValueError(f"{where}: key 'version': unsupported version {version!r:.40}, scalargrad reads {VERSION}")
    expected = {"class": str, "config": dict, "state_dict": dict, "meta": dict}
    for key, kind in expected.items():
        if not isinstance(doc.get(key), kind):
            raise ValueError(f"{where}: key {key!r}: must be a {kind.__name__}, got {type(doc.get(key)).__name__}")
    return doc


class ModelClass(Protocol):
    """What these checks ask of a class a file names: `Module`'s two classmethods (this file imports no
    layer, so the layers can import it)."""

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int | None: ...
    @classmethod
    def child_specs(cls, config: Mapping[str, Any]) -> list[Any] | None: ...


C = TypeVar("C", bound=type[ModelClass])


def model_class(name: object, where: str, classes: Mapping[str, C]) -> C:
    """The class registered in `classes` under `name`. Raises ValueError naming `where` for anything else."""
    found = classes.get(name) if isinstance(name, str) else None
    if found is None:
        raise ValueError(f"{where}: unknown model class {name!r:.60} (not a concrete layer class that nn exports)")
    return found


def spec_parts(spec: object, where: str) -> tuple[str, dict[str, Any]]:
    """The class name and config of a child spec `{"class": name, "config": {...}}`; raises ValueError."""
    if not (isinstance(spec, Mapping) and isinstance(spec.get("class"), str) and isinstance(spec.get("config"), dict)):
        raise ValueError(f'{where}: expected {{"class": name, "config": {{...}}}}, got {spec!r:.80}')
    return spec["class"], spec["config"]


def check_model_tree(
    cls: type[ModelClass], doc: Mapping[str, Any], where: str, classes: Mapping[str, type[ModelClass]]
) -> int:
    """Check a model file's tree of classes and configs before anything is built; return its parameter count.

    Children may name only classes in `classes`. Raises ValueError naming the key. Walked without recursion,
    so a deep file cannot exhaust the stack before its depth is refused.
    """
    total = 0
    modules = 0
    stack: list[tuple[type[ModelClass], Any, str, int]] = [(cls, doc["config"], "config", 1)]
    while stack:
        node, config, key, depth = stack.pop()
        modules += 1
        if depth > MAX_DEPTH:
            raise ValueError(f"{where}: key {key!r}: modules nest deeper than {MAX_DEPTH}, more than a model file may")
        if modules > MAX_MODULES:
            raise ValueError(f"{where}: key {key!r}: more than {MAX_MODULES} modules, more than a model file may hold")
        children = node.child_specs(config)
        if children is not None:
            if not isinstance(children, list):
                raise ValueError(f"{where}: key {key + '.children'!r}: expected a list of child specs")
            for i, spec in enumerate(children):
                at = f"{key}.children[{i}]"
                name, child_config = spec_parts(spec, f"{where}: key {at!r}")
                child = model_class(name, f"{where}: key {at + '.class'!r}", classes)
                stack.append((child, child_config, at + ".config", depth + 1))
            continue
        total += _leaf_count(node, config, key, where)
    held = _count_numbers(doc["state_dict"])
    if total > MAX_PARAMETERS or total > held:
        limit = f"more than the {MAX_PARAMETERS:,} a model file may hold" if total > MAX_PARAMETERS else ""
        limit = limit or f"the state_dict holds only {held} numbers"
        raise ValueError(f"{where}: key 'config': config asks for a {doc['class']} with {total} parameters, {limit}")
    return total


def _leaf_count(cls: type[ModelClass], config: Any, key: str, where: str) -> int:
    """How many parameters `cls(**config)` has, from the config alone; raises ValueError unless it can be said."""
    try:
        count = cls.count_parameters(config)
    except KeyError as exc:
        raise ValueError(f"{where}: key {key!r}: config does not build a {cls.__name__}: missing {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: key {key!r}: config does not build a {cls.__name__}: {exc}") from None
    if not is_int(count):
        # Building it to find out is exactly what a hostile file wants: refuse rather than guess.
        raise ValueError(
            f"{where}: key {key!r}: {cls.__name__} cannot say how many parameters its config builds "
            "(its count_parameters returns None), so it is not loaded from a file"
        )
    return count


def _count_numbers(state: Mapping[str, object]) -> int:
    """How many numbers a state_dict holds, counted without recursion (a hostile file may nest deeply)."""
    count = 0
    stack = list(state.values())
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        else:
            count += 1
    return count
