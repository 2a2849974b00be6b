"""`load`: rebuilding a saved model, from an explicit registry of the classes a model file may name.

A model file names its classes as text, so which names build what is decided here, in one list, `LOADABLE`:
the concrete layer classes nn exports, and nothing else (not the abstract `Module`, no private base class, no
function). A class of your own loads with `load(path, MyModule)`, which allows that one class at the top.
The file is checked whole (`nn.model_file`) before anything is built.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar, overload

from nn.containers import LeakyReLU, ReLU, Sequential, Sigmoid, Tanh
from nn.conv import Conv1d, Conv2d
from nn.layers import MLP, Layer, Neuron
from nn.model_file import check_model_tree, model_class, read_model_file, spec_parts
from nn.module import Module
from nn.pooling import AvgPool1d, AvgPool2d, Flatten, MaxPool1d, MaxPool2d
from nn.recurrent import RNN, GRUCell, LSTMCell, RNNCell, RNNClassifier

LOADABLE: Mapping[str, type[Module]] = MappingProxyType({cls.__name__: cls for cls in (
    Neuron, Layer, MLP, Sequential, ReLU, LeakyReLU, Tanh, Sigmoid, Flatten,
    Conv1d, Conv2d, MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d,
    RNNCell, LSTMCell, GRUCell, RNN, RNNClassifier,
)})

M = TypeVar("M", bound=Module)


@overload
def load(path: str | os.PathLike[str]) -> Module: ...
@overload
def load(path: str | os.PathLike[str], cls: type[M]) -> M: ...


def load(path: str | os.PathLike[str], cls: type[Module] | None = None) -> Module:
    """Rebuild a model saved with `Module.save`: any class in `LOADABLE`, or only `cls` when it is given.

    Raises ValueError naming the file and the key when it is not valid JSON (e.g. truncated), not a
    scalargrad model, of another or an unknown class, too large or deep, or its config/state do not fit;
    nothing is built before the whole file has been checked (see `nn.model_file`).
    """
    doc = read_model_file(path)
    where = os.fspath(path)
    if cls is None:
        cls = model_class(doc["class"], f"{where}: key 'class'", LOADABLE)
    elif doc["class"] != cls.__name__:
        raise ValueError(f"{where}: key 'class': holds a {doc['class']:.60}, not a {cls.__name__}")
    check_model_tree(cls, doc, where, LOADABLE)
    model = _build(cls, doc["config"], where, "config")
    model.load_checked_state(doc["state_dict"], path)
    return model


def _build(cls: type[Module], config: dict[str, Any], where: str, key: str) -> Module:
    """`cls` from the checked config at `key`: a container from its children, built first; the rest from keywords."""
    specs = cls.child_specs(config)
    if specs is not None:
        children = []
        for i, spec in enumerate(specs):
            name, child_config = spec_parts(spec, where)
            children.append(_build(LOADABLE[name], child_config, where, f"{key}.children[{i}].config"))
        return cls(*children)
    try:
        return cls(**config)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: key {key!r}: config does not build a {cls.__name__}: {exc}") from None
