"""nn.optim: SGD, Adam and AdamW step for step against torch.optim, LinearLR against torch's, hyper-parameter checks."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from engine import Value
from nn.optim import SGD, Adam, AdamW, LinearLR, Optimizer

START = [0.8, -1.3, 0.4, 2.0]
STEPS = 6


def objective(p: list[Any]) -> Any:
    """A non-quadratic loss written with operators both Values and torch tensors have."""
    return (p[0] * p[1] - 1.0) ** 2 + 0.5 * p[2] * p[2] + (p[3] * 0.7).tanh() + p[0] ** 4 * 0.1


def trajectory(
    params: list[Any], make: Callable[[list[Any]], Any], schedule: Callable[[Any], Any] | None
) -> list[list[float]]:
    """The parameters after each of STEPS optimiser steps on `objective`, for our Values or torch tensors alike."""
    opt = make(params)
    sched = schedule(opt) if schedule else None
    out = []
    for _ in range(STEPS):
        opt.zero_grad()
        objective(params).backward()
        opt.step()
        if sched:
            sched.step()
        out.append([float(p.data) for p in params])
    return out


def run_ours(
    make: Callable[[list[Value]], Optimizer], start: list[float] = START, schedule: Callable[[Any], Any] | None = None
) -> list[list[float]]:
    return trajectory([Value(x) for x in start], make, schedule)


def run_torch(
    torch: ModuleType,
    make: Callable[[list[Any]], Any],
    start: list[float] = START,
    schedule: Callable[[Any], Any] | None = None,
) -> list[list[float]]:
    return trajectory([torch.tensor(x, requires_grad=True) for x in start], make, schedule)


def assert_same_trajectory(ours: list[list[float]], theirs: list[list[float]]) -> None:
    for step, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12), f"step {step + 1}"


def test_one_sgd_step_is_w_minus_lr_times_grad() -> None:
    w = Value(2.0)
    loss = w * w * 3.0  # d/dw = 6w = 12
    loss.backward()
    SGD([w], lr=0.1).step()
    assert w.data == 2.0 - 0.1 * 12.0


def test_sgd_momentum_by_hand() -> None:
    w = Value(1.0)
    opt = SGD([w], lr=0.1, momentum=0.9)
    w.grad = 2.0
    opt.step()  # buffer = 2
    assert w.data == pytest.approx(1.0 - 0.1 * 2.0)
    opt.step()  # buffer = 0.9 * 2 + 2 = 3.8
    assert w.data == pytest.approx(0.8 - 0.1 * 3.8)


SGD_SETTINGS = [
    {},
    {"momentum": 0.9},
    {"momentum": 0.9, "dampening": 0.3},
    {"momentum": 0.8, "nesterov": True},
    {"weight_decay": 0.1},
    {"momentum": 0.7, "weight_decay": 0.05, "nesterov": True},
    {"momentum": 0.5, "weight_decay": 0.2, "dampening": 0.5},
]


@pytest.mark.parametrize("settings", SGD_SETTINGS, ids=str)
def test_sgd_matches_torch_step_for_step(torch: ModuleType, settings: dict[str, Any]) -> None:
    ours = run_ours(lambda ps: SGD(ps, lr=0.05, **settings))
    theirs = run_torch(torch, lambda ps: torch.optim.SGD(ps, lr=0.05, **settings))
    assert_same_trajectory(ours, theirs)


ADAM_SETTINGS = [
    {},
    {"lr": 0.1},
    {"lr": 0.05, "weight_decay": 0.1},
    {"lr": 0.02, "betas": (0.5, 0.9), "eps": 1e-3},
    {"lr": 0.1, "betas": (0.0, 0.0)},
]


@pytest.mark.parametrize("settings", ADAM_SETTINGS, ids=str)
def test_adam_matches_torch_step_for_step(torch: ModuleType, settings: dict[str, Any]) -> None:
    ours = run_ours(lambda ps: Adam(ps, **settings))
    theirs = run_torch(torch, lambda ps: torch.optim.Adam(ps, **settings))
    assert_same_trajectory(ours, theirs)


ADAMW_SETTINGS = [
    {},
    {"lr": 0.1},
    {"lr": 0.05, "weight_decay": 0.1},
    {"lr": 0.1, "weight_decay": 0.0},
    {"lr": 0.02, "betas": (0.5, 0.9), "eps": 1e-3, "weight_decay": 0.3},
]


@pytest.mark.parametrize("settings", ADAMW_SETTINGS, ids=str)
def test_adamw_matches_torch_to_1e_12_step_for_step(torch: ModuleType, settings: dict[str, Any]) -> None:
    ours = run_ours(lambda ps: AdamW(ps, **settings))
    theirs = run_torch(torch, lambda ps: torch.optim.AdamW(ps, **settings))
    for step, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15), f"step {step + 1}"


def test_adamw_decay_is_decoupled_from_the_gradient() -> None:
    """With a zero gradient Adam's step is 0, so AdamW only shrinks p by 1 - lr * wd; Adam's coupled decay moves
    it by a whole normalised step instead."""
    decoupled, coupled = Value(2.0), Value(2.0)
    AdamW([decoupled], lr=0.1, weight_decay=0.5).step()
    Adam([coupled], lr=0.1, weight_decay=0.5).step()
    assert decoupled.data == 2.0 * (1.0 - 0.1 * 0.5)
    assert coupled.data == pytest.approx(2.0 - 0.1, rel=1e-7)


def test_adamw_has_torchs_defaults(torch: ModuleType) -> None:
    ours = AdamW([Value(1.0)])
    theirs = torch.optim.AdamW([torch.tensor(1.0, requires_grad=True)]).defaults
    assert (ours.lr, ours.betas, ours.eps, ours.weight_decay) == (
        theirs["lr"], theirs["betas"], theirs["eps"], theirs["weight_decay"])


@given(
    st.lists(st.floats(-2, 2), min_size=4, max_size=4),
    st.floats(1e-4, 0.2),
    st.floats(0.0, 0.95),
    st.floats(0.0, 0.3),
    st.booleans(),
)
def test_sgd_matches_torch_for_random_settings(
    torch: ModuleType, start: list[float], lr: float, momentum: float, wd: float, nesterov: bool
) -> None:
    nesterov = nesterov and momentum > 0
    kw = {"lr": lr, "momentum": momentum, "weight_decay": wd, "nesterov": nesterov}
    assert_same_trajectory(
        run_ours(lambda ps: SGD(ps, **kw), start), run_torch(torch, lambda ps: torch.optim.SGD(ps, **kw), start)
    )


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@given(
    st.lists(st.floats(-2, 2), min_size=4, max_size=4),
    st.floats(1e-4, 0.2),
    st.floats(0.0, 0.99),
    # beta2 near 0 makes the step lr * m / (|g| + eps): a gradient near 0 turns torch's fused multiply-add
    # (weight decay) versus Python's two roundings, one ulp apart, into a 1e-3 difference a step later.
    st.floats(0.1, 0.999),
    st.floats(0.0, 0.5),
)
def test_adam_and_adamw_match_torch_for_random_settings(
    torch: ModuleType, name: str, start: list[float], lr: float, beta1: float, beta2: float, wd: float
) -> None:
    ours, theirs = {"Adam": Adam, "AdamW": AdamW}[name], getattr(torch.optim, name)
    kw = {"lr": lr, "betas": (beta1, beta2), "weight_decay": wd}
    assert_same_trajectory(
        run_ours(lambda ps: ours(ps, **kw), start), run_torch(torch, lambda ps: theirs(ps, **kw), start)
    )


# ------------------------------------------------------------------ LinearLR


@pytest.mark.parametrize(("start", "end", "total"), [(1 / 3, 1.0, 5), (1.0, 0.1, 4), (0.5, 0.0, 3)])
def test_linear_lr_matches_torch(torch: ModuleType, start: float, end: float, total: int) -> None:
    opt = SGD([Value(1.0)], lr=0.2)
    sched = LinearLR(opt, start_factor=start, end_factor=end, total_iters=total)
    t_opt = torch.optim.SGD([torch.tensor(1.0, requires_grad=True)], lr=0.2)
    t_sched = torch.optim.lr_scheduler.LinearLR(t_opt, start_factor=start, end_factor=end, total_iters=total)
    ours, theirs = [opt.lr], [t_opt.param_groups[0]["lr"]]
    for _ in range(total + 3):
        opt.step()
        t_opt.step()
        sched.step()
        t_sched.step()
        ours.append(sched.get_last_lr()[0])
        theirs.append(t_sched.get_last_lr()[0])
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert ours[0] == pytest.approx(0.2 * start) and ours[-1] == pytest.approx(0.2 * end)


def test_linear_lr_schedule_drives_training_like_torch(torch: ModuleType) -> None:
    ours = run_ours(
        lambda ps: SGD(ps, lr=0.1, momentum=0.9),
        schedule=lambda opt: LinearLR(opt, start_factor=1.0, end_factor=0.2, total_iters=4),
    )
    theirs = run_torch(
        torch,
        lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
        schedule=lambda opt: torch.optim.lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=0.2, total_iters=4),
    )
    assert_same_trajectory(ours, theirs)


# ------------------------------------------------------------------ checks, state and zero_grad


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda ps: SGD(ps, lr=-0.1), "lr must be a finite number >= 0, got -0.1"),
        (lambda ps: SGD(ps, lr=math.nan), "lr must be a finite number >= 0, got nan"),
        (lambda ps: SGD(ps, lr=0.1, momentum=-0.5), "momentum must be a finite number >= 0, got -0.5"),
        (lambda ps: SGD(ps, lr=0.1, weight_decay=-1), "weight_decay must be a finite number >= 0, got -1"),
        (lambda ps: SGD(ps, lr=0.1, dampening=-1), "dampening must be a finite number >= 0, got -1"),
        (lambda ps: SGD(ps, lr=0.1, nesterov=True), "Nesterov momentum needs momentum > 0"),
        (lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, dampening=0.1), "and dampening = 0"),
        (lambda ps: Adam(ps, lr=-1e-3), "lr must be a finite number >= 0, got -0.001"),
        (lambda ps: Adam(ps, betas=(1.0, 0.999)), r"beta1 must be a finite number in \[0, 1\), got 1.0"),
        (lambda ps: Adam(ps, betas=(0.9, -0.1)), r"beta2 must be a finite number in \[0, 1\), got -0.1"),
        (lambda ps: Adam(ps, betas=(0.9,)), "betas must be a pair"),
        (lambda ps: Adam(ps, eps=0.0), "eps must be a finite number > 0, got 0.0"),
        (lambda ps: Adam(ps, weight_decay=-0.1), "weight_decay must be a finite number >= 0, got -0.1"),
        (lambda ps: AdamW(ps, weight_decay=-0.1), "weight_decay must be a finite number >= 0, got -0.1"),
        (lambda ps: AdamW(ps, betas=(0.9, 1.0)), r"beta2 must be a finite number in \[0, 1\), got 1.0"),
        (lambda ps: SGD([], lr=0.1), "empty parameter list"),
        (lambda ps: SGD([*ps, ps[0]], lr=0.1), "parameter 2 appears more than once"),
        (lambda ps: LinearLR(SGD(ps, lr=0.1), start_factor=0.0),
         r"start_factor must be a finite number in \(0, 1\], got 0.0"),
        (lambda ps: LinearLR(SGD(ps, lr=0.1), end_factor=1.5),
         r"end_factor must be a finite number in \[0, 1\], got 1.5"),
        (lambda ps: LinearLR(SGD(ps, lr=0.1), total_iters=0), "total_iters must be >= 1, got 0"),
    ],
)
def test_bad_hyper_parameters_raise_value_error(make: Callable[[list[Value]], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make([Value(1.0), Value(2.0)])


def test_wrong_types_raise_type_error() -> None:
    with pytest.raises(TypeError, match="lr must be a number, got str"):
        SGD([Value(1.0)], lr="0.1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="params must be a list of Values, e.g. model.parameters()"):
        SGD(nn.MLP(1, [1], seed=0), lr=0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="SGD: parameter 2 is a float, not a Value"):
        SGD([Value(1.0), Value(2.0), 1.0], lr=0.1)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="betas must be a pair"):
        Adam([Value(1.0)], betas=0.9)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="total_iters must be an int"):
        LinearLR(SGD([Value(1.0)], lr=0.1), total_iters=2.0)  # type: ignore[arg-type]


def test_step_with_a_nan_gradient_raises_and_changes_nothing() -> None:
    ps = [Value(1.0), Value(2.0)]
    opt = SGD(ps, lr=0.1, momentum=0.9)
    ps[0].grad, ps[1].grad = 1.0, math.nan
    with pytest.raises(ValueError, match="parameter 1 has gradient nan"):
        opt.step()
    assert [p.data for p in ps] == [1.0, 2.0] and opt.buffers == [None, None]


def test_state_belongs_to_each_optimiser() -> None:
    """Two optimisers stepped in turn follow exactly the trajectories each follows alone."""
    alone = run_ours(lambda ps: Adam(ps, lr=0.1))
    a, b = [Value(x) for x in START], [Value(x) for x in START]
    opt_a, opt_b = Adam(a, lr=0.1), Adam(b, lr=0.1)
    for step in range(STEPS):
        for ps, opt in ((a, opt_a), (b, opt_b)):
            opt.zero_grad()
            objective(ps).backward()
            opt.step()
        assert [p.data for p in a] == [p.data for p in b] == alone[step]


def test_zero_grad_clears_gradients_and_generators_are_accepted() -> None:
    mlp = nn.MLP(2, [2, 1], seed=0)
    opt = SGD((p for p in mlp.parameters()), lr=0.1)
    for p in mlp.parameters():
        p.grad = 1.0
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in mlp.parameters())


def test_readme_example_trains_an_mlp_on_two_moons() -> None:
    """The README's training loop, as printed there: 40 epochs of SGD with momentum separate the moons."""
    from nn.data import make_moons

    xs, labels = make_moons(100, noise=0.1, seed=0)
    ys = [2.0 * c - 1.0 for c in labels]
    model = nn.MLP(2, [16, 16, 1], seed=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    first = None
    for _ in range(40):
        loss = nn.hinge_loss([model(x) for x in xs], ys)
        first = first if first is not None else loss.data  # type: ignore[union-attr]
        opt.zero_grad()
        loss.backward()  # type: ignore[union-attr]
        opt.step()
    accuracy = sum((model(x).data > 0) == (y > 0) for x, y in zip(xs, ys)) / len(xs)  # type: ignore[union-attr]
    assert loss.data < 0.1 * first  # type: ignore[union-attr]
    assert accuracy >= 0.95


# ------------------------------------------------------------------ Adam's and AdamW's state_dict


@pytest.mark.parametrize("make", [lambda ps: Adam(ps, lr=0.1, weight_decay=0.1), lambda ps: AdamW(ps, lr=0.1)])
def test_a_run_saved_and_resumed_follows_the_uninterrupted_run(make: Callable[[list[Value]], Any]) -> None:
    """state_dict through JSON into a new optimiser (made with other settings) continues the trajectory to the bit."""
    whole = run_ours(make)
    params = [Value(x) for x in START]
    first = make(params)
    for _ in range(STEPS // 2):
        first.zero_grad()
        objective(params).backward()
        first.step()
    second = AdamW(params, lr=0.5, betas=(0.5, 0.6), weight_decay=0.3)
    second.load_state_dict(json.loads(json.dumps(first.state_dict())))
    for _ in range(STEPS - STEPS // 2):
        second.zero_grad()
        objective(params).backward()
        second.step()
    assert [p.data for p in params] == whole[-1]


def test_adamw_state_holds_torchs_moments_under_torchs_names(torch: ModuleType) -> None:
    ours = [Value(x) for x in START]
    theirs = [torch.tensor(x, requires_grad=True) for x in START]
    opt, t_opt = AdamW(ours, lr=0.05, weight_decay=0.1), torch.optim.AdamW(theirs, lr=0.05, weight_decay=0.1)
    for _ in range(3):
        for params, optimiser in ((ours, opt), (theirs, t_opt)):
            optimiser.zero_grad()
            objective(params).backward()
            optimiser.step()
    state = opt.state_dict()
    for i, p in enumerate(theirs):
        t_state = t_opt.state[p]
        assert state["step"] == int(t_state["step"].item()) == 3
        assert state["exp_avg"][i] == pytest.approx(t_state["exp_avg"].item(), rel=1e-12)
        assert state["exp_avg_sq"][i] == pytest.approx(t_state["exp_avg_sq"].item(), rel=1e-12)
    group = t_opt.param_groups[0]
    assert [state[k] for k in ("lr", "eps", "weight_decay")] == [group[k] for k in ("lr", "eps", "weight_decay")]
