"""The micrograd package (0.1.0, from PyPI, the `test` extra) as the oracle; its tests skip with a reason without it.

Each fixture is a namespace with the names a micrograd program imports (`Value`, `Neuron`, `Layer`, `MLP`,
`Module`): `micrograd_api` from micrograd itself, `our_api` from engine.micrograd and nn.micrograd. A program
written once against such a namespace runs through both, as with only its import lines changed.
"""

from __future__ import annotations

import importlib
from types import ModuleType, SimpleNamespace

import pytest

import engine.micrograd
import nn.micrograd


def api(engine_module: ModuleType, nn_module: ModuleType) -> SimpleNamespace:
    """The names a micrograd program imports from its two modules."""
    names = {"Value": engine_module.Value}
    names.update({name: getattr(nn_module, name) for name in ("Module", "Neuron", "Layer", "MLP")})
    return SimpleNamespace(**names)


@pytest.fixture(scope="session")
def micrograd_api() -> SimpleNamespace:
    """micrograd's own `Value`, `Module`, `Neuron`, `Layer`, `MLP`; skips the test when micrograd is missing."""
    try:
        return api(importlib.import_module("micrograd.engine"), importlib.import_module("micrograd.nn"))
    except ImportError as exc:
        pytest.skip(f"micrograd, the oracle here, is not installed ({exc}); `pip install micrograd==0.1.0`")


@pytest.fixture(scope="session")
def our_api() -> SimpleNamespace:
    """The same names from engine.micrograd and nn.micrograd."""
    return api(engine.micrograd, nn.micrograd)
