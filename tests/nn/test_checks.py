"""nn.checks and nn.limits: one home for argument checks, one error type per kind of mistake, sizes bounded."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import nn
from nn.checks import check_count, check_number, check_samples, is_int, is_real, lookup
from nn.data import make_bars, make_chars, make_moons, make_parity
from nn.limits import MAX_DATA_NUMBERS, MAX_PARAMETERS, MAX_SAMPLES, MAX_STEPS
from nn.training import fit

NN = Path(nn.__file__).parent


def sources() -> dict[str, str]:
    return {str(p.relative_to(NN)): p.read_text(encoding="utf-8") for p in sorted(NN.rglob("*.py"))}


def places(pattern: str) -> list[str]:
    return [f"{name}:{text[:m.start()].count(chr(10)) + 1}" for name, text in sources().items()
            for m in re.finditer(pattern, text)]


def test_bool_guards_and_number_checks_live_only_in_nn_checks() -> None:
    assert places(r"isinstance\([^()]*, bool\)") == ["checks.py:" + str(n) for n in _lines("checks.py", "bool)")]
    assert places(r"def _number\b|def _hyper\b|def _non_negative\b|def _positive\b|def _beta\b") == []


def _lines(name: str, needle: str) -> list[int]:
    text = sources()[name]
    return [i for i, line in enumerate(text.splitlines(), 1) if "isinstance(" in line and needle in line]


def test_zero_grad_class_lookup_and_window_plans_are_written_once() -> None:
    # Module and the optimisers call engine.zero_grad; the lessons' Value classes are written as a student would.
    assert [p for p in places(r"\.grad = 0\.0") if not p.startswith("lessons/")] == []
    assert places(r'import_module\("nn"\)') == []  # model files name classes through nn.loading.LOADABLE
    assert [p.split(":")[0] for p in places(r"def _plan\b")] == ["windows.py"]
    assert [p.split(":")[0] for p in places(r"def unwrap\b")] == ["windows.py"]
    assert nn.Conv2d._plan is nn.MaxPool2d._plan


def _line(name: str, needle: str) -> int:
    return next(i for i, line in enumerate(sources()[name].splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: check_count(True, "n"), TypeError, "n must be an int, got bool"),
        (lambda: check_count(0, "n"), ValueError, "n must be >= 1, got 0"),
        (lambda: check_count(11, "n", 1, 10), ValueError, "n must be at most 10, got 11"),
        (lambda: check_number("1", "x"), TypeError, "x must be a number, got str"),
        (lambda: check_number(math.inf, "x"), ValueError, "x must be a finite number, got inf"),
        (lambda: check_number(1.0, "b", 0.0, 1.0, below=True), ValueError, r"b must be a finite number in \[0, 1\)"),
        (lambda: check_number(0.0, "lr", 0.0, strict=True), ValueError, "lr must be a finite number > 0, got 0.0"),
        (lambda: check_number(10**400, "x", 0.0), ValueError, "x must be a finite number >= 0"),
        (lambda: lookup({"a": 1}, "b", "thing"), ValueError, "unknown thing 'b'; choose one of a"),
        (lambda: nn.optim.SGD([nn.Neuron(1, seed=0).w[0], 2.0], lr=0.1), TypeError, "parameter 1 is a float"),
        (lambda: nn.LeakyReLU("0.1"), TypeError, "LeakyReLU negative_slope must be a number, got str"),
        (lambda: nn.Conv1d(1, 1, 1, bias=1), TypeError, "Conv1d bias must be a bool, got int"),
    ],
)
def test_a_wrong_type_is_a_type_error_and_a_wrong_value_a_value_error(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message) as info:
        call()
    assert type(info.value) in (TypeError, ValueError)


def test_is_real_and_is_int_refuse_bool() -> None:
    assert is_real(1.5) and is_real(3) and not is_real(True) and not is_real("1")
    assert is_int(3) and not is_int(False) and not is_int(3.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_moons(10**10), f"n_samples must be at most {MAX_SAMPLES:,}"),
        (lambda: make_bars(MAX_SAMPLES, size=100), f"more than the limit of {MAX_DATA_NUMBERS:,}"),
        (lambda: make_parity(1000, length=10**6), f"more than the limit of {MAX_DATA_NUMBERS:,}"),
        (lambda: make_chars(MAX_SAMPLES, window=1000), f"more than the limit of {MAX_DATA_NUMBERS:,}"),
        (lambda: check_samples(MAX_SAMPLES + 1), f"at most {MAX_SAMPLES:,}"),
        (lambda: nn.MLP(2, [100_000, 100_000, 1]), f"would have 10,000,500,001 parameters, more than the limit of "
                                                   f"{MAX_PARAMETERS:,}"),
        (lambda: nn.Neuron(10**9), "Neuron would have 1,000,000,001 parameters"),
        (lambda: nn.Layer(10**5, 10**5), "Layer would have"),
        (lambda: nn.Conv2d(1000, 1000, 40), "Conv2d would have 1,600,001,000 parameters"),
        (lambda: nn.LSTMCell(10, 10**5), "LSTMCell would have"),
        (lambda: nn.RNNClassifier(3, [600, 600, 600], 2), "RNNClassifier would have"),
        (lambda: fit(nn.MLP(1, [1], seed=0), [[0.0]], [1], steps=MAX_STEPS + 1),
         f"steps must be at most {MAX_STEPS:,}"),
    ],
)
def test_the_library_refuses_sizes_past_their_limit_before_allocating(call: Callable[[], object], message: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
    assert time.perf_counter() - start < 1.0


def test_loading_a_link_to_dev_zero_is_refused(tmp_path: Path) -> None:
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    with pytest.raises(ValueError, match="zero.json: not a regular file, so not a saved model"):
        nn.load(tmp_path / "zero.json")
