"""An optimiser step and `load_state_dict` either complete or change nothing (data, grads, optimiser state)."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

import nn
from engine import Value
from nn.optim import SGD, Adam, AdamW, Optimizer

OPTIMISERS: list[Callable[[list[Value]], Optimizer]] = [
    lambda ps: SGD(ps, lr=0.1),
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True),
    lambda ps: Adam(ps, lr=0.1, weight_decay=0.01),
    lambda ps: AdamW(ps, lr=0.1, weight_decay=0.1),
]


def everything(params: list[Value], opt: Optimizer) -> tuple[list[object], list[object], dict[str, Any]]:
    """Every parameter's data and grad and a deep copy of the optimiser's state, to compare before and after."""
    state = {k: copy.deepcopy(v) for k, v in vars(opt).items() if k != "params"}
    return [p.data for p in params], [p.grad for p in params], state


def stepped_once(make: Callable[[list[Value]], Optimizer]) -> tuple[list[Value], Optimizer]:
    """Five parameters with gradients and an optimiser that has already taken a step (so it has state)."""
    params = [Value(0.5 * i - 1.0) for i in range(5)]
    opt = make(params)
    for i, p in enumerate(params):
        p.grad = 0.25 * i + 0.1
    opt.step()
    for i, p in enumerate(params):
        p.grad = -0.3 * i + 0.2
    return params, opt


@pytest.mark.parametrize("make", OPTIMISERS)
@pytest.mark.parametrize(
    ("spoil", "error", "message"),
    [
        (lambda ps, opt: setattr(ps[3], "grad", math.nan), ValueError, "parameter 3 has gradient nan"),
        (lambda ps, opt: setattr(ps[3], "grad", -math.inf), ValueError, "parameter 3 has gradient -inf"),
        (lambda ps, opt: setattr(ps[3], "grad", 10**400), ValueError, "parameter 3 has gradient 1000"),
        (lambda ps, opt: setattr(ps[3], "grad", "0.5"), TypeError, "parameter 3's .grad must be a number, got str"),
        (lambda ps, opt: setattr(ps[3], "grad", None), TypeError, "parameter 3's .grad must be a number, got None"),
        (lambda ps, opt: setattr(ps[3], "data", "1.0"), TypeError, "parameter 3's .data must be a number, got str"),
        (lambda ps, opt: setattr(ps[4], "data", [1.0]), TypeError, "parameter 4's .data must be a number, got list"),
        (lambda ps, opt: setattr(opt, "lr", None), TypeError, "lr must be a number, got NoneType"),
        (lambda ps, opt: setattr(opt, "lr", -0.5), ValueError, "lr must be a finite number >= 0, got -0.5"),
    ],
)
def test_a_step_that_cannot_finish_changes_nothing(
    make: Callable[[list[Value]], Optimizer],
    spoil: Callable[[list[Value], Optimizer], None],
    error: type[Exception],
    message: str,
) -> None:
    params, opt = stepped_once(make)
    spoil(params, opt)
    before = everything(params, opt)
    with pytest.raises(error, match=message):
        opt.step()
    assert everything(params, opt) == before


@pytest.mark.parametrize("make", OPTIMISERS)
def test_a_step_after_a_refused_one_is_the_step_that_would_have_been_taken(
    make: Callable[[list[Value]], Optimizer],
) -> None:
    """A refused step leaves no trace: fixing the gradient and stepping again gives an uninterrupted run's result."""
    params, opt = stepped_once(make)
    clean, clean_opt = stepped_once(make)
    good = params[2].grad
    params[2].grad = math.nan
    with pytest.raises(ValueError):
        opt.step()
    params[2].grad = good
    opt.step()
    clean_opt.step()
    assert [p.data for p in params] == [p.data for p in clean]


def test_integer_gradients_and_values_step_like_floats() -> None:
    a, b = Value(1.0), Value(1.0)
    a.grad, b.grad = 2, 2.0
    a.data = 1
    SGD([a], lr=0.5).step()
    SGD([b], lr=0.5).step()
    assert a.data == b.data == 0.0 and type(a.data) is float


# ------------------------------------------------------------------ load_state_dict


