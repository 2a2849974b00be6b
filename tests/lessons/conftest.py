"""Each lesson test starts with hints on and no misses remembered, whatever the tests before it did."""

from __future__ import annotations

import pytest

from nn.lessons import feedback


@pytest.fixture(autouse=True)
def fresh_help(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feedback, "_HELP", feedback._Help(enabled=True))
