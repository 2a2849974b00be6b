"""Shared fixtures: PyTorch is an optional oracle, so its tests skip with a reason when it is absent."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

# The shared headless-Chromium harness (the `chromium` fixture) for every page test.
pytest_plugins = ["browser"]

settings.register_profile(
    "scalargrad", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("scalargrad")


NO_ORACLE = "PyTorch oracle not installed"


@pytest.fixture(scope="session")
def torch() -> ModuleType:
    """The torch module, in float64 by default; skips the test (with the reason) when torch is missing."""
    try:
        module = importlib.import_module("torch")
    except ImportError as exc:
        pytest.skip(f"{NO_ORACLE} ({exc}); run `python3 tasks.py test` to install the CPU build")
    module.set_default_dtype(module.float64)
    return module


@pytest.fixture
def forbid_nodes(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """`forbid_nodes(module, "dot", ...)` makes those node builders fail the test: checks must run before any node."""

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a node was built before the input was checked")

    def forbid(owner: object, *names: str) -> None:
        for name in names:
            monkeypatch.setattr(owner, name, forbidden)

    return forbid


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One loud line when the PyTorch comparisons were skipped: a green run without its oracle proves less."""
    reasons = (NO_ORACLE, "(the torch extra) is not installed")
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if any(x in str(r.longrepr) for x in reasons)]
    if skipped:
        terminalreporter.write_line(
            f"WARNING: {len(skipped)} PyTorch/ONNX comparison tests SKIPPED: {NO_ORACLE}. "
            "`python3 tasks.py test` installs the CPU build.", red=True, bold=True
        )