class Fickle(Mapping[str, object]):
    """A mapping that gives a good value for each key the first time it is read and garbage after that.

    A state read from a lazily decoded source can behave like this; what is stored must be what was checked.
    """

    def __init__(self, state: dict[str, object]) -> None:
        self.state, self.reads = state, set[str]()

    def __getitem__(self, key: str) -> object:
        if key in self.reads:
            return "garbage"
        self.reads.add(key)
        return self.state[key]

    def __contains__(self, key: object) -> bool:
        return key in self.state

    def __iter__(self) -> Iterator[str]:
        return iter(self.state)

    def __len__(self) -> int:
        return len(self.state)


def test_load_state_dict_stores_exactly_the_numbers_it_checked() -> None:
    src, dst = nn.MLP(2, [3, 1], seed=1), nn.MLP(2, [3, 1], seed=2)
    dst.load_state_dict(Fickle(src.state_dict()))
    assert [p.data for p in dst.parameters()] == [p.data for p in src.parameters()]


@pytest.mark.parametrize(
    ("key", "bad", "error"),
    [("layers.0.neurons.2.w", [0.5, math.nan], ValueError), ("layers.0.neurons.1.b", "0.1", TypeError)],
)
def test_a_bad_key_in_the_middle_changes_no_data_and_no_grad(key: str, bad: object, error: type[Exception]) -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    for i, p in enumerate(model.parameters()):
        p.grad = float(i)
    state = nn.MLP(2, [3, 1], seed=1).state_dict()
    assert 0 < list(state).index(key) < len(state) - 1
    state[key] = bad
    before = [(p.data, p.grad) for p in model.parameters()]
    with pytest.raises(error, match=repr(key)):
        model.load_state_dict(state)
    assert [(p.data, p.grad) for p in model.parameters()] == before


# ------------------------------------------------------------------ an optimiser's load_state_dict


def _spoiled(key: str, value: object) -> Callable[[dict[str, Any]], None]:
    def spoil(state: dict[str, Any]) -> None:
        state[key] = value

    return spoil


@pytest.mark.parametrize("make", [lambda ps: Adam(ps, lr=0.1), lambda ps: AdamW(ps, lr=0.1)])
@pytest.mark.parametrize(
    ("spoil", "error", "message"),
    [
        (lambda state: state.pop("exp_avg"), ValueError, r"missing key\(s\) \['exp_avg'\]"),
        (_spoiled("momentum", 0.9), ValueError, r"unexpected key\(s\) \['momentum'\]"),
        (_spoiled("lr", -1.0), ValueError, r"^Adam(W)?\.load_state_dict: lr must be a finite number >= 0"),
        (_spoiled("betas", [0.9, 1.0]), ValueError, r"load_state_dict: beta2 must be a finite number in \[0, 1\)"),
        (_spoiled("eps", 0.0), ValueError, "eps must be a finite number > 0"),
        (_spoiled("decoupled_weight_decay", "yes"), TypeError, "decoupled_weight_decay must be a bool"),
        (_spoiled("step", -1), ValueError, "step must be >= 0"),
        (_spoiled("step", 1.5), TypeError, "step must be an int"),
        (_spoiled("exp_avg", [0.1] * 4), ValueError, "exp_avg must be a list of 5 numbers"),
        (_spoiled("exp_avg", [0.1, 0.2, math.nan, 0.3, 0.4]), ValueError,
         r"^Adam(W)?\.load_state_dict: exp_avg\[2\] must be a finite number"),
        (_spoiled("exp_avg_sq", [0.1] * 3 + [-0.5, 0.4]), ValueError, r"exp_avg_sq\[3\] must be a finite number >= 0"),
        (_spoiled("exp_avg_sq", "0.1"), TypeError, "exp_avg_sq must be a list of 5 numbers, got str"),
    ],
)
def test_an_optimiser_state_that_does_not_fit_changes_nothing(
    make: Callable[[list[Value]], Optimizer],
    spoil: Callable[[dict[str, Any]], None],
    error: type[Exception],
    message: str,
) -> None:
    source_params, source = stepped_once(make)
    source.step()
    state = source.state_dict()
    spoil(state)
    params, opt = stepped_once(make)
    before = everything(params, opt)
    with pytest.raises(error, match=message):
        opt.load_state_dict(state)  # type: ignore[attr-defined]
    assert everything(params, opt) == before


def test_an_optimiser_stores_exactly_the_state_it_checked() -> None:
    _, source = stepped_once(lambda ps: AdamW(ps, lr=0.1, weight_decay=0.2))
    _, target = stepped_once(lambda ps: AdamW(ps))
    target.load_state_dict(Fickle(source.state_dict()))
    assert target.state_dict() == source.state_dict()
