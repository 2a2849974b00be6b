"""The README's Python examples run as written and do what their comments say."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def run_block(containing: str) -> dict[str, Any]:
    (code,) = [b for b in BLOCKS if containing in b]
    namespace: dict[str, Any] = {"__name__": "readme"}
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - our own README, the point of the test
    return namespace


def test_the_first_example_computes_the_neuron_and_its_gradients() -> None:
    ns = run_block("a = z.tanh()")
    a, x, w = ns["a"], ns["x"], ns["w"]
    assert a.data == pytest.approx(0.7064, abs=1e-4)
    assert x.grad == pytest.approx(ns["w"].data * (1 - a.data**2))
    assert w.grad == pytest.approx(x.data * (1 - a.data**2))


def test_the_training_example_learns_two_moons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    ns = run_block("nn.optim.SGD")
    assert ns["accuracy"] >= 0.95
    assert (tmp_path / "moons.json").exists()
    assert "accuracy" in capsys.readouterr().out


def test_the_drawing_example_runs_without_graphviz_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ns = run_block("step_through(L)")
    assert list(tmp_path.glob("L.*")), "write_image wrote neither L.svg nor the L.dot fallback"
    assert ns["model"].num_parameters() == 37


def test_the_property_testing_example_passes() -> None:
    ns = run_block("engine.testing")
    ns["test_softplus_derivatives"]()
    ns["test_random_graphs"]()
